import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { SYSTEM_PRINCIPAL } from "../../src/app/gateway.js";
import { notifyCommand } from "../../src/cli/commands/notify.js";
import type { EventRecord } from "../../src/core/events.js";
import { allDevicesOk, smallPlantYaml, startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { type ParsedLine, RsyslogPeer } from "./rsyslog-peer.js";
import { makeTestCertificates, type TestCertificates } from "./tls-certs.js";

const LOCAL3 = 19;

function record(fields: Partial<EventRecord> & Pick<EventRecord, "eventId" | "name" | "text">): EventRecord {
  return { seq: 0, time: Date.now(), kind: "alarm-raised", severity: "warning", ...fields };
}

function syslogYaml(peer: RsyslogPeer, certs: TestCertificates): string {
  const tls = `tls: { caFile: ${certs.caFile}, certFile: ${certs.clientCertFile}, keyFile: ${certs.clientKeyFile} }`;
  const fast = "reconnect: { initialDelay: 50ms, maxDelay: 500ms }";
  return [
    "notifications:",
    "  syslog:",
    `    - { name: udp, transport: udp, host: 127.0.0.1, port: ${peer.udpPort}, hostname: gw-test, appName: bmsgw-udp, facility: local3 }`,
    `    - { name: tcp, transport: tcp, host: 127.0.0.1, port: ${peer.tcpPort}, hostname: gw-test, appName: bmsgw-tcp, ${fast} }`,
    `    - { name: tls, transport: tls, host: 127.0.0.1, port: ${peer.tlsPort}, hostname: gw-test, appName: bmsgw-tls, ${fast}, ${tls} }`,
    `    - { name: bsd, transport: tcp, host: 127.0.0.1, port: ${peer.tcpPort}, format: rfc3164, hostname: gw-bsd, appName: bmsgw-bsd, ${fast}, filter: { minSeverity: critical } }`,
    `    - { name: small, transport: tcp, host: 127.0.0.1, port: ${peer.tcpPort}, hostname: gw-test, appName: bmsgw-small, queueSize: 5, ${fast}, filter: { events: [charge-disconnect-tripped] } }`,
  ].join("\n");
}

describe("syslog forwarding to a real rsyslogd", () => {
  let dir: string;
  let certs: TestCertificates;
  let peer: RsyslogPeer;
  let gateway: TestGateway;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "bmsgw-syslog-"));
    certs = makeTestCertificates(dir);
    peer = await RsyslogPeer.start(dir, certs);
    gateway = await startTestGateway(smallPlantYaml({ strings: 2, blocks: 4, extra: syslogYaml(peer, certs) }));
    // The TCP and TLS destinations are connected once health says so.
    const deadline = Date.now() + 10_000;
    while (gateway.health().find((h) => h.component === "syslog")?.state !== "ok") {
      if (Date.now() > deadline) throw new Error(`syslog not ok: ${JSON.stringify(gateway.health())}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  after(async () => {
    await gateway?.close();
    await peer?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const byApp = (lines: ParsedLine[], app: string) => lines.filter((l) => l.appName === app);

  it("delivers an alarm over UDP, TCP and TLS with hostname, app-name, msgid, severity and escaped structured data", async () => {
    gateway.bus.emit(
      "event",
      record({
        eventId: 102,
        name: "block-voltage-low",
        stringId: 1,
        block: 17,
        value: 1.712,
        threshold: 1.75,
        detail: { note: 'a "quoted" \\ path]' },
        text: "Block 17 of string 1 below the low warning level",
      }),
    );
    const lines = await peer.waitForLines((ls) =>
      ["bmsgw-udp", "bmsgw-tcp", "bmsgw-tls"].every((app) =>
        byApp(ls, app).some((l) => l.msgId === "block-voltage-low"),
      ),
    );
    const expectedSd =
      '[bms@32473 string="1" block="17" event="102" state="raised" kind="alarm-raised" value="1.712" threshold="1.75" note="a \\"quoted\\" \\\\ path\\]"]';
    for (const app of ["bmsgw-udp", "bmsgw-tcp", "bmsgw-tls"]) {
      const line = byApp(lines, app).find((l) => l.msgId === "block-voltage-low");
      assert.ok(line, app);
      assert.equal(line.hostname, "gw-test");
      assert.equal(line.severity, 4, "warning maps to syslog severity 4");
      assert.ok(line.structuredData.startsWith(expectedSd), `${app}: ${line.structuredData}`);
      assert.match(line.structuredData, /\[meta sequenceId="\d+"\]$/);
      assert.equal(line.msg, "Block 17 of string 1 below the low warning level");
    }
    assert.equal(byApp(lines, "bmsgw-udp")[0]?.facility, LOCAL3);
    assert.equal(byApp(lines, "bmsgw-tcp")[0]?.facility, 16, "local0 is the default facility");
  });

  it("maps critical to severity 2 and a cleared alarm to notice, and the RFC 3164 destination receives only critical", async () => {
    gateway.bus.emit(
      "event",
      record({ eventId: 113, name: "thermal-runaway", severity: "critical", stringId: 2, block: 3, text: "runaway" }),
    );
    gateway.bus.emit(
      "event",
      record({
        eventId: 113,
        name: "thermal-runaway",
        kind: "alarm-cleared",
        severity: "critical",
        stringId: 2,
        block: 3,
        text: "runaway over",
      }),
    );
    gateway.bus.emit("event", record({ eventId: 205, name: "string-current-high", stringId: 2, text: "current high" }));
    const lines = await peer.waitForLines(
      (ls) =>
        byApp(ls, "bmsgw-tcp").some((l) => l.msgId === "string-current-high") && byApp(ls, "bmsgw-bsd").length >= 2,
    );
    const tcp = byApp(lines, "bmsgw-tcp").filter((l) => l.msgId === "thermal-runaway");
    assert.deepEqual(
      tcp.map((l) => l.severity),
      [2, 5],
    );
    const bsd = byApp(lines, "bmsgw-bsd");
    assert.equal(bsd.length, 2, "the warning did not pass the critical filter");
    assert.ok(bsd.every((l) => l.hostname === "gw-bsd"));
    assert.deepEqual(
      bsd.map((l) => l.severity),
      [2, 5],
    );
    assert.match(bsd[0]?.msg ?? "", /^thermal-runaway: runaway string=2 block=3 event=113 state=raised/);
  });

  it("forwards the poller's device-comm-lost event and audit records of commands", async () => {
    await allDevicesOk(gateway);
    const result = await gateway.commands.run(SYSTEM_PRINCIPAL, { kind: "sim", args: ["offline", "1/3"] });
    assert.ok(result.ok, JSON.stringify(result));
    const lines = await peer.waitForLines(
      (ls) =>
        byApp(ls, "bmsgw-tls").some((l) => l.msgId === "device-comm-lost") &&
        byApp(ls, "bmsgw-tls").some((l) => l.msgId === "command"),
    );
    const lost = byApp(lines, "bmsgw-tls").find((l) => l.msgId === "device-comm-lost");
    assert.match(lost?.structuredData ?? "", /^\[bms@32473 string="1" block="3" event="312" kind="event"/);
    assert.equal(lost?.severity, 4);
    const audit = byApp(lines, "bmsgw-tls").find((l) => l.msgId === "command");
    assert.match(audit?.structuredData ?? "", /event="406" kind="audit" user="system"/);
    assert.equal(audit?.severity, 6);
    await gateway.commands.run(SYSTEM_PRINCIPAL, { kind: "sim", args: ["online", "1/3"] });
  });

  it("loses no TCP or TLS message when rsyslog restarts during a burst", async () => {
    const total = 400;
    const firstPid = peer.pid;
    let restarted: Promise<void> | undefined;
    for (let i = 1; i <= total; i++) {
      gateway.bus.emit("event", record({ eventId: 202, name: "string-voltage-low", stringId: 1, text: `burst ${i}` }));
      if (i === 150) restarted = peer.restart();
      if (i % 10 === 0) await new Promise((r) => setTimeout(r, 10));
    }
    await restarted;
    assert.notEqual(peer.pid, firstPid, "rsyslogd was restarted");
    const missing = (ls: ParsedLine[], app: string) => {
      const seen = new Set(byApp(ls, app).map((l) => l.msg));
      return Array.from({ length: total }, (_, i) => `burst ${i + 1}`).filter((m) => !seen.has(m));
    };
    const lines = await peer
      .waitForLines((ls) => missing(ls, "bmsgw-tcp").length === 0 && missing(ls, "bmsgw-tls").length === 0, 20_000)
      .catch((error: Error) => {
        const ls = peer.lines();
        throw new Error(
          `${error.message}; missing tcp ${missing(ls, "bmsgw-tcp").length}, tls ${missing(ls, "bmsgw-tls").length}`,
        );
      });
    assert.equal(missing(lines, "bmsgw-tcp").length, 0);
    assert.equal(missing(lines, "bmsgw-tls").length, 0);
    const counters = gateway.health().find((h) => h.component === "syslog")?.counters ?? {};
    assert.ok((counters.resent ?? 0) > 0, "the restart broke the connections and recent messages were sent again");
  });

  it("drops the oldest messages beyond the queue bound while the server is down and reports how many", async () => {
    await peer.stop();
    // Let every stream destination notice the closed connection before the events arrive.
    const deadline = Date.now() + 10_000;
    while (
      !gateway
        .health()
        .find((h) => h.component === "syslog")
        ?.text.includes("small: reconnecting")
    ) {
      if (Date.now() > deadline) throw new Error("syslog never reported the server down");
      await new Promise((r) => setTimeout(r, 20));
    }
    for (let i = 1; i <= 20; i++)
      gateway.bus.emit(
        "event",
        record({
          eventId: 209,
          name: "charge-disconnect-tripped",
          severity: "critical",
          stringId: 1,
          text: `trip ${i}`,
        }),
      );
    await peer.launch();
    const lines = await peer.waitForLines((ls) => byApp(ls, "bmsgw-small").length >= 6);
    const small = byApp(lines, "bmsgw-small");
    assert.equal(small[0]?.msgId, "syslog-queue-overflow");
    assert.match(small[0]?.structuredData ?? "", /^\[bms@32473 dropped="15"\]/);
    assert.equal(small[0]?.severity, 4);
    assert.deepEqual(
      small.slice(1).map((l) => l.msg),
      ["trip 16", "trip 17", "trip 18", "trip 19", "trip 20"],
    );
    const health = gateway.health().find((h) => h.component === "syslog");
    assert.equal(health?.counters.dropped, 15);
  });

  it("bmsgw notify test sends a test message to the named destination", async () => {
    const file = join(dir, "notify.yaml");
    writeFileSync(
      file,
      smallPlantYaml({
        strings: 1,
        blocks: 2,
        extra: [
          "notifications:",
          "  syslog:",
          `    - { name: probe, transport: tls, host: 127.0.0.1, port: ${peer.tlsPort}, hostname: gw-notify, appName: bmsgw-notify, tls: { caFile: ${certs.caFile}, certFile: ${certs.clientCertFile}, keyFile: ${certs.clientKeyFile} } }`,
          `    - { name: dead, transport: tcp, host: 127.0.0.1, port: 1, enabled: false }`,
        ].join("\n"),
      }),
    );
    assert.equal(await notifyCommand.run(["test", "probe", "--config", file]), 0);
    const lines = await peer.waitForLines((ls) => byApp(ls, "bmsgw-notify").length > 0);
    const line = byApp(lines, "bmsgw-notify")[0];
    assert.equal(line?.msgId, "notification-test");
    assert.equal(line?.hostname, "gw-notify");
    assert.equal(await notifyCommand.run(["test", "dead", "--config", file, "--timeout", "500"]), 4);
    assert.equal(await notifyCommand.run(["test", "nowhere", "--config", file]), 2);
  });
});
