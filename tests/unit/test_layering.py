"""ledger/ is the domain: no web framework, no SQL driver, no environment reads."""

from __future__ import annotations

import ast
from pathlib import Path

LEDGER = Path(__file__).resolve().parents[2] / "ledger"
FORBIDDEN_MODULES = {"fastapi", "starlette", "uvicorn", "sqlite3", "psycopg", "psycopg_pool", "typer", "rich",
                     "cli", "api", "storage", "eventsourcing.sqlite", "eventsourcing.postgres"}


def test_ledger_imports_no_face_driver_or_adapter() -> None:
    offenders = []
    for path in LEDGER.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name in FORBIDDEN_MODULES or name.split(".")[0] in FORBIDDEN_MODULES:
                    offenders.append(f"{path.name}: {name}")
            if isinstance(node, ast.Attribute) and node.attr in {"environ", "getenv"}:
                offenders.append(f"{path.name}: os.{node.attr}")
    assert not offenders, offenders


def test_only_the_crypto_modules_import_cryptography() -> None:
    users = {p.name for p in LEDGER.rglob("*.py")
             if any(line.startswith(("from cryptography", "import cryptography"))
                    for line in p.read_text(encoding="utf-8").splitlines())}
    assert users == {"signing.py", "note.py"}, users
