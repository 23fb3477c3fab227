// Addresses grouped by network: one attacker rarely has one address, but usually has one network
// (a /24 of IPv4, a /64 of IPv6: what one customer of a provider gets). Caps and log summaries
// count per network as well as per address.

import { SERVER_LIMITS, type ServerLimits } from "../protocol/limits.ts";

/** How many leading bits make a network: IPv4 and IPv6. */
export type NetworkBits = ServerLimits["networkBits"];

/** "203.0.113.0/24" for 203.0.113.7 (and for ::ffff:203.0.113.7); "2001:db8:1:2::/64" for an IPv6 address. */
export function networkOf(address: string, bits: NetworkBits = SERVER_LIMITS.networkBits): string {
  const v4 = /^(?:::ffff:)?(\d+)\.(\d+)\.(\d+)\.(\d+)$/i.exec(address);
  if (v4) {
    const value = (Number(v4[1]) * 2 ** 24 + Number(v4[2]) * 2 ** 16 + Number(v4[3]) * 2 ** 8 + Number(v4[4])) >>> 0;
    const masked = bits.ipv4 === 0 ? 0 : (value & (~0 << (32 - bits.ipv4))) >>> 0;
    const octets = [masked >>> 24, (masked >>> 16) & 255, (masked >>> 8) & 255, masked & 255];
    return `${octets.join(".")}/${bits.ipv4}`;
  }
  const groups = expandIpv6(address);
  if (!groups) return address; // not an IP address (a test's fake peer): its own network
  const out: number[] = [];
  for (let i = 0; i < 8; i++) {
    const keep = Math.max(0, Math.min(16, bits.ipv6 - i * 16));
    out.push(keep === 0 ? 0 : groups[i]! & ((0xffff << (16 - keep)) & 0xffff));
  }
  return `${compressIpv6(out)}/${bits.ipv6}`;
}

/** The eight 16-bit groups of an IPv6 address, or undefined if it is not one. */
function expandIpv6(address: string): number[] | undefined {
  const bare = address.replace(/%.*$/, ""); // a zone (fe80::1%eth0)
  if (!/^[0-9a-f:]+$/i.test(bare) || !bare.includes(":")) return undefined;
  const halves = bare.split("::");
  if (halves.length > 2) return undefined;
  const parse = (part: string) => (part === "" ? [] : part.split(":").map((g) => Number.parseInt(g, 16)));
  const head = parse(halves[0]!);
  const tail = halves.length === 2 ? parse(halves[1]!) : [];
  const missing = 8 - head.length - tail.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return undefined;
  const groups = [...head, ...Array<number>(missing).fill(0), ...tail];
  return groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : undefined;
}

/** The shortest form: the longest run of zero groups (two or more) becomes "::". */
function compressIpv6(groups: number[]): string {
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [best, bestLength] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLength).join(":")}`;
}
