import type { HealthState } from "./adapter.js";
import type { EventRecord } from "./events.js";
import type { ModelDelta, PlantSnapshot } from "./model.js";

/** Every event on the gateway bus and its arguments. */
export interface GatewayEvents {
  /** A new snapshot was committed; `delta` lists what changed. */
  snapshot: [snapshot: PlantSnapshot, delta: ModelDelta];
  /** An alarm transition, device event or audit record. */
  event: [record: EventRecord];
  /** A component's health state changed (`down` raises the system-fault alarm). */
  health: [component: string, state: HealthState, text: string];
}

export type Listener<K extends keyof GatewayEvents> = (...args: GatewayEvents[K]) => void;
export type Disposer = () => void;

/**
 * A typed event bus. Each listener runs in its own try/catch: one that throws is reported through `onListenerError`
 * and the others still receive the event.
 */
export class EventBus {
  private readonly listeners: { [K in keyof GatewayEvents]: Set<Listener<K>> } = {
    snapshot: new Set(),
    event: new Set(),
    health: new Set(),
  };

  constructor(private readonly onListenerError: (event: string, error: unknown) => void = () => {}) {}

  on<K extends keyof GatewayEvents>(event: K, listener: Listener<K>): Disposer {
    const set = this.listeners[event] as Set<Listener<K>>;
    set.add(listener);
    return () => set.delete(listener);
  }

  emit<K extends keyof GatewayEvents>(event: K, ...args: GatewayEvents[K]): void {
    for (const listener of [...(this.listeners[event] as Set<Listener<K>>)]) {
      try {
        listener(...args);
      } catch (error) {
        this.onListenerError(event, error);
      }
    }
  }

  listenerCount(event: keyof GatewayEvents): number {
    return this.listeners[event].size;
  }
}
