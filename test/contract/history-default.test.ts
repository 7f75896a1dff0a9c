import { afterAll, describe, expect, it } from 'vitest';
import { closeDefaultDatabase, HistoricalLogProcessor } from '../../src/index.js';

describe('new HistoricalLogProcessor() (zero arguments, the host guide health check)', () => {
  afterAll(() => closeDefaultDatabase());

  it('uses the default database from the environment, opened on first use', async () => {
    const processor = new HistoricalLogProcessor();
    const logId = await processor.logInference({
      modelId: '0190a6c2-7a3e-7cc1-8f00-0000000000d1',
      useCase: 'health_check',
      prompt: 'Health check',
      context: {},
      generatedOutput: 'OK',
    });
    await processor.flush();
    const { items: entries } = await processor.query({ useCase: 'health_check' });
    expect(entries.map((e) => e.id)).toContain(logId);
    await processor.close();
  });
});
