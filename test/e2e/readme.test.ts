import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkReadme, extractBlocks, missingPaths } from '../../scripts/readme-check.js';

describe('README checker (scripts/readme-check.ts)', () => {
  it('extracts ts blocks with their README lines and finds paths that are not in the repository', () => {
    const md = [
      '# t',
      '```ts',
      'const a = 1;',
      '```',
      'See `examples/demo.ts`, `examples/missing.ts`, [design](../shared/DESIGN.md) and `dist/index.js`.',
      '```bash',
      'npm test',
      '```',
    ].join('\n');
    expect(extractBlocks(md)).toEqual([{ line: 3, code: 'const a = 1;' }]);
    expect(missingPaths(md).map((p) => p.message)).toEqual([
      'names `examples/missing.ts`, which is not in the repository',
      'names `../shared/DESIGN.md`, which is not in the repository',
    ]);
    // A path out of the repository is refused even where it happens to exist (a checkout's parent).
    const examples = fileURLToPath(new URL('../../examples', import.meta.url));
    expect(missingPaths('[readme](../README.md), `demo.ts`', examples).map((p) => p.message)).toEqual([
      'names `../README.md`, which is not in the repository',
    ]);
  });

  it('reports a block that does not type-check and a block that throws, with their README lines', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mms-readme-'));
    try {
      const path = join(dir, 'README.md');
      await writeFile(
        path,
        [
          '```ts',
          "const count: number = 'three';",
          '```',
          '',
          '```ts',
          "await registry.updateModelStatus(newModelId, 'current');",
          "throw new Error('boom');",
          '```',
        ].join('\n'),
      );
      const problems = await checkReadme(path);
      expect(problems.map((p) => [p.line, p.message.split(/[:\n]/)[0]])).toEqual([
        [2, 'type error'],
        [6, 'run failed (exit code 1)'],
      ]);
      expect(problems[1]!.message).toContain('boom');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('every TypeScript block of the README type-checks and runs (simulated provider, no network); every named path exists', async () => {
    const problems = await checkReadme();
    expect(problems.map((p) => `README.md:${p.line}: ${p.message}`)).toEqual([]);
  }, 300_000);
});
