/**
 * Modbus RTU slave on the gateway's upstream serial port: frames are delimited by the inter-frame silence and the
 * function code, checked by CRC (a bad CRC is silently ignored and counted), and answered through the same core
 * as TCP. Broadcasts (unit 0) and units that are not ours get no answer, as on any multidrop line.
 */

import type { Logger } from "pino";
import { SerialPort } from "serialport";
import type { HealthReporter } from "../../core/adapter.js";
import { withCrc } from "../../core/fieldbus/crc16.js";
import { RtuRequestFramer } from "../../core/fieldbus/rtu-framer.js";
import { interFrameMs } from "../../core/fieldbus/timing.js";
import type { ModbusConfig } from "./config-schema.js";
import type { ModbusServerCore } from "./server-core.js";

export interface ModbusRtuSlave {
  close(): Promise<void>;
}

export async function startModbusRtuSlave(
  core: ModbusServerCore,
  options: ModbusConfig["rtu"],
  log: Logger,
  health: HealthReporter,
): Promise<ModbusRtuSlave> {
  const port = new SerialPort({
    path: options.path,
    baudRate: options.baudRate,
    parity: options.parity,
    stopBits: options.stopBits,
    dataBits: 8,
    autoOpen: false,
  });
  await new Promise<void>((resolve, reject) =>
    port.open((error) =>
      error
        ? reject(new Error(`E_MODBUS_SERIAL: cannot open ${options.path} (${error.message}); check rtu.path`))
        : resolve(),
    ),
  );
  port.on("error", (error) => log.warn({ err: error }, "E_MODBUS_SERIAL: serial port error"));
  const origin = { transport: "rtu" as const, remote: options.path };
  let countedCrc = 0;
  const framer = new RtuRequestFramer(
    (frame) => {
      const unit = frame[0] as number;
      if (unit === 0) return; // broadcast: never answered, and never executed (writes need an answer to be audited)
      const reply = core.handle(unit, frame.subarray(1, frame.length - 2), origin);
      const send = (pdu: Buffer) => port.write(withCrc(Buffer.concat([Buffer.from([unit]), pdu])));
      // A settings write answers once applied; a master waits for it before its next request.
      if (reply instanceof Promise) void reply.then(send);
      else if (reply) send(reply);
    },
    Math.max(5, 3 * interFrameMs(options.baudRate)),
  );
  port.on("data", (chunk: Buffer) => {
    try {
      framer.push(chunk);
    } catch (error) {
      log.error({ err: error }, "E_MODBUS_INTERNAL: RTU request handling failed");
    }
    if (framer.crcErrors !== countedCrc) {
      health.count("crcErrors", framer.crcErrors - countedCrc);
      countedCrc = framer.crcErrors;
    }
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        if (!port.isOpen) resolve();
        else port.close(() => resolve());
      }),
  };
}
