// What each command does. Names, usage and help live in the shared table (protocol/commands.ts);
// this is the server's half of it, and the type makes sure no command is left without a handler.

import { type CommandName, COMMANDS, lookupCommand, splitFirst, suggestCommand } from "../protocol/commands.ts";
import type { ErrorEvent, ServerEvent } from "../protocol/events.ts";
import { sanitizeText } from "../protocol/sanitize.ts";
import type { Hub, Member } from "./hub.ts";

/** What a command may touch: the hub, its own session, the clock and the log. */
export interface CommandContext {
  readonly me: Member;
  readonly hub: Hub;
  reply(event: ServerEvent): void;
  quit(): void;
  now(): number;
  log(line: string): void;
}

type Handler = (ctx: CommandContext, args: string) => void;

const usage = (name: CommandName) => COMMANDS.find((c) => c.name === name)!.usage;

const handlers: Record<CommandName, Handler> = {
  pm(ctx, args) {
    const [target, rawText] = splitFirst(args);
    if (target === "") return badUsage(ctx, "pm", "Say who the message is for.");
    const to = ctx.hub.find(target);
    if (!to) {
      return ctx.reply(
        error("unknown-user", `No user named "${sanitizeText(target)}" is online. /users shows who is.`),
      );
    }
    if (to === ctx.me) return ctx.reply(error("bad-usage", "You can't send a private message to yourself."));
    const text = sanitizeText(rawText);
    if (text.trim() === "") return badUsage(ctx, "pm", `Nothing to send to ${to.name}.`);
    const ts = ctx.now();
    ctx.hub.send(to, { type: "private", from: ctx.me.name, text, ts });
    ctx.reply({ type: "private-sent", to: to.name, text, ts });
    ctx.log(`[Private message from ${ctx.me.name} to ${to.name}]`);
  },
  users(ctx) {
    ctx.reply({ type: "users", users: ctx.hub.names() });
  },
  help(ctx) {
    ctx.reply({ type: "help" });
  },
  ping(ctx, args) {
    ctx.reply({ type: "pong", token: sanitizeText(args) });
  },
  quit(ctx) {
    ctx.quit();
  },
};

/** Runs "/word args" for a joined user. */
export function runCommand(ctx: CommandContext, word: string, args: string): void {
  const name = lookupCommand(word);
  if (name) return handlers[name](ctx, args);
  const shown = sanitizeText(word).slice(0, 32);
  const hint = suggestCommand(word);
  const didYouMean = hint ? ` Did you mean ${hint}?` : "";
  ctx.reply(
    error(
      "unknown-command",
      `Unknown command "/${shown}".${didYouMean} /help lists the commands; start a message with // to send a leading /.`,
    ),
  );
}

function badUsage(ctx: CommandContext, name: CommandName, problem: string): void {
  ctx.reply(error("bad-usage", `${problem} Usage: ${usage(name)}`));
}

export function error(code: ErrorEvent["code"], message: string): ErrorEvent {
  return { type: "error", code, message };
}
