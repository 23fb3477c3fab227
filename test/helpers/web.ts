// A browser-like WebSocket user of the web door (/ws), and the bot token a server admin makes:
// the tests' way to be a page or a bot without a browser.

import { afterEachTest } from "./cleanup.ts";
import { LineLog, LineReader } from "./lines.ts";
import type { Peer } from "./peer.ts";

const open = new Set<WebSocket>();
afterEachTest(() => {
  for (const ws of open) ws.close();
  open.clear();
});

export class WsPeer extends LineReader {
  private constructor(
    private readonly ws: WebSocket,
    log: LineLog,
  ) {
    super(log);
  }

  /** Opens /ws of the web door at `port` (with `origin`, as a page of that site would). */
  static async connect(port: number, label = "ws", origin?: string): Promise<WsPeer> {
    const log = new LineLog(label);
    // Bun's WebSocket takes headers (a browser's sets Origin itself); the DOM's type, which the web
    // client's file brings in, knows only protocols.
    const options = origin ? ({ headers: { Origin: origin } } as unknown as string[]) : undefined;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, options);
    ws.binaryType = "arraybuffer";
    open.add(ws);
    ws.onmessage = (m) => log.push(typeof m.data === "string" ? new TextEncoder().encode(m.data) : new Uint8Array(m.data as ArrayBuffer));
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error(`${label}: the WebSocket did not open`));
    });
    ws.onclose = () => log.end();
    return new WsPeer(ws, log);
  }

  /** Connects and chooses `name`, once welcomed. */
  static async join(port: number, name: string): Promise<WsPeer> {
    const p = await WsPeer.connect(port, name);
    await p.event("ask-name");
    p.send(name);
    await p.event("welcome");
    return p;
  }

  send(line: string): void {
    this.ws.send(line);
  }

}

/** `admin` (a logged-in server admin) makes a token for `bot`; the token's text. */
export async function makeToken(admin: Peer, bot: string): Promise<string> {
  admin.send(`/token new ${bot}`);
  await admin.seen(new RegExp(`^-- Token [0-9a-f]{12} for the bot ${bot} `));
  return (await admin.seen(/^-- bunchat_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/)).slice(3);
}
