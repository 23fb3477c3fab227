// The docs say what the code does: the generated parts are what scripts/docs.ts would write now,
// and the hand-written limits table gives each limit's default as the code has it.

import { describe, expect, test } from "bun:test";
import { FILES, regenerate } from "../scripts/docs.ts";
import { BUNDLE, bundlePage } from "../scripts/page.ts";
import { SERVER_FLAGS } from "../src/flags.ts";
import { HISTORY_FLUSH_MS } from "../src/core/keeping.ts";
import { WRITE_AT } from "../src/store/sqlite/history.ts";

const root = `${import.meta.dir}/..`;

describe("docs", () => {
  test.each(FILES)("%s: the generated parts are up to date (bun run docs rewrites them)", async (file) => {
    const text = await Bun.file(`${root}/${file}`).text();
    expect(text).toContain("<!-- generated: ");
    expect(regenerate(text)).toBe(text);
  });

  test("README's limits table gives each flag's default as --help does", async () => {
    const readme = await Bun.file(`${root}/README.md`).text();
    const limits = readme.slice(readme.indexOf("## Limits"), readme.indexOf("## Benchmarks"));
    const rows = [...limits.matchAll(/^\| [^|]+\| ([^|]*\(`--([a-z-]+)`\)[^|]*)\|/gm)];
    expect(rows.length).toBeGreaterThan(5);
    for (const [, cell, flag] of rows) {
      const spec = SERVER_FLAGS.find((f) => f.name === flag);
      expect(spec, `--${flag} in the limits table`).toBeDefined();
      const value = spec!.default.replaceAll("`", "");
      // "1 MiB (`--max-outbox`)" for 1024 KiB, "30 s (`--register-timeout`)": the number, or its MiB.
      const shown = [value, `${Number(value) / 1024}`];
      expect(
        shown.some((v) => new RegExp(`(^|\\D)${v}(\\D|$)`).test(cell!)),
        `--${flag}: "${cell}" vs ${value}`,
      ).toBe(true);
    }
  });
});

describe("what a crash can lose", () => {
  test("README says what the store does: a line anyone received is kept; the file takes them every HISTORY_FLUSH_MS, or WRITE_AT at once", async () => {
    const readme = (await Bun.file(`${root}/README.md`).text()).replace(/\s+/g, " ");
    expect(HISTORY_FLUSH_MS).toBe(100);
    expect(readme).toContain("**A line anyone has received is in history**, even after `kill -9` or a crash of the server");
    expect(readme).toContain(`the database takes them together every tenth of a second (at once when ${WRITE_AT} are waiting)`);
  });
});

describe("the page's bundle", () => {
  test("src/web/app.bundle.js is what scripts/page.ts makes now from app.ts and the protocol (bun run page rewrites it)", async () => {
    expect(await Bun.file(BUNDLE).text()).toBe(await bundlePage());
  });
});
