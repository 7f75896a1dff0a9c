/**
 * GuardrailsMonitor benchmark with every locale loaded (default teen policy, every built-in check):
 * 1. `await check()` on ten different 2 KB NPC lines (clean ones and dirty ones holding one profane
 *    sentence, seven languages, with and without `context.locale`), interleaved, beside `obscenity` and
 *    a bare alternation RegExp of the English terms on the same lines in the same run;
 * 2. the memory the loaded term data holds;
 * 3. every 100 KB adversarial input, both stages: the WORST of 30 calls (target ≤ 10 ms) beside a
 *    bare RegExp scan of the same text.
 * Printed, never asserted. `npm run bench -- guardrails` (`BENCH_ITERATIONS` scales part 1).
 * Profile with `node --cpu-prof --import tsx test/bench/guardrails.bench.ts`.
 */

import { loadavg } from 'node:os';
import { englishDataset, englishRecommendedTransformers, RegExpMatcher } from 'obscenity';
import { DEFAULT_TERM_GROUPS } from '../../src/guardrails/default-terms.js';
import { GuardrailsMonitor, loadedLocales, SUPPORTED_LOCALES } from '../../src/guardrails/index.js';
import { ADVERSARIAL_INPUTS } from '../fixtures/guardrails/adversarial.js';

/** `base` repeated to exactly 2,048 characters, with `dirty` (if any) spliced in at the middle. */
function twoKb(base: string, dirty = ''): string {
  const filler = base.repeat(Math.ceil(2048 / base.length)).slice(0, 2048 - dirty.length);
  const mid = filler.lastIndexOf(' ', 1024) + 1;
  return filler.slice(0, mid) + dirty + filler.slice(mid);
}

const EN =
  'The innkeeper wipes the counter and leans closer. "Bandits camp near the ford since the bridge washed out; ' +
  'the guard captain says she will clear them by the next full moon. The blacksmith needs iron ore." ';
const ES =
  'El mercader cuenta las monedas despacio. "Desde que cayó el puente, los bandidos acampan junto al vado y ' +
  'el capitán de la guardia promete limpiarlos antes de la próxima luna llena." ';
const RU =
  'Наёмник точит меч у костра. «С тех пор как рухнул мост, разбойники стоят лагерем у брода, а капитан ' +
  'стражи обещает разогнать их до следующего полнолуния.» ';
const ZH =
  '海盗船长望着海平线说：“自从桥塌了以后，强盗就在浅滩旁边扎营，卫队长说满月之前会把他们清理干净。” ';
const PL =
  'Kowal odkłada młot i ociera czoło. „Odkąd zawalił się most, bandyci obozują przy brodzie, a kapitan straży ' +
  'obiecuje ich przegonić przed następną pełnią.” ';

// Ten different lines in seven languages: clean ones, and dirty ones holding one profane sentence (a
// realistic NPC line: a few terms in 2 KB, not a term in every sentence).
const LINES: ReadonlyArray<{ name: string; text: string; locale?: string }> = [
  { name: 'en clean', locale: 'en', text: twoKb(EN) },
  {
    name: 'en dirty',
    text: twoKb(EN, 'The pirate spits: "Get the fuck off my ship, you worthless piece of shit." '),
  },
  {
    name: 'en fiction threat',
    locale: 'en',
    text: twoKb(EN, 'The lich hisses: "I know where you live, hero: the cottage by the mill." '),
  },
  { name: 'es dirty', locale: 'es', text: twoKb(ES, '"¡Vete a la mierda, cabrón, hijo de puta!" ') },
  {
    name: 'de clean',
    text: twoKb(
      'Der Schmied legt den Hammer beiseite. "Das Gift in dieser Flasche tötet einen Drachen, aber es ist noch ' +
        'hell draußen, und der Weg zur Burg ist lang und gefährlich." ',
    ),
  },
  {
    name: 'fr clean',
    locale: 'fr',
    text: twoKb(
      "La capitaine regarde l'horizon. « Il est trop tard pour rentrer au port, le vent tourne et les " +
        'pirates attendent derrière les récifs. Préparez les canons. » ',
    ),
  },
  { name: 'ru dirty', text: twoKb(RU, '«Пошёл на хуй, сука, блядь!» ') },
  {
    name: 'ja clean',
    locale: 'ja',
    text: twoKb(
      '宿屋の主人がカウンターを拭きながら言った。「橋が流されてから、盗賊が浅瀬の近くに野営している。鍛冶屋は北の鉱山の鉄鉱石を欲しがっているよ。」',
    ),
  },
  { name: 'zh dirty', text: twoKb(ZH, '“他妈的，你这个傻逼，滚！” ') },
  { name: 'pl dirty', locale: 'pl', text: twoKb(PL, '„Kurwa mać, ten pierdolony smok!” ') },
];

