import { BlockList, isIP, isIPv4 } from "node:net";
import { z } from "zod";

/** One address or CIDR block in an allow list, e.g. `192.168.1.10` or `10.0.0.0/24`. */
export const addressOrCidr = z
  .string()
  .refine((text) => {
    const [address, prefix, ...rest] = text.split("/");
    if (rest.length > 0 || !address) return false;
    const family = isIP(address);
    if (family === 0) return false;
    if (prefix === undefined) return true;
    if (!/^\d{1,3}$/.test(prefix)) return false;
    return Number(prefix) <= (family === 4 ? 32 : 128);
  }, "expected an IP address or a CIDR block, e.g. 192.168.1.10 or 10.0.0.0/24")
  .meta({ description: "IP address or CIDR block." });

/**
 * Whether a peer address is in the list (validated with `addressOrCidr`). An empty list matches nobody. IPv4
 * clients of a dual-stack listener (`::ffff:10.0.0.1`) match IPv4 entries.
 */
export function addressMatcher(entries: readonly string[]): (address: string) => boolean {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = "", prefix] = entry.split("/");
    const family = isIPv4(address) ? "ipv4" : "ipv6";
    if (prefix === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(prefix), family);
  }
  return (address) => {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    const plain = mapped?.[1] ?? address;
    return list.check(plain, isIPv4(plain) ? "ipv4" : "ipv6");
  };
}
