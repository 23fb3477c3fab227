// /read: a read marker moved by hand, or by the page and the client as their user reads (the IRC
// door's MARKREAD moves the same markers: core/markers.ts).

import { splitFirst } from "../../protocol/commands.ts";
import { hasNameShape } from "../../protocol/names.ts";
import { sanitizeText } from "../../protocol/sanitize.ts";
import { markerKey, parseMarkerTime } from "../markers.ts";
import { badUsage, error, type Handler, notInRoom } from "./kit.ts";

export const markerCommands = {
  read(ctx, args) {
    const [first, rest] = splitFirst(args.trim());
    // "/read", "/read #dev", "/read Sam", "/read #dev 1733580000000", "/read 2026-12-07T14:02:00Z"
    const named = first.startsWith("#") || (first !== "" && parseMarkerTime(first) === undefined);
    const target = named ? first : ctx.device.room?.name;
    const time = (named ? rest : args).trim();
    if (target === undefined) return ctx.reply(notInRoom());
    if (target.startsWith("#")) {
      const room = ctx.hub.room(target);
      // A room one is not in reads the same whether it exists or not (a secret one must not show).
      if (!room || !room.has(ctx.me)) return ctx.reply(error("not-in-room", `You are not in ${sanitizeText(target).slice(0, 40)}: only rooms you are in have read markers.`));
    } else if (!hasNameShape(target)) {
      return badUsage(ctx, "read", `"${sanitizeText(target).slice(0, 32)}" is neither a room nor a name.`);
    }
    const ts = time === "" ? ctx.now() : parseMarkerTime(time);
    if (ts === undefined) return badUsage(ctx, "read", `"${sanitizeText(time).slice(0, 40)}" is not a time (ms since 1970, or like 2026-12-07T14:02:00Z).`);
    // Never ahead of now: a marker in the future would hide lines not said yet.
    const now = ctx.hub.markers.move(ctx.me, target, Math.min(ts, ctx.now()), ctx.device);
    ctx.reply({ type: "marker", target: markerKey(target), at: now });
  },
} satisfies Record<string, Handler>;
