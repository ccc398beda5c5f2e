import assert from "node:assert/strict";
import { connect as netConnect } from "node:net";
import { after, before, describe, test } from "node:test";
import { connect as tlsConnect } from "node:tls";
import { type HttpGateway, login, PASSWORDS, type Session, startHttpGateway } from "./api-helpers.js";

type Json = Record<string, unknown>;

describe("garbage input", () => {
  let h: HttpGateway;
  let admin: Session;
  before(async () => {
    h = await startHttpGateway({ http: "maxBodyBytes: 4096" });
    admin = await login(h.target, "admin1", PASSWORDS.admin);
  });
  after(async () => {
    await h?.close();
  });
  const stillServing = async () => {
    const answer = await h.target.request("GET", "/api/plant", { cookie: admin.cookie });
    assert.equal(answer.status, 200);
  };

  test("malformed JSON is 400 E_HTTP_BAD_JSON with the path body", async () => {
    for (const rawBody of ['{"username": "admin1", "password": ', "{{{", "\u0000\u0001garbage", '{"a":1}}']) {
      const answer = await h.target.request("POST", "/api/login", {
        rawBody,
        headers: { "content-type": "application/json" },
      });
      assert.equal(answer.status, 400, rawBody);
      assert.equal((answer.json as Json).code, "E_HTTP_BAD_JSON");
      assert.equal((answer.json as Json).path, "body");
    }
    await stillServing();
  });

  test("wrong JSON shapes are 400 with the field path", async () => {
    const cases: [unknown, string][] = [
      [{ username: "admin1" }, "body.password"],
      [{ username: 7, password: "x" }, "body.username"],
      [{ username: "admin1", password: "x", extra: true }, "body"],
      [[1, 2, 3], "body"],
      ["just a string", "body"],
    ];
    for (const [body, path] of cases) {
      const answer = await h.target.request("POST", "/api/login", { body });
      assert.equal(answer.status, 400, JSON.stringify(body));
      assert.equal((answer.json as Json).path, path, JSON.stringify(body));
    }
    const query = await h.target.request("GET", "/api/strings/1/blocks?limit=-1&offset=x", { cookie: admin.cookie });
    assert.equal(query.status, 400);
    assert.match(String((query.json as Json).path), /^query\.(limit|offset)$/);
    const unknownQuery = await h.target.request("GET", "/api/alarms?bogus=1", { cookie: admin.cookie });
    assert.equal(unknownQuery.status, 400);
    const repeated = await h.target.request("GET", "/api/strings/1/blocks?limit=1&limit=2", { cookie: admin.cookie });
    assert.equal(repeated.status, 400);
    assert.equal((repeated.json as Json).path, "query.limit");
  });

  test("a body over maxBodyBytes is refused with 413 and the server keeps serving", async () => {
    const huge = JSON.stringify({ username: "admin1", password: "x".repeat(1_000_000) });
    const answer = await h.target.request("POST", "/api/login", {
      rawBody: huge,
      headers: { "content-type": "application/json" },
    });
    assert.equal(answer.status, 413);
    assert.equal((answer.json as Json).code, "E_HTTP_BODY_TOO_LARGE");
    await stillServing();
  });

  test("bad paths are JSON 404s or 400s, and traversal never leaves the UI folder", async () => {
    const paths = [
      "/api/nothing-here",
      "/api/strings/abc",
      "/api/strings/1/blocks/0",
      `/api/strings/${"9".repeat(400)}`,
      "/../../etc/passwd",
      "/%2e%2e/%2e%2e/etc/passwd",
      "/assets/..%2f..%2f..%2fpackage.json",
      "/%E0%A4%A",
      "/api/strings/1/blocks?offset=%ZZ",
    ];
    for (const path of paths) {
      const answer = await h.target.request("GET", path, { cookie: admin.cookie });
      assert.ok([400, 404, 414].includes(answer.status), `${path} → ${answer.status}`);
      assert.doesNotMatch(answer.text, /root:|"name": "bms-gateway"/);
      assert.equal(typeof (answer.json as Json | undefined)?.code, "string", `${path}: ${answer.text.slice(0, 200)}`);
    }
    const method = await h.target.request("PATCH", "/api/plant", { cookie: admin.cookie });
    assert.equal(method.status, 404);
    await stillServing();
  });

  test("binary garbage on the TLS port and a plain-HTTP request to it do not disturb the server", async () => {
    await new Promise<void>((resolve) => {
      const socket = netConnect(h.target.port, "127.0.0.1", () => {
        socket.write(Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 37) & 0xff)));
        socket.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      });
      socket.on("error", () => resolve());
      socket.on("close", () => resolve());
      socket.resume();
    });
    await new Promise<void>((resolve) => {
      const socket = tlsConnect({ host: "127.0.0.1", port: h.target.port, ca: h.target.ca }, () => {
        socket.write("THIS IS NOT HTTP\r\n\r\n\u0000\u0000");
      });
      socket.on("error", () => resolve());
      socket.on("close", () => resolve());
      socket.resume();
    });
    await stillServing();
  });
});
