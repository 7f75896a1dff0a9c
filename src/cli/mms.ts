#!/usr/bin/env node
/**
 * The `mms` command (package.json `bin`): operators' surface of the SDK. See `mms --help` and the
 * README's "Operating it".
 * @module
 */
import { runCli } from './run-cli.js';

process.exitCode = await runCli(process.argv.slice(2));
