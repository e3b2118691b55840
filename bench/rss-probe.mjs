// Loaded with `node --import` by the scale bench: records the process's peak resident set (KB) and the CPU time it
// used (user and system, microseconds) when it exits, as JSON.
import { writeFileSync } from 'node:fs';

const file = process.env.FLEETGEN_BENCH_RSS_FILE;
if (file) {
  process.on('exit', () => {
    const usage = process.resourceUsage();
    writeFileSync(file, JSON.stringify({ maxRSS: usage.maxRSS, userCPUTime: usage.userCPUTime, systemCPUTime: usage.systemCPUTime }));
  });
}
