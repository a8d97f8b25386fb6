"""dantin speaks Vietnamese, click's and Typer's own words included.

Usage errors ("Missing argument …"), the help screens' headings and the prompts come from
click and Typer, which ask ``gettext`` for them in its default domain (``messages``). This
points that domain at ``cli/locale`` (``messages.po``, compiled to ``messages.mo`` by
``make locale``) and asks for Vietnamese whatever the machine's locale: the language of
every message a person reads is Vietnamese.

It runs before Typer formats anything: Typer reads its help headings once, when it first
formats help or an error (``typer.rich_utils``), and click at each message.

click's basic types name themselves in English for the help's value column ("TEXT",
"INTEGER"), where its ``Path`` asks gettext for its name: they are named here. And the
usage line's placeholders (``[OPTIONS]``) and the arguments' names, which no gettext call
covers, are set by ``Typer``, the class of the application and its groups.
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import typer
from typer.core import TyperCommand
from typer.models import CommandFunctionType

LOCALE_DIR = Path(__file__).with_name("locale")
#: The domain click and Typer read their messages from (``gettext.gettext``'s default).
DOMAIN = "messages"


#: click's types that name themselves (``ParamType.name``, shown upper-cased as the value's kind).
TYPE_NAMES = {
    "StringParamType": "chuỗi",
    "UnprocessedParamType": "chuỗi",
    "IntParamType": "số nguyên",
    "FloatParamType": "số",
    "IntRange": "số nguyên trong khoảng",
    "FloatRange": "số trong khoảng",
    "DateTime": "ngày giờ",
    "File": "tệp",
    "UUIDParameterType": "uuid",
    "Choice": "lựa chọn",
}


def install() -> None:
    # gettext.gettext() takes the language from the environment at each call (LANGUAGE first).
    os.environ["LANGUAGE"] = "vi"
    gettext.bindtextdomain(DOMAIN, str(LOCALE_DIR))
    for name, vietnamese in TYPE_NAMES.items():
        getattr(click.types, name).name = vietnamese


#: The usage line's placeholders (click's own: ``[OPTIONS]``, ``COMMAND [ARGS]...``); click's and
#: Typer's messages themselves are translated by gettext (``install`` below).
OPTIONS_METAVAR = "[TÙY CHỌN]"
COMMAND_METAVAR = "LỆNH [ĐỐI SỐ]..."


class _Command(TyperCommand):
    """A command whose help names each argument by its Vietnamese placeholder, lower-cased
    (``thư_mục``), where Typer would show the Python parameter's name (``directory``). Only
    the help reads it: click parses and reports an argument by its name and placeholder."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if isinstance(param, click.Argument) and param.metavar:
                param.opts = [param.metavar.lower()]


class Typer(typer.Typer):
    """``typer.Typer`` whose usage lines and argument names are Vietnamese."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("options_metavar", OPTIONS_METAVAR)
        kwargs.setdefault("subcommand_metavar", COMMAND_METAVAR)
        super().__init__(**kwargs)

    def command(
        self, name: str | None = None, **kwargs: Any
    ) -> Callable[[CommandFunctionType], CommandFunctionType]:
        kwargs.setdefault("options_metavar", OPTIONS_METAVAR)
        kwargs.setdefault("cls", _Command)
        return super().command(name, **kwargs)
