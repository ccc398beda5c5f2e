import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { smallPlantYaml } from "../helpers/gateway.js";

const CLI = ["--import", "tsx", "src/cli/main.ts"];

function bmsgw(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...CLI, ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe("bmsgw command line", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "bmsgw-cli-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("check-config accepts the demo and counts its blocks", async () => {
    const r = await bmsgw(["check-config", "config/demo.yaml"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /valid — 4 bus\(es\), 4 string\(s\), 480 blocks/);
  });

  it("check-config exits 3 and prints every error with file, line and path", async () => {
    const file = join(dir, "bad.yaml");
    writeFileSync(
      file,
      "buses:\n  - id: b1\n    transport: { type: serial }\nstrings:\n  - { id: 1, bus: b2, blocks: 0, probes: { address: 1 } }\n",
    );
    const r = await bmsgw(["check-config", file]);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /E_CONFIG/);
    assert.match(r.stderr, new RegExp(`${file}:3: buses\\[0\\]\\.transport\\.path`));
    assert.match(r.stderr, /strings\[0\]\.blocks/);
  });

  it("an unknown command exits 2 with the command list", async () => {
    const r = await bmsgw(["frobnicate"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown command "frobnicate"/);
    assert.match(r.stderr, /check-config/);
  });

  it("discover finds the simulated devices and reports what the configuration lacks", async () => {
    const file = join(dir, "plant.yaml");
    writeFileSync(file, smallPlantYaml({ strings: 1, blocks: 3 }).replace(/storage:.*\n/, ""));
    const ok = await bmsgw(["discover", "--bus", "bus1", "--config", file, "--addresses", "1-5,200-230", "--json"]);
    assert.equal(ok.code, 0, ok.stderr);
    const report = JSON.parse(ok.stdout);
    assert.deepEqual(
      report.found.map((f: { address: number; type: string }) => `${f.address}:${f.type}`),
      ["1:cell-probe", "2:cell-probe", "3:cell-probe", "201:string-sensor", "210:env-sensor", "220:relay-module"],
    );
    assert.deepEqual(report.missing, []);
  });

  describe("a running gateway", () => {
    let gateway: ChildProcess;
    let output = "";
    let config: string;
    before(async () => {
      config = join(dir, "running.yaml");
      writeFileSync(config, `${smallPlantYaml({ strings: 1, blocks: 4 })}storage: { path: ${join(dir, "var")} }\n`);
      gateway = spawn(process.execPath, [...CLI, "start", "--config", config], { stdio: ["ignore", "pipe", "pipe"] });
      gateway.stdout?.on("data", (d) => {
        output += d;
      });
      gateway.stderr?.on("data", (d) => {
        output += d;
      });
      const deadline = Date.now() + 30_000;
      while (!output.includes("bms-gateway started")) {
        if (Date.now() > deadline || gateway.exitCode !== null) throw new Error(`gateway did not start:\n${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    });
    after(() => {
      if (gateway.exitCode === null) gateway.kill("SIGKILL");
    });

    it("logs a banner with the site, buses, strings and the simulator's listeners as JSON when not on a TTY", () => {
      const lines = output
        .trim()
        .split("\n")
        // The first-start admin password is framed for humans, not a log record.
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as { msg: string });
      const text = lines.map((l) => l.msg).join("\n");
      assert.match(text, /site "Test plant" \(Lab\)/);
      assert.match(text, /bus bus1: simulated 115200 baud, 7 devices/);
      assert.match(text, /string 1 "String 1": 4 × 12 V vrla/);
      assert.match(text, /simulator listening on rtu-tcp:\/\/127\.0\.0\.1:\d+/);
    });

    it("takes live simulator commands through the control socket", async () => {
      const r = await bmsgw(["sim", "--config", config, "set", "1/2", "voltage", "11.05"]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /set voltage 11.05 on block 1\/2/);
    });

    it("answers a malformed simulator command with exit 2 and the usage", async () => {
      const r = await bmsgw(["sim", "--config", config, "set", "1/99", "voltage", "11"]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /string 1 has blocks 1\.\.4, not 99/);
    });

    it("runs a scenario file step by step", async () => {
      const file = join(dir, "scenario.yaml");
      writeFileSync(
        file,
        "- { at: 0s, action: discharge, target: all, current: 20 }\n- { at: 200ms, action: float, target: all }\n",
      );
      const r = await bmsgw(["sim", "--config", config, "scenario", file]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /discharge at 20 A on 1 string\(s\)\nfloat on 1 string\(s\)/);
    });

    it("stops cleanly on SIGTERM", async () => {
      const exited = new Promise<number | null>((r) => gateway.once("exit", (code) => r(code)));
      gateway.kill("SIGTERM");
      assert.equal(await exited, 0);
      assert.match(output, /SIGTERM received, stopping/);
    });

    it("reports that no gateway is running once it stopped", async () => {
      const r = await bmsgw(["sim", "--config", config, "status"]);
      assert.equal(r.code, 4);
      assert.match(r.stderr, /cannot reach a running gateway/);
    });
  });
});
