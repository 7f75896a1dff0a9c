import { defineConfig } from 'tsup';

export default defineConfig({
  // Two public entries: the SDK and `model-management-sdk/testing`; shared code goes into a chunk.
  entry: ['src/index.ts', 'src/testing.ts'],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  splitting: true,
});
