"""irctest's controller for bunchat's IRC door: starts bunchat-server (from this checkout, with
Bun) with --irc-port on the port irctest chose, history in memory and flood control off (irctest
sends its bursts as fast as it can, from one address). irctest's IRC operator (OPER operuser
operpassword) is a bunchat admin: the name is given --admin, and registered with the setup code
the server logs, through its plain port, before irctest connects."""

import os
import re
import shutil
import socket
import time
from pathlib import Path
from typing import Optional, Set, Type

from irctest.basecontrollers import BaseServerController, DirectoryBasedController
from irctest.runner import NotImplementedByController

ROOT = Path(__file__).resolve().parents[2]
# irctest's IRC operator credentials (its config's defaults).
OPER_NAME = "operuser"
OPER_PASSWORD = "operpassword"


class BunchatController(BaseServerController, DirectoryBasedController):
    software_name = "bunchat"
    supported_sasl_mechanisms: Set[str] = {"PLAIN"}
    supports_sts = False

    def run(
        self,
        hostname: str,
        port: int,
        *,
        password: Optional[str],
        ssl: bool,
        run_services: bool,
        faketime: Optional[str],
        websocket_hostname: Optional[str],
        websocket_port: Optional[int],
    ) -> None:
        if websocket_hostname is not None or websocket_port is not None:
            raise NotImplementedByController("Websocket")
        # Services: bunchat keeps accounts itself (registerUser below); nothing else to start.
        assert self.proc is None
        hostname = loopback(hostname)
        self.port = port
        self.hostname = hostname
        self.create_config()
        bun = os.environ.get("BUN") or shutil.which("bun") or str(ROOT / "node_modules" / ".bin" / "bun")
        log_path = self.directory / "server.log"
        # The ports irctest and this controller pick were free when picked; a test of another file
        # running meanwhile may take one first. The chat port is ours: another is tried, twice.
        for attempt in range(3):
            (_, chat_port) = self.get_hostname_and_port()  # on loopback too, as every port here
            command = [
                bun, str(ROOT / "server.ts"),
                "--host", hostname, "--port", str(chat_port), "--db", "none",
                "--flood-rate", "0", "--connect-rate", "0", "--max-per-ip", "0", "--max-per-net", "0",
                "--irc-name", "My.Little.Server",
            ]
            if ssl:
                self.gen_ssl()
                command += ["--tls-cert", str(self.pem_path), "--tls-key", str(self.key_path), "--irc-tls-port", str(port)]
            else:
                command += ["--irc-port", str(port)]
            if password is not None:
                command += ["--password", password]
            # A cheap hash: the oper's name is registered before every test (the default takes 64 MiB and ~150 ms).
            # irctest's accounts have passwords as short as "bar": bunchat's least is 8 unless told.
            command += ["--admin", OPER_NAME, "--password-memory", "1", "--password-min", "1"]
            log = open(log_path, "wb")
            self.proc = self.execute(command, cwd=self.directory, stdout=log, stderr=log)
            remember(self.proc)
            log.close()
            for _ in range(300):
                if self.proc.poll() is not None or "listening on" in log_path.read_text(errors="replace"):
                    break
                time.sleep(0.05)
            text = log_path.read_text(errors="replace")
            if self.proc.poll() is None or "already in use" not in text or attempt == 2 or not free(hostname, port):
                break
            self.proc.wait()
            self.proc = None
        self.register_oper(hostname, chat_port, log_path, password)

    def wait_for_services(self) -> None:
        """bunchat's accounts are its own: up with the server."""
        self.wait_for_port()

    def registerUser(self, case, username: str, password: Optional[str] = None) -> None:  # type: ignore[override]
        """A registered name, made as a user makes one: IRCv3's REGISTER from a client with that nick."""
        assert password
        client = case.addClient(show_io=True)
        case.sendLine(client, "NICK " + username)
        case.sendLine(client, "USER r e g :user")
        while case.getRegistrationMessage(client).command != "001":
            pass
        case.getMessages(client)
        case.sendLine(client, f"REGISTER {username} * {password}")
        for _ in range(100):
            messages = case.getMessages(client)
            if any("is registered" in " ".join(m.params) for m in messages):
                break
        else:
            raise RuntimeError(f"could not register {username}")
        case.sendLine(client, "QUIT")
        case.assertDisconnected(client)

    def register_oper(self, hostname: str, port: int, log_path: Path, password: Optional[str]) -> None:
        """The admin name gets its password through bunchat's own /register and the setup code."""
        code = None
        for _ in range(300):
            text = log_path.read_text(errors="replace")
            found = re.search(r"--admin %s is not registered: .* /register <password> (\S+) " % OPER_NAME, text)
            if found and "listening on" in text:
                code = found.group(1)
                break
            time.sleep(0.05)
        if code is None:
            raise RuntimeError("bunchat-server did not start: " + log_path.read_text(errors="replace")[-2000:])
        with socket.create_connection((hostname, port), timeout=10) as conn:
            lines = [OPER_NAME, f"/register {OPER_PASSWORD} {code}", "quit"]
            if password is not None:
                lines.insert(0, password)
            conn.sendall(("\n".join(lines) + "\n").encode())
            seen = b""
            while b"Goodbye" not in seen:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                seen += chunk
        if f"{OPER_NAME} is registered".encode() not in seen:
            raise RuntimeError("could not register the oper's name: " + seen.decode(errors="replace")[-2000:])


def remember(proc) -> None:  # type: ignore[no-untyped-def]
    """irctest leaves a server running when a test is skipped during its setup: each server's pid
    goes in the run's own temporary directory, and the run (test/irctest/run.ts) ends them all."""
    with open(Path(os.environ.get("TMPDIR", "/tmp")) / "irctest-servers.pids", "a") as pids:
        pids.write(f"{proc.pid}\n")


def free(hostname: str, port: int) -> bool:
    """Whether `port` can be listened on now (irctest's own port: if another took it, no retry helps)."""
    with socket.socket() as probe:
        try:
            probe.bind((hostname, port))
            return True
        except OSError:
            return False


def loopback(hostname: str) -> str:
    """irctest picks "0.0.0.0" (every interface): the servers here listen on loopback only."""
    return "127.0.0.1" if hostname in ("", "0.0.0.0") else hostname


def get_irctest_controller_class() -> Type[BunchatController]:
    return BunchatController
