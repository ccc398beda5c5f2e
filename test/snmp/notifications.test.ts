import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { EventRecord } from "../../src/core/events.js";
import { allDevicesOk, smallPlantYaml, startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { freePort } from "../helpers/ports.js";
import { MIB_ARGS } from "./helpers.js";

const ENGINE_ID = "80007ed9047472617073"; // fixed for the test: snmptrapd must know it for v3 traps
const TRAP_USER = { name: "trap-user", auth: "trap-auth-secret", priv: "trap-priv-secret" };
const INFORM_USER = { name: "inform-user", auth: "inform-auth-secret", priv: "inform-priv-secret" };

/** snmptrapd in the foreground, one line per notification: "<security info>|<trap oid>|<varbinds>". */
class TrapReceiver {
  private readonly dir = mkdtempSync(join(tmpdir(), "bmsgw-snmptrapd-"));
  private process?: ChildProcess;
  output = "";

  constructor(readonly port: number) {}

  async start(): Promise<void> {
    const conf = join(this.dir, "snmptrapd.conf");
    writeFileSync(
      conf,
      [
        "disableAuthorization yes",
        `createUser -e 0x${ENGINE_ID} ${TRAP_USER.name} SHA-256 ${TRAP_USER.auth} AES ${TRAP_USER.priv}`,
        `createUser ${INFORM_USER.name} SHA ${INFORM_USER.auth} AES-256 ${INFORM_USER.priv}`,
        "",
      ].join("\n"),
    );
    this.process = spawn(
      "snmptrapd",
      [
        "-f",
        "-Lo",
        "-C",
        "-c",
        conf,
        ...MIB_ARGS,
        "-F",
        "NOTIFICATION %P|%N|%q|%V~%v\\n",
        `udp:127.0.0.1:${this.port}`,
      ],
      {
        env: { ...process.env, SNMP_PERSISTENT_DIR: this.dir, SNMPCONFPATH: this.dir, HOME: this.dir },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    this.process.stdout?.on("data", (d: Buffer) => {
      this.output += d.toString();
    });
    this.process.stderr?.on("data", (d: Buffer) => {
      this.output += d.toString();
    });
    await this.waitFor((text) => text.includes("NET-SNMP version"), "snmptrapd start");
  }

  lines(): string[] {
    return this.output.split("\n").filter((l) => l.startsWith("NOTIFICATION "));
  }

  async waitFor(predicate: (text: string) => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!predicate(this.output)) {
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}; snmptrapd output:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    const child = this.process;
    if (child?.pid && child.exitCode === null) {
      const exited = new Promise((done) => child.once("exit", done));
      child.kill("SIGTERM");
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function receiversYaml(port: number, minSeverity = "info"): string {
  return [
    "protocols:",
    "  snmp:",
    "    enabled: true",
    "    host: 127.0.0.1",
    "    port: 0",
    `    engineId: "${ENGINE_ID}"`,
    "    users:",
    `      - { name: ${TRAP_USER.name}, auth: { protocol: sha256, password: ${TRAP_USER.auth} }, priv: { protocol: aes128, password: ${TRAP_USER.priv} } }`,
    `      - { name: ${INFORM_USER.name}, auth: { protocol: sha, password: ${INFORM_USER.auth} }, priv: { protocol: aes256, password: ${INFORM_USER.priv} } }`,
    "    receivers:",
    `      - { kind: v1-trap, host: 127.0.0.1, port: ${port}, community: trap-v1, minSeverity: ${minSeverity} }`,
    `      - { kind: v2c-trap, host: 127.0.0.1, port: ${port}, community: trap-v2c, minSeverity: ${minSeverity} }`,
    `      - { kind: v2c-inform, host: 127.0.0.1, port: ${port}, community: inform-v2c, minSeverity: ${minSeverity} }`,
    `      - { kind: v3-trap, host: 127.0.0.1, port: ${port}, user: ${TRAP_USER.name}, minSeverity: ${minSeverity} }`,
    `      - { kind: v3-inform, host: 127.0.0.1, port: ${port}, user: ${INFORM_USER.name}, minSeverity: ${minSeverity} }`,
    `      - { kind: v2c-trap, host: 127.0.0.1, port: ${port}, community: critical-only, minSeverity: critical }`,
  ].join("\n");
}

/** The notification a line reports: snmpTrapOID for v2c/v3, enterprise + specific-trap for v1 (RFC 3584). */
function isNotification(line: string, name: "bmsAlarmRaised" | "bmsAlarmCleared"): boolean {
  if (line.includes(`snmpTrapOID.0 = OID: BMS-GATEWAY-MIB::${name}`)) return true;
  // snmptrapd names the v1 specific-trap by the notification it maps to.
  return /SNMP v1,/.test(line) && line.includes(`|BMS-GATEWAY-MIB::bmsGatewayMIB|BMS-GATEWAY-MIB::${name}|`);
}

/** Which receiver a snmptrapd line came from, by its community or user. */
const SENDERS = [
  ["v1-trap", /community trap-v1\b/],
  ["v2c-trap", /community trap-v2c\b/],
  ["v2c-inform", /community inform-v2c\b/],
  ["v3-trap", new RegExp(`user ${TRAP_USER.name}\\b`)],
  ["v3-inform", new RegExp(`user ${INFORM_USER.name}\\b`)],
] as const;

function assertAlarmVarbinds(
  line: string,
  expected: { string: number; block: number; eventId: number; severity: string },
) {
  assert.match(line, new RegExp(`bmsNotifStringId\\.0 = Gauge32: ${expected.string}\\b`), line);
  assert.match(line, new RegExp(`bmsNotifBlock\\.0 = Gauge32: ${expected.block}\\b`), line);
  assert.match(line, new RegExp(`bmsNotifEventId\\.0 = Gauge32: ${expected.eventId}\\b`), line);
  assert.match(line, new RegExp(`bmsNotifSeverity\\.0 = INTEGER: ${expected.severity}\\(`), line);
  assert.match(line, /bmsNotifValue\.0 = INTEGER: /, line);
  assert.match(line, /bmsNotifThreshold\.0 = INTEGER: /, line);
  assert.match(line, /bmsNotifText\.0 = STRING: /, line);
}

describe("SNMP notifications", () => {
  let receiver: TrapReceiver;
  let gateway: TestGateway;

  before(async () => {
    receiver = new TrapReceiver(await freePort());
    await receiver.start();
    gateway = await startTestGateway(
      smallPlantYaml({
        extra: [
          receiversYaml(receiver.port),
          // Fast alarm transitions for the end-to-end case.
          "alarms: { raiseDelay: 0, clearDelay: 0 }",
        ].join("\n"),
      }),
    );
    await allDevicesOk(gateway);
  });

  after(async () => {
    await gateway?.close();
    await receiver?.stop();
  });

  it("sends every notification kind with string, block, event id, severity, value, threshold and text", async () => {
    const record: EventRecord = {
      seq: 0,
      time: Date.now(),
      kind: "alarm-raised",
      eventId: 105,
      name: "block-temperature-high",
      severity: "warning",
      stringId: 2,
      block: 7,
      value: 41.5,
      threshold: 40,
      text: "block 2/7 temperature 41.5 °C above 40 °C",
    };
    gateway.bus.emit("event", record);
    await receiver.waitFor(
      () =>
        SENDERS.every(([, re]) =>
          receiver.lines().some((l) => re.test(l) && l.includes("bmsNotifEventId.0 = Gauge32: 105")),
        ),
      "one notification per receiver kind",
    );
    for (const [kind, re] of SENDERS) {
      const line = receiver.lines().find((l) => re.test(l) && l.includes("bmsNotifEventId.0 = Gauge32: 105"));
      assert.ok(line, `${kind} notification received`);
      assert.ok(isNotification(line, "bmsAlarmRaised"), `${kind} is a bmsAlarmRaised notification: ${line}`);
      assertAlarmVarbinds(line, { string: 2, block: 7, eventId: 105, severity: "warning" });
      assert.match(line, /bmsNotifValue\.0 = INTEGER: 41\.500/, line);
      assert.match(line, /bmsNotifThreshold\.0 = INTEGER: 40\.000/, line);
    }
    const informs = receiver.lines().filter((l) => /INFORM/.test(l) && l.includes("Gauge32: 105"));
    assert.equal(informs.length, 2, "the v2c and v3 informs arrive as INFORM PDUs");
  });

  it("filters by severity per receiver", async () => {
    const lines = receiver.lines().filter((l) => /community critical-only\b/.test(l));
    assert.equal(lines.length, 0, "the critical-only receiver got no warning");
    gateway.bus.emit("event", {
      seq: 0,
      time: Date.now(),
      kind: "alarm-cleared",
      eventId: 113,
      name: "thermal-runaway",
      severity: "critical",
      stringId: 1,
      block: 2,
      text: "thermal runaway cleared",
    });
    await receiver.waitFor(
      () => receiver.lines().some((l) => /community critical-only\b/.test(l) && l.includes("Gauge32: 113")),
      "the critical notification at the critical-only receiver",
    );
    const line = receiver.lines().find((l) => /community critical-only\b/.test(l)) as string;
    assert.ok(isNotification(line, "bmsAlarmCleared"), line);
    assertAlarmVarbinds(line, { string: 1, block: 2, eventId: 113, severity: "critical" });
  });

  it("raises and clears a real alarm from the simulator at every receiver", async () => {
    const admin = { user: "test", roles: ["admin" as const], source: "test" };
    const set = await gateway.commands.run(admin, { kind: "sim", args: ["set", "1/3", "voltage", "16"] });
    assert.ok(set.ok, JSON.stringify(set));
    const raised = (l: string) => isNotification(l, "bmsAlarmRaised") && /bmsNotifBlock\.0 = Gauge32: 3\b/.test(l);
    await receiver.waitFor(
      () => SENDERS.every(([, re]) => receiver.lines().some((l) => re.test(l) && raised(l))),
      "alarm raised at every receiver",
    );
    const line = receiver.lines().find((l) => /community trap-v2c\b/.test(l) && raised(l)) as string;
    assert.match(line, /bmsNotifStringId\.0 = Gauge32: 1\b/);
    assert.match(line, /bmsNotifValue\.0 = INTEGER: 1[5-6]\.\d{3}/, "value carries the measured block voltage");
    assert.match(line, /bmsNotifSeverity\.0 = INTEGER: (warning|critical)\(/);
    const eventId = /bmsNotifEventId\.0 = Gauge32: (\d+)/.exec(line)?.[1];
    assert.ok(eventId === "101" || eventId === "103", `block voltage high event, got ${eventId}`);

    const reset = await gateway.commands.run(admin, { kind: "sim", args: ["set", "1/3", "voltage", "13.5"] });
    assert.ok(reset.ok, JSON.stringify(reset));
    const cleared = (l: string) => isNotification(l, "bmsAlarmCleared") && /bmsNotifBlock\.0 = Gauge32: 3\b/.test(l);
    await receiver.waitFor(
      () => SENDERS.every(([, re]) => receiver.lines().some((l) => re.test(l) && cleared(l))),
      "alarm cleared at every receiver",
    );
  });
});
