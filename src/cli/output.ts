/**
 * What `mms` prints: human tables (colour only on a terminal, `NO_COLOR` respected) or stable JSON.
 * @module
 */

/** Where and how a command prints. */
export interface Output {
  /** `--json`: one JSON document on stdout, nothing else. */
  readonly json: boolean;
  /** Colour codes are used. */
  readonly color: boolean;
  /** stdout is a terminal. */
  readonly tty: boolean;
  /** Writes a line to stdout. */
  line(text?: string): void;
  /** Writes raw text to stdout. */
  write(text: string): void;
  /** Writes the JSON document of the command. */
  data(value: unknown): void;
}

/** The stdout output, configured from the flags and the environment. */
export function createOutput(
  flags: { json: boolean; noColor: boolean },
  env: NodeJS.ProcessEnv,
  stream: NodeJS.WriteStream = process.stdout,
): Output {
  const tty = stream.isTTY === true;
  const color = tty && !flags.json && !flags.noColor && !('NO_COLOR' in env && env.NO_COLOR !== '');
  return {
    json: flags.json,
    color,
    tty,
    line: (text = '') => stream.write(`${text}\n`),
    write: (text) => stream.write(text),
    data: (value) => stream.write(`${JSON.stringify(value, null, 2)}\n`),
  };
}

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, dim: 2, bold: 1 } as const;

/** Wraps `text` in a colour when `out.color`. */
export function paint(out: Pick<Output, 'color'>, colour: keyof typeof CODES, text: string): string {
  return out.color ? `\x1b[${CODES[colour]}m${text}\x1b[0m` : text;
}

const ANSI = /\x1b\[[0-9;]*m/g;

/** Visible width of a string (colour codes removed). */
export function width(text: string): number {
  return text.replace(ANSI, '').length;
}

/** Renders rows as an aligned table; the first row is the header. Numbers align right. */
export function table(out: Pick<Output, 'color'>, rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return '';
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => width(r[c] ?? ''))));
  const numeric = rows[0]!.map((_, c) =>
    rows.slice(1).every((r) => /^[-+]?[\d.,]+\s?(%|ms)?$|^-$/.test(r[c] ?? '')),
  );
  return rows
    .map((r, i) => {
      const cells = r.map((cell, c) => {
        const pad = ' '.repeat(Math.max(0, widths[c]! - width(cell)));
        return numeric[c] && i > 0 ? pad + cell : cell + pad;
      });
      const text = cells.join('  ').trimEnd();
      return i === 0 ? paint(out, 'bold', text) : text;
    })
    .join('\n');
}

/** A rate 0–1 as a percentage, `-` when null. */
export function pct(v: number | null | undefined, digits = 1): string {
  return v === null || v === undefined ? '-' : `${(v * 100).toFixed(digits)}%`;
}

/** Milliseconds, `-` when null. */
export function ms(v: number | null | undefined): string {
  return v === null || v === undefined ? '-' : `${Math.round(v)} ms`;
}

/** A short local-independent timestamp (UTC). */
export function when(d: Date | string | number | null | undefined): string {
  if (d === null || d === undefined) return '-';
  return new Date(d)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}

/** First 8 characters of an id, enough to tell ids apart in a table. */
export function short(id: string | null | undefined): string {
  return id ? id.slice(0, 8) : '-';
}

/** A number with a compact form for e-values (1.2e+5). */
export function compact(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return v === Infinity ? '∞' : '-';
  if (Math.abs(v) >= 1e5) return v.toExponential(1);
  return String(Math.round(v * 100) / 100);
}
