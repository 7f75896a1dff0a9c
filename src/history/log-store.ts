import { type Expression, type Kysely, type RawBuilder, type SqlBool, sql } from 'kysely';
import { type BulkCopier, copyField, type Database } from '../db/index.js';
import { ROLLUP_SOURCE_COLUMNS, rollupDeltaInsert, rollupDeltas, rollupUpsert } from './rollups.js';
import type { InferenceLogRecord, LogFilter, LogRow } from './types.js';

/** Columns of `inference_logs` (migrations/0002_history.sql). @internal */
export type InferenceLogsTable = {
  id: string;
  created_at: Date | string;
  model_id: string | null;
  use_case: string;
  status: string;
  variant: string | null;
  deployment_id: string | null;
  prompt: string;
  generated_output: string | null;
  context: unknown;
  metadata: unknown;
  error: string | null;
  latency_ms: number | null;
  tokens_in: number | null;
  tokens_out: number | null;
  player_id: string | null;
  session_id: string | null;
  conversation_id: string | null;
  guardrails: unknown;
  violation_count: number;
  max_severity: string | null;
  truncated: boolean;
};

/** Tables owned by the history module. @internal */
export type HistoryTables = {
  inference_logs: InferenceLogsTable;
};

/** The typed Kysely of the history module. @internal */
export type HistoryKysely = Kysely<HistoryTables>;

/** Columns per row of the multi-row INSERT. */
export const INSERT_COLUMNS = 22;
/** PostgreSQL's limit of bind parameters per statement. */
export const MAX_BIND_PARAMETERS = 65_535;
/** Rows per multi-row INSERT statement so one statement stays under the bind-parameter limit. */
export const MAX_ROWS_PER_INSERT = Math.floor(MAX_BIND_PARAMETERS / INSERT_COLUMNS);

/**
 * How batches are inserted: multi-row `VALUES` (every backend), `unnest` of arrays (PostgreSQL,
 * PGlite), or `COPY … FROM STDIN` (PostgreSQL opened from a connection string or a `pg` Pool).
 */
export type InsertMethod = 'multi-row' | 'unnest' | 'copy';

/** Typed Kysely for the history tables. @internal */
export function historyKysely(db: Database): HistoryKysely {
  return db.kysely.withTables<HistoryTables>();
}

function jsonb(text: string | null) {
  return text === null ? null : sql<unknown>`cast(${text} as jsonb)`;
}

/**
 * Inserts rows idempotently (`ON CONFLICT DO NOTHING`), chunked under the bind-parameter limit. With
 * `rollups`, the same statement adds the rows it actually inserted to `inference_log_rollups` (a
 * retried batch is not counted twice). @internal
 */
export async function insertRows(
  k: HistoryKysely,
  rows: readonly LogRow[],
  method: InsertMethod,
  rollups = false,
  copier?: BulkCopier,
): Promise<void> {
  if (method === 'copy') {
    if (!copier)
      throw new Error("insertMethod 'copy' needs PostgreSQL opened from a connection string or a pg Pool");
    await copyRows(k, copier, rows, rollups);
    return;
  }
  if (method === 'unnest') {
    const insert = unnestInsert(rows);
    if (!rollups) {
      await insert.execute(k);
      return;
    }
    // Rollup deltas are aggregated here in JS and applied when every row was inserted (the common
    // case); none when none was (a retry of a stored batch); for a mix (a spool replay overlapping
    // stored rows), from the inserted rows in SQL. One statement: rows and rollups commit together.
    const n = rows.length;
    await sql`with ins as (${insert} returning ${ROLLUP_SOURCE_COLUMNS}),
        inserted as (select count(*) as c from ins),
        whole as (${rollupDeltaInsert(rollupDeltas(rows), sql`(select c from inserted) = ${n}`)}),
        part as (${rollupUpsert(sql`(select * from ins where (select c from inserted) not in (0, ${n}))`, 1)})
      select c from inserted`.execute(k);
    return;
  }
  for (let i = 0; i < rows.length; i += MAX_ROWS_PER_INSERT) {
    const chunk = rows.slice(i, i + MAX_ROWS_PER_INSERT);
    const insert = k
      .insertInto('inference_logs')
      .values(
        chunk.map((r) => ({
          id: r.id,
          created_at: new Date(r.createdAt),
          model_id: r.modelId,
          use_case: r.useCase,
          status: r.status,
          variant: r.variant,
          deployment_id: r.deploymentId,
          prompt: r.prompt,
          generated_output: r.generatedOutput,
          context: jsonb(r.context),
          metadata: jsonb(r.metadata),
          error: r.error,
          latency_ms: r.latencyMs,
          tokens_in: r.tokensIn,
          tokens_out: r.tokensOut,
          player_id: r.playerId,
          session_id: r.sessionId,
          conversation_id: r.conversationId,
          guardrails: jsonb(r.guardrails),
          violation_count: r.violationCount,
          max_severity: r.maxSeverity,
          truncated: r.truncated,
        })),
      )
      .onConflict((oc) => oc.doNothing());
    if (rollups) {
      await sql`with ins as (${insert.returning(ROLLUP_SOURCE_COLUMNS_LIST)}) ${rollupUpsert(sql`ins`, 1)}`.execute(
        k,
      );
    } else {
      await insert.execute();
    }
  }
}

