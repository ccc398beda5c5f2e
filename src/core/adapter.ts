/**
 * The adapter contract: every protocol (Modbus, SNMP, BACnet, syslog, console, web …) is an adapter that gets
 * everything it needs through its context — no globals. Construction does nothing; `start` does the work.
 */
import type { Logger } from "pino";
import type { EqualizationView } from "./analysis/equalization.js";
import type { ProtectionView } from "./analysis/protection.js";
import type { BatteryAnalysis, ResistanceBaselines } from "./analysis/types.js";
import type { Disposer, GatewayEvents, Listener } from "./event-bus.js";
import type { EventLog } from "./event-log/types.js";
import type { EventRecord } from "./events.js";
import type { HistoryReader } from "./history/types.js";
import type { PlantSnapshot } from "./model.js";
import type { SettingsView } from "./settings.js";

export type Role = "viewer" | "operator" | "admin";

/** Who is acting: a logged-in user, an API token, or a protocol peer identified by address. */
export interface Principal {
  readonly user: string;
  readonly roles: readonly Role[];
  /** Which provider vouched for the user: local, radius, ldap, ad, token, or the protocol for anonymous peers. */
  readonly source: string;
  readonly mustChangePassword?: boolean;
  /**
   * Routine automatic control (equalization switches bypasses hundreds of times a day on a large plant): its
   * successful commands are not audited, its failures are.
   */
  readonly routine?: boolean;
}

export type AuthFailure = "invalid-credentials" | "locked" | "unreachable" | "timeout";

export type AuthResult = { ok: true; principal: Principal } | { ok: false; reason: AuthFailure };

/** The auth seam: is this user valid, and may this principal do that. Implemented in src/auth. */
export interface AuthService {
  authenticate(username: string, password: string, protocol: string, remoteAddress: string): Promise<AuthResult>;
  /**
   * Public-key login (SSH): is this key (OpenSSH text form) one of the local user's keys? The caller verifies the
   * signature; call it for the signed attempt. Audited; mismatches do not count toward lockout (clients offer
   * several keys).
   */
  authenticateKey?(username: string, publicKey: string, protocol: string, remoteAddress: string): Promise<AuthResult>;
  /** The single place authorization is decided. */
  authorize(principal: Principal, action: Action): boolean;
  /** Local user administration (console, web); absent when the local provider is not configured. */
  users?: LocalUserAdmin;
}

/** A local user as listings show it: never the password hash. */
export interface LocalUserInfo {
  readonly name: string;
  readonly roles: readonly Role[];
  /** Set for the first-start admin and resets: the console/web must ask for a new password before anything else. */
  readonly mustChangePassword: boolean;
  /** SHA256 fingerprints of the user's SSH public keys (`SHA256:…`). */
  readonly keys: readonly string[];
}

/**
 * Local user management. Every method takes the acting principal and checks `users.manage` itself (a user may
 * also set their own password); changes are audited. Failures reject with an Error carrying a stable `code`
 * (E_FORBIDDEN, E_AUTH_NO_USER, E_AUTH_USER_EXISTS, E_AUTH_WEAK_PASSWORD, E_AUTH_SSH_KEY, E_AUTH_LAST_ADMIN …).
 */
export interface LocalUserAdmin {
  list(actor: Principal): Promise<LocalUserInfo[]>;
  add(
    actor: Principal,
    name: string,
    password: string,
    roles: readonly Role[],
    options?: { mustChangePassword?: boolean; keys?: readonly string[] },
  ): Promise<LocalUserInfo>;
  /** Sets a password; `mustChangePassword` (default false) forces another change at next login. */
  setPassword(actor: Principal, name: string, password: string, mustChangePassword?: boolean): Promise<LocalUserInfo>;
  setRoles(actor: Principal, name: string, roles: readonly Role[]): Promise<LocalUserInfo>;
  /** Replaces the user's SSH public keys (OpenSSH one-line form); the user may set their own. */
  setKeys(actor: Principal, name: string, keys: readonly string[]): Promise<LocalUserInfo>;
  delete(actor: Principal, name: string): Promise<void>;
}

/** Everything an authorization check can be asked about. */
export type Action =
  | "read"
  | "alarm.acknowledge"
  | "measure"
  | "equalize"
  | "output.override"
  | "simulator.control"
  | "config.write"
  | "users.manage";

/** Health vocabulary shared by every component. */
export type HealthState = "starting" | "ok" | "degraded" | "down" | "stopped";

export interface HealthReport {
  readonly component: string;
  readonly state: HealthState;
  readonly text: string;
  readonly listeners: readonly string[];
  readonly counters: Readonly<Record<string, number>>;
}

export interface HealthReporter {
  set(state: HealthState, text?: string): void;
  /** Announces an address the adapter listens on, e.g. `tcp://127.0.0.1:1502`. */
  listening(address: string): void;
  count(counter: string, increment?: number): void;
}

