// The commands on lines already said: /answer, /react, /reactions, /edit and /delete. A line is
// named without its id as nc users can type (`^`, `^3`, `@Sam`) or by its id (the page, the
// client); the hub's messages.ts does the rest, the same for every door.

import { type CommandName, splitFirst } from "../../protocol/commands.ts";
import { LINE_REF_HELP, type LineRef, lineRefOf, reactionOf } from "../../protocol/messages.ts";
import { sanitizeMessage } from "../../protocol/sanitize.ts";
import { type FoundLine, type FoundRoomLine, quoteOf } from "../messages.ts";
import { badUsage, type CommandContext, error, type Handler, reason, say } from "./kit.ts";

/**
 * The line `ref` names in `ctx.me`'s current room (or, by its id, in one of its private
 * conversations), then `then` with it; the refusal goes back to them.
 */
function withLine(ctx: CommandContext, ref: LineRef, then: (found: FoundLine) => void): void {
  ctx.after(ctx.hub.messages.find(ctx.me, ctx.device.room, ref), (result) => ("type" in result ? ctx.reply(result) : then(result)));
}

/** A room's line `ref` names, as withLine finds it: a private one can be edited and deleted, not answered or reacted to. */
function withRoomLine(ctx: CommandContext, ref: LineRef, then: (found: FoundRoomLine) => void): void {
  withLine(ctx, ref, (found) => {
    if (!found.room) return ctx.reply(error("not-allowed", "A private line can be edited or deleted by its sender, not answered or reacted to: /pm answers."));
    then(found);
  });
}

/** A line's reference and the rest, or the usage hint for `command` when the first word is not one. */
function refAnd(ctx: CommandContext, command: CommandName, args: string): [LineRef, string] | undefined {
  const [word, rest] = splitFirst(args);
  const ref = lineRefOf(word);
  if (!ref) badUsage(ctx, command, `Say which line: ${LINE_REF_HELP}.`);
  return ref && [ref, rest];
}

/** What /edit and /delete act on without a line named: the user's own last line in the room. */
function ownRef(ctx: CommandContext): LineRef {
  return { kind: "last-of", name: ctx.me.name };
}

/** A new text for a line, cleaned as any line is; or why it can't be one. */
function newText(raw: string): string | { problem: string } {
  // Bounded where it came in: a typed line, or a message of several lines (refusals.messageTooBig).
  const text = sanitizeMessage(raw);
  if (text === "") return { problem: "Say the new text." };
  return text;
}

export const lineCommands = {
  answer(ctx, args) {
    const parsed = refAnd(ctx, "answer", args);
    if (!parsed) return;
    const text = sanitizeMessage(parsed[1]);
    if (text === "") return badUsage(ctx, "answer", "Say your answer.");
    withRoomLine(ctx, parsed[0], ({ room, line }) => {
      const refused = say(ctx, room, { type: "public", id: ctx.hub.nextId(), room: room.name, from: ctx.me.name, text, ts: ctx.now(), reply: quoteOf(line.event) });
      if (refused) ctx.reply(refused);
    });
  },
  react(ctx, args) {
    const parsed = refAnd(ctx, "react", args);
    if (!parsed) return;
    const reaction = reactionOf(parsed[1].trim());
    if ("error" in reaction) return badUsage(ctx, "react", reaction.error);
    withRoomLine(ctx, parsed[0], ({ room, line }) => {
      ctx.after(ctx.hub.messages.react(ctx.me, room, line, reaction.emoji, ctx.now()), (refused) => refused && ctx.reply(refused));
    });
  },
  reactions(ctx, args) {
    const parsed = refAnd(ctx, "reactions", args);
    if (!parsed) return;
    withRoomLine(ctx, parsed[0], ({ room, line }) => ctx.reply(ctx.hub.messages.reactions(room, line)));
  },
  edit(ctx, args) {
    const [word, rest] = splitFirst(args);
    const named = lineRefOf(word);
    const text = newText(named ? rest : args);
    if (typeof text !== "string") return badUsage(ctx, "edit", text.problem);
    withLine(ctx, named ?? ownRef(ctx), (found) => {
      ctx.after(ctx.hub.messages.edit(ctx.me, found, text, ctx.now()), (refused) => refused && ctx.reply(refused));
    });
  },
  delete(ctx, args) {
    const [word, rest] = splitFirst(args);
    const named = lineRefOf(word);
    const why = reason(named ? rest : args);
    withLine(ctx, named ?? ownRef(ctx), (found) => {
      ctx.after(ctx.hub.messages.remove(ctx.me, found, why, ctx.now()), (refused) => refused && ctx.reply(refused));
    });
  },
} satisfies Partial<Record<CommandName, Handler>>;
