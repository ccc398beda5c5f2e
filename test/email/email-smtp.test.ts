import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { notifyCommand } from "../../src/cli/commands/notify.js";
import type { EventRecord } from "../../src/core/events.js";
import { smallPlantYaml, startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { makeTestCertificates, type TestCertificates } from "../syslog/tls-certs.js";
import { SmtpPeer } from "./smtp-peer.js";

function record(fields: Partial<EventRecord> & Pick<EventRecord, "eventId" | "name" | "text">): EventRecord {
  return { seq: 0, time: Date.parse("2025-03-04T05:06:07Z"), kind: "alarm-raised", severity: "critical", ...fields };
}

const CRITICAL = ["oncall@example.com", "lead@example.com"];
const WARNING = ["team@example.com"];

interface Variant {
  pass?: string;
  rate?: string;
}

function emailYaml(peer: SmtpPeer, certs: TestCertificates, extra: Variant = {}): string {
  return [
    "notifications:",
    "  email:",
    "    enabled: true",
    "    host: 127.0.0.1",
    `    port: ${peer.port}`,
    "    security: starttls",
    `    tls: { caFile: ${certs.caFile} }`,
    `    auth: { user: gateway, pass: ${extra.pass ?? "s3cret"} }`,
    "    from: bmsgw@example.com",
    `    recipients: { critical: [${CRITICAL.join(", ")}], warning: [${WARNING.join(", ")}] }`,
    "    webUiUrl: https://bms.example.com",
    `    rateLimit: ${extra.rate ?? "{ maxMessages: 100, window: 1h }"}`,
    "    digestWindow: 300ms",
    "    retry: { attempts: 3, initialDelay: 50ms, maxDelay: 200ms }",
    "    timeout: 5s",
  ].join("\n");
}

describe("e-mail notification to a real SMTP server", () => {
  let dir: string;
  let certs: TestCertificates;
  let peer: SmtpPeer;
  const gateways: TestGateway[] = [];

  const start = async (extra: Variant = {}, server: SmtpPeer = peer) => {
    const gateway = await startTestGateway(
      smallPlantYaml({ strings: 1, blocks: 20, extra: emailYaml(server, certs, extra) }),
    );
    gateways.push(gateway);
    return gateway;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "bmsgw-email-"));
    certs = makeTestCertificates(dir);
    peer = new SmtpPeer({
      certFile: certs.serverCertFile,
      keyFile: certs.serverKeyFile,
      user: "gateway",
      pass: "s3cret",
    });
    await peer.listen();
  });

  after(async () => {
    for (const gateway of gateways) await gateway.close();
    await peer?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("mails a critical alarm over STARTTLS with authentication to the critical recipients, with a readable subject and body", async () => {
    peer.mails.length = 0;
    const gateway = await start();
    gateway.bus.emit(
      "event",
      record({
        eventId: 104,
        name: "block-voltage-low-alarm",
        stringId: 1,
        block: 17,
        value: 10.512,
        threshold: 10.8,
        text: "Block 17 of string 1 below the low alarm level",
      }),
    );
    const [mail] = await peer.waitForMails(1);
    assert.ok(mail);
    assert.equal(mail.secure, true, "the session was upgraded with STARTTLS");
    assert.equal(mail.user, "gateway");
    assert.equal(mail.from, "bmsgw@example.com");
    assert.deepEqual(mail.to, CRITICAL);
    assert.equal(mail.subject, "[CRITICAL] Test plant: block-voltage-low-alarm raised - string 1 block 17");
    assert.equal(mail.headers.get("auto-submitted"), "auto-generated");
    for (const line of [
      "Block 17 of string 1 below the low alarm level",
      "Site:       Test plant (Lab)",
      "String:     1",
      "Block:      17",
      "Value:      10.512",
      "Threshold:  10.8",
      "Severity:   critical",
      "Time:       2025-03-04 05:06:07 UTC",
      "Web UI: https://bms.example.com",
    ])
      assert.ok(mail.body.includes(line), `body lacks "${line}":\n${mail.body}`);
  });

  it("mails a warning only to the warning recipients and filters out info events", async () => {
    peer.mails.length = 0;
    const gateway = gateways[0] as TestGateway;
    gateway.bus.emit(
      "event",
      record({ eventId: 206, name: "discharge", severity: "info", stringId: 1, text: "discharging" }),
    );
    gateway.bus.emit(
      "event",
      record({
        eventId: 202,
        name: "string-voltage-low",
        severity: "warning",
        stringId: 1,
        text: "string low",
        kind: "alarm-cleared",
      }),
    );
    const mails = await peer.waitForMails(1);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(mails.length, 1);
    assert.deepEqual(mails[0]?.to, WARNING);
    assert.equal(mails[0]?.subject, "[WARNING] Test plant: string-voltage-low cleared - string 1");
  });

  it("retries a mail the server refused with a temporary 451", async () => {
    peer.mails.length = 0;
    peer.failNext = 2;
    const gateway = gateways[0] as TestGateway;
    gateway.bus.emit(
      "event",
      record({ eventId: 113, name: "thermal-runaway", stringId: 1, block: 2, text: "runaway" }),
    );
    const [mail] = await peer.waitForMails(1);
    assert.equal(peer.failNext, 0, "both refusals were seen");
    assert.match(mail?.subject ?? "", /thermal-runaway raised/);
    const health = gateway.health().find((h) => h.component === "email");
    assert.equal(health?.counters.retries, 2);
  });

  it("sends the first mails of a burst singly and the rest as one digest once the rate limit is reached", async () => {
    peer.mails.length = 0;
    const gateway = await start({ rate: "{ maxMessages: 3, window: 1h }" });
    for (let block = 1; block <= 12; block++)
      gateway.bus.emit(
        "event",
        record({
          eventId: 106,
          name: "block-temperature-high-alarm",
          stringId: 1,
          block,
          value: 55 + block,
          threshold: 50,
          text: `hot ${block}`,
        }),
      );
    const mails = await peer.waitForMails(4);
    await new Promise((r) => setTimeout(r, 600)); // a second digest window passes: nothing more may arrive
    assert.equal(peer.mails.length, 4);
    const singles = mails
      .slice(0, 3)
      .map((m) => m.subject)
      .sort();
    assert.deepEqual(
      singles,
      [1, 2, 3].map((b) => `[CRITICAL] Test plant: block-temperature-high-alarm raised - string 1 block ${b}`).sort(),
    );
    const digest = mails[3];
    assert.equal(digest?.subject, "[CRITICAL] Test plant: 9 events (digest)");
    assert.deepEqual(digest?.to, CRITICAL);
    for (let block = 4; block <= 12; block++)
      assert.ok(
        digest?.body.includes(`string 1 block ${block} value ${55 + block} threshold 50: hot ${block}`),
        digest?.body,
      );
    assert.match(digest?.body ?? "", /limit of 3 mails per 1 h/);
    assert.equal(gateway.health().find((h) => h.component === "email")?.counters.digested, 9);
  });

  it("does not retry when the server rejects the credentials, and counts the failure", async () => {
    peer.mails.length = 0;
    const before = peer.authFailures;
    const gateway = await start({ pass: "wrong" });
    gateway.bus.emit(
      "event",
      record({ eventId: 113, name: "thermal-runaway", stringId: 1, block: 5, text: "runaway" }),
    );
    const deadline = Date.now() + 10_000;
    while (!gateway.health().find((h) => h.component === "email")?.counters.failed) {
      if (Date.now() > deadline) throw new Error("no failure counted");
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(peer.authFailures - before, 1, "one attempt, no retries");
    assert.equal(peer.mails.length, 0);
  });

  it("refuses to send when the server does not offer STARTTLS", async () => {
    const plain = new SmtpPeer({
      certFile: certs.serverCertFile,
      keyFile: certs.serverKeyFile,
      user: "gateway",
      pass: "s3cret",
      noStartTls: true,
    });
    await plain.listen();
    try {
      const gateway = await start({}, plain);
      gateway.bus.emit(
        "event",
        record({ eventId: 113, name: "thermal-runaway", stringId: 1, block: 6, text: "runaway" }),
      );
      const deadline = Date.now() + 10_000;
      while (!gateway.health().find((h) => h.component === "email")?.counters.failed) {
        if (Date.now() > deadline) throw new Error("no failure counted");
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(plain.connections, 1, "the client connected once and gave up");
      assert.equal(plain.mails.length, 0);
      assert.equal(plain.authFailures, 0, "no credentials were sent in clear");
    } finally {
      await plain.close();
    }
  });

  it("bmsgw notify test email sends a test mail to every recipient", async () => {
    peer.mails.length = 0;
    const file = join(dir, "notify.yaml");
    writeFileSync(file, smallPlantYaml({ strings: 1, blocks: 2, extra: emailYaml(peer, certs) }));
    assert.equal(await notifyCommand.run(["test", "email", "--config", file]), 0);
    const [mail] = await peer.waitForMails(1);
    assert.deepEqual(mail?.to.sort(), [...CRITICAL, ...WARNING].sort());
    assert.equal(mail?.subject, "[INFO] Test plant: notification-test");
    assert.equal(mail?.secure, true);
  });
});
