import dgram from "node:dgram";
import net from "node:net";

/** A port that was free on 127.0.0.1 for both TCP and UDP a moment ago. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = net.createServer();
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const socket = dgram.createSocket("udp4");
      socket.once("error", () => resolve(false));
      socket.bind(port, "127.0.0.1", () => socket.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
}

/**
 * `count` distinct ports, each free for TCP and UDP a moment ago. Ports asked for one at a time can repeat, since
 * each is released before the next is asked for; two UDP sockets bound with SO_REUSEADDR then share one port
 * silently and only one of them receives.
 */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}
