import { describe, expect, test } from "bun:test";
import { LogDigest } from "../../src/session/log-digest.ts";
import { networkOf } from "../../src/session/network.ts";

describe("networkOf", () => {
  test.each([
    ["203.0.113.7", "203.0.113.0/24"],
    ["::ffff:203.0.113.7", "203.0.113.0/24"],
    ["127.0.1.250", "127.0.1.0/24"],
    ["2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"],
    ["2001:db8:1:2::9", "2001:db8:1:2::/64"],
    ["::1", "::/64"],
    ["fe80::1%eth0", "fe80::/64"],
    ["not an address", "not an address"],
  ])("%p is in %p", (address, network) => {
    expect(networkOf(address)).toBe(network);
  });

  test("the prefix lengths are settings", () => {
    expect(networkOf("10.1.2.3", { ipv4: 16, ipv6: 48 })).toBe("10.1.0.0/16");
    expect(networkOf("10.1.2.3", { ipv4: 32, ipv6: 128 })).toBe("10.1.2.3/32");
    expect(networkOf("2001:db8:1:2:3:4:5:6", { ipv4: 24, ipv6: 48 })).toBe("2001:db8:1::/48");
  });
});

describe("LogDigest", () => {
  const repeat = { one: "failed TLS handshake", many: "failed TLS handshakes" };

  test("the first few per network are written; the rest are summed up when the window ends", () => {
    const lines: string[] = [];
    const digest = new LogDigest((l) => void lines.push(l), 10_000, 3);
    for (let i = 0; i < 315; i++) digest.note(repeat, "127.0.0.0/24", `! 127.0.0.${i % 250}: failed`, 1000 + i);
    digest.note(repeat, "10.0.0.0/24", "! 10.0.0.1: failed", 2000);
    expect(lines).toHaveLength(4);
    digest.sweep(5000);
    expect(lines).toHaveLength(4); // the window is not over
    digest.sweep(11_000);
    expect(lines.slice(4)).toEqual(["! 312 more failed TLS handshakes from 127.0.0.0/24 in the last 10 s"]);
    digest.sweep(12_000); // 10.0.0.0/24 had nothing left over: no summary
    expect(lines).toHaveLength(5);
    digest.note(repeat, "127.0.0.0/24", "! 127.0.0.9: failed", 13_000); // a new window: written again
    expect(lines.at(-1)).toBe("! 127.0.0.9: failed");
  });
});
