// HTTP/1.1 for the web door: as much of it as a browser, curl and a bot need, and no more. A
// request's head is read within a deadline and a size, its body (Content-Length only) within a
// size, one request at a time per connection; the answer is a fetch-style Response, written
// whole with its length. The door owns the socket, so every connection counts against the
// server's caps like any other door's, and a slow one is closed on our clock.

/** A request's head (request line and headers) is at most this long. */
export const HEAD_MAX_BYTES = 16 * 1024;
/** Headers in one request at most. */
const MAX_HEADERS = 100;

export interface RequestHead {
  method: string;
  /** As sent: "/path?query". */
  target: string;
  /** HTTP/1.0 closes after one answer unless it asks to keep alive. */
  http10: boolean;
  headers: Headers;
}

/** A refusal of a request that can't be read: the status and why, sent before closing. */
export interface BadRequest {
  status: number;
  why: string;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const utf8 = new TextDecoder("utf-8", { fatal: false });

/** Where a request's head ends in `bytes` (the index after its blank line); -1 if it has not yet. */
export function headEnd(bytes: Uint8Array): number {
  for (let i = bytes.indexOf(0x0a); i !== -1; i = bytes.indexOf(0x0a, i + 1)) {
    if (bytes[i + 1] === 0x0a) return i + 2;
    if (bytes[i + 1] === 0x0d && bytes[i + 2] === 0x0a) return i + 3;
  }
  return -1;
}

/** A request head, checked; or why it is not one. */
export function parseHead(bytes: Uint8Array): RequestHead | BadRequest {
  const lines = utf8.decode(bytes).split(/\r?\n/);
  while (lines.length > 0 && lines.at(-1) === "") lines.pop();
  const request = /^([A-Z]{1,16}) (\S+) HTTP\/1\.([01])$/.exec(lines[0] ?? "");
  if (!request) return { status: 400, why: "That is not an HTTP/1.1 request line." };
  const [, method, target, minor] = request;
  if (!target!.startsWith("/")) return { status: 400, why: "Ask for a path that starts with /." };
  if (lines.length - 1 > MAX_HEADERS) return { status: 431, why: `More than ${MAX_HEADERS} headers.` };
  const headers = new Headers();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    const name = line.slice(0, colon);
    // Folded lines (a leading space) and names that are no token are refused, not guessed at.
    if (colon <= 0 || !TOKEN.test(name)) return { status: 400, why: "A header line is not one." };
    const value = line.slice(colon + 1).trim();
    if (/[\0\r\n]/.test(value)) return { status: 400, why: "A header holds a control character." };
    if (name.toLowerCase() === "host" && headers.has("host")) return { status: 400, why: "Two Host headers." };
    headers.append(name, value);
  }
  if (minor === "1" && !headers.has("host")) return { status: 400, why: "HTTP/1.1 needs a Host header." };
  return { method: method!, target: target!, http10: minor === "0", headers };
}

const REASONS: Record<number, string> = {
  101: "Switching Protocols",
  200: "OK",
  201: "Created",
  204: "No Content",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  411: "Length Required",
  413: "Content Too Large",
  421: "Misdirected Request",
  426: "Upgrade Required",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  503: "Service Unavailable",
};

/**
 * The bytes of an answer: status line, headers (a Content-Length for the body, and "Connection:
 * close" when `close`), then the body unless `head` (a HEAD request).
 */
export async function responseBytes(res: Response, close: boolean, head: boolean): Promise<Uint8Array> {
  const body = new Uint8Array(await res.arrayBuffer());
  let text = `HTTP/1.1 ${res.status} ${REASONS[res.status] ?? "Status"}\r\n`;
  res.headers.forEach((value, name) => {
    if (name !== "content-length" && name !== "transfer-encoding" && name !== "connection") text += `${name}: ${value}\r\n`;
  });
  text += `content-length: ${body.length}\r\n`;
  if (close) text += "connection: close\r\n";
  text += "\r\n";
  const start = new TextEncoder().encode(text);
  if (head || body.length === 0) return start;
  const out = new Uint8Array(start.length + body.length);
  out.set(start);
  out.set(body, start.length);
  return out;
}

/** A short plain answer, for what is refused before any route sees it. */
export function plainBytes(status: number, text: string, close = true, extra: Record<string, string> = {}): Uint8Array {
  let head = `HTTP/1.1 ${status} ${REASONS[status] ?? "Status"}\r\ncontent-type: text/plain; charset=utf-8\r\n`;
  for (const [name, value] of Object.entries(extra)) head += `${name}: ${value}\r\n`;
  const body = new TextEncoder().encode(`${text}\n`);
  head += `content-length: ${body.length}\r\n${close ? "connection: close\r\n" : ""}\r\n`;
  return Buffer.concat([new TextEncoder().encode(head), body]);
}

/** Whether the client asked to keep the connection open after this answer. */
export function keepsAlive(head: RequestHead): boolean {
  const connection = (head.headers.get("connection") ?? "").toLowerCase();
  return head.http10 ? connection.includes("keep-alive") : !connection.split(",").some((t) => t.trim() === "close");
}
