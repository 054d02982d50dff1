#!/usr/bin/env node
// The `radix` executable: hands the arguments to the dispatcher and exits with its code (0 ok, 1 failure, 2 usage).
import { runCli } from './dispatch.js';

process.exitCode = await runCli(process.argv.slice(2));
