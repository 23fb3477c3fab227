import { describe, expect, test } from "bun:test";
import { parseFlags, SAME_SIGNAL_MS, stopSignals, UsageError } from "../src/cli.ts";

const options = {
  port: { type: "string" },
  password: { type: "string" },
  tls: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

describe("parseFlags", () => {
  test.each([
    [["--port", "7878", "--tls"], { port: "7878", tls: true }],
    [["--port=7878"], { port: "7878" }],
    [["--password=-starts-with-a-dash"], { password: "-starts-with-a-dash" }],
    [["--password="], { password: "" }],
    [["-h"], { help: true }],
    [[], {}],
    [["--port", "1", "--port", "2"], { port: "2" }], // the last one wins
  ] as const)("%p", (argv, expected) => {
    expect(parseFlags([...argv], options)).toEqual(expected);
  });

  test.each([
    [["--nope"], "Unknown option '--nope'"],
    [["-x"], "Unknown option '-x'"],
    [["stray"], "Unexpected argument 'stray'. This command does not take positional arguments"],
    [["--port"], "Option '--port <value>' needs a value (--port=<value> for one that starts with '-')"],
    [["--port", "--tls"], "Option '--port <value>' needs a value"],
    [["--tls=yes"], "Option '--tls' does not take a value"],
    [["--"], "Unexpected argument '--'"],
  ] as const)("%p is a usage error", (argv, message) => {
    expect(() => parseFlags([...argv], options)).toThrow(UsageError);
    expect(() => parseFlags([...argv], options)).toThrow(message);
  });
});

describe("stop signals", () => {
  const make = () => {
    let t = 0;
    const did: string[] = [];
    const signal = stopSignals({ stop: (s) => void did.push(`stop ${s}`), hurry: () => void did.push("hurry"), now: () => t });
    return { did, signal, at: (ms: number) => void (t = ms) };
  };

  test("one Ctrl-C delivered twice (the terminal's to its process group, then npm's copy) is one graceful stop", () => {
    const { did, signal, at } = make();
    signal("SIGINT");
    at(30);
    signal("SIGINT");
    expect(did).toEqual(["stop SIGINT"]);
  });

  test("a second Ctrl-C a moment later hurries the stop (no more waiting for slow clients); so does any second SIGTERM", () => {
    const later = make();
    later.signal("SIGINT");
    later.at(SAME_SIGNAL_MS);
    later.signal("SIGINT");
    expect(later.did).toEqual(["stop SIGINT", "hurry"]);
    const terms = make();
    terms.signal("SIGTERM");
    terms.at(10);
    terms.signal("SIGTERM");
    expect(terms.did).toEqual(["stop SIGTERM", "hurry"]);
  });
});
