"""Examples for the OpenAPI document (placeholder, regenerated from a real ledger)."""

from __future__ import annotations

from typing import Any

ENVELOPE: dict[str, Any] = {}
INCLUSION: dict[str, Any] = {}
RECEIPT: dict[str, Any] = {}
PROBLEM: dict[str, Any] = {}
PROBLEM_REPLAY: dict[str, Any] = {}
BATCH: dict[str, Any] = {}
PLACE: dict[str, Any] = {}
CONSISTENCY: dict[str, Any] = {}
COSIGNATURE: dict[str, Any] = {}
HISTORY: dict[str, Any] = {}
CHECKPOINT = ""
COSIGNATURE_LINE = ""
