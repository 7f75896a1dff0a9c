import { defineConfig } from 'tsup';

export default defineConfig([
  {
    // Two public entries: the SDK and `model-management-sdk/testing`; shared code goes into a chunk.
    entry: ['src/index.ts', 'src/testing.ts'],
    format: ['esm'],
    dts: true,
    clean: ['!cli/**'],
    sourcemap: true,
    target: 'node20',
    splitting: true,
  },
  {
    // The `mms` command (package.json `bin`). Kysely and the small pure-ESM dependencies are bundled in:
    // loading them as hundreds of separate modules costs ~90 ms per command, and `mms status` has a
    // 300 ms budget. Drivers (pg, PGlite, pg-mem) and the chart libraries stay external.
    entry: { mms: 'src/cli/mms.ts' },
    outDir: 'dist/cli',
    format: ['esm'],
    clean: true,
    sourcemap: true,
    target: 'node20',
    splitting: false,
    noExternal: ['kysely', 'eventemitter3', 'p-queue', 'p-retry'],
  },
]);
