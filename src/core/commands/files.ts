// /upload and /file (issue 33): a ticket to share a file in a room, and a link to one. The bytes go
// through the web door (doors/web/files.ts); who may read and send them is core/files.ts's.

import { type CommandContext, error, type Handler } from "./kit.ts";
import { sanitizeText } from "../../protocol/sanitize.ts";
import { sizeWords, urlHost } from "../../protocol/messages.ts";

/** Why `ctx` can't share files here, or undefined. */
function noFiles(ctx: CommandContext): ReturnType<typeof error> | undefined {
  const files = ctx.hub.files;
  if (!files || !files.door) return error("not-allowed", "This server takes no files (it was started without --files and --http-port).");
  if (ctx.me.account === undefined && !files.config.guests) return error("not-allowed", "Only registered names share files here: /register <password> first.");
  return undefined;
}

export const fileCommands = {
  upload(ctx, args) {
    const refused = noFiles(ctx);
    if (refused) return ctx.reply(refused);
    const files = ctx.hub.files!;
    const named = args.trim().split(/\s+/)[0] || undefined;
    const room = named ? ctx.hub.room(named) : ctx.device.room;
    if (!room || !room.has(ctx.me)) return ctx.reply(error("not-in-room", named ? `You are not in ${sanitizeText(named).slice(0, 40)}.` : "You are in no room: /join one to share a file there."));
    if (!ctx.hub.rules.maySpeak(ctx.me, room)) {
      return ctx.reply(error("not-allowed", `You can't speak in ${room.name} now, so you can't share a file there.`));
    }
    const now = ctx.now();
    const token = files.ticket(ctx.me, room.name, now);
    const door = files.door!;
    ctx.reply({
      type: "upload",
      room: room.name,
      path: `/api/rooms/${encodeURIComponent(room.name.slice(1))}/files`,
      token,
      port: door.port,
      tls: door.tls,
      ...(door.host || ctx.localAddress ? { host: door.host ?? urlHost(ctx.localAddress!) } : {}),
      maxBytes: files.config.maxFileBytes,
      until: now + 5 * 60_000,
      ts: now,
    });
  },
  file(ctx, args) {
    const files = ctx.hub.files;
    if (!files || !files.door) return ctx.reply(error("not-allowed", "This server takes no files."));
    const id = args.trim();
    if (!/^[A-Za-z0-9_-]{22}$/.test(id)) return ctx.reply(error("bad-usage", "A file's id is the 22 letters, digits, - and _ its line shows: /file <id>."));
    ctx.after(files.store.get(id), (meta) => {
      const room = meta ? ctx.hub.room(meta.room) : undefined;
      if (!meta || !room || !room.has(ctx.me)) return ctx.reply(error("unknown-line", "No such file in a room you are in."));
      const link = files.link(meta, ctx.me, ctx.localAddress ?? "localhost", ctx.now());
      ctx.reply({ type: "notice", text: `${meta.name} (${sizeWords(meta.size)}, ${room.name}): ${link}`, ts: ctx.now() });
    });
  },
} satisfies Record<string, Handler>;
