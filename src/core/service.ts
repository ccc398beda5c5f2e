/**
 * Core services (alarms, event log, history, analysis) run inside the gateway next to the poller. Unlike protocol
 * adapters they may write the model: through derivers that run inside each commit, so a snapshot's alarms and
 * derived values always match its measurements.
 */
import type { Logger } from "pino";
import type { CommandRegistry, CoreServiceApis, GatewayCommands, HealthReporter } from "./adapter.js";
import type { EventBus } from "./event-bus.js";
import type { EventRecord } from "./events.js";
import type { ModelStore } from "./model.js";

export interface ServiceContext<Config> {
  readonly config: Config;
  readonly store: ModelStore;
  readonly bus: EventBus;
  /** Publishes an event; during a commit it is delivered right after that commit's snapshot. */
  emit(record: EventRecord): void;
  /** Asks for a commit soon (e.g. after an acknowledgement changed the alarm list). */
  requestCommit(): void;
  /** Run and audit commands; `handle` registers the implementation of a command kind (authorization stays in the router). */
  readonly commands: GatewayCommands & CommandRegistry;
  readonly log: Logger;
  readonly health: HealthReporter;
  readonly signal: AbortSignal;
  defer(cleanup: () => void | Promise<void>): void;
  readonly storagePath: string;
  /** Offers a query interface to adapters and the gateway object (`services`). */
  provide(apis: CoreServiceApis): void;
  /**
   * What the services provided so far (filled as they start; read it when needed, not only at start). Optional so
   * hand-built contexts stay valid.
   */
  readonly services?: CoreServiceApis;
  /**
   * Takes this service's section again after an admin changed it at runtime (`config-set`). Return false when the
   * change cannot be applied live; without a listener every change waits for a restart.
   */
  onConfigChange(listener: (config: Config) => boolean): void;
  /**
   * Runs when the gateway is asked to stop, before anything is torn down: the poller still reaches the devices, so
   * outputs the service switched can go back to their safe state. All hooks run together, within a time bound.
   */
  beforeStop(hook: () => Promise<void>): void;
}

export interface CoreService<Config> {
  readonly name: string;
  start(context: ServiceContext<Config>): Promise<void>;
}
