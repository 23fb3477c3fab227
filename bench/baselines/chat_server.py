"""The textbook chat server: one thread per client, a lock around the client list, and each
message written to each other client with sendall. The design bunchat replaces; a baseline for
bench/run.ts, not part of the product. Correct for what it is: the lock is held while a line goes
to everyone, so two senders never interleave their bytes on one socket, and TCP_NODELAY is set as
every other server sets it.

    python3 chat_server.py [port]      # first line from a client is its name
"""

import socket
import sys
import threading

clients = {}  # socket -> name
lock = threading.Lock()


def broadcast(data, sender):
    with lock:
        for c in list(clients):
            if c is sender:
                continue
            try:
                c.sendall(data)
            except OSError:
                pass


def serve(conn):
    reader = conn.makefile("rb")
    try:
        name = reader.readline().strip().decode("utf-8", "replace")
        if not name:
            return
        with lock:
            clients[conn] = name
        conn.sendall(f"Hi {name}, you are in.\n".encode())
        broadcast(f"--> {name} joined the chat\n".encode(), conn)
        for line in reader:
            text = line.rstrip(b"\r\n")
            if text:
                broadcast(name.encode() + b": " + text + b"\n", conn)
    except OSError:
        pass
    finally:
        with lock:
            clients.pop(conn, None)
        conn.close()


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(1024)
    print(f"listening on 127.0.0.1:{server.getsockname()[1]}", flush=True)
    while True:
        conn, _ = server.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
