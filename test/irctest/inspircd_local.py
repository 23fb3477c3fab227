"""irctest's InspIRCd controller as it runs here (Debian 12's inspircd 3.15, for bench/IRC.md):
on loopback only, with --runasroot when run as root (CI), Debian's helpop example where it is
installed, and its log in the run's own directory instead of a fixed file in /tmp."""

import os
from typing import Any, Type

from irctest.controllers.inspircd import InspircdController

from bunchat_controller import loopback, remember

DEBIAN_HELPOP = "/usr/share/doc/inspircd/examples/helpop.conf.example"


class LocalInspircdController(InspircdController):
    def run(self, hostname: str, port: int, **kwargs: Any) -> None:  # type: ignore[override]
        super().run(loopback(hostname), port, **kwargs)

    def execute(self, command, proc_name=None, **kwargs):  # type: ignore[no-untyped-def]
        assert self.directory
        conf = self.directory / "server.conf"
        text = conf.read_text()
        text = text.replace("examples/helpop.conf.example", DEBIAN_HELPOP)
        text = text.replace('target="/tmp/ircd-', f'target="{self.directory}/ircd-')
        conf.write_text(text)
        command = list(command)
        if os.geteuid() == 0 and "inspircd" in command:
            command.insert(command.index("inspircd") + 1, "--runasroot")
        proc = super().execute(command, proc_name, **kwargs)
        remember(proc)
        return proc


def get_irctest_controller_class() -> Type[LocalInspircdController]:
    return LocalInspircdController
