// Loaded with `node --import` by the scale bench: records the process's peak resident set (KB) when it exits.
import { writeFileSync } from 'node:fs';

const file = process.env.FLEETGEN_BENCH_RSS_FILE;
if (file) process.on('exit', () => writeFileSync(file, String(process.resourceUsage().maxRSS)));
