"""``dantin``: the command line of the signed ledger.

Start-up is part of the interface (a clerk runs ``dantin check`` once per dossier), so this
module imports nothing: ``main`` runs ``dantin check`` on its quick path (cli/quick.py, no
Typer, rich or pydantic) when the options are plain and the dossier is valid, and the full
Typer application (cli/app.py) for everything else, including every error and ``--help``.
``cli.main.app`` is that application, imported on first use (tests drive it with CliRunner).
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import typer

    app: typer.Typer


def main() -> None:
    """The console entry point: ``dantin ARGS…``."""
    for name in ("stdout", "stderr"):  # closed (`>&-`): what goes there is dropped, as rich drops it, not a crash
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115 - for the process's life
    for stream in (sys.stdout, sys.stderr):  # a terminal that cannot show Vietnamese gets "?", not a traceback
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(errors="replace")  # type: ignore[union-attr]
    try:
        _main()
    except KeyboardInterrupt:  # Ctrl-C before the application handles it (while it imports)
        sys.stderr.write("\nĐã hủy.\n")
        sys.exit(130)


def _main() -> None:
    if sys.argv[1:2] == ["verify"] and _workers_wanted(sys.argv[2:]):
        # The signature workers' forkserver starts now and imports what it needs while this
        # process imports the application (see ``ledger.audit.start_workers``).
        from ledger.sigpool import warm_forkserver

        with contextlib.suppress(OSError):  # (then ``verify`` starts its workers another way: cli/app.py)
            warm_forkserver()
    if sys.argv[1:2] == ["check"]:
        from cli.quick import run_check

        code = run_check(sys.argv[2:])
        if code is not None:
            sys.exit(code)
    from cli.app import app

    app()


def _workers_wanted(args: list[str]) -> bool:
    """Whether ``dantin verify ARGS`` will want worker processes: a ledger directory given, no
    ``--help``, and not ``--workers`` 1 or fewer. (Only a guess, on the raw arguments: Typer
    judges them after; a wrong guess costs a forkserver started for nothing, or started later.)"""
    if "--help" in args or "-h" in args:
        return False
    for i, arg in enumerate(args):
        value = arg.partition("=")[2] if arg.startswith("--workers=") else (
            args[i + 1] if arg == "--workers" and i + 1 < len(args) else None)
        if value is not None:
            try:
                if int(value) <= 1:
                    return False
            except ValueError:
                return False
    positional = [a for i, a in enumerate(args)
                  if not a.startswith("-") and (i == 0 or args[i - 1] not in _VALUED)]
    return bool(positional) and os.path.isfile(os.path.join(positional[0], "ledger.json"))  # (home.SETTINGS)


#: ``dantin verify``'s options that take a value (the next argument, unless written ``--opt=value``).
_VALUED = frozenset({"--database", "--workers", "--log-key", "--root-key"})


def __getattr__(name: str) -> Any:
    if name == "app":
        from cli.app import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
