// Links in what people say (src/render/links.ts): which are links, where they go, and how the
// terminal client shows them (OSC 8) where the terminal does.

import { describe, expect, test } from "bun:test";
import { hyperlinked, linksIn, terminalLinks } from "../../src/render/links.ts";

const hrefs = (text: string) => linksIn(text).map((l) => l.href);

describe("links", () => {
  test("http, https and mailto are links, where they are in the text, without a sentence's punctuation", () => {
    const text = "build log: https://ci.example.com/run/42?x=1, or mail ops@example.com.";
    expect(linksIn(text)).toEqual([
      { start: 11, end: 44, text: "https://ci.example.com/run/42?x=1", href: "https://ci.example.com/run/42?x=1" },
      { start: 54, end: 69, text: "ops@example.com", href: "mailto:ops@example.com" },
    ]);
    expect(hrefs("see www.bunchat.dev")).toEqual(["http://www.bunchat.dev/"]);
    expect(hrefs("(https://en.wikipedia.org/wiki/Foo_(bar))")).toEqual(["https://en.wikipedia.org/wiki/Foo_(bar)"]);
  });

  test("never javascript:, data:, file:, ftp:, nor a URL with a user name in it (made to mislead about where it goes)", () => {
    expect(hrefs("javascript:alert(1) data:text/html,<b>x</b>.x file:///etc/passwd ftp://x.org")).toEqual([]);
    expect(hrefs("https://google.com@evil.com/login and https://user:pw@example.com")).toEqual([]);
    expect(hrefs("no links here, just words")).toEqual([]);
  });

  test("a host in another script goes where its punycode says, and that is what the page shows as its title", () => {
    expect(hrefs("https://аррӏе.com/")).toEqual(["https://xn--80ak6aa92e.com/"]);
  });

  test("the terminal client's OSC 8: the text as it was, the href in the sequence; nothing for text without links", () => {
    expect(hyperlinked("see https://example.com/x now")).toBe("see \x1b]8;;https://example.com/x\x1b\\https://example.com/x\x1b]8;;\x1b\\ now");
    expect(hyperlinked("nothing to see")).toBe("nothing to see");
  });

  test("which terminals show hyperlinks: FORCE_HYPERLINK first; known terminals; never inside tmux or screen, or a dumb one", () => {
    expect(terminalLinks({ FORCE_HYPERLINK: "1", TMUX: "/tmp/x" })).toBe(true);
    expect(terminalLinks({ FORCE_HYPERLINK: "0", TERM_PROGRAM: "iTerm.app" })).toBe(false);
    expect(terminalLinks({ TERM_PROGRAM: "WezTerm" })).toBe(true);
    expect(terminalLinks({ VTE_VERSION: "7600" })).toBe(true);
    expect(terminalLinks({ VTE_VERSION: "4200" })).toBe(false);
    expect(terminalLinks({ TERM_PROGRAM: "iTerm.app", TMUX: "/tmp/x" })).toBe(false);
    expect(terminalLinks({ TERM: "xterm-256color" })).toBe(false);
  });
});
