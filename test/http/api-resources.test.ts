import assert from "node:assert/strict";
import { request as httpsRequest } from "node:https";
import { after, before, describe, test } from "node:test";
import type { ActiveAlarm } from "../../src/core/events.js";
import { allDevicesOk, sim } from "../helpers/gateway.js";
import { type HttpGateway, login, PASSWORDS, type Session, startHttpGateway } from "./api-helpers.js";

type Json = Record<string, unknown>;

describe("REST resources and roles", () => {
  let h: HttpGateway;
  let admin: Session;
  let operator: Session;
  let viewer: Session;
  before(async () => {
    h = await startHttpGateway({
      blocks: 12,
      extra: "alarms: { raiseDelay: 100ms, clearDelay: 100ms }\nhistory: { interval: 1s }",
    });
    await allDevicesOk(h.gateway);
    admin = await login(h.target, "admin1", PASSWORDS.admin);
    operator = await login(h.target, "operator1", PASSWORDS.operator);
    viewer = await login(h.target, "viewer1", PASSWORDS.viewer);
  });
  after(async () => {
    await h?.close();
  });
  const get = (path: string, session: Session = viewer) => h.target.request("GET", path, { cookie: session.cookie });
  const send = (method: string, path: string, session: Session, body?: unknown) =>
    h.target.request(method, path, {
      cookie: session.cookie,
      csrf: session.csrf,
      ...(body !== undefined ? { body } : {}),
    });

  test("the plant overview lists the site, each string's values and the device counts", async () => {
    const answer = await get("/api/plant");
    assert.equal(answer.status, 200);
    const plant = answer.json as Json & { strings: Json[]; devices: Json };
    assert.equal((plant.site as Json).name, "Test plant");
    assert.equal(plant.strings.length, 2);
    assert.equal(plant.blockCount, 24);
    const first = plant.strings[0] as Json & { values: Json; quality: Json };
    assert.equal(first.id, 1);
    assert.equal(typeof first.values.voltage, "number");
    assert.equal(first.values.chargeState, "float");
    assert.equal(first.quality.voltage, "good");
    assert.equal(plant.devices.ok, plant.devices.total);
  });

  test("a string page of blocks follows offset and limit, and an unknown string is 404", async () => {
    const page = (await get("/api/strings/2/blocks?offset=10&limit=5")).json as Json & { blocks: Json[] };
    assert.equal(page.total, 12);
    assert.deepEqual(
      page.blocks.map((b) => b.block),
      [11, 12],
    );
    const block = page.blocks[0] as Json;
    for (const key of ["voltage", "temperature", "resistance", "soc", "soh"])
      assert.equal(typeof block[key], "number", key);
    assert.equal(block.quality, "good");
    assert.equal(typeof (page.thresholds as { blockVoltage: Json }).blockVoltage.highAlarm, "number");
    const missing = await get("/api/strings/9/blocks");
    assert.equal(missing.status, 404);
    assert.equal((missing.json as Json).code, "E_HTTP_NO_STRING");
  });

  test("one block shows its samples with quality and time; a block past the end is 404", async () => {
    const block = (await get("/api/strings/1/blocks/3")).json as Json & { samples: Record<string, Json> };
    assert.equal(block.block, 3);
    assert.equal(block.samples.voltage?.quality, "good");
    assert.ok(Number(block.samples.voltage?.time) > 0);
    assert.equal((await get("/api/strings/1/blocks/13")).status, 404);
  });

  test("the string list, string detail and buses show the configured plant", async () => {
    const strings = (await get("/api/strings")).json as Json[];
    assert.deepEqual(
      strings.map((s) => s.id),
      [1, 2],
    );
    const detail = (await get("/api/strings/1")).json as Json;
    assert.equal(detail.blockCount, 12);
    assert.ok(detail.thresholds);
    const buses = (await get("/api/buses")).json as { id: string; devices: Json[] }[];
    assert.deepEqual(
      buses.map((b) => b.id),
      ["bus1", "bus2"],
    );
    const probe = buses[0]?.devices.find((d) => d.role === "blocks");
    assert.equal(probe?.comm, "ok");
    assert.ok(Number(probe?.transactions) > 0);
  });

  test("a raised block alarm is listed; a viewer cannot acknowledge it, an operator can", async () => {
    await sim(h.gateway, "set", "1/5", "voltage", "15.5");
    const snapshot = await h.gateway.waitFor((s) => s.alarms.some((a) => a.stringId === 1 && a.block === 5));
    const alarm = snapshot.alarms.find((a) => a.stringId === 1 && a.block === 5) as ActiveAlarm;
    const listed = (await get("/api/alarms?stringId=1&severity=warning,critical")).json as ActiveAlarm[];
    assert.ok(listed.some((a) => a.id === alarm.id));
    const page = (await get("/api/strings/1/blocks?offset=4&limit=1")).json as { blocks: Json[] };
    assert.ok(["warning", "critical"].includes(String(page.blocks[0]?.alarm)));
    const refused = await send("POST", `/api/alarms/${alarm.id}/acknowledge`, viewer);
    assert.equal(refused.status, 403);
    assert.equal((refused.json as Json).code, "E_FORBIDDEN");
    const done = await send("POST", `/api/alarms/${alarm.id}/acknowledge`, operator);
    assert.equal(done.status, 200, done.text);
    const after = (await get("/api/alarms?unacknowledged=false")).json as ActiveAlarm[];
    assert.equal(after.find((a) => a.id === alarm.id)?.acknowledgedBy, "operator1");
    const unknown = await send("POST", "/api/alarms/999999/acknowledge", operator);
    assert.equal(unknown.status, 404);
    await sim(h.gateway, "set", "1/5", "voltage", "auto");
  });

  test("events filter by kind and string and export as CSV; audit records are hidden from viewers", async () => {
    await h.gateway.services.eventLog?.flush();
    const raised = (await get("/api/events?kind=alarm-raised&stringId=1")).json as { total: number; events: Json[] };
    assert.ok(raised.total >= 1);
    assert.ok(raised.events.every((e) => e.kind === "alarm-raised" && e.stringId === 1));
    const viewerAll = (await get("/api/events?limit=1000")).json as { events: Json[] };
    assert.ok(viewerAll.events.every((e) => e.kind !== "audit"));
    const adminAudit = (await get("/api/events?kind=audit", admin)).json as { events: Json[] };
    assert.ok(adminAudit.events.some((e) => e.name === "login-success"));
    assert.equal((await get("/api/events?kind=audit")).status, 403);
    const csv = await get("/api/events.csv?kind=alarm-raised");
    assert.equal(csv.status, 200);
    assert.match(String(csv.headers["content-type"]), /^text\/csv/);
    assert.match(String(csv.headers["content-disposition"]), /attachment/);
    const lines = csv.text.trim().split(/\r?\n/);
    assert.ok(lines.length >= 2, csv.text);
    assert.match(lines[1] ?? "", /alarm-raised/);
  });

  test("history of a block and of a string comes back as columns", async () => {
    await h.gateway.waitFor((s) => s.version > 30);
    const block = (await get("/api/strings/1/blocks/2/history?point=voltage&resolution=raw")).json as Json & {
      time: number[];
      avg: number[];
    };
    assert.equal(block.point, "block.voltage");
    assert.equal(block.time.length, block.avg.length);
    const string = await get(`/api/strings/1/history?point=current&from=${Date.now() - 3_600_000}`);
    assert.equal(string.status, 200, string.text);
    const bad = await get("/api/strings/1/history?point=nonsense");
    assert.equal(bad.status, 400);
    assert.equal((bad.json as Json).path, "query.point");
  });

  test("discharge records and the weak-block ranking answer lists", async () => {
    const discharges = await get("/api/discharges?stringId=1");
    assert.equal(discharges.status, 200);
    assert.ok(Array.isArray(discharges.json));
    assert.equal((await get("/api/discharges/424242")).status, 404);
    const ranking = await get("/api/analysis/ranking?all=true&limit=5");
    assert.equal(ranking.status, 200);
    assert.ok(Array.isArray(ranking.json));
  });

  test("settings: everyone reads them; a viewer cannot change them; an admin's bad value is 400 with the path", async () => {
    const list = (await get("/api/settings")).json as { settings: Json[] };
    const high = list.settings.find((s) => s.name === "blockVoltageHighAlarm");
    assert.equal(high?.path, "alarms.thresholds.blockVoltage.highAlarm");
    const refused = await send("PUT", "/api/settings/blockVoltageHighAlarm", viewer, { value: 14.6 });
    assert.equal(refused.status, 403);
    const wrongType = await send("PUT", "/api/settings/blockVoltageHighAlarm", admin, { value: "high" });
    assert.equal(wrongType.status, 400);
    assert.equal((wrongType.json as Json).path, "body.value");
    const invalid = await send("PUT", "/api/config", admin, {
      path: "alarms.thresholds.blockVoltage.highAlarm",
      value: "x",
    });
    assert.equal(invalid.status, 400, invalid.text);
    assert.equal((invalid.json as Json).code, "E_CONFIG_INVALID");
    assert.match(String((invalid.json as Json).path), /alarms\.thresholds\.blockVoltage\.highAlarm/);
    const ok = await send("PUT", "/api/settings/blockVoltageHighAlarm", admin, { value: 14.65 });
    assert.equal(ok.status, 200, ok.text);
    const after = (await get("/api/settings")).json as { settings: Json[] };
    assert.equal(after.settings.find((s) => s.name === "blockVoltageHighAlarm")?.value, 14.65);
    assert.equal((await get("/api/config")).status, 403);
    const config = (await get("/api/config", admin)).json as { protocols: Json };
    assert.ok(config.protocols);
  });

  test("users: a viewer cannot list or add users; an admin adds, changes and deletes one", async () => {
    assert.equal((await get("/api/users")).status, 403);
    const refused = await send("POST", "/api/users", viewer, {
      name: "eve",
      password: "eve-password-1",
      roles: ["admin"],
    });
    assert.equal(refused.status, 403);
    const bad = await send("POST", "/api/users", admin, { name: "bob", password: "bob-password-1", roles: ["root"] });
    assert.equal(bad.status, 400);
    assert.equal((bad.json as Json).path, "body.roles.0");
    const added = await send("POST", "/api/users", admin, {
      name: "bob",
      password: "bob-password-1",
      roles: ["viewer"],
    });
    assert.equal(added.status, 201, added.text);
    assert.equal((added.json as Json).mustChangePassword, true);
    const duplicate = await send("POST", "/api/users", admin, {
      name: "bob",
      password: "bob-password-1",
      roles: ["viewer"],
    });
    assert.equal(duplicate.status, 409);
    const changed = await send("PUT", "/api/users/bob", admin, { roles: ["operator"] });
    assert.deepEqual((changed.json as Json).roles, ["operator"]);
    const users = (await get("/api/users", admin)).json as Json[];
    assert.ok(users.some((u) => u.name === "bob") && users.every((u) => !("hash" in u)));
    assert.equal((await send("DELETE", "/api/users/bob", admin)).status, 200);
    assert.equal((await send("DELETE", "/api/users/bob", admin)).status, 404);
  });

  test("API tokens: admins create them, a token acts with its role only, and a revoked token is refused", async () => {
    const created = await send("POST", "/api/tokens", admin, { name: "nagios", role: "viewer" });
    assert.equal(created.status, 201, created.text);
    const { token, info } = created.json as { token: string; info: { id: string } };
    assert.match(token, /^bmsgw_[a-f0-9]{12}\.[A-Za-z0-9_-]{43}$/);
    assert.equal((await h.target.request("GET", "/api/plant", { token })).status, 200);
    const write = await h.target.request("PUT", "/api/settings/blockVoltageHighAlarm", {
      token,
      body: { value: 14.5 },
    });
    assert.equal(write.status, 403);
    const listed = (await get("/api/tokens", admin)).json as Json[];
    assert.ok(listed.some((t) => t.id === info.id && !("hash" in t)));
    assert.equal((await send("POST", "/api/tokens", operator, { name: "x", role: "viewer" })).status, 403);
    assert.equal((await send("DELETE", `/api/tokens/${info.id}`, admin)).status, 200);
    const revoked = await h.target.request("GET", "/api/plant", { token });
    assert.equal(revoked.status, 401);
    assert.equal((revoked.json as Json).code, "E_HTTP_TOKEN");
  });

  test("an operator token can acknowledge alarms without a CSRF token", async () => {
    const created = (await send("POST", "/api/tokens", admin, { name: "ops-script", role: "operator" })).json as {
      token: string;
    };
    const answer = await h.target.request("POST", "/api/alarms/all/acknowledge", { token: created.token });
    assert.equal(answer.status, 200, answer.text);
  });

  test("health lists every component with its state, and the http adapter with its listener", async () => {
    const health = (await get("/api/health")).json as { state: string; components: Json[] };
    const http = health.components.find((c) => c.component === "http") as Json & { listeners: string[] };
    assert.equal(http.state, "ok");
    assert.match(http.listeners[0] ?? "", /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(health.components.some((c) => c.component === "poller"));
    assert.ok(["ok", "degraded", "starting", "down"].includes(health.state));
  });

  test("/metrics is valid Prometheus text with points, alarm counts, poll statistics and request counters", async () => {
    const answer = await get("/metrics");
    assert.equal(answer.status, 200);
    assert.match(String(answer.headers["content-type"]), /^text\/plain; version=0\.0\.4/);
    const families = new Map<string, string>();
    for (const line of answer.text.trimEnd().split("\n")) {
      if (line.startsWith("# HELP ")) continue;
      const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (gauge|counter)$/.exec(line);
      if (type) {
        assert.ok(!families.has(type[1] ?? ""), `family ${type[1]} declared once`);
        families.set(type[1] ?? "", type[2] ?? "");
        continue;
      }
      const sample =
        /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*")*\})? (-?[0-9.e+-]+|NaN|[+-]Inf)$/.exec(
          line,
        );
      assert.ok(sample, `sample line: ${line}`);
      assert.ok(families.has(sample[1] ?? ""), `sample ${sample[1]} after its TYPE line`);
    }
    assert.match(answer.text, /^bmsgw_block_voltage_volts\{string="1",block="1"\} \d+\.\d+$/m);
    assert.match(answer.text, /^bmsgw_block_resistance_ohms\{string="2",block="12"\} 0\.\d+$/m);
    assert.match(answer.text, /^bmsgw_alarms_active\{severity="critical"\} \d+$/m);
    assert.match(answer.text, /^bmsgw_device_transactions_total\{bus="bus1",address="1",profile="cell-probe"\} \d+$/m);
    assert.match(answer.text, /^bmsgw_component_events_total\{component="http",counter="requests"\} \d+$/m);
  });

  test("the OpenAPI document describes every endpoint with its schemas", async () => {
    const doc = (await h.target.request("GET", "/api/openapi.json")).json as {
      openapi: string;
      paths: Record<string, Record<string, Json>>;
    };
    assert.equal(doc.openapi, "3.1.0");
    const blocks = doc.paths["/api/strings/{id}/blocks"]?.get as Json & { parameters: Json[] };
    assert.deepEqual(
      blocks.parameters.map((p) => p.name),
      ["id", "offset", "limit"],
    );
    const put = doc.paths["/api/config"]?.put as { requestBody: { content: Record<string, { schema: Json }> } };
    assert.deepEqual(put.requestBody.content["application/json"]?.schema.required, ["path"]);
    assert.ok(doc.paths["/api/alarms/{id}/acknowledge"]?.post);
    assert.ok(doc.paths["/metrics"]?.get);
  });

  test("the live stream sends the plant at once and then changed block values", async () => {
    const messages: { event: string; data: Json }[] = [];
    await new Promise<void>((resolve, reject) => {
      const req = httpsRequest(
        {
          host: "127.0.0.1",
          port: h.target.port,
          path: "/api/live",
          headers: { cookie: viewer.cookie, accept: "text/event-stream" },
          ca: h.target.ca,
          agent: false,
        },
        (res) => {
          assert.match(String(res.headers["content-type"]), /^text\/event-stream/);
          let buffer = "";
          res.on("data", (chunk: Buffer) => {
            buffer += chunk.toString("utf8");
            for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
              const block = buffer.slice(0, end);
              buffer = buffer.slice(end + 2);
              const event = /^event: (.+)$/m.exec(block)?.[1];
              const data = /^data: (.+)$/m.exec(block)?.[1];
              if (event && data) messages.push({ event, data: JSON.parse(data) });
            }
            if (messages.some((m) => m.event === "blocks")) {
              req.destroy();
              resolve();
            }
          });
        },
      );
      req.on("error", (error) => (messages.some((m) => m.event === "blocks") ? resolve() : reject(error)));
      req.end();
    });
    assert.equal(messages[0]?.event, "plant");
    assert.equal(((messages[0]?.data.strings ?? []) as Json[]).length, 2);
    const blocks = (messages.find((m) => m.event === "blocks")?.data.blocks ?? []) as Json[];
    assert.ok(blocks.length > 0);
    assert.equal(typeof blocks[0]?.stringId, "number");
  });
});
