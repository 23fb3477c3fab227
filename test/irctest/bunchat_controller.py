"""irctest's controller for bunchat's IRC door: starts bunchat-server (from this checkout, with
Bun) with --irc-port on the port irctest chose, history in memory and flood control off (irctest
sends its bursts as fast as it can, from one address)."""

import os
import shutil
from pathlib import Path
from typing import Optional, Set, Type

from irctest.basecontrollers import BaseServerController, DirectoryBasedController
from irctest.runner import NotImplementedByController

ROOT = Path(__file__).resolve().parents[2]


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
        if run_services:
            raise NotImplementedByController("services")
        assert self.proc is None
        self.port = port
        self.hostname = hostname
        self.create_config()
        (_, chat_port) = self.get_hostname_and_port()
        bun = os.environ.get("BUN") or shutil.which("bun") or str(ROOT / "node_modules" / ".bin" / "bun")
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
        self.proc = self.execute(command, cwd=self.directory)


def get_irctest_controller_class() -> Type[BunchatController]:
    return BunchatController
