"""dantin speaks Vietnamese, click's and Typer's own words included.

Usage errors ("Missing argument …"), the help screens' headings and the prompts come from
click and Typer, which ask ``gettext`` for them in its default domain (``messages``). This
points that domain at ``cli/locale`` (``messages.po``, compiled to ``messages.mo`` by
``make locale``) and asks for Vietnamese whatever the machine's locale: the language of
every message a person reads is Vietnamese.

It runs before Typer formats anything: Typer reads its help headings once, when it first
formats help or an error (``typer.rich_utils``), and click at each message.

click's basic types name themselves in English for the help's value column ("TEXT",
"INTEGER"), where its ``Path`` asks gettext for its name: they are named here.
"""

from __future__ import annotations

import gettext
import os
from pathlib import Path

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
    from click import types  # (here: ``dantin check``'s quick path imports neither click nor this)

    for name, vietnamese in TYPE_NAMES.items():
        getattr(types, name).name = vietnamese
