import { describe, expect, test } from "bun:test";
import { FloodBudget, TokenBucket } from "../../src/net/bucket.ts";
import { PerAddress } from "../../src/session/per-address.ts";

describe("TokenBucket", () => {
  test("a burst, then the rate", () => {
    const b = new TokenBucket(3, 2, 0); // 3 at once, then one every 500 ms
    for (let i = 0; i < 3; i++) {
      expect(b.wait(1, 0)).toBe(0);
      b.take(1, 0);
    }
    expect(b.wait(1, 0)).toBe(500);
    expect(b.wait(1, 250)).toBe(250);
    expect(b.wait(1, 500)).toBe(0);
  });

  test("refills up to the burst and no further", () => {
    const b = new TokenBucket(2, 10, 0);
    b.take(2, 0);
    expect(b.full(10_000)).toBe(true);
    b.take(1, 10_000);
    b.take(1, 10_000);
    expect(b.wait(1, 10_000)).toBe(100);
  });

  test("a cost over the burst counts as the burst, so it can always go eventually", () => {
    const b = new TokenBucket(4, 1, 0);
    expect(b.wait(100, 0)).toBe(0);
    b.take(100, 0);
    expect(b.wait(1, 0)).toBe(1000);
  });

  test("a clock that goes backwards does not add tokens", () => {
    const b = new TokenBucket(1, 1, 1000);
    b.take(1, 1000);
    expect(b.wait(1, 500)).toBe(1000);
  });
});

describe("FloodBudget", () => {
  test("limits lines, and bytes alongside", () => {
    const f = new FloodBudget(10, 5, 0);
    for (let i = 0; i < 10; i++) f.take(10, 0);
    expect(f.wait(10, 0)).toBe(200); // lines: one every 200 ms
    const g = new FloodBudget(10, 5, 0); // bytes: about 10 KiB at once, then 5 KiB/s
    g.take(4096, 0);
    g.take(4096, 0);
    expect(g.wait(4096, 0)).toBeGreaterThan(0);
  });
});

describe("PerAddress", () => {
  test("a few failures are free; after that each attempt waits", () => {
    const a = new PerAddress(2, 1);
    a.take("1.2.3.4", 0);
    expect(a.wait("1.2.3.4", 0)).toBe(0);
    a.take("1.2.3.4", 0);
    expect(a.wait("1.2.3.4", 0)).toBe(1000);
    expect(a.wait("5.6.7.8", 0)).toBe(0); // other addresses are not affected
  });

  test("addresses are forgotten once their attempts are back", () => {
    const a = new PerAddress(2, 1);
    a.take("1.2.3.4", 0);
    a.sweep(500);
    expect(a.size).toBe(1);
    a.sweep(1000);
    expect(a.size).toBe(0);
  });

  test("a rate of 0 limits nothing and remembers nothing", () => {
    const a = new PerAddress(1, 0);
    for (let i = 0; i < 5; i++) a.take("1.2.3.4", 0);
    expect(a.wait("1.2.3.4", 0)).toBe(0);
    expect(a.size).toBe(0);
  });
});
