/**
 * Debian tools some end-to-end tests drive (tmux, chromium). Locally a missing tool skips those
 * tests; in CI (CI=true) it is a failure: .ci/run installs them.
 */
import { execFileSync } from 'node:child_process';

/** True when `command` is on the PATH; throws in CI when it is not. */
export function requireTool(command: string, debianPackage = command): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    if (process.env.CI)
      throw new Error(
        `CI requires \`${command}\` (apt-get install -y ${debianPackage}); .ci/run installs it`,
      );
    return false;
  }
}
