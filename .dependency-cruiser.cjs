// The import rules of DESIGN.md, checked by `npm run check:imports` (dependency-cruiser) in CI.
// Direction: internal → db → parts (registry, history, guardrails, deployment) → integrations
// (llm, coordination, narrative, observability) → create-model-management → index / testing.
const PARTS = '(registry|history|guardrails|deployment)';
const INTEGRATIONS = '(llm|coordination|narrative|observability)';
const FOUNDATION = '^src/(errors|events|logger|severity|deployment-strategy)\\.ts$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No runtime import cycle between modules (a type-only loop inside one folder is harmless).',
      from: { path: '^src/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'no-cycle-across-folders',
      severity: 'error',
      comment: 'No cycle at all (types included) that leaves its folder.',
      from: { path: '^src/([^/]+)/' },
      to: { circular: true, via: { path: '^src/', pathNot: '^src/$1/' } },
    },
    {
      name: 'no-deep-import-across-folders',
      severity: 'error',
      comment: 'A part or integration imports another one through its index.ts (its public surface) only.',
      from: { path: '^src/([^/]+)/' },
      to: {
        path: `^src/(${PARTS.slice(1, -1)}|${INTEGRATIONS.slice(1, -1)})/`,
        pathNot: ['^src/$1/', '/index\\.ts$'],
      },
    },
    {
      name: 'internal-is-the-bottom',
      severity: 'error',
      comment: 'internal/ is generic machinery: it imports only itself and the foundation files.',
      from: { path: '^src/internal/' },
      to: { path: '^src/', pathNot: ['^src/internal/', FOUNDATION] },
    },
    {
      name: 'foundation-imports-foundation',
      severity: 'error',
      comment: 'errors, events, logger, severity and strategy names sit under everything.',
      from: { path: FOUNDATION },
      to: { path: '^src/', pathNot: [FOUNDATION] },
    },
    {
      name: 'db-below-parts',
      severity: 'error',
      comment: 'db/ imports only internal/ and the foundation files.',
      from: { path: '^src/db/' },
      to: { path: '^src/', pathNot: ['^src/db/', '^src/internal/', FOUNDATION] },
    },
    {
      name: 'root-files-import-no-part',
      severity: 'error',
      comment: 'Only the composition root and the entries wire parts together.',
      from: { path: '^src/[^/]+\\.ts$', pathNot: '^src/(create-model-management|index|testing)\\.ts$' },
      to: { path: `^src/(${PARTS.slice(1, -1)}|${INTEGRATIONS.slice(1, -1)})/` },
    },
    {
      name: 'nothing-imports-the-composition-root',
      severity: 'error',
      comment: 'Only the entries and the `mms` command (an application built on the SDK) use the root.',
      from: { path: '^src/', pathNot: ['^src/(index|testing)\\.ts$', '^src/cli/'] },
      to: { path: '^src/(create-model-management|index|testing)\\.ts$' },
    },
    {
      name: 'config-only-for-the-composition-root',
      severity: 'error',
      comment: 'config.ts turns the environment into options for createModelManagement.',
      from: { path: '^src/', pathNot: ['^src/(create-model-management|index|config)\\.ts$', '^src/cli/'] },
      to: { path: '^src/config\\.ts$' },
    },
    {
      name: 'parts-import-no-integration',
      severity: 'error',
      from: { path: `^src/${PARTS}/` },
      to: { path: `^src/${INTEGRATIONS}/` },
    },
    {
      name: 'parts-are-independent',
      severity: 'error',
      comment: 'registry, history and guardrails import no other part; deployment uses the registry only.',
      from: { path: '^src/(registry|history|guardrails)/' },
      to: { path: `^src/${PARTS}/`, pathNot: '^src/$1/' },
    },
    {
      name: 'deployment-uses-only-the-registry',
      severity: 'error',
      from: { path: '^src/deployment/' },
      to: { path: '^src/(history|guardrails)/' },
    },
    {
      name: 'integrations-in-order',
      severity: 'error',
      comment: 'llm → (coordination, narrative); observability reads parts only.',
      from: { path: '^src/(llm|observability)/' },
      to: { path: '^src/(coordination|narrative)/' },
    },
    {
      name: 'coordination-and-narrative-apart',
      severity: 'error',
      from: { path: '^src/(coordination|narrative)/' },
      to: { path: '^src/(coordination|narrative|observability)/', pathNot: '^src/$1/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    reporterOptions: {
      archi: { collapsePattern: '^src/[^/]+/' },
    },
  },
};
