/**
 * `npm run bench`: runs every benchmark in this folder one after another, each in its own process so
 * one's garbage does not slow the next. Figures are printed, never asserted (machines are noisy).
 * PostgreSQL rows need MMS_TEST_DATABASE_URL. Pass names to run a subset: `npm run bench -- registry`.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const benches = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.includes(w)))
  .sort();

let failed = 0;
for (const file of benches) {
  console.log(`\n######## ${file} ########`);
  const started = Date.now();
  const run = spawnSync('npx', ['tsx', `${here}/${file}`], { stdio: 'inherit' });
  console.log(`(${file}: ${((Date.now() - started) / 1000).toFixed(1)} s, exit ${run.status})`);
  if (run.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
