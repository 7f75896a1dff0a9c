/**
 * The `mms` runner: finds the command, parses and checks its flags before touching the database,
 * runs it, and turns every failure into one line with what to type instead and a documented exit code.
 * @module
 */
import { parseArgs } from 'node:util';
import type { ModelManagement } from '../create-model-management.js';
import { ModelManagementError } from '../errors.js';
import { closest, EXIT, UsageError } from './args.js';
import { doctorCommand, migrateCommand } from './commands/admin.js';
import {
  deployAbort,
  deployList,
  deployPause,
  deployPromote,
  deployResume,
  deployStart,
  deployWatch,
  rollbackCommand,
} from './commands/deploy.js';
import {
  historyExport,
  historyPurge,
  historyQuery,
  historyStats,
  reviewsList,
  reviewsResolve,
} from './commands/history.js';
import {
  modelsHistory,
  modelsList,
  modelsPromote,
  modelsRegister,
  modelsRetire,
  modelsShow,
} from './commands/models.js';
import { replayCommand, replayList } from './commands/replay.js';
import { reportCommand } from './commands/report.js';
import { statusCommand } from './commands/status.js';
import { type Command, GLOBAL_OPTIONS, openForCli, resolveDatabase } from './context.js';
import { createOutput } from './output.js';

/** Every command, in the order `mms --help` lists them. */
export const COMMANDS: readonly Command[] = [
  statusCommand,
  modelsList,
  modelsShow,
  modelsRegister,
  modelsPromote,
  modelsRetire,
  modelsHistory,
  deployStart,
  deployList,
  deployPause,
  deployResume,
  deployPromote,
  deployAbort,
  deployWatch,
  rollbackCommand,
  historyQuery,
  historyStats,
  historyExport,
  historyPurge,
  reviewsList,
  reviewsResolve,
  migrateCommand,
  doctorCommand,
  reportCommand,
  replayCommand,
  replayList,
];

const GROUPS = new Set(COMMANDS.filter((c) => c.name.includes(' ')).map((c) => c.name.split(' ')[0]!));

function help(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'mms: operate the Model Management SDK from its database',
    '',
    'usage: mms <command> [flags]   (mms <command> --help for its flags)',
    '',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
    '',
    'flags of every command:',
    '  --json                 stable JSON on stdout instead of tables',
    '  --database-url URL     PostgreSQL URL (default: DATABASE_URL or POSTGRES_*, as createModelManagement.fromEnv())',
    '  --schema NAME          schema holding the SDK tables (default public)',
    '  --no-color             no colour (also NO_COLOR=1; colour is only used on a terminal)',
    '',
    'exit codes: 0 done · 1 bad outcome (watched deployment rolled back or failed, doctor found problems, replay judged fail)',
    '            2 refused, nothing changed (bad input, unknown id, wrong state; watch: aborted) · 3 database unreachable or unexpected error',
  ].join('\n');
}

function findCommand(argv: readonly string[]): { command: Command; rest: string[] } {
  const [first, second] = argv;
  if (first === undefined || first.startsWith('-'))
    throw new UsageError('no command given', 'mms status   (or mms --help)');
  if (GROUPS.has(first)) {
    const subs = COMMANDS.filter((c) => c.name.startsWith(`${first} `)).map((c) => c.name.split(' ')[1]!);
    // A group that is also a command (`mms replay` beside `mms replay list`) runs it without a subcommand.
    const bare = COMMANDS.find((c) => c.name === first);
    if (bare && (second === undefined || second.startsWith('-')))
      return { command: bare, rest: argv.slice(1) };
    if (second === undefined || second.startsWith('-'))
      throw new UsageError(`'mms ${first}' needs a subcommand`, `mms ${first} ${subs.join('|')}`);
    const command = COMMANDS.find((c) => c.name === `${first} ${second}`);
    if (!command) {
      const guess = closest(second, subs);
      throw new UsageError(
        `unknown command 'mms ${first} ${second}'`,
        guess ? `mms ${first} ${guess}` : `mms ${first} ${subs.join('|')}`,
      );
    }
    return { command, rest: argv.slice(2) };
  }
  const command = COMMANDS.find((c) => c.name === first);
  if (!command) {
    const names = [...new Set(COMMANDS.map((c) => c.name.split(' ')[0]!))];
    const guess = closest(first, names);
    throw new UsageError(`unknown command '${first}'`, guess ? `mms ${guess}` : 'mms --help');
  }
  return { command, rest: argv.slice(1) };
}

