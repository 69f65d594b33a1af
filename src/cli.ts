#!/usr/bin/env node
import nodeModule from 'node:module';
import { main } from './cli/program.js';

// Node >= 22.1 keeps the compiled code of the commands between runs; Node 20 has no such cache (the shipped program,
// src/bin.ts, brings its own), and this does nothing there.
(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();

await main(process.argv);
