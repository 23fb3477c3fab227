// The formatting a line may use (render/markdown.ts), and how each client shows it: the tree, IRC's
// codes, the terminal client's styles. The page's DOM is checked in Chromium (test/web/browser.test.ts).

import { describe, expect, test } from "bun:test";
import { makeRenderer } from "../../src/client/render.ts";
import type { ServerEvent } from "../../src/protocol/events.ts";
import { fromIrcFormatting, ircFormatted, messageLines } from "../../src/render/irc.ts";
import { mayFormat, parseBlocks, parseInline } from "../../src/render/markdown.ts";
import { toText } from "../../src/render/text.ts";

describe("the formatting of a line", () => {
  test("inline: code, bold, italic, struck, links; nested; escaped marks are text", () => {
    expect(parseInline("**bold** _it_ `x*y` ~~old~~ [docs](https://example.com/a)")).toEqual([
      { kind: "bold", children: [{ kind: "text", text: "bold" }] },
      { kind: "text", text: " " },
      { kind: "italic", children: [{ kind: "text", text: "it" }] },
      { kind: "text", text: " " },
      { kind: "code", text: "x*y" },
      { kind: "text", text: " " },
      { kind: "strike", children: [{ kind: "text", text: "old" }] },
      { kind: "text", text: " " },
      { kind: "link", href: "https://example.com/a", children: [{ kind: "text", text: "docs" }] },
    ]);
    expect(parseInline("a **b *c* d**")).toEqual([
      { kind: "text", text: "a " },
      { kind: "bold", children: [{ kind: "text", text: "b " }, { kind: "italic", children: [{ kind: "text", text: "c" }] }, { kind: "text", text: " d" }] },
    ]);
    expect(parseInline("\\*not italic\\* and \\`not code\\`")).toEqual([{ kind: "text", text: "*not italic* and `not code`" }]);
    expect(parseInline("``a ` b``")).toEqual([{ kind: "code", text: "a ` b" }]);
  });

  test("what is not formatting stays as typed: snake_case, 2*3*4, globs, lone marks, unclosed code, marks around spaces", () => {
    for (const text of ["snake_case_name", "2*3*4 = 24", "*.ts and *.js", "a * b * c", "it costs 5 * 3", "`unclosed", "** not bold **", "~single~", "_a_b"]) {
      expect(parseInline(text)).toEqual([{ kind: "text", text }]);
    }
  });

  test("links go only to http, https and mailto, without a user name: anything else is text", () => {
    for (const text of ["[x](javascript:alert(1))", "[x](data:text/html,hi)", "[x](file:///etc/passwd)", "[x](https://google.com@evil.example)", "[x](/relative)", "[x](vbscript:y)"]) {
      expect(parseInline(text)).toEqual([{ kind: "text", text }]);
    }
    // A homograph host is in punycode: where it really goes.
    expect(parseInline("[bank](https://аpple.com)")).toEqual([{ kind: "link", href: "https://xn--pple-43d.com/", children: [{ kind: "text", text: "bank" }] }]);
  });

  test("blocks: fenced code with its language (to the end when unclosed), quotes, and the lines between", () => {
    expect(parseBlocks("look:\n```ts\nconst a = **1**;\n```\n> said\n> before\nok")).toEqual([
      { kind: "lines", inline: [{ kind: "text", text: "look:" }] },
      { kind: "code", lang: "ts", text: "const a = **1**;" },
      { kind: "quote", inline: [{ kind: "text", text: "said\nbefore" }] },
      { kind: "lines", inline: [{ kind: "text", text: "ok" }] },
    ]);
    expect(parseBlocks("```\nnever closed\nstill code")).toEqual([{ kind: "code", text: "never closed\nstill code" }]);
    expect(parseBlocks(">not a quote")).toEqual([{ kind: "lines", inline: [{ kind: "text", text: ">not a quote" }] }]);
    expect(mayFormat("plain words, a URL https://example.com and 3.5")).toBe(false);
  });

  test("hostile marks cost about the text's length: 16 KiB of openers without closers, of backtick runs, of links, nested", () => {
    const started = performance.now();
    for (const text of ["**a ".repeat(4096), "_a ".repeat(5000), "`a ``b ".repeat(2000), "[a](".repeat(4000), "**x*".repeat(4000), "*_".repeat(8000)]) {
      expect(parseBlocks(text).length).toBeGreaterThan(0);
    }
    // A bound, not a timing target: each of these took 0.3-0.7 s when every opener scanned the rest of the line.
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe("the formatting in each view", () => {
  const line = (text: string): Extract<ServerEvent, { type: "public" }> => ({ type: "public", id: 7, room: "#dev", from: "Sam", text, ts: 0 });

  test("nc reads it as typed", () => {
    expect(toText(line("**ship** it `now`"))).toBe("Sam: **ship** it `now`");
  });

  test("IRC: bold, italic, struck and code as IRC's codes; a code block's lines monospace; a link's address after its text", () => {
    expect(ircFormatted("**ship** _it_ ~~not~~ `now` [docs](https://example.com/)")).toBe("\u0002ship\u0002 \u001dit\u001d \u001enot\u001e \u0011now\u0011 docs <https://example.com/>");
    expect(ircFormatted("```sh\nls -l\n\nrm x\n```")).toBe("```sh\n\u0011ls -l\u0011\n\n\u0011rm x\u0011\n```");
    expect(messageLines("irc", "Sam", "#dev", "**hi**", { ts: 0, id: 1 }, false)).toBe(":Sam!Sam@bunchat PRIVMSG #dev :\u0002hi\u0002\r\n");
    // An IRC client's own batch is relayed as its pieces came: not reformatted.
    expect(messageLines("irc", "Sam", "#dev", "**a**\nb", { ts: 0, id: 1, concat: [] }, false)).toBe(":Sam!Sam@bunchat PRIVMSG #dev :**a**\r\n:Sam!Sam@bunchat PRIVMSG #dev :b\r\n");
  });

  test("IRC's codes from an IRC client become Markdown (and back to IRC as the same codes): marks around each run's words, colours and resets leave none", () => {
    const cases: [string, string][] = [
      ["\u0002ship\u0002 it \u001dnow\u001d", "**ship** it _now_"],
      ["\u0002 spaced \u0002out", " **spaced** out"],
      ["\u000304,12red\u0003 and \u0004ff0000hex\u0004", "red and hex"],
      ["\u0002bold \u001dboth\u000f plain", "**bold** **_both_** plain"],
      ["\u0011make\u0011 \u001estale\u001e", "`make` ~~stale~~"],
      ["\u0002never closed", "**never closed**"],
      ["\u001funderlined\u001f \u0016reversed\u0016", "underlined reversed"],
      ["plain 2*3*4", "plain 2*3*4"],
    ];
    for (const [typed, markdown] of cases) expect(fromIrcFormatting(typed)).toBe(markdown);
    expect(ircFormatted(fromIrcFormatting("\u0002ship\u0002 it"))).toBe("\u0002ship\u0002 it");
  });

  test("the terminal client: styles with colour, marks taken off; as typed without colour; wrapped rows keep their styles", () => {
    const plain = makeRenderer({ color: false, timestamps: false, room: () => "#dev" });
    expect(plain(line("**ship** it"))).toBe("Sam: **ship** it");
    const coloured = makeRenderer({ color: true, timestamps: false, room: () => "#dev", columns: () => 30 });
    const shown = coloured(line("**ship** it `now` and then some more words to wrap"))!;
    expect(shown).toContain("\u001b[1mship\u001b[22m");
    expect(shown).toContain("\u001b[36mnow\u001b[39m");
    expect(shown).not.toContain("**");
    const rows = shown.split("\n").map((r) => Bun.stripANSI(r));
    expect(rows.length).toBeGreaterThan(1);
    for (const row of rows) expect(Bun.stringWidth(row)).toBeLessThanOrEqual(30);
    const block = coloured(line("```js\nlet a\n```"))!;
    expect(block.split("\n").map((r) => Bun.stripANSI(r))).toEqual(["Sam: ```js", "     let a", "     ```"]);
  });
});