/** What to type instead after an SDK error, by error code. */
function hintFor(error: ModelManagementError, command: Command): string {
  const group = command.name.split(' ')[0];
  if (error.code === 'NOT_FOUND') {
    if (group === 'deploy' || group === 'report') return 'mms deploy list   (to find deployment ids)';
    if (group === 'reviews') return 'mms reviews list';
    if (group === 'replay' && error.details.scanned !== undefined)
      return 'a wider range, e.g. --from 30d   (mms history stats --use-case NAME shows what was logged)';
    return 'mms models list   (to find model ids)';
  }
  if (error.code === 'CONFLICT') return 'mms status   (to see the current state)';
  return command.usage;
}

/**
 * Runs `mms` with `argv` (without `node` and the script) and resolves with the exit code.
 * @example
 * ```ts
 * process.exitCode = await runCli(process.argv.slice(2));
 * ```
 */
export async function runCli(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const fail = (message: string, hint: string | null, code: number) => {
    process.stderr.write(`mms: ${message}${hint ? ` — try: ${hint}` : ''}\n`.replace(/\n(?!$)/g, ' '));
    return code;
  };
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    process.stdout.write(`${help()}\n`);
    return argv.length === 0 ? EXIT.usage : EXIT.ok;
  }
  let command: Command | undefined;
  let mm: ModelManagement | null = null;
  try {
    const found = findCommand(argv);
    command = found.command;
    let parsed: ReturnType<typeof parseArgs>;
    try {
      parsed = parseArgs({
        args: found.rest,
        options: { ...GLOBAL_OPTIONS, ...command.options },
        allowPositionals: true,
        strict: true,
      });
    } catch (error) {
      const message =
        error instanceof Error
          ? error.message.split('\n')[0]!.replace(/\. To specify.*$/, '')
          : String(error);
      throw new UsageError(message.replace(/^Unknown option/, 'unknown flag'), command.usage);
    }
    if (parsed.values.help) {
      process.stdout.write(`usage: ${command.usage}\n${command.summary}\n`);
      return EXIT.ok;
    }
    if (parsed.positionals.length > (command.maxPositionals ?? 0)) {
      throw new UsageError(
        `unexpected argument '${parsed.positionals[command.maxPositionals ?? 0]}'`,
        command.usage,
      );
    }
    const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
    const out = createOutput({ json: values.json === true, noColor: values['no-color'] === true }, env);
    const database = resolveDatabase(values, env);
    return await command.run({
      out,
      env,
      args: { values, positionals: parsed.positionals },
      database: () => database,
      connect: async () => {
        mm ??= await openForCli(database, env, { checksText: command?.checksText === true });
        return mm;
      },
    });
  } catch (error) {
    if (error instanceof UsageError) return fail(error.message, error.hint, EXIT.usage);
    if (error instanceof ModelManagementError) {
      if (['VALIDATION_ERROR', 'NOT_FOUND', 'CONFLICT'].includes(error.code))
        return fail(error.message, command ? hintFor(error, command) : null, EXIT.usage);
      const unmigrated = /does not exist/.test(error.message);
      return fail(
        unmigrated ? `the SDK's tables are missing (${error.message})` : `${error.code}: ${error.message}`,
        unmigrated ? 'mms migrate' : 'mms doctor',
        EXIT.unavailable,
      );
    }
    const message = error instanceof Error ? error.message : String(error);
    if (env.MMS_DEBUG) process.stderr.write(`${error instanceof Error ? error.stack : message}\n`);
    return fail(message, 'mms doctor', EXIT.unavailable);
  } finally {
    await (mm as ModelManagement | null)?.close().catch(() => {});
  }
}
