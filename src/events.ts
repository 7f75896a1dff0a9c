/**
 * Typed event emitter shared by every part of the SDK. Event names are namespaced
 * (`registry:…`, `history:…`, `deployment:…`, `guardrails:…`); each event carries one readonly payload.
 * @module
 */
import { EventEmitter } from 'eventemitter3';

/** Constraint for an event map: each event name maps to a one-argument listener. */
export type EventMap<Events> = { [E in keyof Events]: (payload: never) => void };

/**
 * An eventemitter3 emitter typed by an event map. {@link TypedEmitter.emitSafely} is what the SDK
 * uses internally: a listener that throws is reported on `error` listeners (if any) and never breaks
 * the operation that emitted.
 * @example
 * ```ts
 * registry.on('registry:unavailable', (e) => log.warn(e.message));
 * ```
 */
export class TypedEmitter<Events extends EventMap<Events>> extends EventEmitter<Events & { 'listener:error': (e: ListenerError) => void }> {
  /**
   * Emits `event` to every listener, isolating listener failures.
   * @internal
   */
  emitSafely<E extends keyof Events & string>(event: E, payload: Parameters<Events[E]>[0]): void {
    // eventemitter3 stops at the first throwing listener; call each one ourselves so one bad
    // listener neither skips the others nor throws into our control flow.
    for (const listener of this.listenersOf(event)) {
      try {
        listener.call(this, payload);
      } catch (error) {
        for (const onError of this.listenersOf('listener:error')) {
          try {
            onError.call(this, { event, error } satisfies ListenerError);
          } catch {
            // A throwing error listener has nowhere left to report to.
          }
        }
      }
    }
  }

  private listenersOf(event: string): Array<(payload: unknown) => void> {
    return (this.listeners as unknown as (e: string) => Array<(payload: unknown) => void>)(event);
  }
}

/** Payload of `listener:error`: a host listener threw while handling `event`. */
export interface ListenerError {
  readonly event: string;
  readonly error: unknown;
}
