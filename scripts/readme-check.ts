/**
 * Checks the README the way a reader uses it:
 * 1. every ```ts block is type-checked (strict, against `src/`, `model-management-sdk` mapped to it),
 * 2. every ```ts block runs (in a child process; the names fragments assume — `db`, `registry`,
 *    `playerId`… — come from `scripts/readme-prelude.ts`: the in-memory database and the `simulated`
 *    provider, no network, no server),
 * 3. every repository path the README names (`examples/demo.ts`, links) exists.
 *
 *   npx tsx scripts/readme-check.ts [README.md]      exit code 1 and a list of failures when any fails
 *
 * Blocks keep their own imports; SDK exports they use without importing (a fragment continuing an
 * earlier block) are imported for them. Each block runs in a function scope inside the prelude's
 * context, so a block may declare its own `db` or `registry`.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Generated block modules live under here (git-ignored), one folder per check. */
const WORK_ROOT = join(ROOT, '.readme-check');
let checks = 0;
const RUN_TIMEOUT_MS = 120_000;
/** Outputs of the build and docs scripts: named by the README, absent from a fresh clone. */
const GENERATED = ['dist', 'docs/api', 'coverage', 'node_modules'];

/** A fenced TypeScript block of the README. */
export interface ReadmeBlock {
  /** 1-based README line of the first code line. */
  line: number;
  code: string;
}

/** One problem found, with its README line. */
export interface ReadmeProblem {
  line: number;
  message: string;
}

/** The ```ts / ```typescript blocks of a markdown text. */
export function extractBlocks(markdown: string): ReadmeBlock[] {
  const lines = markdown.split('\n');
  const blocks: ReadmeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^\s*```(ts|typescript)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^\s*```\s*$/.test(lines[end]!)) end++;
    blocks.push({ line: start + 1, code: lines.slice(start, end).join('\n') });
    i = end;
  }
  return blocks;
}

/** Repository paths the README names (in backticks or links) that do not exist. */
export function missingPaths(markdown: string, root = ROOT): ReadmeProblem[] {
  const problems: ReadmeProblem[] = [];
  const lines = markdown.split('\n');
  let fenced = false;
  for (const [i, line] of lines.entries()) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    if (fenced) continue;
    const candidates = [
      ...[...line.matchAll(/`([^`\s]+)`/g)].map((m) => m[1]!),
      ...[...line.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!),
    ];
    for (const raw of candidates) {
      const path = raw.replace(/[#?].*$/, '');
      if (!looksLikeRepoPath(path)) continue;
      const normalised = path.replace(/^\.\//, '').replace(/\/$/, '');
      if (GENERATED.some((g) => normalised === g || normalised.startsWith(`${g}/`))) continue;
      // A path leading out of the repository is broken for every other reader, even if it exists here.
      const target = resolve(root, normalised);
      if (relative(root, target).startsWith('..') || !existsSync(target)) {
        problems.push({ line: i + 1, message: `names \`${raw}\`, which is not in the repository` });
      }
    }
  }
  return problems;
}

function looksLikeRepoPath(path: string): boolean {
  if (!path.includes('/') || /^[a-z]+:/i.test(path) || path.startsWith('//')) return false;
  if (/[<>*{}$|]/.test(path) || path.startsWith('@') || path.startsWith('model-management-sdk')) return false;
  // A file with an extension, or a folder (trailing slash) starting like a repository path.
  return /\.[a-z]{1,5}$/i.test(path) || (/\/$/.test(path) && /^(\.{1,2}\/|[\w.-]+\/)/.test(path));
}

interface ExportNames {
  values: Set<string>;
  types: Set<string>;
}

function publicExports(program: ts.Program): ExportNames {
  const checker = program.getTypeChecker();
  const entry = program.getSourceFile(join(ROOT, 'src/index.ts'));
  const symbol = entry && checker.getSymbolAtLocation(entry);
  const values = new Set<string>();
  const types = new Set<string>();
  for (const s of symbol ? checker.getExportsOfModule(symbol) : []) {
    const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
    if (target.flags & ts.SymbolFlags.Value) values.add(s.name);
    else types.add(s.name);
  }
  return { values, types };
}

const PRELUDE_NAMES = [
  'db',
  'registry',
  'modelRegistry',
  'deployments',
  'deploymentManager',
  'router',
  'guardrails',
  'guardrailsMonitor',
  'logProcessor',
  'processor',
  'llm',
  'modelId',
  'newModelId',
  'currentModelId',
  'useCase',
  'playerId',
  'conversationId',
  'prompt',
  'text',
  'messages',
  'reason',
  'signal',
  'timeoutMs',
  'res',
  'out',
];

interface Generated {
  file: string;
  block: ReadmeBlock;
  /** Lines added before the block's first body line (for mapping diagnostics back). */
  bodyOffset: number;
  importLines: number[];
}

