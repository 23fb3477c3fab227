// The least a Bun chat server can do per line while batching per turn as bunchat does: bytes in,
// bytes out, no strings. Each complete line is copied, after its sender's "name: " prefix, into
// the turn's list; when the turn ends (setImmediate) every client gets one write of the turn
// without its own lines. What a socket does not take waits for its drain. No checks, no log,
// no commands: Bun's own floor for this design, beside the C ceiling (ceiling.c), so that the
// benchmark can tell bunchat's cost from the runtime's. A baseline for bench/run.ts, not part of
// the product.
//
//   bun bench/baselines/batched.ts [port]     # first line from a client is its name

import type { Socket } from "bun";

type Client = { name: string | undefined; prefix: Uint8Array; partial: Uint8Array | undefined; queue: Uint8Array[] };
const clients = new Set<Socket<Client>>();
const encoder = new TextEncoder();
const NL = 0x0a;

/** This turn's lines, each with its sender (undefined: a notice for everyone). */
let turn: { from: Socket<Client> | undefined; bytes: Uint8Array }[] = [];

function send(socket: Socket<Client>, bytes: Uint8Array): void {
  if (socket.data.queue.length > 0) {
    socket.data.queue.push(bytes);
    return;
  }
  const taken = socket.write(bytes);
  if (taken < bytes.length) socket.data.queue.push(bytes.subarray(Math.max(0, taken)));
}

function flush(): void {
  const lines = turn;
  turn = [];
  const all = Buffer.concat(lines.map((l) => l.bytes));
  const senders = new Set(lines.map((l) => l.from));
  for (const client of clients) {
    if (!senders.has(client)) send(client, all);
    else {
      const mine = lines.filter((l) => l.from !== client).map((l) => l.bytes);
      if (mine.length > 0) send(client, Buffer.concat(mine));
    }
  }
}

function add(from: Socket<Client> | undefined, bytes: Uint8Array): void {
  if (turn.length === 0) setImmediate(flush);
  turn.push({ from, bytes });
}

const server = Bun.listen<Client>({
  hostname: "127.0.0.1",
  port: Number(process.argv[2] ?? 0),
  socket: {
    open(socket) {
      socket.data = { name: undefined, prefix: new Uint8Array(), partial: undefined, queue: [] };
    },
    data(socket, chunk) {
      const c = socket.data;
      let bytes: Uint8Array = chunk;
      if (c.partial) bytes = Buffer.concat([c.partial, chunk]);
      c.partial = undefined;
      let start = 0;
      for (let nl = bytes.indexOf(NL); nl !== -1; nl = bytes.indexOf(NL, start)) {
        const line = bytes.subarray(start, nl);
        start = nl + 1;
        if (c.name === undefined) {
          c.name = new TextDecoder().decode(line);
          c.prefix = encoder.encode(`${c.name}: `);
          clients.add(socket);
          send(socket, encoder.encode(`Hi ${c.name}, you are in.\n`));
          add(socket, encoder.encode(`--> ${c.name} joined the chat\n`));
          continue;
        }
        const out = new Uint8Array(c.prefix.length + line.length + 1);
        out.set(c.prefix);
        out.set(line, c.prefix.length);
        out[out.length - 1] = NL;
        add(socket, out);
      }
      if (start < bytes.length) c.partial = bytes.slice(start);
    },
    drain(socket) {
      const queue = socket.data.queue;
      socket.data.queue = [];
      if (queue.length > 0) send(socket, Buffer.concat(queue));
    },
    close(socket) {
      clients.delete(socket);
    },
  },
});
console.log(`listening on 127.0.0.1:${server.port}`);
