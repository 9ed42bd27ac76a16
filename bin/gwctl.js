#!/usr/bin/env node
// Thin launcher: everything that touches the process lives in src/cli.ts.
import { runCli } from '../dist/src/cli.js';

runCli();
