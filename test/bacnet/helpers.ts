import { createSocket } from "node:dgram";
import Bacnet from "bacstack";

/** The device under test binds 127.0.0.2; BACnet clients drop requests from exactly 127.0.0.1:47808. */
export const DEVICE_HOST = "127.0.0.2";
export const CLIENT_HOST = "127.0.0.3";

async function bindable(host: string, port: number): Promise<boolean> {
  const socket = createSocket("udp4");
  return new Promise((resolve) => {
    socket.once("error", () => resolve(false));
    socket.bind(port, host, () => socket.close(() => resolve(true)));
  });
}

/**
 * A UDP port free on both the device and the client address: bacstack sends to the port it listens on, so device
 * and client share one port number on two loopback addresses.
 */
export async function freeSharedPort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const probe = createSocket("udp4");
    const port = await new Promise<number>((resolve) =>
      probe.bind(0, DEVICE_HOST, () => {
        const p = probe.address().port;
        probe.close(() => resolve(p));
      }),
    );
    if ((await bindable(CLIENT_HOST, port)) && (await bindable("127.0.0.1", port))) return port;
  }
  throw new Error("no free UDP port on 127.0.0.2/127.0.0.3");
}

export function bacnetYaml(port: number, extra = ""): string {
  return `protocols: { bacnet: { enabled: true, host: ${DEVICE_HOST}, port: ${port}, deviceInstance: 4711${extra} } }`;
}

/** Promise wrappers over the callback API of bacstack. */
export class TestClient {
  readonly raw: Bacnet;
  constructor(port: number) {
    this.raw = new Bacnet({ port, interface: CLIENT_HOST, adpuTimeout: 3000 });
  }
  read(type: number, instance: number, property: number, options: { arrayIndex?: number; maxApdu?: number } = {}) {
    return new Promise<Bacnet.ReadResult>((resolve, reject) =>
      this.raw.readProperty(DEVICE_HOST, { type, instance }, property, options, (error, value) =>
        error ? reject(error) : resolve(value),
      ),
    );
  }
  async value(type: number, instance: number, property: number): Promise<unknown> {
    return (await this.read(type, instance, property)).values[0]?.value;
  }
  readMultiple(specs: { objectId: Bacnet.ObjectId; properties: { id: number; index?: number }[] }[], maxApdu?: number) {
    return new Promise<Bacnet.RpmResult>((resolve, reject) =>
      this.raw.readPropertyMultiple(DEVICE_HOST, specs, maxApdu ? { maxApdu } : {}, (error, value) =>
        error ? reject(error) : resolve(value),
      ),
    );
  }
  write(type: number, instance: number, property: number, values: Bacnet.AppData[]) {
    return new Promise<unknown>((resolve, reject) =>
      this.raw.writeProperty(DEVICE_HOST, { type, instance }, property, values, { priority: 16 }, (error, value) =>
        error ? reject(error) : resolve(value),
      ),
    );
  }
  subscribe(type: number, instance: number, processId: number, cancel: boolean, confirmed: boolean, lifetime: number) {
    return new Promise<void>((resolve, reject) =>
      this.raw.subscribeCOV(DEVICE_HOST, { type, instance }, processId, cancel, confirmed, lifetime, {}, (error) =>
        error ? reject(error) : resolve(),
      ),
    );
  }
  close(): void {
    this.raw.close();
  }
}
