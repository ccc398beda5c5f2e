/**
 * Alarm notifications to the configured receivers through net-snmp sessions: v1 trap, v2c trap/inform, v3 trap
 * (our fixed engine id is authoritative) and v3 inform (the receiver's engine is discovered; retried on timeout).
 */

import snmp, { type Session, type Varbind } from "net-snmp";
import type { Logger } from "pino";
import type { HealthReporter } from "../../core/adapter.js";
import { type EventRecord, SEVERITIES } from "../../core/events.js";
import type { SnmpConfig, SnmpReceiverConfig, SnmpUserConfig } from "./config-schema.js";
import { MIB_ROOT, NOTIFICATION_OBJECTS, NOTIFICATIONS, SEVERITY_VALUES, toWireInteger } from "./mapping.js";
import { AUTH_PROTOCOL_IDS, PRIV_PROTOCOL_IDS } from "./usm.js";

const T = snmp.ObjectType;

function oidOf(name: string): string {
  const o = NOTIFICATION_OBJECTS.objects.find((x) => x.name === name);
  if (!o) throw new Error(`no notification object ${name}`);
  return `${[...NOTIFICATION_OBJECTS.oid, o.sub].join(".")}.0`;
}

/** The varbinds every alarm notification carries (after sysUpTime and snmpTrapOID). */
export function notificationVarbinds(record: EventRecord): Varbind[] {
  return [
    { oid: oidOf("bmsNotifStringId"), type: T.Gauge as number, value: record.stringId ?? 0 },
    { oid: oidOf("bmsNotifBlock"), type: T.Gauge as number, value: record.block ?? 0 },
    { oid: oidOf("bmsNotifEventId"), type: T.Gauge as number, value: record.eventId },
    { oid: oidOf("bmsNotifSeverity"), type: T.Integer as number, value: SEVERITY_VALUES[record.severity] },
    { oid: oidOf("bmsNotifValue"), type: T.Integer as number, value: toWireInteger(record.value, 1000) },
    { oid: oidOf("bmsNotifThreshold"), type: T.Integer as number, value: toWireInteger(record.threshold, 1000) },
    { oid: oidOf("bmsNotifText"), type: T.OctetString as number, value: record.text },
    { oid: oidOf("bmsNotifEventName"), type: T.OctetString as number, value: record.name },
  ];
}

function v3User(user: SnmpUserConfig) {
  return {
    name: user.name,
    level: snmp.SecurityLevel[user.level],
    ...(user.auth
      ? { authProtocol: AUTH_PROTOCOL_IDS[user.auth.protocol] as number, authKey: user.auth.password }
      : {}),
    ...(user.priv && user.auth
      ? { privProtocol: PRIV_PROTOCOL_IDS[user.priv.protocol] as number, privKey: user.priv.password }
      : {}),
  };
}

interface Target {
  readonly receiver: SnmpReceiverConfig;
  readonly session: Session;
  readonly label: string;
}

export class Notifier {
  private readonly targets: Target[] = [];

  constructor(
    config: SnmpConfig,
    engineId: Buffer,
    private readonly upTime: () => number,
    private readonly log: Logger,
    private readonly health: HealthReporter,
  ) {
    for (const receiver of config.receivers) {
      const common = {
        trapPort: receiver.port,
        port: receiver.port,
        retries: receiver.retries,
        timeout: receiver.timeout,
        transport: receiver.host.includes(":") ? ("udp6" as const) : ("udp4" as const),
      };
      let session: Session;
      if (receiver.kind.startsWith("v3")) {
        const user = config.users.find((u) => u.name === receiver.user) as SnmpUserConfig;
        // A trap's authoritative engine is ours (fixed id); an inform's is the receiver's (discovered).
        session = snmp.createV3Session(receiver.host, v3User(user), {
          ...common,
          version: snmp.Version3,
          ...(receiver.kind === "v3-trap" ? { engineID: engineId } : {}),
        });
      } else
        session = snmp.createSession(receiver.host, receiver.community ?? "", {
          ...common,
          version: receiver.kind === "v1-trap" ? snmp.Version1 : snmp.Version2c,
        });
      session.on("error", (error) =>
        log.warn({ err: error, receiver: receiver.name }, "SNMP notification socket error"),
      );
      this.targets.push({
        receiver,
        session,
        label: receiver.name ?? `${receiver.kind}@${receiver.host}:${receiver.port}`,
      });
    }
  }

  get size(): number {
    return this.targets.length;
  }

  /** Sends an alarm-raised/cleared record to every receiver whose severity filter passes. */
  notify(record: EventRecord): void {
    const def = NOTIFICATIONS.find((n) => n.kind === record.kind);
    if (!def) return;
    const rank = SEVERITIES.indexOf(record.severity);
    const varbinds = notificationVarbinds(record);
    for (const t of this.targets) {
      if (rank < SEVERITIES.indexOf(t.receiver.minSeverity)) continue;
      const upTime = this.upTime();
      const done = (error: Error | null) => {
        if (error) {
          this.health.count("notificationsFailed");
          this.log.warn(
            { err: error, receiver: t.label, event: record.name },
            "E_SNMP_NOTIFY: notification not delivered; check the receiver address, community or v3 user",
          );
        } else this.health.count("notificationsSent");
      };
      try {
        switch (t.receiver.kind) {
          case "v1-trap":
            // RFC 3584: enterprise = bmsGatewayMIB, specific-trap = the notification's last sub-identifier.
            t.session.trap(`${MIB_ROOT.join(".")}.${def.sub}`, varbinds, { upTime }, done);
            break;
          case "v2c-trap":
          case "v3-trap":
            t.session.trap(`${MIB_ROOT.join(".")}.0.${def.sub}`, varbinds, { upTime }, done);
            break;
          case "v2c-inform":
          case "v3-inform":
            t.session.inform(`${MIB_ROOT.join(".")}.0.${def.sub}`, varbinds, { upTime }, (error) => done(error));
            break;
        }
      } catch (error) {
        done(error as Error);
      }
    }
  }

  close(): void {
    for (const t of this.targets) {
      try {
        t.session.close();
      } catch {
        // already closed
      }
    }
  }
}
