import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_CHARTS } from '../../src/cli/report-html.js';
import { dropSchema, uniqueSchema } from '../helpers/backends.js';
import { cliTestsCanRun, mmsJson, simulatedRollout } from '../helpers/cli.js';
import { countColour, inkStats, readPng } from '../helpers/png.js';
import { requireTool } from '../helpers/system-tools.js';

const docs = fileURLToPath(new URL('../../docs/', import.meta.url));
const canRun = cliTestsCanRun() && requireTool('chromium');
const RED = [192, 57, 43] as [number, number, number]; // the rolled-back verdict's border
const GREEN = [39, 174, 96] as [number, number, number]; // the successful verdict's border
const WIDTH = 900;
const HEIGHT = 3700;

function chromium(args: string[]): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), 'mms-chromium-'));
  return new Promise((resolve, reject) => {
    execFile(
      'chromium',
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--hide-scrollbars',
        `--user-data-dir=${profile}`,
        ...args,
      ],
      { timeout: 90_000, maxBuffer: 32 * 1024 * 1024 },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)),
    );
  });
}

// The rollout report opened in a real headless browser: pictures that are not blank, every chart in the DOM.
describe.runIf(canRun)('the rollout report in headless Chromium', { timeout: 180_000 }, () => {
  const schema = uniqueSchema('clir');
  const tmp = mkdtempSync(join(tmpdir(), 'mms-report-'));
  const reports: Record<string, { html: string; headline: string }> = {};

  beforeAll(async () => {
    await mmsJson(schema, ['migrate']);
    for (const scenario of ['canary-rollback', 'blue-green-success'] as const) {
      const seeded = JSON.parse(await simulatedRollout(schema, ['seed', scenario]));
      const html = join(tmp, `${scenario}.html`);
      const r = await mmsJson<{ verdict: { headline: string } }>(schema, [
        'report',
        seeded.id,
        '--out',
        html,
      ]);
      reports[scenario] = { html, headline: r.verdict.headline };
    }
  }, 180_000);

  afterAll(async () => {
    await dropSchema(schema);
  });

  it.each([
    ['canary-rollback', 'report-canary-rolled-back.png', RED],
    ['blue-green-success', 'report-blue-green-succeeded.png', GREEN],
  ] as const)(
    'screenshot of the %s report is a real picture',
    async (scenario, docName, verdictColour) => {
      const png = join(tmp, docName);
      await chromium([
        `--window-size=${WIDTH},${HEIGHT}`,
        `--screenshot=${png}`,
        `file://${reports[scenario]!.html}`,
      ]);
      const image = readPng(png);
      expect([image.width, image.height]).toEqual([WIDTH, HEIGHT]);
      const { ink, colours } = inkStats(image);
      expect(ink).toBeGreaterThan(0.05); // text, axes, lines and areas, not a white page
      expect(colours).toBeGreaterThan(50); // anti-aliased text and coloured series
      expect(countColour(image, verdictColour, 10)).toBeGreaterThan(300); // the verdict banner's colour bar
      expect(countColour(image, [217, 130, 43], 10)).toBeGreaterThan(200); // the candidate's orange series
      if (process.env.MMS_UPDATE_DOCS) {
        mkdirSync(docs, { recursive: true });
        copyFileSync(png, join(docs, docName));
      }
    },
    120_000,
  );

  it('the DOM holds every chart and the verdict text', async () => {
    for (const scenario of ['canary-rollback', 'blue-green-success'] as const) {
      const dom = await chromium(['--dump-dom', `file://${reports[scenario]!.html}`]);
      for (const [id] of REPORT_CHARTS) {
        expect(dom, id).toMatch(new RegExp(`<figure id="${id}"><h3>[^<]+</h3><svg[^>]*class="marks"`));
      }
      expect((dom.match(/<svg/g) ?? []).length).toBe(REPORT_CHARTS.length);
      expect(dom).toContain(reports[scenario]!.headline);
      expect(dom).toContain(scenario === 'canary-rollback' ? 'Verdict: rolled back' : 'Verdict: success');
      expect(dom).toMatch(/<section id="timeline">.*<table>/s);
      expect(dom).toMatch(/<section id="models">.*candidate/s);
    }
  }, 120_000);

  it('prints on a handful of A4 pages', async () => {
    const pdf = join(tmp, 'canary.pdf');
    await chromium([
      '--no-pdf-header-footer',
      `--print-to-pdf=${pdf}`,
      `file://${reports['canary-rollback']!.html}`,
    ]);
    const pages = (readFileSync(pdf, 'latin1').match(/\/Type\s*\/Page(?!s)/g) ?? []).length;
    expect(pages).toBeGreaterThanOrEqual(2);
    expect(pages).toBeLessThanOrEqual(6);
  }, 120_000);

  it('the screenshots committed under docs/ are real pictures', () => {
    for (const name of ['report-canary-rolled-back.png', 'report-blue-green-succeeded.png']) {
      const { ink, colours } = inkStats(readPng(join(docs, name)));
      expect(ink, name).toBeGreaterThan(0.05);
      expect(colours, name).toBeGreaterThan(50);
    }
  });
});
