// bunchat's own protocol, the adapter of the TCP door and the browser's WebSocket: plain text for
// nc and telnet (a prompt, then lines and /commands), JSON lines for the bundled client and the page
// (after a JSON hello). Registration (registration.ts) first, then chat.

import { parseInput } from "../protocol/commands.ts";
import type { ServerEvent } from "../protocol/events.ts";
import { sanitizeMessage } from "../protocol/sanitize.ts";
import { isObject, parseJson } from "../protocol/decode.ts";
import { LIMITS } from "../protocol/limits.ts";
import { lineTooLong, messageTooBig } from "./refusals.ts";
import { type Encoded, encode } from "../render/codec.ts";
import { error, notInRoom, runCommand, say } from "../core/commands/chat.ts";
import type { Adapter } from "./adapter.ts";
import { helloEvent, Registration } from "./registration.ts";
import type { Session } from "./session.ts";

export class NativeAdapter implements Adapter {
  readonly speaks = { protocol: "bunchat's plain-text protocol", clients: "bunchat, nc or telnet" };
  /** Until the name is accepted; dropped then. */
  private registration: Registration | undefined;

  constructor(private readonly session: Session) {
    this.registration = new Registration(session);
  }

  /** On connect, in plain text: a raw line client sees a prompt; the bundled client skips it. */
  greet(): void {
    const { env } = this.session;
    this.session.reply(helloEvent(env.limits, env.checkPassword !== undefined));
    this.session.reply({ type: env.checkPassword ? "ask-password" : "ask-name" });
  }

  line(text: string): void {
    // A structured connection reads lines as long as a message of several lines in JSON; any
    // other line keeps the limit of one typed line.
    const message = this.session.mode === "json" ? multiLine(text) : undefined;
    if (message !== undefined) {
      const refused = messageTooBig(message, this.session.env.limits);
      if (refused) return this.session.reply(refused);
      text = message;
    } else if (text.length * 3 > LIMITS.maxLineBytes && Buffer.byteLength(text) > LIMITS.maxLineBytes) {
      return this.session.reply(lineTooLong());
    }
    if (this.session.joined) this.chat(text);
    else this.registration?.line(text);
  }

  reprompt(): void {
    this.registration?.reprompt();
  }

  joined(): void {
    this.registration = undefined;
  }

  render(event: ServerEvent): Uint8Array {
    return encode(event, this.session.mode);
  }

  renderShared(encoded: Encoded): Uint8Array {
    return encoded.bytes(this.session.mode);
  }

  private chat(line: string): void {
    const session = this.session;
    session.member!.lastActive = session.now();
    const input = parseInput(line);
    switch (input.kind) {
      case "empty":
        return;
      case "command":
        return runCommand(session, input.word, input.args);
      case "text": {
        const text = sanitizeMessage(input.text);
        if (text.trim() === "") {
          return session.reply(error("bad-usage", "Nothing left to send once control characters are removed."));
        }
        const room = session.room;
        if (!room) return session.reply(notInRoom());
        const refused = say(session, room, { type: "public", id: session.hub.nextId(), room: room.name, from: session.name, text, ts: session.now() });
        if (refused) session.reply(refused);
        return;
      }
    }
  }
}

/**
 * `{"type":"line","text":"…"}`: a structured client's line whose text may hold newlines (a message
 * of several lines); its text, or undefined for any other line (read as typed).
 */
export function multiLine(line: string): string | undefined {
  if (!line.startsWith("{")) return undefined;
  const value = parseJson(line);
  return isObject(value) && value.type === "line" && typeof value.text === "string" ? value.text : undefined;
}

/** The adapter of bunchat's own doors (the default of a Session). */
export const native = (session: Session): Adapter => new NativeAdapter(session);
