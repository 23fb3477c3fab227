// `bun bench/private.ts`: what an attacker learns of private rooms, measured from outside a real
// server (issue 30). Writes bench/PRIVATE.md.
//
//   secret-timing  a non-member asks about a secret room and about a room nobody made, alternating,
//                  2000 times each, over the plain port and over IRC: the answers' words must be the
//                  same, and their times side by side (median, p90, p99) say whether a clock tells them apart
//   key-guessing   200 connections from 200 addresses guess a room's key for 20 s, as fast as they
//                  are answered: how many guesses the room took, against the budget (10, then one every 6 s)
//
// The server runs on core 0 (taskset, when it is there), with flood control off: the budgets
// measured are the room's own. Every loop is bounded in count and time.

import { connect, type Socket } from "bun";
import { join } from "node:path";
import { percentile, pin } from "./shared.ts";

const ROOT = join(import.meta.dir, "..");
const PROBES = 2000;
const GUESSERS = 200;
const GUESS_SECONDS = 20;

/** A line client: writes, and waits for a line that matches (bounded in time). */
class Client {
  private buffer = "";
  private readonly lines: string[] = [];
  private waiter: (() => void) | undefined;
  private socket!: Socket<undefined>;

  static async open(port: number, address = "127.0.0.1"): Promise<Client> {
    const c = new Client();
    c.socket = await connect<undefined>({
      hostname: "127.0.0.1",
      port,
      ...{ localAddress: address }, // not in Bun's types; bench/hostile.ts and test/ use it too
      data: undefined,
      socket: {
        data: (_s, data) => {
          c.buffer += data.toString();
          const parts = c.buffer.split("\n");
          c.buffer = parts.pop()!;
          c.lines.push(...parts.map((l) => l.replace(/\r$/, "")));
          c.waiter?.();
        },
        close: () => c.waiter?.(),
      },
    });
    return c;
  }

  write(text: string): void {
    this.socket.write(text);
  }

  /** The next line matching `test` (earlier lines are dropped), or undefined after `ms`. */
  async next(test: (line: string) => boolean, ms = 5000): Promise<string | undefined> {
    const deadline = Date.now() + ms;
    for (;;) {
      while (this.lines.length > 0) {
        const line = this.lines.shift()!;
        if (test(line)) return line;
      }
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => (clearTimeout(timer), resolve());
      });
    }
  }

  close(): void {
    this.socket.end();
  }
}


async function startServer(): Promise<{ port: number; ircPort: number; stop(): Promise<void> }> {
  const proc = Bun.spawn(
    [...pin(0), process.execPath, join(ROOT, "server.ts"), "--host", "127.0.0.1", "--port", "0", "--irc-port", "0", "--db", "none",
      "--flood-rate", "0", "--max-per-ip", "0", "--max-per-net", "0", "--connect-rate", "0", "--max-clients", "10000"],
    { stdout: "pipe", stderr: "inherit" },
  );
  const reader = proc.stdout.getReader();
  let text = "";
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && !/IRC door on 127\.0\.0\.1:\d+/.test(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(text)?.[1]);
  const ircPort = Number(/IRC door on 127\.0\.0\.1:(\d+)/.exec(text)?.[1]);
  if (!port || !ircPort) throw new Error(`the server did not start: ${text}`);
  void (async () => {
    for (;;) if ((await reader.read()).done) return; // keep the pipe drained
  })();
  return { port, ircPort, stop: async () => (proc.kill("SIGTERM"), void (await proc.exited)) };
}

const stats = (ms: number[]) => {
  const s = [...ms].sort((a, b) => a - b);
  return { median: percentile(s, 50), p90: percentile(s, 90), p99: percentile(s, 99) };
};

/**
 * Probes over one door, alternating a secret room and rooms nobody made: `ask(room)` sends a
 * question, `answer` matches its reply. Whether every answer reads the same, the room's name aside.
 */
async function probe(
  client: Client,
  ask: (room: string) => string,
  answer: (line: string) => boolean,
): Promise<{ secret: number[]; none: number[]; sameWords: boolean }> {
  const secret: number[] = [];
  const none: number[] = [];
  const words = new Set<string>();
  for (let i = 0; i < PROBES * 2; i++) {
    const room = i % 2 === 0 ? "#vault" : `#none${i}`;
    const started = performance.now();
    client.write(ask(room));
    const line = await client.next(answer);
    if (line === undefined) throw new Error(`no answer to ${ask(room).trim()}`);
    (i % 2 === 0 ? secret : none).push(performance.now() - started);
    words.add(line.replaceAll(room, "#X"));
  }
  return { secret, none, sameWords: words.size === 1 };
}