const ROLLUP_SOURCE_COLUMNS_LIST = [
  'created_at',
  'use_case',
  'model_id',
  'variant',
  'status',
  'deployment_id',
  'latency_ms',
  'tokens_in',
  'tokens_out',
  'violation_count',
  'max_severity',
] as const;

const COPY_STATEMENT = `copy inference_logs (id, created_at, model_id, use_case, status, variant, deployment_id,
  prompt, generated_output, context, metadata, error, latency_ms, tokens_in, tokens_out, player_id, session_id,
  conversation_id, guardrails, violation_count, max_severity, truncated) from stdin`;

/**
 * COPY straight into `inference_logs`, with the batch's rollup deltas in the same transaction. Ids are
 * fresh UUIDv7s, so a duplicate only comes from a retried or replayed batch that was already (partly)
 * stored: COPY then fails on the primary key, and the batch goes through the idempotent `unnest`
 * insert instead, which stores (and counts in rollups) only the rows that are not there yet.
 */
async function copyRows(
  k: HistoryKysely,
  copier: BulkCopier,
  rows: readonly LogRow[],
  rollups: boolean,
): Promise<void> {
  const then = rollups ? [rollupDeltaInsert(rollupDeltas(rows)).compile(k)] : [];
  try {
    await copier.copy(COPY_STATEMENT, copyText(rows), then);
  } catch (error) {
    if ((error as { code?: unknown }).code !== UNIQUE_VIOLATION) throw error;
    await insertRows(k, rows, 'unnest', rollups);
  }
}

const UNIQUE_VIOLATION = '23505';

/** The rows in COPY's text format, columns in {@link COPY_STATEMENT}'s order. */
function copyText(rows: readonly LogRow[]): string {
  let out = '';
  for (const r of rows) {
    out += `${r.id}\t${new Date(r.createdAt).toISOString()}\t${copyField(r.modelId)}\t${copyField(r.useCase)}\t${r.status}\t${copyField(r.variant)}\t${copyField(r.deploymentId)}\t${copyField(r.prompt)}\t${copyField(r.generatedOutput)}\t${copyField(r.context)}\t${copyField(r.metadata)}\t${copyField(r.error)}\t${copyField(r.latencyMs)}\t${copyField(r.tokensIn)}\t${copyField(r.tokensOut)}\t${copyField(r.playerId)}\t${copyField(r.sessionId)}\t${copyField(r.conversationId)}\t${copyField(r.guardrails)}\t${r.violationCount}\t${copyField(r.maxSeverity)}\t${r.truncated ? 't' : 'f'}\n`;
  }
  return out;
}

