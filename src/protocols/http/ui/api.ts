/// <reference lib="dom" />
/**
 * The REST client of the dashboard: same-origin fetch with the session cookie, the CSRF token on every change, and
 * errors as `ApiError` (status, stable code, field path) so forms can show them next to the field.
 * Types mirror the JSON of src/protocols/http/api.ts (the UI bundle cannot import zod schemas of the server); where
 * the JSON is a core type as it stands, the core type is imported (type-only: nothing of core reaches the bundle).
 */
import type { Role } from "../../../core/adapter.js";
import type { ActiveAlarm, EventRecord, Severity } from "../../../core/events.js";
import type { Quality } from "../../../core/model.js";

export type { EventRecord, Quality, Role, Severity };

export interface SessionInfo {
  readonly user: string;
  readonly roles: Role[];
  readonly source: string;
  readonly mustChangePassword: boolean;
  readonly csrfToken?: string;
}

export type Values = Record<string, number | string | null>;

export interface StringInfo {
  readonly id: number;
  readonly name: string;
  readonly bus: string;
  readonly chemistry: string;
  readonly nominalBlockVoltage: number;
  readonly blockCount: number;
  readonly capacityAh: number;
  readonly values: Values;
  readonly quality: Record<string, Quality>;
  readonly alarms: number;
}

export interface AlarmSummary {
  readonly critical: number;
  readonly warning: number;
  readonly info: number;
  readonly unacknowledged: number;
  readonly byString: Record<string, number>;
}

export interface Plant {
  readonly version: number;
  readonly time: number;
  readonly site: { name: string; location: string; contact: string };
  readonly values: Values;
  readonly strings: StringInfo[];
  readonly blockCount: number;
  readonly alarmSummary: AlarmSummary;
  readonly devices: { total: number; ok: number; commLost: number; unknown: number };
}

export interface BlockRow {
  block: number;
  voltage: number | null;
  temperature: number | null;
  resistance: number | null;
  equalization: string | null;
  soc: number | null;
  soh: number | null;
  quality: Quality;
  alarm: Severity | null;
  [key: string]: number | string | null;
}

export type Thresholds = Record<string, Record<string, number>>;

export interface BlockPage {
  readonly stringId: number;
  readonly version: number;
  readonly total: number;
  readonly thresholds: Thresholds;
  readonly blocks: BlockRow[];
}

export type Alarm = ActiveAlarm;

export interface HistorySeries {
  readonly point: string;
  readonly resolution: "raw" | "minute" | "hour";
  readonly time: number[];
  readonly min: (number | null)[];
  readonly avg: (number | null)[];
  readonly max: (number | null)[];
  readonly count: number[];
}

export interface BlockDetail {
  readonly stringId: number;
  readonly block: number;
  readonly values: Values;
  readonly samples: Record<string, { value: number | string | null; quality: Quality; time: number }>;
  readonly alarms: Alarm[];
  readonly health?: { baseline: number | null; deviationFromBaseline: number | null; text: string; soh: number | null };
}

export interface Discharge {
  readonly id: number;
  readonly stringId: number;
  readonly start: number;
  readonly end?: number;
  readonly durationSeconds: number;
  readonly ampereHours: number;
  readonly wattHours: number;
  readonly peakCurrent: number;
  readonly socStart: number | null;
  readonly socEnd: number | null;
  readonly minStringVoltage: number | null;
  readonly minBlockVoltage: number | null;
  readonly weakestBlock: number;
  readonly reachedEndVoltage: boolean;
  readonly capacityAh: number | null;
  readonly detectedBy: string;
  readonly curve?: Record<string, number | null>[];
}

export interface BusDevice {
  readonly index: number;
  readonly address: number;
  readonly profile: string;
  readonly role: string;
  readonly stringId?: number;
  readonly firstBlock?: number;
  readonly blockCount?: number;
  readonly comm: string;
  readonly serial?: string;
  readonly firmware?: string;
  readonly expectedSerial?: string;
  readonly lastOk: number;
  readonly transactions: number;
  readonly failures: number;
  readonly consecutiveFailures: number;
  readonly note?: string;
}

export interface Bus {
  readonly id: string;
  readonly devices: BusDevice[];
}

export interface Setting {
  readonly index: number;
  readonly name: string;
  readonly path: string;
  readonly unit: string;
  readonly description: string;
  readonly value: number | null;
  readonly configured: boolean;
}

export interface UserInfo {
  readonly name: string;
  readonly roles: Role[];
  readonly mustChangePassword: boolean;
  readonly keys: string[];
}

export interface HealthComponent {
  readonly component: string;
  readonly state: string;
  readonly text: string;
  readonly listeners: string[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly path?: string,
  ) {
    super(message);
  }
}

type Query = Record<string, string | number | boolean | undefined>;

export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query))
    if (value !== undefined && value !== "") params.set(key, String(value));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export class Api {
  private csrfToken: string | undefined;
  /** Called when a request finds the session gone (401): the shell shows the login page. */
  onUnauthorized: () => void = () => {};

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (method !== "GET" && this.csrfToken) headers["x-csrf-token"] = this.csrfToken;
    const response = await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    let data: unknown;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      data = undefined;
    }
    if (!response.ok) {
      const error = (data ?? {}) as { error?: string; code?: string; path?: string };
      if (response.status === 401 && path !== "/api/login") this.onUnauthorized();
      throw new ApiError(
        response.status,
        error.code ?? `HTTP_${response.status}`,
        error.error ?? response.statusText,
        error.path,
      );
    }
    return data as T;
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>("GET", withQuery(path, query));
  }

  send<T>(method: "POST" | "PUT" | "DELETE", path: string, body?: unknown): Promise<T> {
    return this.request<T>(method, path, body);
  }

  async login(username: string, password: string): Promise<SessionInfo> {
    const session = await this.request<SessionInfo>("POST", "/api/login", { username, password });
    this.csrfToken = session.csrfToken;
    return session;
  }

  async session(): Promise<SessionInfo> {
    const session = await this.request<SessionInfo>("GET", "/api/session");
    this.csrfToken = session.csrfToken;
    return session;
  }

  async logout(): Promise<void> {
    try {
      await this.request("POST", "/api/logout");
    } finally {
      this.csrfToken = undefined;
    }
  }
}