/** Writes one module per block: its imports hoisted, its body inside the prelude's context. */
function generate(work: string, blocks: ReadmeBlock[], names: ExportNames): Generated[] {
  mkdirSync(work, { recursive: true });
  const sdk = relative(work, join(ROOT, 'src/index.js')).replace(/\\/g, '/');
  const prelude = relative(work, join(ROOT, 'scripts/readme-prelude.js')).replace(/\\/g, '/');
  return blocks.map((block, i) => {
    const lines = block.code.split('\n');
    const imports: string[] = [];
    const importLines: number[] = [];
    const body: string[] = [];
    for (const [k, line] of lines.entries()) {
      if (/^import\s/.test(line)) {
        imports.push(line.replace(/(['"])model-management-sdk(\/[\w-]+)?\1/, `'${sdk}'`));
        importLines.push(k);
        body.push('');
      } else body.push(line);
    }
    const imported = new Set(
      imports.flatMap((l) => [...l.matchAll(/\b([A-Za-z_$][\w$]*)\b/g)].map((m) => m[1]!)),
    );
    const used = new Set([...block.code.matchAll(/\b([A-Za-z_$][\w$]*)\b/g)].map((m) => m[1]!));
    const pick = (set: Set<string>) => [...set].filter((n) => used.has(n) && !imported.has(n));
    const values = pick(names.values);
    const types = pick(names.types);
    const header = [
      ...imports,
      ...(values.length ? [`import { ${values.join(', ')} } from '${sdk}';`] : []),
      ...(types.length ? [`import type { ${types.join(', ')} } from '${sdk}';`] : []),
      `import { setup } from '${prelude}';`,
      'const __context = await setup();',
      'try {',
      `  const { ${PRELUDE_NAMES.join(', ')} } = __context;`,
      `  void [${PRELUDE_NAMES.join(', ')}];`,
      '  await (async () => {',
    ];
    const footer = ['  })();', '} finally {', '  await __context.close();', '}', 'export {};'];
    const file = join(work, `block-${String(i + 1).padStart(2, '0')}.ts`);
    writeFileSync(file, [...header, ...body, ...footer].join('\n'));
    return { file, block, bodyOffset: header.length, importLines };
  });
}

function typecheck(generated: Generated[]): ReadmeProblem[] {
  const parsed = ts.getParsedCommandLineOfConfigFile(
    join(ROOT, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: () => {},
    },
  );
  const options: ts.CompilerOptions = { ...(parsed?.options ?? {}), noEmit: true, noUnusedLocals: false };
  const program = ts.createProgram([...generated.map((g) => g.file), join(ROOT, 'src/index.ts')], options);
  const problems: ReadmeProblem[] = [];
  for (const g of generated) {
    const source = program.getSourceFile(g.file)!;
    const diagnostics = [
      ...program.getSyntacticDiagnostics(source),
      ...program.getSemanticDiagnostics(source),
    ];
    for (const d of diagnostics) {
      const at = d.start === undefined ? 0 : source.getLineAndCharacterOfPosition(d.start).line;
      const bodyLine = at - g.bodyOffset;
      const readmeLine =
        bodyLine >= 0 && bodyLine < g.block.code.split('\n').length
          ? g.block.line + bodyLine
          : g.block.line + (g.importLines[Math.min(at, g.importLines.length - 1)] ?? 0);
      problems.push({
        line: readmeLine,
        message: `type error: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`,
      });
    }
  }
  return problems;
}

function runBlock(g: Generated): Promise<ReadmeProblem | null> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Blocks that read the environment get the documented default: the embedded database.
  for (const k of Object.keys(env)) if (k === 'DATABASE_URL' || k.startsWith('POSTGRES_')) delete env[k];
  delete env.MMS_EMBEDDED_DATA_DIR;
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', g.file], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.stderr!.on('data', (c: Buffer) => {
      output += c.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return done(null);
      const why = signal ? `killed by ${signal} after ${RUN_TIMEOUT_MS} ms` : `exit code ${code}`;
      done({
        line: g.block.line,
        message: `run failed (${why}):\n${output.trim().split('\n').slice(-15).join('\n')}`,
      });
    });
  });
}

/** Runs every check over `readmePath`; resolves with the problems found (empty when the README is good). */
export async function checkReadme(readmePath = join(ROOT, 'README.md')): Promise<ReadmeProblem[]> {
  const markdown = readFileSync(readmePath, 'utf8');
  const blocks = extractBlocks(markdown);
  const problems = missingPaths(markdown);
  const bare = ts.createProgram([join(ROOT, 'src/index.ts')], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
  });
  const work = join(WORK_ROOT, `${process.pid}-${++checks}`);
  try {
    const generated = generate(work, blocks, publicExports(bare));
    problems.push(...typecheck(generated));
    for (const g of generated) {
      const failed = await runBlock(g);
      if (failed) problems.push(failed);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return problems.sort((a, b) => a.line - b.line);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const path = resolve(process.argv[2] ?? join(ROOT, 'README.md'));
  const problems = await checkReadme(path);
  for (const p of problems) console.error(`${relative(process.cwd(), path)}:${p.line}: ${p.message}`);
  console.log(
    problems.length === 0
      ? 'README OK: every TypeScript block type-checks and runs; every path exists'
      : `${problems.length} README problem(s)`,
  );
  process.exitCode = problems.length === 0 ? 0 : 1;
}
