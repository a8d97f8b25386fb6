"""A verdict as a person reads it, in plain text: no rich, so ``dantin check`` starts fast.

The same heading, offices and one table row per check as before, drawn with box characters;
colours only on a terminal (never with ``NO_COLOR``), the width from ``COLUMNS`` or the
terminal (80 otherwise), the long columns wrapped to fit.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from datetime import date
from typing import IO, TYPE_CHECKING, Any

from ledger.rules.text import SAME_PERSON_VI, STATUS_VI, VERDICT_VI
from schemas._checks import visible

if TYPE_CHECKING:
    from ledger.rules.record import VillageRecord

STATUS_STYLE = {"pass": "green", "fail": "bold red", "waived": "cyan", "deviation": "yellow",
                "pending": "magenta", "not_applicable": "dim"}
VERDICT_STYLE = {"violations": "bold red", "incomplete": "magenta", "compliant": "bold green"}
_SGR = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "magenta": "35", "cyan": "36"}


def colour_wanted(stream: IO[str]) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and os.environ.get("TERM", "") not in ("dumb", "unknown")


def width_for(stream: IO[str]) -> int:
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        if stream.isatty():
            return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):
        pass
    return 80


_WIDTH: dict[str, int] = {}


def cells(text: str) -> int:
    """How many terminal columns ``text`` takes (accents that combine take none, wide scripts two)."""
    if text.isascii():
        return len(text)
    n = len(text)
    for c in set(text):  # each distinct character once: Vietnamese takes one column a letter
        width = _WIDTH[c] if c in _WIDTH else _width(c)
        if width != 1:
            n += (width - 1) * text.count(c)
    return n


def _width(c: str) -> int:
    import unicodedata

    width = 0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
    _WIDTH[c] = width
    return width


def wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` columns, broken between words (inside a word
    only when it is longer than a line)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line: list[str] = []
        used = -1  # columns taken by the line so far, with one space after each word
        for word in paragraph.split(" "):
            size = cells(word)
            while size > width:  # a word longer than a line: cut it
                cut = _fit(word, width)
                if line:
                    lines.append(" ".join(line))
                lines.append(word[:cut])
                line, used = [], -1
                word = word[cut:]
                size = cells(word)
            if line and used + 1 + size > width:
                lines.append(" ".join(line))
                line, used = [], -1
            line.append(word)
            used += 1 + size
        lines.append(" ".join(line))
    return lines


def _fit(word: str, room: int) -> int:
    used = 0
    for i, c in enumerate(word):
        used += cells(c)
        if used > room:
            return max(i, 1)
    return len(word)


class Style:
    def __init__(self, colour: bool) -> None:
        self.colour = colour

    def __call__(self, text: str, style: str) -> str:
        if not self.colour or not style or not text:
            return text
        codes = ";".join(_SGR[s] for s in style.split())
        return f"\x1b[{codes}m{text}\x1b[0m"


def table(headers: Sequence[str], rows: Sequence[Sequence[tuple[str, str]]], *, wrapping: Sequence[bool],
          width: int, style: Style) -> list[str]:
    """A table in box characters, heavy head as before; each cell is (text, style)."""
    natural = [max([cells(h)] + [max((cells(x) for x in r[i][0].split("\n")), default=0) for r in rows])
               for i, h in enumerate(headers)]
    widths = list(natural)
    excess = sum(widths) + 3 * len(widths) + 1 - width
    wrapped_columns = [i for i, w in enumerate(wrapping) if w]
    for i in wrapped_columns:  # the earlier columns give first, down to their longest word; the last gives the rest
        if excess <= 0:
            break
        longest_word = max([cells(w) for r in rows for w in r[i][0].split()] + [cells(headers[i])])
        floor = longest_word if i != wrapped_columns[-1] else min(natural[i], max(10, min(longest_word, 30)))
        give = min(excess, widths[i] - floor)
        if give > 0:
            widths[i] -= give
            excess -= give

    def rule(left: str, fill: str, mid: str, right: str) -> str:
        return left + mid.join(fill * (w + 2) for w in widths) + right

    def line(texts: Sequence[tuple[str, str]], bar: str) -> list[str]:
        wrapped = [wrap(t, widths[i]) if wrapping[i] else t.split("\n") for i, (t, _) in enumerate(texts)]
        out = []
        for n in range(max(len(w) for w in wrapped)):
            parts = []
            for i, w in enumerate(wrapped):
                text = w[n] if n < len(w) else ""
                parts.append(" " + style(text, texts[i][1]) + " " * max(widths[i] - cells(text), 0) + " ")
            out.append(bar + bar.join(parts) + bar)
        return out

    lines = [rule("┏", "━", "┳", "┓"), *line([(h, "bold") for h in headers], "┃"), rule("┡", "━", "╇", "┩")]
    for r in rows:
        lines.extend(line(r, "│"))
    lines.append(rule("└", "─", "┴", "┘"))
    return lines


def verdict_text(verdict: dict[str, Any], record: VillageRecord, *, colour: bool, width: int) -> str:
    """The verdict as ``dantin check`` and ``dantin verdict`` print it: heading, offices, checks, totals."""
    style = Style(colour)

    def who(person: str | None) -> str:
        if not person:
            return "—"
        name = visible(record.name(person))  # (stored text: hidden characters by their code, never obeyed)
        return f"{name} ({person})" if name != person else person

    lead = verdict["leadership"]
    view = "theo số liệu ghi ban đầu" if verdict["view"] == "as_recorded" else "đã tính các đính chính"
    on = date.fromisoformat(verdict["as_of"]).strftime("%d/%m/%Y")
    out = [
        f"{style(visible(record.village.name or record.village.id), 'bold')} ({record.village.id}) — xét tại ngày "
        f"{on}, {view}",
        f"Bộ quy tắc: {', '.join(verdict['rulesets'])}  ({verdict['ruleset_digest'][:19]}…)",
        f"Kết luận: {style(VERDICT_VI[verdict['verdict']], VERDICT_STYLE[verdict['verdict']])}",
        f"Trưởng thôn: {who(lead['head'])}; bí thư: {who(lead['secretary'])}; phó bí thư: {who(lead['deputy'])}; "
        f"chi ủy: {', '.join(who(p) for p in lead['committee']) or '—'}",
        f"Ý Đảng – lòng Dân: {SAME_PERSON_VI[verdict['same_person']]}",
    ]
    rows = [[(c["rule"], ""), (c["ruleset"], ""), (STATUS_VI[c["status"]], STATUS_STYLE[c["status"]]),
             (", ".join(c["events"]), ""), (visible(c["detail_vi"]), "")] for c in verdict["checks"]]
    out += table(["Quy tắc", "Bộ", "Kết quả", "Sự kiện", "Chi tiết"], rows,
                 wrapping=[False, False, False, True, True], width=width, style=style)
    counts: dict[str, int] = {}
    for c in verdict["checks"]:
        counts[c["status"]] = counts.get(c["status"], 0) + 1
    out.append("Tổng: " + ", ".join(f"{n} {STATUS_VI[s]}" for s, n in counts.items()))
    return "\n".join(out) + "\n"


def show(verdict: dict[str, Any], record: VillageRecord, stream: IO[str] | None = None) -> None:
    """Print the verdict to ``stream`` (standard output by default)."""
    stream = stream or sys.stdout
    stream.write(verdict_text(verdict, record, colour=colour_wanted(stream), width=width_for(stream)))