async function secretTiming(port: number, ircPort: number): Promise<string[]> {
  const owner = await Client.open(port);
  owner.write("Owner\n/join #vault\n/room secret on\n/ping made\n");
  if (!(await owner.next((l) => l === "pong made"))) throw new Error("no secret room");
  const rows: string[] = [];
  const plain = await Client.open(port);
  plain.write("Prober\n");
  await plain.next((l) => l.startsWith("Hi Prober"));
  const p = await probe(plain, (room) => `/invite Owner ${room}\n`, (l) => l.startsWith("! You are not in"));
  const irc = await Client.open(ircPort);
  irc.write("NICK Ircprober\r\nUSER p 0 * :p\r\n");
  await irc.next((l) => / 376 /.test(l));
  const i = await probe(irc, (room) => `TOPIC ${room}\r\n`, (l) => / 403 /.test(l));
  for (const [door, r] of [["plain (/invite Owner #room)", p], ["IRC (TOPIC #room)", i]] as const) {
    const [s, n] = [stats(r.secret), stats(r.none)];
    rows.push(`| ${door} | ${r.sameWords ? "same" : "DIFFERENT"} | ${s.median.toFixed(3)} / ${s.p90.toFixed(3)} / ${s.p99.toFixed(3)} | ${n.median.toFixed(3)} / ${n.p90.toFixed(3)} / ${n.p99.toFixed(3)} |`);
  }
  for (const c of [owner, plain, irc]) c.close();
  return rows;
}

async function keyGuessing(port: number): Promise<string> {
  const owner = await Client.open(port);
  owner.write("Keeper\n/join #safe\n/room key correct-horse-battery\n/ping made\n");
  if (!(await owner.next((l) => l === "pong made"))) throw new Error("no keyed room");
  const guessers = await Promise.all(Array.from({ length: GUESSERS }, (_, i) => Client.open(port, `127.0.${60 + Math.floor(i / 250)}.${1 + (i % 250)}`)));
  await Promise.all(guessers.map(async (g, i) => (g.write(`Guesser${i}\n`), g.next((l) => l.startsWith("Hi ")))));
  let taken = 0;
  let refused = 0;
  const stop = Date.now() + GUESS_SECONDS * 1000;
  await Promise.all(
    guessers.map(async (g, i) => {
      for (let n = 0; n < 100_000 && Date.now() < stop; n++) {
        g.write(`/join #safe guess-${i}-${n}\n`);
        const line = await g.next((l) => l.startsWith("! "), 5000);
        if (line === undefined) return;
        if (line.startsWith("! That is not the key")) taken++;
        else if (line.startsWith("! Too many wrong keys")) refused++;
      }
    }),
  );
  for (const g of guessers) g.close();
  owner.close();
  const budget = 10 + Math.floor(GUESS_SECONDS / 6);
  return `| ${GUESSERS} connections from ${GUESSERS} addresses, ${GUESS_SECONDS} s | ${taken} | ${refused} | ${budget} |`;
}

const server = await startServer();
try {
  const timing = await secretTiming(server.port, server.ircPort);
  const guessing = await keyGuessing(server.port);
  const date = new Date().toISOString().slice(0, 10);
  const md = `# Private rooms under probing (issue 30)

Made by \`bun bench/private.ts\` on ${date}, on the 2-core test VM, the server on core 0, with
flood control off (so that the room's own budget is what is measured; as shipped, flood control
slows each connection too).

## Is a secret room told apart from one that does not exist?

A non-member asks about the secret room \`#vault\` and about rooms nobody made, alternating,
${PROBES} times each; the round trip of each answer, in ms (median / p90 / p99):

| door (the question) | words | secret room | no such room |
| --- | --- | ---: | ---: |
${timing.join("\n")}

Both answers come from the same lookups in memory (a room that is secret answers as one that is not
there before anything else is read), so what the clock shows is the noise of the machine.

## Guessing a room's key

Every connection guesses a new wrong key as soon as the last one is answered:

| guessers | wrong keys the room took | refused for the budget | the budget (10, then one every 6 s) |
| --- | ---: | ---: | ---: |
${guessing}

Past its budget a room takes no key at all, the right one included, from anyone: the guesses
from many addresses go as slowly as from one. An invitation still lets people in.
`;
  console.log(md);
  if (!process.argv.includes("--no-write")) await Bun.write(join(import.meta.dir, "PRIVATE.md"), md);
} finally {
  await server.stop();
}