/** One statement with 22 array parameters, whatever the batch size (PostgreSQL and PGlite only). */
function unnestInsert(rows: readonly LogRow[]): RawBuilder<unknown> {
  const col = <V>(f: (r: LogRow) => V): V[] => rows.map(f);
  return sql`insert into inference_logs (id, created_at, model_id, use_case, status, variant, deployment_id,
      prompt, generated_output, context, metadata, error, latency_ms, tokens_in, tokens_out, player_id,
      session_id, conversation_id, guardrails, violation_count, max_severity, truncated)
    select * from unnest(${col((r) => r.id)}::uuid[], ${col((r) => new Date(r.createdAt).toISOString())}::timestamptz[],
      ${col((r) => r.modelId)}::uuid[], ${col((r) => r.useCase)}::text[], ${col((r) => r.status)}::text[],
      ${col((r) => r.variant)}::text[], ${col((r) => r.deploymentId)}::text[], ${col((r) => r.prompt)}::text[],
      ${col((r) => r.generatedOutput)}::text[], ${col((r) => r.context)}::jsonb[], ${col((r) => r.metadata)}::jsonb[],
      ${col((r) => r.error)}::text[], ${col((r) => r.latencyMs)}::float8[], ${col((r) => r.tokensIn)}::int4[],
      ${col((r) => r.tokensOut)}::int4[], ${col((r) => r.playerId)}::text[], ${col((r) => r.sessionId)}::text[],
      ${col((r) => r.conversationId)}::text[], ${col((r) => r.guardrails)}::jsonb[],
      ${col((r) => r.violationCount)}::int4[], ${col((r) => r.maxSeverity)}::text[], ${col((r) => r.truncated)}::bool[])
    on conflict do nothing`;
}

const FILTER_COLUMNS = {
  modelId: 'model_id',
  useCase: 'use_case',
  deploymentId: 'deployment_id',
  variant: 'variant',
  status: 'status',
  playerId: 'player_id',
  conversationId: 'conversation_id',
} as const;

/** WHERE conditions for a validated filter. @internal */
export function filterConditions(f: LogFilter): Expression<SqlBool>[] {
  const out: Expression<SqlBool>[] = [];
  for (const [key, column] of Object.entries(FILTER_COLUMNS)) {
    const v = f[key as keyof typeof FILTER_COLUMNS];
    if (v !== undefined) out.push(sql<SqlBool>`${sql.ref(column)} = ${v}`);
  }
  if (f.from) out.push(sql<SqlBool>`created_at >= ${f.from}`);
  if (f.to) out.push(sql<SqlBool>`created_at < ${f.to}`);
  return out;
}

/** AND of conditions (true when empty). @internal */
export function and(conditions: Expression<SqlBool>[]): Expression<SqlBool> {
  if (conditions.length === 0) return sql<SqlBool>`true`;
  return sql<SqlBool>`${sql.join(conditions, sql` and `)}`;
}

function parseJson(value: unknown): unknown {
  return typeof value === 'string' ? JSON.parse(value) : value;
}

function num(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

/** Maps a selected row onto the public entry. @internal */
export function toEntry(r: Record<string, unknown>): InferenceLogRecord {
  return {
    id: String(r.id),
    createdAt: new Date(r.created_at as string | Date),
    modelId: r.model_id === null || r.model_id === undefined ? null : String(r.model_id),
    useCase: String(r.use_case),
    status: r.status as InferenceLogRecord['status'],
    variant: (r.variant ?? null) as InferenceLogRecord['variant'],
    deploymentId: (r.deployment_id ?? null) as string | null,
    prompt: String(r.prompt),
    generatedOutput: (r.generated_output ?? null) as string | null,
    context: parseJson(r.context) ?? null,
    metadata: parseJson(r.metadata) ?? null,
    error: (r.error ?? null) as string | null,
    latencyMs: num(r.latency_ms),
    tokensIn: num(r.tokens_in),
    tokensOut: num(r.tokens_out),
    playerId: (r.player_id ?? null) as string | null,
    sessionId: (r.session_id ?? null) as string | null,
    conversationId: (r.conversation_id ?? null) as string | null,
    guardrails: parseJson(r.guardrails) ?? null,
    violationCount: Number(r.violation_count),
    maxSeverity: (r.max_severity ?? null) as string | null,
    truncated: r.truncated === true || r.truncated === 't',
  };
}
