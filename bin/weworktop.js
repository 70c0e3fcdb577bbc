#!/usr/bin/env node
// The `weworktop` command (npx weworktop, or installed): weworktop [start|demo|doctor|simulate] [options].
import '../dist/app.js';