const englishTerms = DEFAULT_TERM_GROUPS.flatMap((g) => g.terms.map((t) => t.replace(/\*/g, '')));
const alternation = new RegExp(
  `\\b(?:${englishTerms
    .map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .sort((a, b) => b.length - a.length)
    .join('|')})\\b`,
  'gi',
);

function percentile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!;
}

/** CPU time (user + system) of `fn` in µs: insensitive to preemption on a loaded machine. */
function cpuMicros(t: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(t);
  return d.user + d.system;
}

interface Timing {
  p50: number;
  p99: number;
  max: number;
  cpuP50: number;
  cpuP99: number;
}

/**
 * Interleaved timing over every line: `rounds` passes, each calling (and awaiting) `fn` once per line;
 * a first set of passes measures wall time, a second CPU time.
 */
async function measure(fn: (line: (typeof LINES)[number]) => unknown, rounds: number): Promise<Timing> {
  for (let r = 0; r < 50; r++) for (const line of LINES) await fn(line);
  const n = Math.round(rounds) * LINES.length;
  const wall = new Float64Array(n);
  const cpu = new Float64Array(n);
  let k = 0;
  for (let r = 0; r < Math.round(rounds); r++) {
    for (const line of LINES) {
      const t = performance.now();
      await fn(line);
      wall[k++] = (performance.now() - t) * 1000;
    }
  }
  k = 0;
  for (let r = 0; r < Math.round(rounds); r++) {
    for (const line of LINES) {
      const t = process.cpuUsage();
      await fn(line);
      cpu[k++] = cpuMicros(t);
    }
  }
  wall.sort();
  cpu.sort();
  return {
    p50: percentile(wall, 0.5),
    p99: percentile(wall, 0.99),
    max: wall[n - 1]!,
    cpuP50: percentile(cpu, 0.5),
    cpuP99: percentile(cpu, 0.99),
  };
}

// Part 2 first: memory of the term data as every locale loads.
const heapBefore = process.memoryUsage();
const guardrails = new GuardrailsMonitor({ policy: 'teen' });
for (const locale of SUPPORTED_LOCALES)
  guardrails.checkSync({ text: 'warm', stage: 'output', context: { locale } });
const heapAfter = process.memoryUsage();
const loaded = loadedLocales();

const rounds = Number(process.env.BENCH_ITERATIONS ?? 5000) / LINES.length;
const ours = await measure(
  (l) => guardrails.check({ text: l.text, stage: 'output', context: { locale: l.locale } }),
  rounds,
);
const obscenity = new RegExpMatcher({ ...englishDataset.build(), ...englishRecommendedTransformers });
const obs = await measure((l) => obscenity.getAllMatches(l.text), Math.min(rounds, 200));
const alt = await measure((l) => l.text.match(alternation), rounds);

