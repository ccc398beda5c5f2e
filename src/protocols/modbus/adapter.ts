import type { Adapter } from "../../core/adapter.js";
import { listenerUrl } from "../../core/listen.js";
import type { ModbusConfig } from "./config-schema.js";
import { startModbusRtuSlave } from "./rtu-slave.js";
import { ModbusServerCore } from "./server-core.js";
import { startModbusTcpServer } from "./tcp-server.js";

/**
 * Modbus TCP server and (optionally) Modbus RTU slave serving the generated register map
 * (docs/generated/register-map.md). Unit id = string id; writes only when enabled and from allowed sources.
 */
export const modbusAdapter: Adapter<ModbusConfig> = {
  name: "modbus",
  async start(ctx) {
    const { config } = ctx;
    const core = new ModbusServerCore(ctx, config);
    const unreachable = ctx.model
      .current()
      .topology.strings.filter((s) => s.id > 247)
      .map((s) => s.id);
    const tcp = await startModbusTcpServer(
      core,
      { host: config.host, port: config.port, maxConnections: config.maxConnections, idleTimeout: config.idleTimeout },
      ctx.log,
      ctx.health,
    );
    ctx.defer(() => tcp.close());
    ctx.health.listening(listenerUrl("modbus-tcp", config.host, tcp.port));
    if (config.rtu.enabled) {
      const rtu = await startModbusRtuSlave(core, config.rtu, ctx.log, ctx.health);
      ctx.defer(() => rtu.close());
      ctx.health.listening(`modbus-rtu://${config.rtu.path}@${config.rtu.baudRate}`);
    }
    if (config.writes.enabled && config.writes.allow.length === 0 && !config.writes.serial)
      ctx.log.warn("E_MODBUS_NO_WRITERS: writes.enabled is true but writes.allow is empty; add allowed addresses");
    if (unreachable.length > 0) {
      const text = `E_MODBUS_UNIT_RANGE: strings ${unreachable.join(", ")} have ids above 247 and no Modbus unit id; renumber them`;
      ctx.log.warn(text);
    }
  },
};
