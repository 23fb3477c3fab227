// Telling a person why Redis can't be reached, and the URL without its password for logs.

import { within } from "../net/clock.ts";

/**
 * Why a connection to Redis failed, asked of Redis itself over a plain socket: nothing listening,
 * no answer, a password needed or refused. Undefined when it can't tell (TLS, a malformed URL).
 */
export async function diagnose(url: string, timeoutMs = 2000): Promise<string | undefined> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return "that is not a valid URL";
  }
  if (target.protocol !== "redis:") return undefined;
  const password = decodeURIComponent(target.password);
  const user = decodeURIComponent(target.username);
  const command = (...words: string[]) =>
    `*${words.length}\r\n${words.map((w) => `$${Buffer.byteLength(w)}\r\n${w}\r\n`).join("")}`;
  const ask = password ? command("AUTH", ...(user ? [user] : []), password) : command("PING");
  let answer = "";
  try {
    const reply = await within(
      new Promise<string>((resolve, reject) => {
        Bun.connect({
          hostname: target.hostname.replace(/^\[|\]$/g, ""),
          port: Number(target.port || 6379),
          socket: {
            open: (socket) => void socket.write(ask),
            data: (socket, chunk) => {
              answer += chunk.toString();
              if (answer.includes("\r\n")) {
                socket.end();
                resolve(answer.slice(0, answer.indexOf("\r\n")));
              }
            },
            close: () => resolve(answer || "(closed without a word)"),
            connectError: (_socket, error) => reject(error),
          },
        }).catch(reject);
      }),
      timeoutMs,
      "",
    );
    if (reply === "") return `no answer within ${timeoutMs / 1000} s`;
    if (/^-NOAUTH/.test(reply)) return "it wants a password: redis://:<password>@host:port";
    if (/^-(WRONGPASS|ERR invalid password)/.test(reply)) return "it refused the password (or user) in the URL";
    if (/^-ERR.*without any password configured/.test(reply)) {
      return "it has no password, but the URL gives one";
    }
    if (/^[+-]/.test(reply)) return `it answered "${reply.slice(0, 80)}"`;
    return "what answered is not Redis";
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "ECONNREFUSED") return "nothing is listening there (is redis-server running?)";
    return (err as Error).message;
  }
}

/** The URL without its password, for logs and errors. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@");
}
