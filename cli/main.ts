import { runCli } from './run-cli';

// The AWS SDK warns on every run that releases after January 2027 need Node 22; this repository
// supports Node 20 until then, and an operator cannot act on it. Set the variable to 'false' to see it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** Process entry of `taskpulse`: real stdio and environment, Ctrl-C stops long-running commands. */
const controller = new AbortController();
let interrupted = false;
const onSignal = () => {
  // The first Ctrl-C lets `tail` or `redrive` finish the batch in hand; a second one exits at once.
  if (interrupted) process.exit(130);
  interrupted = true;
  controller.abort();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  stdin: process.stdin,
  signal: controller.signal,
});
process.exitCode = code;
// Let pending writes flush; nothing else should keep the loop alive once the command is done.
process.removeListener('SIGINT', onSignal);
process.removeListener('SIGTERM', onSignal);
