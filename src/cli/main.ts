#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { cacheFilePath } from '../write/cache.js';
import { growHeapSlowly } from '../write/heap-growth.js';
import { tierUpLater } from '../write/tiering.js';
import { buildOutOf, startStatAheadEarly } from './early-start.js';

// A rebuild into out/, its cache there, mostly lasts a second: TurboFan later than V8's default (write/tiering.ts).
// First, before fleetgen's functions run, and before the first thread starts.
const rebuildOut = buildOutOf(process.argv.slice(2));
if (rebuildOut !== undefined && existsSync(cacheFilePath(rebuildOut))) tierUpLater();

// A build keeps the model and a record of every file live to its end, and allocates many times that in short-lived
// text. V8 by default lets the heap grow to several times what is live before a full collection, which took a
// 10,000-host build past 700 MB resident; growing by half of what is live keeps it near the 500 MB of issue 10 at no
// measurable cost in time (npm run bench:scale). Read at every collection, so setting it here, before the build, is in
// time. A rebuild lets it grow freely again (write/heap-growth.ts).
growHeapSlowly();

// Before the rest of fleetgen is loaded: a rebuild's second thread (early-start.ts).
const early = startStatAheadEarly(process.argv);
const { run } = await import('./run.js');

// exitCode, not process.exit(): stdout may be a pipe that still has to drain.
process.exitCode = await run(process.argv, undefined, early);
