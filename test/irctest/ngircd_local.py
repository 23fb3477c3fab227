"""irctest's ngircd controller as it runs here (Debian 12's ngircd 26.1, for bench/IRC.md): on
loopback only."""

from typing import Any, Type

from irctest.controllers.ngircd import NgircdController

from bunchat_controller import loopback, remember


class LocalNgircdController(NgircdController):
    def run(self, hostname: str, port: int, **kwargs: Any) -> None:  # type: ignore[override]
        super().run(loopback(hostname), port, **kwargs)

    def execute(self, command, proc_name=None, **kwargs):  # type: ignore[no-untyped-def]
        proc = super().execute(command, proc_name, **kwargs)
        remember(proc)
        return proc


def get_irctest_controller_class() -> Type[LocalNgircdController]:
    return LocalNgircdController
