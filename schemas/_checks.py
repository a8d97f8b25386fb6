"""The plain-Python checks behind the contracts' annotated types, importable without pydantic.

``schemas.ids`` and ``schemas._base`` wrap these very functions in pydantic validators;
``schemas.quick`` (the quick path of ``dantin check``) calls them directly, so both judge a
value by the same code.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TypeGuard, TypeVar

_SLUG = r"[a-z0-9]+(?:-[a-z0-9]+)*"
PLACE_RE = re.compile(rf"^{_SLUG}(?:\.{_SLUG})*$")
BODY_RE = re.compile(rf"^{_SLUG}(?:\.{_SLUG})*/[a-z0-9]+(?:[-_][a-z0-9]+)*$")
PERSON_RE = re.compile(r"^[a-z0-9][a-z0-9._:-]{0,127}$")
KEY_ID_RE = re.compile(r"^[0-9a-f]{32}$")
EVENT_TYPE_RE = re.compile(r"^[a-z]+(?:_[a-z]+)*\.[a-z]+(?:_[a-z]+)*$")

_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # ASCII digits, the whole string (``fullmatch``)
_TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?Z$")

#: The largest integer RFC 8785 (I-JSON) represents exactly: 2^53 − 1.
MAX_SAFE_INT = 2**53 - 1

HASH_RE = re.compile(r"^[0-9a-f]{64}$")
#: A dossier's own event id (``e1``, ``bau-cu-2022``); at most 63 characters, so it can
#: never be mistaken for an event hash.
DOSSIER_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,62}$")

_DECIMAL_RE = re.compile(r"^(?:0|[1-9][0-9]{0,8})(?:\.[0-9]{1,6})?$")


#: Strings already judged good, and what they gave (dates and times are immutable): events
#: share their dates, and a batch its signing times. Each holds at most ``_SEEN`` entries.
_DATES: dict[str, date] = {}
_TIMES: dict[str, datetime] = {}
_SEEN = 4096
_T = TypeVar("_T")


def _iso_date(value: object) -> object:
    if type(value) is str:
        seen = _DATES.get(value)
        if seen is not None:
            return seen
    if not is_iso_day(value):
        raise ValueError("expected a date as YYYY-MM-DD")
    return _remember(_DATES, value, date.fromisoformat(value))


def is_iso_day(value: object) -> TypeGuard[str]:
    """Whether ``value`` is spelled exactly YYYY-MM-DD in ASCII digits (whether that day exists aside):
    the one spelling of a day in statements, dossiers, the API's and the command line's ``as_of``."""
    return isinstance(value, str) and _DATE_RE.fullmatch(value) is not None


def _utc_time(value: object) -> object:
    if type(value) is str:
        seen = _TIMES.get(value)
        if seen is not None:
            return seen
    if not isinstance(value, str) or not _TIME_RE.match(value):
        raise ValueError("expected a UTC time as YYYY-MM-DDTHH:MM:SSZ")
    return _remember(_TIMES, value, datetime.fromisoformat(value.replace("Z", "+00:00")))


def _remember(seen: dict[str, _T], value: str, result: _T) -> _T:
    """Keep what an exact ``str`` gave (not a subclass: its equality could differ)."""
    if type(value) is str:
        if len(seen) >= _SEEN:
            seen.clear()
        seen[value] = result
    return result


def _aware(value: datetime) -> datetime:
    return value.astimezone(UTC)


def unique(items: list[str]) -> list[str]:
    seen: set[str] = set()
    for item in items:
        if item in seen:
            raise ValueError(f"duplicate item {item!r}")
        seen.add(item)
    return items


def _decimal(value: object) -> object:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_SAFE_INT:
        return Decimal(value)
    if isinstance(value, str) and _DECIMAL_RE.match(value):
        return Decimal(value)
    raise ValueError("expected a whole number or a decimal written as a string, e.g. \"2.5\"")


#: What no signed text may hold, from Unicode 14.0 (Python 3.11's), written out rather than
#: looked up at run time so that every machine's audit judges alike:
#: - the C0 and C1 controls and DEL, which terminals and pages act on instead of showing;
#: - the invisible format characters (general category Cf) and the line and paragraph
#:   separators. Among them the bidirectional embeddings, overrides and isolates
#:   (U+202A–U+202E, U+2066–U+2069) make a name display as other text than it holds ("Trojan
#:   Source", CVE-2021-42574); soft hyphens, zero-width spaces and joiners make two different
#:   names look the same; tag characters hide text in plain sight.
#: Free text (a reason, a finding, a note) keeps tab, line feed and carriage return.
_FORMAT_BMP = (r"\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f"
               r"\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb")
_FORMAT_ASTRAL = (r"\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3"
                  r"\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f")
_CONTROLS_LINE = r"\u0000-\u001f\u007f-\u009f"
_CONTROLS_TEXT = r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f"
UNSAFE_LINE_RE = re.compile(f"[{_CONTROLS_LINE}{_FORMAT_BMP}{_FORMAT_ASTRAL}]")
UNSAFE_TEXT_RE = re.compile(f"[{_CONTROLS_TEXT}{_FORMAT_BMP}{_FORMAT_ASTRAL}]")
#: The same rules for JSON Schema's dialects (ECMA-262 and Python's ``re`` both read ``\uXXXX``),
#: on the Basic Multilingual Plane: the few format characters above it are this module's to refuse.
#: A look-ahead, not ``^[^…]*$``: Python's ``$`` also matches before a final line feed.
LINE_PATTERN = rf"^(?![\s\S]*[{_CONTROLS_LINE}{_FORMAT_BMP}])"
TEXT_PATTERN = rf"^(?![\s\S]*[{_CONTROLS_TEXT}{_FORMAT_BMP}])"


#: Fields of free text (over lines), by name, wherever they are (a correction's fields are named
#: as in the event it corrects); every other string is one line.
FREE_TEXT_KEYS = frozenset({"reason", "finding", "conclusion", "note"})

#: The first bytes of what ``first_unsafe_text`` refuses, written as canonical JSON (RFC 8785)
#: writes it, in UTF-8: the backslash of every control character's escape, DEL, and the lead
#: byte of each format character's block (U+0080–U+00BF, U+0600–U+07FF, U+0800–U+0FFF,
#: U+2000–U+2FFF, U+F000–U+FFFF, and above U+FFFF). Vietnamese letters lead with other bytes
#: (C3–C6, CC, E1), so a name in Vietnamese passes without a walk; U+180E alone, in the E1
#: block they share, is looked for whole.
_SUSPECT = bytes([0x5C, 0x7F, 0xC2, 0xD8, 0xD9, 0xDA, 0xDB, 0xDC, 0xE0, 0xE2, 0xEF, 0xF0, 0xF1, 0xF2, 0xF3, 0xF4])
_MONGOLIAN_VOWEL_SEPARATOR = "\u180e".encode()


def may_hold_unsafe_text(payload: bytes) -> bool:
    """Whether canonical JSON ``payload`` may hold a control or invisible character (then walk it
    with ``first_unsafe_text``); False means it holds none. Two passes in C (about 0.5 µs for a
    300-byte payload, where a regular expression took 1.3–12)."""
    return len(payload.translate(None, _SUSPECT)) != len(payload) or payload.find(_MONGOLIAN_VOWEL_SEPARATOR) >= 0


def unsafe_text_vi(char: str) -> str:
    """Why a string holding ``char`` (``U+202E``) is refused, said to a person: the ledger's refusal,
    ``dantin sign``'s and ``dantin check``'s say it alike."""
    return (f"có ký tự điều khiển hoặc ký tự ẩn ({char}): văn bản ký chỉ được chứa chữ nhìn thấy được (ký tự "
            "đảo chiều hay ký tự vô hình làm chữ hiện ra khác với nội dung thật)")


def _code_point(found: re.Match[str]) -> str:
    return f"⟨U+{ord(found.group()):04X}⟩"


def visible(text: str) -> str:
    """``text`` as a person may be shown it: each control or invisible character (but tab and line
    breaks) written as its code point, ``⟨U+202E⟩``, not obeyed by a terminal or a page."""
    return UNSAFE_TEXT_RE.sub(_code_point, text) if UNSAFE_TEXT_RE.search(text) else text


def _json_escape(found: re.Match[str]) -> str:
    code = ord(found.group())
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def visible_json(text: str) -> str:
    """JSON ``text`` with each control or invisible character escaped (``\\u202e``): the same JSON
    value, safe to print on a terminal (a serializer writes them as themselves; JSON's own tabs and
    line breaks, outside strings, stay)."""
    return UNSAFE_TEXT_RE.sub(_json_escape, text) if UNSAFE_TEXT_RE.search(text) else text


def first_unsafe_text(value: object, key: str = "", where: str = "") -> tuple[str, str] | None:
    """The first string in a JSON value holding what no signed text may (``UNSAFE_LINE_RE``, or in
    a field named in ``FREE_TEXT_KEYS`` ``UNSAFE_TEXT_RE``): (its path, the character as U+XXXX)."""
    if type(value) is str:
        found = (UNSAFE_TEXT_RE if key in FREE_TEXT_KEYS else UNSAFE_LINE_RE).search(value)
        return (where, f"U+{ord(found.group()):04X}") if found else None
    if type(value) is dict:
        for k, item in value.items():
            at = f"{where}.{visible(k)}" if where else visible(k)  # (a path said to a person)
            found = UNSAFE_LINE_RE.search(k)
            if found:
                return at, f"U+{ord(found.group()):04X}"
            bad = first_unsafe_text(item, k, at)
            if bad:
                return bad
    elif type(value) is list:
        for i, item in enumerate(value):
            bad = first_unsafe_text(item, key, f"{where}[{i}]")
            if bad:
                return bad
    return None


def place_contains(outer: str, inner: str) -> bool:
    """True when place ``inner`` is ``outer`` or lies below it (dot-segment prefix)."""
    return inner == outer or inner.startswith(outer + ".")
