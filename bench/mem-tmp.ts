import { runPipelineBench } from './pipeline-bench.js';
const r = await runPipelineBench({ users: 1000, messagesPerUser: 10, paced: [], llmLatencyMs: 50, concurrency: Number(process.env.CONC ?? 256), senders: 64 }, console.error, process.env.PROF);
console.log(JSON.stringify({ burst: Math.round(r.burst.messagesPerSec), rss: r.rss }));
process.exit(0);
