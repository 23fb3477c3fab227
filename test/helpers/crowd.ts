// Users without sockets: members of a hub who never read a thing, to make a big room cheaply.

import type { Hub } from "../../src/core/hub.ts";
import type { Member } from "../../src/core/room.ts";

/** `n` users named `crowd0000`… (padded to `digits`) in the default room, each away with a 100-character reason. */
export function quietCrowd(hub: Hub, n: number, digits = 4): void {
  for (let i = 0; i < n; i++) {
    const m: Member = { name: `crowd${String(i).padStart(digits, "0")}`, devices: [], rooms: [] };
    hub.add(m);
    hub.join(m, hub.lobby, 0, false);
    hub.setAway(m, `gone fishing ${"~".repeat(87)}`); // 100 characters, as in the attack of issue 11
  }
}
