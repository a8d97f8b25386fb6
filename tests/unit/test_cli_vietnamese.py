"""click's and Typer's own words are Vietnamese too: usage errors, help headings, prompts.

They come from gettext (``cli/vi.py`` installs ``cli/locale``). These tests hold the
catalogue to the click and Typer installed (a new message in an upgrade fails the first), to
its compiled form, and the commands to Vietnamese output whatever the machine's locale.
"""

from __future__ import annotations

import errno
import gettext
import os
import re
import string
import subprocess
import sys
from pathlib import Path

import click
import pytest
import typer
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po
from typer.testing import CliRunner

from cli.app import app
from cli.common import os_error_vi
from cli.vi import DOMAIN, LOCALE_DIR

ROOT = Path(__file__).resolve().parents[2]
PO = LOCALE_DIR / "vi" / "LC_MESSAGES" / f"{DOMAIN}.po"
MO = PO.with_suffix(".mo")
DANTIN = Path(sys.executable).with_name("dantin")  # the console script, as people run it

#: What a person must never read from dantin: click's and Typer's English for the same things.
ENGLISH = ("Usage:", "[OPTIONS]", "COMMAND [ARGS]", "Options", "Arguments", "Commands", "Show this message",
           "Missing argument", "No such option", "No such command", "Try '", "Error", "required]",
           "is not a valid", "Invalid value", "TEXT", "INTEGER", "FLOAT", "BOOLEAN")


def _catalogue() -> Catalog:
    with PO.open("rb") as f:
        return read_po(f, locale="vi", domain=DOMAIN)


def _library_messages() -> dict[str | tuple[str, ...], str]:
    """Every message click and Typer ask gettext for: its id -> where."""
    found: dict[str | tuple[str, ...], str] = {}
    for package in (click, typer):
        folder = Path(package.__file__).parent
        for source in sorted(folder.rglob("*.py")):
            for lineno, message, _comments, _context in extract_from_file("python", str(source)):
                found.setdefault(message, f"{source.relative_to(folder.parent)}:{lineno}")
    return found


def test_every_message_click_and_typer_can_show_is_translated() -> None:
    catalogue = _catalogue()
    missing = {where: mid for mid, where in _library_messages().items()
               if catalogue.get(mid) is None or not catalogue.get(mid).string}  # type: ignore[union-attr]
    assert not missing, f"add these to {PO.relative_to(ROOT)} and run `make locale`: {missing}"


def _fields(text: str) -> set[str]:
    """The placeholders of a message: ``{name}``, ``{name!r}``, ``{}``, ``%(name)s``."""
    names = {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name is not None}
    return names | set(re.findall(r"%\((\w+)\)s", text))


def test_each_translation_uses_only_the_values_its_message_is_given() -> None:
    for message in _catalogue():
        if not message.id:
            continue  # the header
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        given = set().union(*(_fields(i) for i in ids))
        translations = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in translations:
            assert text, message.id
            assert _fields(text) <= given, (message.id, text)
            values = {name: f"<{name}>" for name in given if name}
            if "{}" in text:
                assert text.format("<x>")
            elif "%(" in text:
                assert text % values
            else:
                assert text.format(**values) is not None


def test_the_compiled_catalogue_is_the_po_file() -> None:
    """What gettext reads from ``messages.mo`` is what ``messages.po`` says (the header aside:
    Babel stamps it with its version and the time)."""
    with MO.open("rb") as f:
        compiled = gettext.GNUTranslations(f)
    read = {k: v for k, v in compiled._catalog.items() if k != ""}  # type: ignore[attr-defined]
    written: dict[object, str] = {}
    for message in _catalogue():
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            written[(message.id[0], 0)] = message.string[0]
        else:
            written[message.id] = message.string
    assert read == written, "run `make locale` after editing the .po file"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    # A machine set to English: dantin speaks Vietnamese all the same.
    env = {**os.environ, "LANGUAGE": "en", "LANG": "en_US.UTF-8", "LC_ALL": "C.UTF-8", "COLUMNS": "100"}
    return subprocess.run([str(DANTIN), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
                          check=False)


def _english(text: str) -> list[str]:
    return [word for word in ENGLISH if word in text]


@pytest.mark.parametrize(("args", "said"), [
    (("verify",), "Thiếu đối số 'THƯ_MỤC'."),
    (("verify", ".", "--bogus"), "Không có tùy chọn '--bogus'."),
    (("verify", ".", "--workers", "abc"), "'abc' không phải là một số hợp lệ."),
    (("verify", ".", "--workers"), "Tùy chọn '--workers' cần 1 giá trị."),
    (("frobnicate",), "Không có lệnh 'frobnicate'."),
    (("keys",), "Cách dùng: dantin keys [TÙY CHỌN] LỆNH [ĐỐI SỐ]..."),
])
def test_a_usage_error_is_said_in_vietnamese_on_an_english_machine(args: tuple[str, ...], said: str) -> None:
    proc = _run(*args)
    assert proc.returncode == 2, proc.stderr
    shown = proc.stderr + proc.stdout
    assert said in " ".join(shown.split()), shown
    assert not _english(shown), shown


def test_the_help_is_vietnamese_on_an_english_machine() -> None:
    proc = _run("--help")
    assert proc.returncode == 0
    assert "Cách dùng: dantin [TÙY CHỌN] LỆNH [ĐỐI SỐ]..." in proc.stdout
    assert "Lệnh" in proc.stdout and "In hướng dẫn này rồi thoát." in proc.stdout
    assert not _english(proc.stdout), proc.stdout


def _commands(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    out: list[tuple[tuple[str, ...], click.Command]] = []
    for name, command in sorted(group.commands.items()):
        out.append(((*path, name), command))
        if isinstance(command, click.Group):
            out.extend(_commands(command, (*path, name)))
    return out


def test_every_commands_help_is_vietnamese() -> None:
    runner = CliRunner()
    commands = _commands(typer.main.get_command(app))  # type: ignore[arg-type]
    assert len(commands) > 20
    for path, command in commands:
        result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "120"})
        assert result.exit_code == 0, (path, result.output)
        assert f"Cách dùng: dantin {' '.join(path)} [TÙY CHỌN]" in result.output, result.output
        assert not _english(result.output), (path, result.output)
        for param in command.params:
            if isinstance(param, click.Argument):  # named in Vietnamese, not by the Python parameter
                assert param.metavar, (path, param.name)
                assert not re.search(rf"\b{param.name}\b", result.output), (path, param.name, result.output)


def test_what_the_operating_system_says_is_said_in_vietnamese(tmp_path: Path) -> None:
    """An unreadable file: the system's reason in Vietnamese (its own words follow the locale)."""
    missing = _run("check", str(tmp_path / "nowhere.json"))
    assert missing.returncode == 2
    assert "Lỗi (io)" in missing.stderr and "không có tệp hoặc thư mục này" in " ".join(missing.stderr.split())
    assert "No such file" not in missing.stderr
    folder = _run("keys", "show", str(tmp_path))
    assert folder.returncode == 2 and "No such file" not in folder.stderr and "directory" not in folder.stderr
    assert os_error_vi(OSError(errno.EROFS, "Read-only file system")) == "ổ đĩa chỉ đọc"
    assert os_error_vi(OSError(errno.EXDEV, "Invalid cross-device link")) == f"lỗi hệ thống (errno {errno.EXDEV})"