console.log(
  `guardrails bench: ${LINES.length} different 2,048-char lines (${LINES.map((l) => l.name).join(', ')}), ` +
    `${Math.round(rounds * LINES.length)} awaited checks, every locale loaded; load ${loadavg()[0]!.toFixed(2)}`,
);
console.table(
  [
    ['GuardrailsMonitor: await check (teen, every check, 13 languages)', ours],
    ['obscenity RegExpMatcher.getAllMatches (English profanity only)', obs],
    [`bare alternation RegExp of the ${englishTerms.length} English terms`, alt],
  ].map(([name, r]) => {
    const m = r as Timing;
    return {
      case: name,
      'p50 µs': m.p50.toFixed(1),
      'p99 µs': m.p99.toFixed(1),
      'max µs': m.max.toFixed(0),
      'CPU p50 µs': m.cpuP50.toFixed(0),
      'CPU p99 µs': m.cpuP99.toFixed(0),
    };
  }),
);
console.log(
  `ours/obscenity: p50 ${(ours.p50 / obs.p50).toFixed(2)}×, p99 ${(ours.p99 / obs.p99).toFixed(2)}×; ` +
    `ours/RegExp p50 ${(ours.p50 / alt.p50).toFixed(1)}×`,
);
console.log(
  `target p99 ≤ 150 µs: ${ours.p99 <= 150 ? 'met' : 'NOT met'} (wall ${ours.p99.toFixed(1)} µs; ` +
    `CPU-time p99 ${ours.cpuP99.toFixed(0)} µs, which excludes preemption)`,
);
console.log(
  `term data: ${loaded.locales.length} locales, ${loaded.terms} terms, compiled tables ${(loaded.bytes / 1024).toFixed(0)} KiB; ` +
    `heap +${((heapAfter.heapUsed - heapBefore.heapUsed) / 1024 / 1024).toFixed(1)} MiB, ` +
    `array buffers +${((heapAfter.arrayBuffers - heapBefore.arrayBuffers) / 1024 / 1024).toFixed(1)} MiB while loading`,
);

// Part 3: adversarial 100 KB inputs, worst of 30 calls per stage.
const big = new GuardrailsMonitor({ maxInputChars: 200_000, maxOutputChars: 200_000 });
const floorRe = /fuck|\d{3}-\d{2}-\d{4}|@\w+\./gi;

function worstMs(fn: () => unknown): { wall: number; cpu: number } {
  fn();
  let wall = 0;
  let cpu = 0;
  for (let i = 0; i < 30; i++) {
    const c = process.cpuUsage();
    const t = performance.now();
    fn();
    wall = Math.max(wall, performance.now() - t);
    cpu = Math.max(cpu, cpuMicros(c) / 1000);
  }
  return { wall, cpu };
}

const rows = Object.entries(ADVERSARIAL_INPUTS).map(([name, text]) => {
  const input = worstMs(() => big.checkSync({ text, stage: 'input' }));
  const output = worstMs(() => big.checkSync({ text, stage: 'output' }));
  const floor = worstMs(() => text.match(floorRe));
  return {
    input: name,
    'input worst ms': input.wall.toFixed(2),
    'output worst ms': output.wall.toFixed(2),
    'worst CPU ms': Math.max(input.cpu, output.cpu).toFixed(2),
    'RegExp worst ms': floor.wall.toFixed(3),
  };
});
console.log('\nadversarial 100 KB inputs: worst of 30 checkSync calls per stage (target ≤ 10 ms)');
console.table(rows);
const worst = Math.max(
  ...rows.map((r) => Math.max(Number(r['input worst ms']), Number(r['output worst ms']))),
);
const worstCpu = Math.max(...rows.map((r) => Number(r['worst CPU ms'])));
console.log(
  `worst adversarial call: ${worst.toFixed(2)} ms wall (${worst <= 10 ? 'met' : 'NOT met'}), ` +
    `${worstCpu.toFixed(2)} ms CPU; load ${loadavg()[0]!.toFixed(2)}`,
);
