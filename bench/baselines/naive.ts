// The naive Bun chat server: Bun.listen, a Set of sockets, and each line written to each other
// client with its own socket.write: one send() per delivery. What a first version of bunchat
// would look like; a baseline for bench/run.ts, not part of the product. Correct, not tuned:
// what a socket does not take is kept (socket.write drops the rest otherwise) and written on
// drain, so nothing is lost and nothing overtakes it.
//
//   bun bench/baselines/naive.ts [port]     # first line from a client is its name

import type { Socket } from "bun";

type Client = { name: string | undefined; partial: string; waiting: string };
const clients = new Set<Socket<Client>>();
const decoder = new TextDecoder();

function send(socket: Socket<Client>, text: string): void {
  if (socket.data.waiting !== "") {
    socket.data.waiting += text;
    return;
  }
  const bytes = Buffer.from(text);
  const taken = socket.write(bytes);
  if (taken < bytes.length) socket.data.waiting = bytes.subarray(Math.max(0, taken)).toString();
}

const server = Bun.listen<Client>({
  hostname: "127.0.0.1",
  port: Number(process.argv[2] ?? 0),
  socket: {
    open(socket) {
      socket.data = { name: undefined, partial: "", waiting: "" };
    },
    data(socket, chunk) {
      const lines = (socket.data.partial + decoder.decode(chunk, { stream: true })).split("\n");
      socket.data.partial = lines.pop()!;
      for (const raw of lines) {
        const line = raw.replace(/\r$/, "");
        if (socket.data.name === undefined) {
          socket.data.name = line;
          clients.add(socket);
          send(socket, `Hi ${line}, you are in.\n`);
          for (const other of clients) if (other !== socket) send(other, `--> ${line} joined the chat\n`);
          continue;
        }
        for (const other of clients) if (other !== socket) send(other, `${socket.data.name}: ${line}\n`);
      }
    },
    drain(socket) {
      const waiting = socket.data.waiting;
      socket.data.waiting = "";
      if (waiting !== "") send(socket, waiting);
    },
    close(socket) {
      clients.delete(socket);
    },
  },
});
console.log(`listening on 127.0.0.1:${server.port}`);
