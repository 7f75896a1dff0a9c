/**
 * `mms models list|show|register|promote|retire|history`.
 * @module
 */
import { isUuid } from '../../internal/ids.js';
import { MODEL_STATUSES, type ModelStatus, type RegisterModelInput } from '../../registry/index.js';
import { EXIT, oneOf, parseCount, parseJsonObject, readJsonFile, requireId, UsageError } from '../args.js';
import type { Command } from '../context.js';
import { paint, short, table, when } from '../output.js';

const LIST = 'mms models list [--use-case NAME] [--status current] [--limit 50] [--cursor C]';
export const modelsList: Command = {
  name: 'models list',
  usage: LIST,
  summary: 'registered models, newest first',
  options: {
    'use-case': { type: 'string' },
    status: { type: 'string' },
    provider: { type: 'string' },
    limit: { type: 'string' },
    cursor: { type: 'string' },
  },
  async run(ctx) {
    const v = ctx.args.values;
    const status = oneOf(v.status as string | undefined, MODEL_STATUSES, '--status');
    const limit = parseCount(v.limit as string | undefined, '--limit', 500);
    const mm = await ctx.connect();
    const page = await mm.modelRegistry.listModels({
      ...(v['use-case'] !== undefined && { useCase: v['use-case'] as string }),
      ...(status && { status }),
      ...(v.provider !== undefined && { provider: v.provider as string }),
      ...(limit && { limit }),
      ...(v.cursor !== undefined && { cursor: v.cursor as string }),
    });
    if (ctx.out.json) ctx.out.data(page);
    else {
      ctx.out.line(
        table(ctx.out, [
          ['id', 'use case', 'name', 'version', 'provider', 'status', 'created'],
          ...page.items.map((m) => [
            m.id,
            m.useCase,
            m.modelName,
            m.version,
            m.provider,
            m.status === 'current' ? paint(ctx.out, 'green', m.status) : m.status,
            when(m.createdAt),
          ]),
        ]),
      );
      if (page.nextCursor) ctx.out.line(`more: mms models list --cursor ${page.nextCursor}`);
    }
    return EXIT.ok;
  },
};

export const modelsShow: Command = {
  name: 'models show',
  usage: 'mms models show <modelId>',
  summary: 'one model with its configuration and status history',
  maxPositionals: 1,
  async run(ctx) {
    const id = requireId(ctx.args.positionals[0], 'model', this.usage);
    const mm = await ctx.connect();
    const model = await mm.modelRegistry.getModel(id);
    const history = await mm.modelRegistry.getStatusHistory(id);
    if (ctx.out.json) ctx.out.data({ model, history });
    else {
      ctx.out.line(`${paint(ctx.out, 'bold', `${model.modelName} ${model.version}`)}  ${model.status}`);
      ctx.out.line(
        `id ${model.id}  use case ${model.useCase}  provider ${model.provider}  type ${model.modelType}`,
      );
      ctx.out.line(`configuration ${JSON.stringify(model.configuration)}`);
      if (model.tags.length) ctx.out.line(`tags ${model.tags.join(', ')}`);
      ctx.out.line();
      ctx.out.line(historyTable(ctx.out, history));
    }
    return EXIT.ok;
  },
};

const REGISTER =
  'mms models register --use-case NAME --name MODEL --version V --provider P [--type T] [--config JSON] [--tags a,b] | --file model.json';
