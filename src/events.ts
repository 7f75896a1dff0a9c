/**
 * Typed event emitter shared by every part of the SDK. Event names are namespaced
 * (`registry:…`, `history:…`, `deployment:…`, `guardrails:…`); each event carries one readonly payload.
 * @module
 */
import { EventEmitter } from 'eventemitter3';

/** Constraint for an event map: each event name maps to a one-argument listener. */
export type EventMap<Events> = { [E in keyof Events]: (payload: never) => void };

/** The event every {@link TypedEmitter} has besides its own. */
export interface ListenerErrorEvents {
  /** A host listener threw; the SDK caught it so the operation that emitted was not affected. */
  'listener:error': (e: ListenerError) => void;
}

/**
 * An eventemitter3 emitter typed by an event map. The SDK emits so that a listener that throws is
 * reported on `listener:error` and never breaks the operation that emitted, nor the other listeners.
 * @example
 * ```ts
 * registry.on('registry:unavailable', (e) => log.warn(e.message));
 * ```
 */
export class TypedEmitter<Events extends EventMap<Events>> extends EventEmitter<
  Events & ListenerErrorEvents
> {
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
  /** The event whose listener threw. */
  readonly event: string;
  /** What it threw. */
  readonly error: unknown;
}
