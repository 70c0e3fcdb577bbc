import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The only files the page server hands out, with their types. */
const ASSETS: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
  'client.js': 'text/javascript; charset=utf-8',
};

/**
 * tsc copies no .html/.css, so the page is read from the source folder, found from the repo root
 * (the first folder up with a package.json) whether this module runs from the sources or dist/.
 */
function pageDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}: cannot find the simulator page`);
    dir = parent;
  }
  return path.join(dir, 'simulator', 'page');
}

const PAGE_DIR = pageDir();

/** An asset by file name, or undefined for anything not in the list (no path ever reaches the disk). */
export async function readAsset(name: string): Promise<{ body: Buffer; contentType: string } | undefined> {
  const contentType = ASSETS[name];
  if (!contentType) return undefined;
  return { body: await readFile(path.join(PAGE_DIR, name)), contentType };
}
