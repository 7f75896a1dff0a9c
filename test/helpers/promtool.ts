import { spawnSync } from 'node:child_process';

/** True when `command` is on the PATH. */
export function hasCommand(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Whether tests needing the Prometheus binaries run: yes when installed; in CI (`CI=true`) their
 * absence is an error, so those tests fail instead of being skipped.
 */
export function prometheusAvailable(): boolean {
  const ok = hasCommand('prometheus') && hasCommand('promtool');
  if (!ok && process.env.CI) {
    throw new Error(
      'CI requires `prometheus` and `promtool` (Debian package prometheus; .ci/run installs it)',
    );
  }
  return ok;
}

/** Runs promtool with `args` (stdin from `input`); returns exit status and both outputs. */
export function promtool(args: string[], input?: string): { status: number | null; output: string } {
  const r = spawnSync('promtool', args, { input, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}
