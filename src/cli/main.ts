#!/usr/bin/env node
import { run } from './run.js';

// exitCode, not process.exit(): stdout may be a pipe that still has to drain.
process.exitCode = await run(process.argv);
