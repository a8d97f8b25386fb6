"""No signed text holds a control character or an invisible format character (schemas._checks).

The ledger judges it on the payload (``ledger.authority._check_text``): a quick look at the
canonical bytes, then a walk of the statement when the look finds something. These tests hold
the quick look to the walk (it may never miss what the walk finds), the hard-coded list to
Unicode, and the patterns published in the JSON Schemas to the checks.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.signing import canonical_json
from schemas._checks import (
    FREE_TEXT_KEYS,
    LINE_PATTERN,
    TEXT_PATTERN,
    UNSAFE_LINE_RE,
    UNSAFE_TEXT_RE,
    first_unsafe_text,
    may_hold_unsafe_text,
    visible_json,
)
from schemas._dossier_core import DossierError
from schemas.dossier import load_dossier
from schemas.export import DIRECTORY

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "01-bato-compliant.json"

#: Characters the checks refuse, a few of each kind, and Vietnamese text they must leave alone.
RIGHT_TO_LEFT_OVERRIDE, ZERO_WIDTH_SPACE, SOFT_HYPHEN, TAG_A = "\u202e", "\u200b", "\u00ad", "\U000e0041"
VIETNAMESE = ["Đinh Văn Hùng", "Nguyễn Thị Ánh Tuyết", "Y Bơ Nưl", unicodedata.normalize("NFD", "Lê Văn Quý"),
              "45/QĐ-UBND", "Nhà văn hóa thôn Làng Mạ"]


def _refused(ch: str, *, free_text: bool) -> bool:
    return bool((UNSAFE_TEXT_RE if free_text else UNSAFE_LINE_RE).search(ch))


def test_the_list_is_unicodes_control_and_format_characters() -> None:
    """Every Cc, Cf, Zl and Zp character of this Python's Unicode is refused in a name, nothing
    else is; a free text keeps tab, line feed and carriage return."""
    wanted = {chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) in ("Cc", "Cf", "Zl", "Zp")}
    refused = {chr(c) for c in range(0x110000) if UNSAFE_LINE_RE.match(chr(c))}
    assert refused == wanted, sorted(f"U+{ord(c):04X}" for c in refused ^ wanted)
    kept = {c for c in wanted if not _refused(c, free_text=True)}
    assert kept == {"\t", "\n", "\r"}
    # and the quick look at the signed bytes sees each of them, in a Vietnamese name
    missed = [f"U+{ord(c):04X}" for c in wanted
              if not may_hold_unsafe_text(canonical_json({"facts": {"name": f"Nguyễn{c}Văn Ấn"}}))]
    assert not missed


@pytest.mark.parametrize("text", VIETNAMESE)
def test_vietnamese_text_in_either_normal_form_is_left_alone(text: str) -> None:
    statement = {"facts": {"name": text, "reason": text, "decision": text}, "signer": {"name": text}}
    assert first_unsafe_text(statement) is None
    assert re.search(LINE_PATTERN, text) and re.search(TEXT_PATTERN, text)


@pytest.mark.parametrize(("value", "found"), [
    ({"facts": {"name": f"Đinh Văn {RIGHT_TO_LEFT_OVERRIDE}A"}}, ("facts.name", "U+202E")),
    ({"facts": {"name": "Đinh\nVăn A"}}, ("facts.name", "U+000A")),
    ({"facts": {"reason": "Lộ khóa:\r\n\t- máy mất"}}, None),
    ({"facts": {"reason": "Lộ khóa\x00"}}, ("facts.reason", "U+0000")),
    ({"facts": {"note": f"ghi chú{ZERO_WIDTH_SPACE}"}}, ("facts.note", "U+200B")),
    ({"facts": {"witnesses": ["Ông A", f"Bà{SOFT_HYPHEN} B"]}}, ("facts.witnesses[1]", "U+00AD")),
    ({"facts": {"facts": {"reason": "sửa\nlại", "name": f"x{TAG_A}"}}}, ("facts.facts.name", "U+E0041")),
    ({"facts": {f"na{RIGHT_TO_LEFT_OVERRIDE}me": "A"}}, ("facts.na⟨U+202E⟩me", "U+202E")),  # said, not obeyed
    ({"signer": {"name": "Bí thư\x7f"}}, ("signer.name", "U+007F")),
    ({"facts": {"name": "\x85"}}, ("facts.name", "U+0085")),
])
def test_the_walk_names_the_first_unsafe_string_by_its_path(value: dict[str, Any], found: Any) -> None:
    assert first_unsafe_text(value) == found
    if found is not None:
        assert may_hold_unsafe_text(canonical_json(value))


_ANY_CHAR = st.characters(codec="utf-8")  # every code point but the surrogates
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(_ANY_CHAR, max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from([*sorted(FREE_TEXT_KEYS), "name", "how"]) | st.text(_ANY_CHAR, max_size=6), inner,
        max_size=4),
    max_leaves=12,
)


@settings(max_examples=600, deadline=None)
@given(_JSON)
def test_the_quick_look_never_misses_what_the_walk_finds(value: Any) -> None:
    if first_unsafe_text(value) is not None:
        assert may_hold_unsafe_text(canonical_json(value))


@settings(max_examples=600, deadline=None)
@given(st.text(st.characters(max_codepoint=0xFFFF, exclude_categories=("Cs",)), max_size=20))
def test_the_published_patterns_judge_as_the_checks_do_on_the_basic_plane(text: str) -> None:
    assert bool(re.search(LINE_PATTERN, text)) is not bool(UNSAFE_LINE_RE.search(text))
    assert bool(re.search(TEXT_PATTERN, text)) is not bool(UNSAFE_TEXT_RE.search(text))


def test_the_schemas_publish_the_rule_for_names_and_free_text() -> None:
    person = json.loads((DIRECTORY / "facts.person.profiled.json").read_text(encoding="utf-8"))
    name = person["properties"]["name"]["anyOf"][0]
    assert name["pattern"] == LINE_PATTERN
    revoked = json.loads((DIRECTORY / "facts.key.revoked.json").read_text(encoding="utf-8"))
    assert revoked["properties"]["reason"]["pattern"] == TEXT_PATTERN


def test_a_dossier_with_a_hidden_character_is_refused_with_its_place() -> None:
    dossier = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    dossier["people"][0]["name"] = f"Đinh Văn {RIGHT_TO_LEFT_OVERRIDE}A"
    dossier["events"][0]["note"] = "dòng một\ndòng hai"  # a note keeps its lines
    with pytest.raises(DossierError) as caught:
        load_dossier(json.dumps(dossier, ensure_ascii=False).encode())
    problems = caught.value.problems
    assert [(p.path, "U+202E" in p.message_vi) for p in problems] == [("people[0].name", True)], problems


def test_json_for_a_terminal_escapes_hidden_characters_and_keeps_the_value() -> None:
    value = {"name": f"Đinh{RIGHT_TO_LEFT_OVERRIDE} Văn{TAG_A}", "note": "a\nb", "n": 1}
    text = json.dumps(value, ensure_ascii=False, indent=2)
    shown = visible_json(text)
    assert json.loads(shown) == value
    assert not UNSAFE_LINE_RE.search(shown.replace("\n", ""))
    assert "\\u202e" in shown and "\\udb40\\udc41" in shown


def test_the_cli_console_shows_hidden_characters_by_their_code_and_keeps_table_columns() -> None:
    from rich.table import Table

    from cli.common import _Console
    console = _Console(width=60, record=True, force_terminal=False)
    table = Table("Tên")
    table.add_row(f"Đinh {RIGHT_TO_LEFT_OVERRIDE}A\x1b[2J")
    console.print(table)
    console.print(f"[bold]ok[/] Nguyễn{ZERO_WIDTH_SPACE}Văn")
    text = console.export_text()
    assert "Đinh ⟨U+202E⟩A⟨U+001B⟩[2J" in text and "Nguyễn⟨U+200B⟩Văn" in text
    assert not UNSAFE_LINE_RE.search(text.replace("\n", ""))
    widths = {len(line) for line in text.splitlines()[:5]}
    assert len(widths) == 1, text  # the border and the row are as wide as each other
