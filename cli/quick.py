"""``dantin check`` for the common case, without Typer, rich or pydantic: the quick path.

``run_check(args)`` handles ``dantin check DOSSIER [--as-of DAY] [--json] [--as-recorded]``
when the options are plain and the dossier is valid, and prints exactly what the full
command (cli/check.py) prints then; it returns the exit code. Whenever it is not sure — an
option it does not know (``--help``), a day that does not parse, a file it cannot read or a pipe, a
dossier the quick checks do not accept (``schemas.quick``), any error — it prints nothing
and returns None, and ``cli.main`` runs the full command, which says what is wrong. Both
write nothing, so running the full command after the quick one changes nothing.
"""

from __future__ import annotations

import sys
from datetime import date
from typing import Any

_FLAGS = {"--json": "json", "--as-recorded": "as_recorded"}


def parse(args: list[str]) -> dict[str, Any] | None:
    """The options, when they are the plain forms the full command reads the same way."""
    found: dict[str, Any] = {}
    rest = list(args)
    while rest:
        arg = rest.pop(0)
        if arg in _FLAGS and _FLAGS[arg] not in found:
            found[_FLAGS[arg]] = True
        elif arg == "--as-of" and "as_of" not in found and rest and not rest[0].startswith("-"):
            found["as_of"] = rest.pop(0)
        elif arg.startswith("--as-of=") and "as_of" not in found:
            found["as_of"] = arg.removeprefix("--as-of=")
        elif arg and not arg.startswith("-") and "dossier" not in found:
            found["dossier"] = arg
        else:
            return None
    return found if "dossier" in found else None


def run_check(args: list[str]) -> int | None:
    """Exit code of ``dantin check ARGS`` done here, or None when the full command must run."""
    options = parse(args)
    if options is None:
        return None
    try:
        text = _verdict(options)
    except KeyboardInterrupt:  # as the full command says it (cli.common.guarded)
        sys.stderr.write("\nĐã hủy.\n")
        return 130
    except Exception:  # noqa: BLE001 - the full command reports whatever went wrong, in Vietnamese
        return None
    if text is None:
        return None
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:  # as click does: a reader that went away (`| head`) is no error to report
        sys.stdout = None  # nothing more to flush at exit
        return 1
    except OSError as exc:  # a full disk, a device error: said as the full command says it
        sys.stdout = None
        return _write_failed(exc)
    return 0


def _write_failed(exc: OSError) -> int:
    """The full command's answer when its output cannot be written (``cli.common.guarded``)."""
    import typer

    from cli.common import os_failure

    try:
        os_failure(exc)
    except typer.Exit as done:
        return done.exit_code


def _verdict(options: dict[str, Any]) -> str | None:
    from pathlib import Path
    from stat import S_ISREG

    from ledger.rules import judge, record_from_dossier
    from schemas._checks import is_iso_day
    from schemas.quick import quick_load

    as_of = options.get("as_of")
    if as_of is not None and not is_iso_day(as_of):
        return None  # not YYYY-MM-DD: the full command says so (cli.common.parse_day)
    day = date.today() if as_of is None else date.fromisoformat(as_of)
    path = Path(options["dossier"])
    if not S_ISREG(path.stat().st_mode):
        return None  # a pipe (/dev/stdin, <(…)) is read once: by the full command, which may need it
    loaded = quick_load(path.read_bytes())
    if loaded is None:
        return None
    record = record_from_dossier(loaded)
    verdict = judge(record, day, as_recorded=bool(options.get("as_recorded")))
    if options.get("json"):
        import orjson

        return orjson.dumps(verdict, option=orjson.OPT_INDENT_2).decode("utf-8") + "\n"
    from cli.plain import colour_wanted, verdict_text, width_for

    return verdict_text(verdict, record, colour=colour_wanted(sys.stdout), width=width_for(sys.stdout))
