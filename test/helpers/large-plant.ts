/**
 * The whole-plant configuration: `blocks` blocks behind string masters (120 blocks each, one string per master),
 * spread over `buses` simulated buses at 115200 baud. 10,000 blocks = 84 masters on 4 buses.
 */
export function largePlantYaml(
  options: { blocks?: number; buses?: number; pacing?: boolean; pollInterval?: string } = {},
): string {
  const total = options.blocks ?? 10_000;
  const buses = options.buses ?? 4;
  const masters = Math.ceil(total / 120);
  const lines = ["site: { name: Large plant }", "buses:"];
  for (let b = 1; b <= buses; b++)
    lines.push(
      `  - id: bus${b}`,
      "    transport: { type: simulated, baudRate: 115200 }",
      `    timing: { timeout: 300ms, retries: 2, pollInterval: ${options.pollInterval ?? "0ms"} }`,
    );
  lines.push("strings:");
  for (let m = 0; m < masters; m++) {
    const blocks = Math.min(120, total - m * 120);
    const bus = (m % buses) + 1;
    const address = Math.floor(m / buses) + 1;
    lines.push(
      `  - { id: ${m + 1}, bus: bus${bus}, blocks: ${blocks}, nominalBlockVoltage: 2, capacityAh: 1000, probes: { profile: string-master, address: ${address} } }`,
    );
  }
  lines.push(`simulator: { enabled: true, pacing: ${options.pacing ?? false}, seed: 11 }`);
  return `${lines.join("\n")}\n`;
}
