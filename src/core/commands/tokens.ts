// /token: server admins make, list and revoke the tokens bots and CI post with over the HTTP API
// (src/doors/web/api.ts). A token is shown once, to its maker, and kept hashed; the bot's name is held
// for it like a registered name, so no user can speak as the bot.

import { splitFirst } from "../../protocol/commands.ts";
import { checkName, foldName } from "../../protocol/names.ts";
import { utcMinute } from "../../render/text.ts";
import { MAX_TOKENS } from "../../store/tokens.ts";
import { newToken } from "../../session/secrets.ts";
import { badUsage, error, type Handler, outcome } from "./kit.ts";
import { adminOnly } from "./moderation.ts";

export const tokenCommands = {
  token(ctx, args) {
    const refused = adminOnly(ctx, "token");
    if (refused) return ctx.reply(refused);
    const { tokens, accounts } = ctx.hub;
    if (!tokens || !accounts) return ctx.reply(error("no-accounts", "This server keeps no accounts, so no bot tokens."));
    const [verb, rest] = splitFirst(args);
    const [target, extra] = splitFirst(rest);
    const tell = (text: string) => ctx.reply({ type: "notice", text, ts: ctx.now() });
    switch (verb.toLowerCase()) {
      case "new": {
        if (target === "" || extra !== "") return badUsage(ctx, "token", "Say the bot's name: /token new deploy.");
        const check = checkName(target);
        if (!check.ok) return badUsage(ctx, "token", check.reason);
        const bot = check.name;
        const key = foldName(bot);
        const online = ctx.hub.find(bot);
        if (online) return ctx.reply(error("name-taken", `${online.name} is online as a user: a bot needs a name of its own.`));
        const made = newToken(bot, ctx.me.name, ctx.now());
        return ctx.after(
          outcome(async () => {
            const [held, all] = await Promise.all([accounts.get(key), tokens.list()]);
            if (held && !held.bot) return error("name-registered", `${held.name} is a registered user's name: a bot needs a name of its own.`);
            if (all.length >= MAX_TOKENS) return error("not-allowed", `There are ${all.length} tokens, the most kept; /token revoke some first.`);
            const name = held?.name ?? bot;
            if (!held) await accounts.put(key, { name, hash: "", created: ctx.now(), bot: true });
            await tokens.put({ ...made.record, bot: name });
            return name;
          }),
          (name) => {
            if (typeof name !== "string") return ctx.reply(name);
            tell(`Token ${made.record.id} for the bot ${name} (shown this once; it is kept hashed, so keep it secret):`);
            tell(made.text);
            tell(`Post with it: curl -H 'Authorization: Bearer ${made.text}' -d '{"text":"hello"}' <server>/api/rooms/lobby/messages`);
            ctx.log(`~ ${ctx.me.name} made token ${made.record.id} for the bot ${name}`);
          },
        );
      }
      case "list":
        if (target !== "") return badUsage(ctx, "token", "/token list takes nothing more.");
        return ctx.after(outcome(async () => await tokens.list()), (all) => {
          if (!Array.isArray(all)) return ctx.reply(all);
          if (all.length === 0) return tell("No bot tokens. /token new <bot> makes one.");
          tell(`Bot tokens (${all.length}):`);
          for (const t of all) tell(`  ${t.id}  ${t.bot}, made by ${t.by} ${utcMinute(t.created)} UTC`);
        });
      case "revoke":
        if (!/^[0-9a-f]{12}$/.test(target) || extra !== "") return badUsage(ctx, "token", "Say which token, by the id /token list shows.");
        return ctx.after(outcome(async () => await tokens.remove(target)), (gone) => {
          if (gone !== true) return ctx.reply(gone === false ? error("bad-usage", `There is no token ${target}; /token list shows them.`) : gone);
          tell(`Token ${target} is revoked: it posts nothing from now on.`);
          ctx.log(`~ ${ctx.me.name} revoked token ${target}`);
        });
      default:
        return badUsage(ctx, "token", "Say new, list or revoke.");
    }
  },
} satisfies Record<string, Handler>;

