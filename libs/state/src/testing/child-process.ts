import type { ChildProcess } from 'node:child_process';

/**
 * Sends `signal` to a child process and waits for it to end; after `graceMs` it is killed with
 * SIGKILL. Resolves at once when the process has already ended.
 */
export async function stopChildProcess(
  child: ChildProcess,
  signal: NodeJS.Signals = 'SIGTERM',
  graceMs = 5000,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  let timer: NodeJS.Timeout | undefined;
  const ended = await Promise.race([
    exited.then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), graceMs);
    }),
  ]);
  clearTimeout(timer);
  if (!ended) {
    child.kill('SIGKILL');
    await exited;
  }
}
