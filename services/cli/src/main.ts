#!/usr/bin/env node
// The thin process entry; everything testable lives in cli.ts.
import { main } from './cli.js';

const exitCode = await main(process.argv.slice(2));
// Services resolve only after a signal and a clean stop; everything else is done here.
process.exit(exitCode);
