import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/index.js';
import { CircuitBreaker, type CircuitTransition } from '../../../src/llm/index.js';
import { ManualClock } from '../../../src/testing.js';

function make(opts: { failureThreshold?: number; cooldownMs?: number; halfOpenMaxCalls?: number } = {}) {
  const clock = new ManualClock();
  const transitions: string[] = [];
  const b = new CircuitBreaker(
    'ep',
    { failureThreshold: 3, cooldownMs: 1_000, ...opts, clock },
    (t: CircuitTransition) => transitions.push(`${t.from}->${t.to}`),
  );
  return { b, clock, transitions };
}

describe('CircuitBreaker', () => {
  it('opens after `failureThreshold` consecutive failures; a success resets the count', () => {
    const { b, transitions } = make();
    b.onFailure();
    b.onFailure();
    b.onSuccess();
    b.onFailure();
    b.onFailure();
    expect(b.state).toBe('closed');
    b.onFailure();
    expect(b.state).toBe('open');
    expect(b.tryAcquire()).toBe(false);
    expect(transitions).toEqual(['closed->open']);
  });

  it('half-opens after the cooldown, admits one trial, closes on its success', () => {
    const { b, clock, transitions } = make();
    for (let i = 0; i < 3; i++) b.onFailure();
    clock.advance(999);
    expect(b.retryInMs()).toBe(1);
    expect(b.tryAcquire()).toBe(false);
    clock.advance(1);
    expect(b.state).toBe('half_open');
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false); // one trial at a time
    b.onSuccess();
    expect(b.state).toBe('closed');
    expect(b.tryAcquire()).toBe(true);
    expect(transitions).toEqual(['closed->open', 'open->half_open', 'half_open->closed']);
  });

  it('a failed trial re-opens for a fresh cooldown', () => {
    const { b, clock } = make();
    for (let i = 0; i < 3; i++) b.onFailure();
    clock.advance(1_000);
    expect(b.tryAcquire()).toBe(true);
    b.onFailure();
    expect(b.state).toBe('open');
    clock.advance(999);
    expect(b.state).toBe('open');
    clock.advance(1);
    expect(b.state).toBe('half_open');
  });

  it('a neutral verdict frees the trial slot without closing or opening', () => {
    const { b, clock } = make({ halfOpenMaxCalls: 1 });
    for (let i = 0; i < 3; i++) b.onFailure();
    clock.advance(1_000);
    expect(b.tryAcquire()).toBe(true);
    b.onNeutral();
    expect(b.state).toBe('half_open');
    expect(b.tryAcquire()).toBe(true);
  });

  it('validates its options', () => {
    expect(() => new CircuitBreaker('x', { failureThreshold: 0 })).toThrow(ValidationError);
    expect(() => new CircuitBreaker('x', { cooldownMs: -1 })).toThrow(/cooldownMs/);
  });
});
