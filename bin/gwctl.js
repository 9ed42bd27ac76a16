#!/usr/bin/env node
// Thin launcher: everything that touches the process lives in src/cli.ts, bundled into dist/cli/.
import { runCli } from '../dist/cli/gwctl.mjs';

runCli();
