import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { gatewayConfigSchema } from "../../src/app/config-schema.js";
import { EVENT_CATALOGUE } from "../../src/core/alarms/catalogue.js";
import { parseConfig } from "../../src/core/config/load.js";
import { escapeParamValue, formatRfc5424, frameOctetCounting } from "../../src/protocols/syslog/codec.js";
import { msgId } from "../../src/protocols/syslog/mapping.js";
import { smallPlantYaml } from "../helpers/gateway.js";

function errorsOf(extra: string): string[] {
  const result = parseConfig(gatewayConfigSchema, smallPlantYaml({ strings: 1, blocks: 2, extra }));
  return result.ok ? [] : result.errors.map((e) => `${e.path}: ${e.message}`);
}

describe("syslog and e-mail configuration and wire format", () => {
  it("gives every catalogue event a distinct MSGID of 1 to 32 printable characters", () => {
    const ids = EVENT_CATALOGUE.map((d) => msgId(d.name));
    for (const id of ids) assert.match(id, /^[!-~]{1,32}$/);
    assert.equal(new Set(ids).size, ids.length);
  });

  it("escapes quote, backslash and closing bracket in structured-data values", () => {
    assert.equal(escapeParamValue('a"b\\c]d'), 'a\\"b\\\\c\\]d');
  });

  it("frames a message by its length in UTF-8 octets", () => {
    const text = formatRfc5424({
      facility: 16,
      severity: 6,
      time: Date.UTC(2025, 0, 2, 3, 4, 5, 6),
      hostname: "gw",
      appName: "bmsgw",
      procId: "1",
      msgId: "",
      structuredData: [],
      text: "temperature 25 °C",
    });
    assert.equal(text, "<134>1 2025-01-02T03:04:05.006Z gw bmsgw 1 - - temperature 25 °C");
    const frame = frameOctetCounting(text);
    assert.equal(frame.toString("utf8"), `${Buffer.byteLength(text)} ${text}`);
  });

  it("rejects an unknown event name and a client certificate without key, naming each path", () => {
    const errors = errorsOf(
      [
        "notifications:",
        "  syslog:",
        "    - { host: 127.0.0.1, transport: tls, tls: { certFile: /x.pem }, filter: { events: [no-such-event] } }",
      ].join("\n"),
    );
    assert.ok(
      errors.some((e) => e.startsWith("notifications.syslog[0].filter.events[0]: unknown event no-such-event")),
      errors.join("\n"),
    );
    assert.ok(
      errors.some((e) => e.startsWith("notifications.syslog[0].tls.keyFile:")),
      errors.join("\n"),
    );
  });

  it("names destinations after transport, host and port and defaults the TLS port to 6514", () => {
    const result = parseConfig(
      gatewayConfigSchema,
      smallPlantYaml({ extra: "notifications:\n  syslog:\n    - { host: logs.example.com, transport: tls }" }),
    );
    assert.ok(result.ok);
    const [destination] = result.config.notifications.syslog;
    assert.equal(destination?.name, "tls-logs.example.com-6514");
    assert.equal(destination?.format, "rfc5424");
  });

  it("requires host, sender and recipients for enabled e-mail and refuses auth without encryption", () => {
    assert.deepEqual(errorsOf("notifications:\n  email: { enabled: true }"), [
      "notifications.email.host: e-mail needs the SMTP host",
      "notifications.email.from: e-mail needs a from address",
      "notifications.email.recipients: e-mail needs at least one recipient",
    ]);
    const errors = errorsOf(
      "notifications:\n  email: { enabled: true, host: h, from: a@b.example, recipients: { critical: [c@d.example] }, security: none, auth: { user: u, pass: p } }",
    );
    assert.deepEqual(errors, [
      "notifications.email.security: auth would send the password in clear; use starttls or tls",
    ]);
  });
});
