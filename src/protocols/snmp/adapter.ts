/**
 * SNMP adapter: the command responder (v1/v2c/v3 on one UDP socket) serving the MIB-2 system group, the engine and
 * USM counters and BMS-GATEWAY-MIB, plus alarm notifications to the configured receivers.
 */

import { randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Adapter, AdapterContext } from "../../core/adapter.js";
import { eventById } from "../../core/alarms/catalogue.js";
import type { EventRecord } from "../../core/events.js";
import { packageVersion } from "../../core/package-info.js";
import { type SettingValue, settingByIndex } from "../../core/settings.js";
import { SnmpAgent } from "./agent.js";
import type { SnmpConfig } from "./config-schema.js";
import { ENTERPRISE_NUMBER } from "./mapping.js";
import { ascii } from "./mib-text.js";
import { MibView, newCounters, type ThresholdAccess, type ThresholdSetting } from "./mib-view.js";
import { Notifier } from "./notifier.js";
import { localizeUser, SaltCounter } from "./usm.js";

interface EngineState {
  engineId: string;
  boots: number;
}

/**
 * The engine id is fixed: from the config, or generated once (RFC 3411 format 5, octets: 0x80 | enterprise, 0x05,
 * 8 random bytes) and kept with the boot counter in `snmp-engine.json` in the storage folder. snmpEngineBoots
 * increases on every start, as RFC 3414 requires.
 */
export function loadEngineState(storagePath: string, configured?: string): { engineId: Buffer; boots: number } {
  const file = join(storagePath, "snmp-engine.json");
  let state: EngineState | undefined;
  try {
    const parsed = JSON.parse(readFileSync(file, "utf8")) as Partial<EngineState>;
    if (typeof parsed.engineId === "string" && typeof parsed.boots === "number")
      state = { engineId: parsed.engineId, boots: parsed.boots };
  } catch {
    // first start
  }
  const prefix = (0x80000000 + ENTERPRISE_NUMBER).toString(16).padStart(8, "0");
  const engineId =
    configured?.replace(/^0x/, "").toLowerCase() ?? state?.engineId ?? `${prefix}05${randomBytes(8).toString("hex")}`;
  const boots = state && state.engineId === engineId ? Math.min(state.boots + 1, 2147483646) : 1;
  writeFileSync(file, `${JSON.stringify({ engineId, boots } satisfies EngineState, null, 2)}\n`);
  return { engineId: Buffer.from(engineId, "hex"), boots };
}

const NO_SETTINGS: readonly SettingValue[] = [];

export interface SnmpAdapterOptions {
  /** Runtime access to alarm thresholds; by default the gateway's settings catalogue (`services.settings`). */
  readonly thresholds?: ThresholdAccess;
}

/**
 * bmsThresholdTable backed by the settings catalogue: rows are the settings with their values in force, and a SET
 * runs `config-set` as the SNMPv3 user (role admin; the agent only lets admin users at authPriv get this far), which
 * validates, writes the configuration file, applies the alarms and audits.
 */
export function settingsThresholds(ctx: Pick<AdapterContext<SnmpConfig>, "services" | "commands">): ThresholdAccess {
  // The catalogue returns the same list until the configuration changes; map it once per list, not per request.
  let source: readonly SettingValue[] | undefined;
  let mapped: readonly ThresholdSetting[] = [];
  return {
    list: () => {
      const current = ctx.services.settings?.list() ?? NO_SETTINGS;
      if (current !== source) {
        source = current;
        mapped = current.map((s) => ({
          index: s.index,
          name: s.name,
          value: s.value,
          unit: ascii(s.unit),
          scale: s.scale,
        }));
      }
      return mapped;
    },
    async write(index, value, user) {
      const setting = settingByIndex(index);
      if (!setting) return { ok: false, reason: `no setting ${index}` };
      const result = await ctx.commands.run(
        { user: `snmp:${user}`, roles: ["admin"], source: "snmp" },
        { kind: "config-set", path: setting.path.join("."), value },
      );
      return result.ok ? { ok: true } : { ok: false, reason: `${result.code}: ${result.error}` };
    },
  };
}

