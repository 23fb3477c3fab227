// The naive Bun chat server: Bun.listen, a Set of sockets, and each line written to each other
// client with its own socket.write. What a first version of bunchat would look like; a baseline
// for bench/run.ts, not part of the product. No backpressure handling: write() may come up short
// and drop the rest, which the benchmark counts as lost.
//
//   bun bench/baselines/naive.ts [port]     # first line from a client is its name

import type { Socket } from "bun";

type Client = { name: string | undefined; partial: string };
const clients = new Set<Socket<Client>>();
const decoder = new TextDecoder();

const server = Bun.listen<Client>({
  hostname: "127.0.0.1",
  port: Number(process.argv[2] ?? 0),
  socket: {
    open(socket) {
      socket.data = { name: undefined, partial: "" };
    },
    data(socket, chunk) {
      const lines = (socket.data.partial + decoder.decode(chunk)).split("\n");
      socket.data.partial = lines.pop()!;
      for (const raw of lines) {
        const line = raw.replace(/\r$/, "");
        if (socket.data.name === undefined) {
          socket.data.name = line;
          clients.add(socket);
          socket.write(`Hi ${line}, you are in.\n`);
          continue;
        }
        for (const other of clients) if (other !== socket) other.write(`${socket.data.name}: ${line}\n`);
      }
    },
    close(socket) {
      clients.delete(socket);
    },
  },
});
console.log(`listening on 127.0.0.1:${server.port}`);
