#!/usr/bin/env node
// The `wsasec` command. Ctrl-C (SIGINT) and SIGTERM end long-running commands (serve) gracefully.
import { main } from './cli/main.js';

const controller = new AbortController();
const stop = () => controller.abort();
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: controller.signal,
});
process.off('SIGINT', stop);
process.off('SIGTERM', stop);