export function createSnmpAdapter(options: SnmpAdapterOptions = {}): Adapter<SnmpConfig> {
  return {
    name: "snmp",
    async start(ctx: AdapterContext<SnmpConfig>): Promise<void> {
      const config = ctx.config;
      const started = process.hrtime.bigint();
      const upTime = () => Number((process.hrtime.bigint() - started) / 10_000_000n);
      const engineTime = () => Number((process.hrtime.bigint() - started) / 1_000_000_000n);
      const { engineId, boots } = loadEngineState(ctx.storagePath, config.engineId);
      const counters = newCounters();
      const eventCounts = new Map<number, { raised: number; cleared: number }>();
      const snapshot = ctx.model.current();
      const thresholds = options.thresholds ?? settingsThresholds(ctx);
      const view = new MibView({
        topology: snapshot.topology,
        softwareVersion: packageVersion(),
        engineId,
        engineBoots: boots,
        engineTime,
        upTime,
        counters,
        eventCounts,
        thresholds,
      });
      const users = config.users.map((u) => localizeUser(u, engineId));
      const agent = new SnmpAgent({
        config,
        view,
        snapshot: () => ctx.model.current(),
        engineId,
        engineBoots: boots,
        engineTime,
        users,
        counters,
        salt: new SaltCounter(),
        thresholds,
        audit: (user, remote, detail) =>
          ctx.commands.audit({
            name: "remote-write",
            user,
            detail: { ...detail, remote },
            text: `SNMP SET of threshold ${detail.setting} to ${detail.value} by ${user} from ${remote}: ${detail.outcome}`,
          }),
      });

      const notifier = new Notifier(config, engineId, upTime, ctx.log, ctx.health);
      ctx.defer(() => notifier.close());
      const onEvent = (record: EventRecord) => {
        const counts = eventCounts.get(record.eventId) ?? { raised: 0, cleared: 0 };
        if (record.kind === "alarm-cleared") counts.cleared++;
        else if (record.kind !== "alarm-acknowledged") counts.raised++;
        if (eventById(record.eventId)) eventCounts.set(record.eventId, counts);
        if (record.kind === "alarm-raised" || record.kind === "alarm-cleared") notifier.notify(record);
      };
      ctx.defer(ctx.changes.on("event", onEvent));

      const family = config.host.includes(":") ? "udp6" : "udp4";
      const socket = createSocket({ type: family, recvBufferSize: 1 << 20, sendBufferSize: 1 << 20 });
      socket.on("message", (packet, rinfo) => {
        const send = (reply: Buffer | undefined) => {
          if (reply) socket.send(reply, rinfo.port, rinfo.address);
        };
        // Answered within this callback; only a SET waits for the configuration write.
        const reply = agent.handle(packet, rinfo.address);
        if (reply instanceof Promise) void reply.then(send);
        else send(reply);
      });
      socket.on("error", (error) => {
        ctx.log.error({ err: error }, "E_SNMP_SOCKET: SNMP socket error");
        ctx.health.set("degraded", error.message);
      });
      await new Promise<void>((done, fail) => {
        socket.once("error", fail);
        socket.bind(config.port, config.host, () => {
          socket.off("error", fail);
          done();
        });
      }).catch((error: Error) => {
        throw new Error(
          `E_SNMP_BIND: cannot listen on udp ${config.host}:${config.port} (${error.message}); choose another protocols.snmp.port or host`,
        );
      });
      ctx.defer(() => new Promise<void>((done) => socket.close(() => done())));
      const address = socket.address();
      const host = family === "udp6" ? `[${address.address}]` : address.address;
      ctx.health.listening(`snmp://${host}:${address.port}`);
      const versions = [
        config.communities.some((c) => c.versions.includes("v1")) ? "v1" : "",
        config.communities.some((c) => c.versions.includes("v2c")) ? "v2c" : "",
        config.users.length > 0 ? "v3" : "",
      ].filter(Boolean);
      ctx.log.info(
        {
          engineId: engineId.toString("hex"),
          boots,
          receivers: notifier.size,
          objects: view.sync(ctx.model.current()).size,
        },
        `SNMP agent on udp ${host}:${address.port} (${versions.join(", ") || "no versions enabled"})`,
      );
    },
  };
}

export const snmpAdapter: Adapter<SnmpConfig> = createSnmpAdapter();