export interface ChangeFeed {
  on<K extends keyof GatewayEvents>(event: K, listener: Listener<K>): Disposer;
}

export interface ModelReader {
  /** The latest committed snapshot; cheap, never blocks. */
  current(): PlantSnapshot;
}

/** Operations that change the plant or the gateway; each checks the principal's role and is audited. */
export interface GatewayCommands {
  run(principal: Principal, command: CommandRequest): Promise<CommandResult>;
  /** Records an audit event (logins, protocol writes). */
  audit(record: Omit<EventRecord, "seq" | "time" | "kind" | "severity" | "eventId" | "name"> & { name: string }): void;
}

/** Lets a core service implement a command kind, e.g. the alarms service handles `alarm-ack`. */
export interface CommandRegistry {
  handle<K extends CommandRequest["kind"]>(
    kind: K,
    handler: (request: Extract<CommandRequest, { kind: K }>, principal: Principal) => Promise<CommandResult>,
  ): void;
}

export type CommandRequest =
  | { readonly kind: "equalize"; readonly on: boolean; readonly stringId?: number; readonly block?: number }
  | { readonly kind: "measure-resistance"; readonly stringId?: number }
  /**
   * Takes the latest measured resistance of each block (all, one string, or one block) as its final baseline (no
   * automatic re-capture after the settling period). Implemented by the analysis service; role as `measure`.
   */
  | { readonly kind: "capture-baseline"; readonly stringId?: number; readonly block?: number }
  | { readonly kind: "output"; readonly stringId: number; readonly output: "load" | "charge"; readonly closed: boolean }
  | { readonly kind: "alarm-ack"; readonly alarmId: number | "all" }
  | { readonly kind: "sim"; readonly args: readonly string[] }
  /**
   * Changes one configuration value (admin): `path` is dotted, e.g. `alarms.thresholds.blockVoltage.highAlarm`;
   * `value` undefined removes the key (back to the default). The whole configuration is validated with the config
   * file's schema (errors name the path, code E_CONFIG_INVALID), written back atomically and the alarms section is
   * applied at once; other sections answer `data.restartRequired: true`.
   */
  | { readonly kind: "config-set"; readonly path: string; readonly value: unknown }
  /**
   * Scans one bus for devices through the poller's own bus master, between poll transactions (admin). `addresses`
   * defaults to the addresses configured on that bus. `data` is the poller's DiscoveryReport (found, missing, extra,
   * wrong type, wrong serial).
   */
  | { readonly kind: "discover"; readonly bus: string; readonly addresses?: readonly number[] };

export type CommandResult = { ok: true; message: string; data?: unknown } | { ok: false; error: string; code: string };

/** Query interfaces the core services offer to adapters (console, web, REST); absent when not running. */
export interface CoreServiceApis {
  /** The persistent event log (alarm transitions, device events, audit records). */
  readonly eventLog?: EventLog;
  /** Measurement history (raw, per-minute, per-hour). */
  readonly history?: HistoryReader;
  /** Runtime settings catalogue with values in force, and the running configuration (secrets redacted). */
  readonly settings?: SettingsView;
  /** Every component's health (adapters, services, poller) as `/api/health` and the console show it. */
  readonly health?: () => readonly HealthReport[];
  /**
   * Battery analysis: weak-block ranking with reasons, per-block health (baseline, deviations, SOH), per-string
   * state (SOC, charge state, runtime estimate, capacity) and the discharge records with their curves.
   */
  readonly analysis?: BatteryAnalysis;
  /** Per-block resistance baselines (mΩ) kept by the alarms service in storage.path/resistance-baselines.json. */
  readonly resistanceBaselines?: ResistanceBaselines;
  /** Equalization per block (off / active / failed, time active) and per string (float or not, band). */
  readonly equalization?: EqualizationView;
  /** Protection outputs per string: wanted and read-back state, reasons, fail-safe. */
  readonly protection?: ProtectionView;
}

export interface AdapterContext<Config> {
  /** The adapter's own validated config section. */
  readonly config: Config;
  readonly model: ModelReader;
  readonly changes: ChangeFeed;
  readonly auth: AuthService;
  readonly commands: GatewayCommands;
  /** Event log and history queries (hand-built contexts pass `{}`). */
  readonly services: CoreServiceApis;
  readonly log: Logger;
  readonly health: HealthReporter;
  /** Aborted when the gateway stops. */
  readonly signal: AbortSignal;
  /** Registers a cleanup run at stop, in reverse order of registration. */
  defer(cleanup: () => void | Promise<void>): void;
  /** Storage folder (absolute) for the adapter's persistent files (keys, certificates). */
  readonly storagePath: string;
}

export interface Adapter<Config> {
  /** Component name used in logs and health, e.g. `modbus`. */
  readonly name: string;
  start(context: AdapterContext<Config>): Promise<void>;
}
