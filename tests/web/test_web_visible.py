"""A page never obeys a control or invisible character a stored string holds: it shows its code.

Signed text with such characters is refused (``schemas._checks``), but a ledger older than that
rule may hold some; a right-to-left override would make a name on a page read as another.
"""

from __future__ import annotations

from markupsafe import Markup

from api.web.pages import templates


def _render(source: str, **values: object) -> str:
    return templates.env.from_string(source).render(**values)


def test_a_hidden_character_in_a_stored_name_is_shown_by_its_code() -> None:
    page = _render("<td>{{ name }}</td><td title=\"{{ name }}\">x</td>", name="Đinh Thị \u202eníhC")
    assert "\u202e" not in page
    assert page.count("Đinh Thị ⟨U+202E⟩níhC") == 2


def test_free_text_keeps_its_lines_and_text_is_still_escaped() -> None:
    page = _render("{{ note }}", note="dòng một\ndòng <b>hai</b>\u200b")
    assert page == "dòng một\ndòng &lt;b&gt;hai&lt;/b&gt;⟨U+200B⟩"


def test_the_templates_own_markup_and_other_values_pass_unchanged() -> None:
    assert _render("{{ m }}|{{ n }}|{{ s }}", m=Markup("<i>x</i>"), n=12, s="Làng Mạ") == "<i>x</i>|12|Làng Mạ"
