import assert from "node:assert/strict";
import { createServer, type Server } from "node:net";
import { after, before, describe, it } from "node:test";
import { smallPlantYaml, startTestGateway, type TestGateway } from "../helpers/gateway.js";

describe("system fault (301)", () => {
  let gateway: TestGateway;
  let squatter: Server;
  before(async () => {
    // Somebody else holds the Modbus port, so the Modbus adapter cannot start.
    squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, "127.0.0.1", resolve));
    const address = squatter.address();
    const port = typeof address === "object" && address ? address.port : 0;
    gateway = await startTestGateway(
      smallPlantYaml({
        strings: 1,
        blocks: 2,
        extra: `protocols: { modbus: { enabled: true, host: 127.0.0.1, port: ${port} } }`,
      }),
    );
  });
  after(async () => {
    await gateway?.close();
    await new Promise<void>((resolve) => squatter.close(() => resolve()));
  });

  it("is raised when a component is down, naming it, while everything else keeps running", async () => {
    const snapshot = await gateway.waitFor((s) => s.alarms.some((a) => a.eventId === 301), 5000);
    const alarm = snapshot.alarms.find((a) => a.eventId === 301);
    assert.equal(alarm?.severity, "critical");
    assert.match(alarm?.text ?? "", /modbus \(.*EADDRINUSE.*\)/);
    assert.equal(gateway.health().find((h) => h.component === "modbus")?.state, "down");
    await gateway.waitFor((s) => s.devices.every((d) => d.comm === "ok"));
  });
});
