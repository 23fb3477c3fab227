// Collects lines as they arrive (from a socket or a process) and waits on conditions, never on sleeps.

import type { ServerEvent } from "../../src/protocol/events.ts";

export type LineTest = string | RegExp | ((line: string) => boolean);

function matches(test: LineTest, line: string): boolean {
  if (typeof test === "string") return line === test;
  if (test instanceof RegExp) return test.test(line);
  return test(line);
}

export class LineLog {
  readonly lines: string[] = [];
  private cursor = 0;
  private waiters = new Set<() => void>();
  private ended = false;
  private partial = "";
  private readonly decoder = new TextDecoder();
  /** Called with each complete line as it arrives. */
  onLine?: (line: string) => void;

  constructor(private readonly label: string) {}

  /** Feeds raw bytes; complete lines are recorded. */
  push(chunk: Uint8Array): void {
    this.partial += this.decoder.decode(chunk, { stream: true });
    const parts = this.partial.split("\n");
    this.partial = parts.pop()!;
    for (const part of parts) {
      const line = part.replace(/\r$/, "");
      this.lines.push(line);
      this.onLine?.(line);
    }
    this.wake();
  }

  end(): void {
    this.ended = true;
    this.wake();
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** The next line (after the last one matched) that passes the test. */
  async next(test: LineTest, timeoutMs = 3000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (; this.cursor < this.lines.length; this.cursor++) {
        const line = this.lines[this.cursor]!;
        if (matches(test, line)) {
          this.cursor++;
          return line;
        }
      }
      if (this.ended) throw new Error(`${this.label}: ended without a line matching ${String(test)}\n${this.dump()}`);
      if (!(await this.changed(deadline))) {
        throw new Error(`${this.label}: no line matching ${String(test)} within ${timeoutMs} ms\n${this.dump()}`);
      }
    }
  }

  /** Waits until some line, anywhere in the log, passes the test; does not move the cursor. */
  async seen(test: LineTest, timeoutMs = 3000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.lines.find((l) => matches(test, l));
      if (line !== undefined) return line;
      if (this.ended || !(await this.changed(deadline))) {
        throw new Error(`${this.label}: no line matching ${String(test)} within ${timeoutMs} ms\n${this.dump()}`);
      }
    }
  }

  /** Resolves once the stream has ended. */
  async closed(timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      if (!(await this.changed(deadline))) throw new Error(`${this.label}: still open after ${timeoutMs} ms`);
    }
  }

  /** Every line so far that passes the test. */
  all(test: LineTest): string[] {
    return this.lines.filter((l) => matches(test, l));
  }

  private changed(deadline: number): Promise<boolean> {
    const left = deadline - Date.now();
    if (left <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(wake);
        resolve(false);
      }, left);
      this.waiters.add(wake);
    });
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  private dump(): string {
    return this.lines.map((l) => `  | ${l}`).join("\n");
  }
}

/** Reads a process's output stream into a LineLog. */
export function logStream(stream: ReadableStream<Uint8Array>, label: string): LineLog {
  const log = new LineLog(label);
  void (async () => {
    for await (const chunk of stream) log.push(chunk);
    log.end();
  })();
  return log;
}

/** The part of a batched notice after "N joined the chat: ", as the names (or "name (reason)") it shows. */
function batchShows(line: string, head: RegExp): string[] | undefined {
  const m = head.exec(line);
  if (!m) return undefined;
  return line.slice(m[0].length).replace(/ and \d+ more$/, "").split(", ");
}

/** A join notice naming `name`: alone ("--> Sam joined the chat") or in a batch ("--> 3 joined the chat: Ann, Sam, Bo"). */
export function joined(name: string): (line: string) => boolean {
  return (line) =>
    line === `--> ${name} joined the chat` || (batchShows(line, /^--> \d+ joined the chat: /)?.includes(name) ?? false);
}

/** A leave notice for `name` with these words for its reason, alone or in a batch. */
export function left(name: string, words: string): (line: string) => boolean {
  return (line) =>
    line === `<-- ${name} left the chat (${words})` ||
    (batchShows(line, /^<-- \d+ left the chat: /)?.includes(`${name} (${words})`) ?? false);
}

/** What a test's client reads, whatever carries it (a TCP socket, a WebSocket): lines and events, waited for. */
export class LineReader {
  constructor(readonly log: LineLog) {}

  next(test: LineTest, timeoutMs?: number): Promise<string> {
    return this.log.next(test, timeoutMs);
  }

  /** Some line so far or to come passes the test, in whatever order it arrived. */
  seen(test: LineTest, timeoutMs?: number): Promise<string> {
    return this.log.seen(test, timeoutMs);
  }

  /** Json mode: the next event of this type (and passing `where`). */
  async event<T extends ServerEvent["type"]>(
    type: T,
    where: (e: Extract<ServerEvent, { type: T }>) => boolean = () => true,
  ): Promise<Extract<ServerEvent, { type: T }>> {
    const line = await this.log.next((l) => {
      if (!l.startsWith("{")) return false;
      const e = JSON.parse(l) as ServerEvent;
      return e.type === type && where(e as Extract<ServerEvent, { type: T }>);
    });
    return JSON.parse(line);
  }

  closed(timeoutMs?: number): Promise<void> {
    return this.log.closed(timeoutMs);
  }
}
