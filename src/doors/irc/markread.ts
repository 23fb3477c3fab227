// IRCv3 draft/read-marker: MARKREAD <target> asks for the user's marker of a channel or a nick
// (answered `*` when there is none), MARKREAD <target> timestamp=… moves it (forward only: the
// answer is the marker kept, which may be newer). The same markers as bunchat's /read: every other
// connection of the user is told (core/markers.ts).

import { ircLine } from "../../protocol/irc.ts";
import { hasNameShape } from "../../protocol/names.ts";
import { parseMarkerTime } from "../../core/markers.ts";
import type { IrcCommandHost } from "./commands.ts";
import { markreadLine } from "./replies.ts";

export function markreadCommand(c: IrcCommandHost, target: string | undefined, value: string | undefined): void {
  const fail = (code: string, why: string, about = target ?? "*") => c.send(ircLine(c.server, "FAIL", ["MARKREAD", code, about, why], true));
  if (target === undefined || target === "") return fail("NEED_MORE_PARAMS", "MARKREAD needs a target");
  const member = c.session.me;
  const markers = c.hub.markers;
  if (!target.startsWith("#") && !hasNameShape(target)) return fail("INVALID_PARAMS", "That is neither a channel nor a nick");
  if (value === undefined) return c.send(markreadLine(c.server, target, markers.get(member, target)));
  const ts = value.startsWith("timestamp=") ? parseMarkerTime(value.slice("timestamp=".length)) : undefined;
  if (ts === undefined) return fail("INVALID_PARAMS", "The marker must be timestamp=YYYY-MM-DDThh:mm:ss.sssZ");
  if (target.startsWith("#")) {
    const room = c.hub.room(target);
    // One not in it can't move its marker (a channel one is not in reads the same whether it exists or not).
    if (!room || !room.has(member)) return fail("INVALID_PARAMS", "You're not on that channel");
  }
  const now = markers.move(member, target, Math.min(ts, c.now()), c.session);
  c.send(markreadLine(c.server, target, now));
}
