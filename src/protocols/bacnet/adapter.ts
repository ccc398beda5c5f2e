/**
 * BACnet/IP device adapter: one UDP socket, our device model on top of the @bacnet-js/client ASN.1 codec, COV
 * notifications from snapshot deltas, optional foreign-device registration with a BBMD.
 */
import { createSocket, type Socket } from "node:dgram";
import type { Adapter, AdapterContext, Principal } from "../../core/adapter.js";
import { packageVersion } from "../../core/package-info.js";
import { distributeBroadcast, frame, type Peer, registerForeignDevice } from "./codec.js";
import type { BacnetConfig } from "./config-schema.js";
import { type DeviceIdentity, DeviceModel } from "./device-model.js";
import { BacnetServer } from "./server.js";

export function deviceIdentity(): DeviceIdentity {
  const version = packageVersion();
  return {
    vendorName: "bms-gateway project",
    modelName: "bms-gateway battery monitoring gateway",
    firmwareRevision: version,
    applicationSoftwareVersion: `bms-gateway ${version}`,
  };
}

/**
 * Receive buffer the device's UDP socket asks for (SO_RCVBUF). The default (~208 KiB on Linux) holds only a few
 * hundred queued datagrams: 50 COV subscribers re-subscribing 4,700 objects at once overflowed it and the kernel
 * dropped requests (Udp RcvbufErrors). 4 MiB queues several thousand. Linux caps the value at net.core.rmem_max.
 */
export const RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

function directedBroadcast(config: BacnetConfig): string | undefined {
  if (config.broadcastAddress) return config.broadcastAddress;
  // A loopback bind has no broadcast domain; never broadcast from it.
  if (config.host.startsWith("127.")) return undefined;
  return "255.255.255.255";
}

export const bacnetAdapter: Adapter<BacnetConfig> = {
  name: "bacnet",
  async start(ctx: AdapterContext<BacnetConfig>): Promise<void> {
    const config = ctx.config;
    const model = new DeviceModel(ctx.model.current().topology, config, deviceIdentity());
    const socket: Socket = createSocket({ type: "udp4", reuseAddr: false, recvBufferSize: RECEIVE_BUFFER_BYTES });
    socket.on("error", (error) => {
      ctx.log.warn({ err: error }, "bacnet socket error");
      ctx.health.set("degraded", `socket error: ${error.message}`);
    });
    const send = (datagram: Buffer, to: Peer) =>
      socket.send(datagram, to.port, to.address, (error) => {
        if (error) ctx.log.debug({ err: error, to }, "bacnet send failed");
      });
    const broadcastTo = directedBroadcast(config);
    let registeredWithBbmd = false;

    const server = new BacnetServer(
      model,
      {
        send,
        ...(broadcastTo || config.foreignDevice
          ? {
              broadcast: (apdu: Buffer) => {
                if (config.foreignDevice && registeredWithBbmd)
                  send(distributeBroadcast(apdu), {
                    address: config.foreignDevice.bbmd,
                    port: config.foreignDevice.port,
                  });
                else if (broadcastTo)
                  send(frame(apdu, { broadcast: true }), { address: broadcastTo, port: config.port });
              },
            }
          : {}),
        snapshot: () => ctx.model.current(),
        writeOutput: async (stringId, which, closed, from) => {
          const principal: Principal = {
            user: `bacnet:${from.address}`,
            roles: [config.writes.role],
            source: "bacnet",
          };
          ctx.commands.audit({
            name: "remote-write",
            user: principal.user,
            text: `BACnet write: string ${stringId} ${which} output ${closed ? "closed" : "open"}`,
            detail: { protocol: "bacnet", remote: `${from.address}:${from.port}` },
          });
          const result = await ctx.commands.run(principal, { kind: "output", stringId, output: which, closed });
          if (!result.ok) ctx.log.warn({ code: result.code, error: result.error }, "BACnet write refused or failed");
          return result.ok ? undefined : result.code;
        },
        count: (counter) => ctx.health.count(counter),
        debug: (message, detail) => ctx.log.debug(detail ?? {}, message),
        now: () => Date.now(),
      },
      {
        writes: config.writes,
        cov: { defaultLifetimeMs: config.cov.defaultLifetime, maxSubscriptions: config.cov.maxSubscriptions },
      },
    );

    socket.on("message", (msg, rinfo) => {
      const from = { address: rinfo.address, port: rinfo.port };
      if (
        config.foreignDevice &&
        rinfo.address === config.foreignDevice.bbmd &&
        msg.length === 6 &&
        msg[0] === 0x81 &&
        msg[1] === 0x00
      ) {
        const code = msg.readUInt16BE(4);
        registeredWithBbmd = code === 0;
        ctx.health.set(
          registeredWithBbmd ? "ok" : "degraded",
          registeredWithBbmd ? "" : `BBMD refused registration (${code})`,
        );
        return;
      }
      void server.receive(msg, from);
    });

    await new Promise<void>((resolvePromise, reject) => {
      socket.once("error", reject);
      socket.bind(config.port, config.host, () => {
        socket.off("error", reject);
        resolvePromise();
      });
    });
    if (broadcastTo && !broadcastTo.startsWith("127.")) socket.setBroadcast(true);
    ctx.defer(() => new Promise<void>((done) => socket.close(() => done())));
    const address = socket.address();
    ctx.health.listening(`bacnet-ip://${address.address}:${address.port}`);
    // Linux reports twice the value set (it counts its bookkeeping) and silently caps it at net.core.rmem_max.
    const receiveBuffer = socket.getRecvBufferSize();
    if (receiveBuffer < RECEIVE_BUFFER_BYTES)
      ctx.log.warn(
        { receiveBuffer, wanted: RECEIVE_BUFFER_BYTES },
        `E_BACNET_RECEIVE_BUFFER: the kernel limits the BACnet socket's receive buffer to ${receiveBuffer} bytes, so ` +
          `bursts of requests may be dropped; raise it with sysctl -w net.core.rmem_max=${RECEIVE_BUFFER_BYTES}`,
      );

    ctx.defer(ctx.changes.on("snapshot", (snapshot, delta) => server.onSnapshot(snapshot, delta)));

    if (config.foreignDevice) {
      const fd = config.foreignDevice;
      const register = () => send(registerForeignDevice(fd.ttl), { address: fd.bbmd, port: fd.port });
      register();
      const timer = setInterval(register, (fd.ttl * 1000) / 2);
      timer.unref();
      ctx.defer(() => clearInterval(timer));
    }
    // Announce ourselves once, as devices do at start-up.
    server.announce();
    ctx.log.info(
      {
        instance: config.deviceInstance,
        objects: model.objectCount,
        address: `${address.address}:${address.port}`,
        receiveBuffer,
      },
      "bacnet device listening",
    );
  },
};
