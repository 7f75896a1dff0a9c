// Prints how many names an entry exports (default src/index.ts); `--list` prints them too.
// Usage: node scripts/count-exports.mjs [src/index.ts] [--list]
import ts from 'typescript';

const args = process.argv.slice(2);
const entry = args.find((a) => !a.startsWith('--')) ?? 'src/index.ts';
const program = ts.createProgram([entry], {
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  target: ts.ScriptTarget.ES2022,
  strict: true,
  noEmit: true,
});
const checker = program.getTypeChecker();
const source = program.getSourceFile(entry);
if (!source) throw new Error(`No such entry: ${entry}`);
const names = checker
  .getExportsOfModule(checker.getSymbolAtLocation(source))
  .map((s) => s.name)
  .sort();
if (args.includes('--list')) console.log(names.join('\n'));
console.log(`${entry}: ${names.length} exported names`);
