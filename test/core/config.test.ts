import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { gatewayConfigSchema } from "../../src/app/config-schema.js";
import { loadConfigFile, parseConfig } from "../../src/core/config/load.js";

function errorsOf(yaml: string) {
  const result = parseConfig(gatewayConfigSchema, yaml);
  assert.equal(result.ok, false, "the config must be rejected");
  return result.ok ? [] : result.errors;
}

const BUS = "buses:\n  - id: b1\n    transport: { type: rtu-tcp, host: 127.0.0.1, port: 5020 }\n";

describe("configuration validation", () => {
  it("loads the shipped demo and serial example", () => {
    for (const file of ["config/demo.yaml", "config/example-serial.yaml"]) {
      const result = loadConfigFile(gatewayConfigSchema, file);
      assert.ok(result.ok, result.ok ? "" : JSON.stringify(result.errors));
    }
  });

  it("names the path and line of a string that refers to an unknown bus", () => {
    const errors = errorsOf(`${BUS}strings:\n  - id: 1\n    bus: nowhere\n    blocks: 4\n    probes: { address: 1 }\n`);
    const e = errors.find((x) => x.path === "strings[0].bus");
    assert.ok(e, JSON.stringify(errors));
    assert.equal(e.line, 6);
    assert.match(e.message, /unknown bus "nowhere"/);
  });

  it("rejects two devices on one address of a bus, naming the first owner", () => {
    const errors = errorsOf(
      `${BUS}strings:\n  - { id: 1, bus: b1, blocks: 4, probes: { address: 1 } }\n  - { id: 2, bus: b1, blocks: 4, probes: { address: 3 } }\n`,
    );
    const e = errors.find((x) => x.path === "strings[1].probes.address");
    assert.ok(e, JSON.stringify(errors));
    assert.match(e.message, /address 3 on bus "b1" is already used by string 1 probe 3/);
  });

  it("rejects a misspelt key instead of ignoring it", () => {
    const errors = errorsOf(
      `${BUS}strings:\n  - { id: 1, bus: b1, blocks: 4, probes: { address: 1 }, capacityAH: 100 }\n`,
    );
    assert.ok(
      errors.some((e) => e.path === "strings[0]" && /capacityAH/.test(e.message)),
      JSON.stringify(errors),
    );
  });

  it("reports wrong types and ranges with their paths", () => {
    const errors = errorsOf(
      "buses:\n  - id: b1\n    transport: { type: serial, path: /dev/ttyUSB0, parity: maybe }\n    timing: { timeout: soon }\n",
    );
    const paths = errors.map((e) => e.path);
    assert.ok(paths.includes("buses[0].transport.parity"), paths.join());
    assert.ok(paths.includes("buses[0].timing.timeout"), paths.join());
  });

  it("reports a YAML syntax error with its line", () => {
    const errors = errorsOf("site:\n  name: [unclosed\nbuses: []\n");
    assert.equal(errors[0]?.path, "(yaml)");
    assert.ok((errors[0]?.line ?? 0) >= 2);
  });

  it("refuses more blocks than a string master's addresses can hold", () => {
    const errors = errorsOf(
      `${BUS}strings:\n  - { id: 1, bus: b1, blocks: 300, probes: { profile: string-master, address: [1, 2] } }\n`,
    );
    assert.ok(errors.some((e) => e.path === "strings[0].probes.address" && /need 3 string-master/.test(e.message)));
  });

  it("refuses an unknown device profile", () => {
    const errors = errorsOf(
      `${BUS}strings:\n  - { id: 1, bus: b1, blocks: 4, probes: { profile: bp999, address: 1 } }\n`,
    );
    assert.ok(
      errors.some((e) => e.path === "strings[0].probes.profile" && /unknown device profile "bp999"/.test(e.message)),
    );
  });

  it("converts durations with units to milliseconds", () => {
    const result = parseConfig(
      gatewayConfigSchema,
      `${BUS}`.replace("port: 5020 }", "port: 5020 }\n    timing: { timeout: 1.5s, pollInterval: 2m }"),
    );
    assert.ok(result.ok);
    assert.equal(result.ok && result.config.buses[0]?.timing.timeout, 1500);
    assert.equal(result.ok && result.config.buses[0]?.timing.pollInterval, 120_000);
  });
});