export const modelsRegister: Command = {
  name: 'models register',
  usage: REGISTER,
  summary: 'registers a model version (status candidate) from flags or a JSON file',
  options: {
    'use-case': { type: 'string' },
    name: { type: 'string' },
    version: { type: 'string' },
    provider: { type: 'string' },
    type: { type: 'string' },
    config: { type: 'string' },
    tags: { type: 'string' },
    metadata: { type: 'string' },
    file: { type: 'string' },
    actor: { type: 'string' },
  },
  async run(ctx) {
    const v = ctx.args.values;
    let input: RegisterModelInput;
    if (typeof v.file === 'string') {
      const json = readJsonFile(v.file, '--file');
      if (typeof json !== 'object' || json === null || Array.isArray(json))
        throw new UsageError(`--file '${v.file}' must hold one JSON object`, REGISTER);
      input = json as RegisterModelInput;
    } else {
      const need = (flag: string) => {
        const value = v[flag];
        if (typeof value !== 'string' || value === '') throw new UsageError(`missing --${flag}`, REGISTER);
        return value;
      };
      input = {
        useCase: need('use-case'),
        modelName: need('name'),
        version: need('version'),
        provider: need('provider'),
        modelType: (v.type as string | undefined) ?? 'api',
        ...(typeof v.config === 'string' && {
          configuration: parseJsonObject(v.config, '--config') as never,
        }),
        ...(typeof v.metadata === 'string' && {
          metadata: parseJsonObject(v.metadata, '--metadata') as never,
        }),
        ...(typeof v.tags === 'string' && {
          tags: v.tags
            .split(',')
            .map((t) => t.trim())
            .filter(Boolean),
        }),
      };
    }
    if (typeof v.actor === 'string') input = { ...input, actor: v.actor };
    const mm = await ctx.connect();
    const model = await mm.modelRegistry.registerModel(input);
    if (ctx.out.json) ctx.out.data(model);
    else
      ctx.out.line(
        `registered ${model.modelName} ${model.version} for ${model.useCase}: ${model.id} (candidate)`,
      );
    return EXIT.ok;
  },
};

function statusChange(name: 'promote' | 'retire', status: ModelStatus, summary: string): Command {
  return {
    name: `models ${name}`,
    usage: `mms models ${name} <modelId> [--reason TEXT] [--actor NAME]`,
    summary,
    options: { reason: { type: 'string' }, actor: { type: 'string' } },
    maxPositionals: 1,
    async run(ctx) {
      const id = requireId(ctx.args.positionals[0], 'model', this.usage);
      const v = ctx.args.values;
      const mm = await ctx.connect();
      const model = await mm.modelRegistry.updateModelStatus(id, status, {
        reason: (v.reason as string | undefined) ?? `mms models ${name}`,
        actor: (v.actor as string | undefined) ?? 'mms',
      });
      if (ctx.out.json) ctx.out.data(model);
      else ctx.out.line(`${model.modelName} ${model.version} (${model.id}) is now ${model.status}`);
      return EXIT.ok;
    },
  };
}

export const modelsPromote = statusChange(
  'promote',
  'current',
  'makes a model current at once, without a rollout (use `mms deploy start` for a progressive one)',
);
export const modelsRetire = statusChange(
  'retire',
  'retired',
  'retires a model (it can no longer be deployed)',
);

export const modelsHistory: Command = {
  name: 'models history',
  usage: 'mms models history <modelId | useCase>',
  summary: 'status changes of one model, or of every model of a use case, oldest first',
  maxPositionals: 1,
  async run(ctx) {
    const arg = ctx.args.positionals[0];
    if (!arg) throw new UsageError('missing model id or use case', this.usage);
    const mm = await ctx.connect();
    let history: Awaited<ReturnType<typeof mm.modelRegistry.getStatusHistory>>;
    if (isUuid(arg)) history = await mm.modelRegistry.getStatusHistory(arg.toLowerCase());
    else {
      const models = (await mm.modelRegistry.listModels({ useCase: arg, limit: 500 })).items;
      if (models.length === 0)
        throw new UsageError(
          `no model is registered for use case '${arg}'`,
          'mms models list  (to see use cases)',
        );
      history = (await Promise.all(models.map((m) => mm.modelRegistry.getStatusHistory(m.id))))
        .flat()
        .sort((a, b) => a.changedAt.getTime() - b.changedAt.getTime());
    }
    if (ctx.out.json) ctx.out.data({ history });
    else ctx.out.line(historyTable(ctx.out, history));
    return EXIT.ok;
  },
};

function historyTable(
  out: { color: boolean },
  history: ReadonlyArray<{
    changedAt: Date;
    modelId: string;
    fromStatus: string | null;
    toStatus: string;
    actor: string;
    reason: string | null;
  }>,
): string {
  return table(out, [
    ['when', 'model', 'from', 'to', 'actor', 'reason'],
    ...history.map((h) => [
      when(h.changedAt),
      short(h.modelId),
      h.fromStatus ?? '-',
      h.toStatus,
      h.actor,
      h.reason ?? '',
    ]),
  ]);
}
