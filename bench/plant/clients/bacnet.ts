/**
 * BACnet/IP COV subscribers of the whole-plant benchmark (a separate process): `subscribers` clients
 * (@bacnet-js/client, each on its own UDP port of 127.0.0.1) subscribe to the string alarm object of the scenario's
 * alarm on every string, plus a few block-voltage analog inputs for background traffic, with unconfirmed
 * notifications, and renew before the lifetime ends. A 0 → 1 change of an alarm object is reported as raised.
 */
import bacnetPackage from "@bacnet-js/client";
import { z } from "zod";
import { Counter, clientProcess, now, SCENARIO_EVENT_ID, sleep } from "../common.js";

const { settings, send, onMessage } = clientProcess(
  z.object({
    devicePort: z.number(),
    ports: z.array(z.number()),
    strings: z.array(z.object({ id: z.number(), blocks: z.number() })),
    analogPerSubscriber: z.number().int().min(0),
    lifetimeS: z.number().int().min(60),
  }),
);

// A CommonJS package: its default export is the `default` property of what Node's ESM import hands over.
const Bacnet = bacnetPackage.default;
const BINARY_INPUT = 3;
const ANALOG_INPUT = 0;
const PRESENT_VALUE = 85;
const device = { address: `127.0.0.1:${settings.devicePort}` };
const alarmInstance = (stringId: number) => 1_000_000 + stringId * 1000 + SCENARIO_EVENT_ID;
const stringOfInstance = new Map(settings.strings.map((s) => [alarmInstance(s.id), s.id]));

const counter = new Counter();
let running = true;
onMessage((m) => {
  if (m.type === "stop") running = false;
});

const clients = settings.ports.map((port, index) => {
  // No SO_REUSEADDR: a port shared by mistake must fail the bind, not silently take the other socket's replies.
  const client = new Bacnet({ port, interface: "127.0.0.1", apduTimeout: 5000, reuseAddr: false });
  const last = new Map<number, number>();
  client.on("error", (error: Error) => counter.add(`socketErrors:${error.message}`));
  client.on("covNotifyUnconfirmed", (content) => {
    const time = now();
    const p = content.payload;
    counter.add("notifications");
    if (p.monitoredObjectId.type !== BINARY_INPUT) return;
    const stringId = stringOfInstance.get(p.monitoredObjectId.instance);
    const pv = p.values.find((v: { property: { id: number } }) => v.property.id === PRESENT_VALUE)?.value[0]?.value;
    if (stringId === undefined || typeof pv !== "number") return;
    const before = last.get(stringId);
    last.set(stringId, pv);
    // The first notification after subscribing only reports the current value.
    if (before === undefined || before === pv) return;
    const state = pv === 1 ? "raised" : "cleared";
    send({ type: "seen", destination: "bacnet", state, eventId: SCENARIO_EVENT_ID, stringId, observer: index, time });
  });
  return client;
});

/** Each subscriber's objects: every string's alarm object and a few block voltages spread over the plant. */
function objectsOf(index: number): { type: number; instance: number }[] {
  const list = settings.strings.map((s) => ({ type: BINARY_INPUT, instance: alarmInstance(s.id) }));
  for (let k = 0; k < settings.analogPerSubscriber; k++) {
    const s = settings.strings[(index * 7 + k * 13) % settings.strings.length];
    if (!s) continue;
    const block = ((index * 31 + k * 17) % s.blocks) + 1;
    list.push({ type: ANALOG_INPUT, instance: s.id * 10_000 + block * 10 + 1 });
  }
  return list;
}

/**
 * Subscribes every client's objects with `inFlight` confirmed requests outstanding per client. More than one per
 * client overflowed the gateway's UDP receive buffer (default 208 KiB) with 400 requests in flight: see the report.
 */
async function subscribeAll(inFlight = 1): Promise<void> {
  await Promise.all(
    clients.map(async (client, index) => {
      const queue = objectsOf(index);
      const worker = async () => {
        for (let objectId = queue.shift(); objectId; objectId = queue.shift()) {
          const started = performance.now();
          try {
            await client.subscribeCov(device, objectId, index + 1, false, false, settings.lifetimeS);
            counter.ok();
            const ms = Math.round(performance.now() - started);
            if (ms > (counter.extra.subscribeMaxMs ?? 0)) counter.extra.subscribeMaxMs = ms;
          } catch (error) {
            counter.error(`subscribe ${objectId.type}:${objectId.instance}: ${(error as Error).message}`);
          }
        }
      };
      await Promise.all(Array.from({ length: inFlight }, worker));
    }),
  );
}

const timer = setInterval(() => send(counter.message("bacnet")), 1000);
await subscribeAll();
counter.add(
  "subscriptions",
  clients.reduce((n, _c, i) => n + objectsOf(i).length, 0),
);
send({ type: "ready" });
let renewAt = Date.now() + (settings.lifetimeS * 1000) / 2;
while (running) {
  await sleep(100);
  if (Date.now() >= renewAt) {
    await subscribeAll();
    renewAt = Date.now() + (settings.lifetimeS * 1000) / 2;
  }
}
clearInterval(timer);
send(counter.message("bacnet"));
for (const client of clients) client.close();
process.disconnect?.();
