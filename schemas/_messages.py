"""Pydantic's validation errors, said in Vietnamese, with a path a person can follow.

Paths read like the JSON they point into: ``events[3].votes.p7``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails

_BY_TYPE: dict[str, str] = {
    "missing": "thiếu trường bắt buộc",
    "extra_forbidden": "trường này không có trong định dạng",
    "int_type": "phải là số nguyên (không phải số thập phân, chuỗi hay true/false)",
    "int_parsing": "phải là số nguyên (không phải số thập phân, chuỗi hay true/false)",
    "int_from_float": "phải là số nguyên, không được có phần thập phân",
    "bool_type": "phải là true hoặc false",
    "bool_parsing": "phải là true hoặc false",
    "string_type": "phải là một chuỗi ký tự",
    "string_pattern_mismatch": "sai định dạng mã (chỉ gồm chữ thường không dấu, số và các dấu . _ : -)",
    "string_too_short": "không được để trống",
    "list_type": "phải là một danh sách (mảng JSON)",
    "dict_type": "phải là một đối tượng JSON",
    "model_type": "phải là một đối tượng JSON",
    "model_attributes_type": "phải là một đối tượng JSON",
    "date_type": "phải là một ngày dạng YYYY-MM-DD",
    # (a query parameter: pydantic's own date parsing, its reason in English)
    "date_parsing": "phải là một ngày có thật, dạng YYYY-MM-DD",
    "date_from_datetime_parsing": "phải là một ngày có thật, dạng YYYY-MM-DD",
    "date_from_datetime_inexact": "phải là một ngày dạng YYYY-MM-DD, không kèm giờ",
    "none_required": "phải là null",
    "secret_ballot_figure": "biên bản bầu kín phải ghi số này",
}

_VALUE_ERRORS: tuple[tuple[str, str], ...] = (
    ("expected a date", "ngày phải viết dạng YYYY-MM-DD"),
    ("out of range", "ngày không có thật trong lịch"),
    ("month must be", "ngày không có thật trong lịch"),
    ("expected a UTC time", "thời điểm phải viết dạng YYYY-MM-DDTHH:MM:SSZ"),
    ("duplicate item", "danh sách có phần tử lặp lại"),
    ("decimal written as a string", 'phải là số nguyên, hoặc số thập phân viết trong chuỗi như "2.5"'),
)


def path_of(loc: Sequence[int | str], prefix: str = "") -> str:
    """``('votes', 'p7')`` under ``events[3]`` → ``events[3].votes.p7``."""
    path = prefix
    for part in loc:
        if part == "[key]":
            continue
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "(gốc)"


def _value_error(err: ErrorDetails) -> str:
    ctx: dict[str, Any] = dict(err.get("ctx") or {})
    text = str(ctx.get("error", err["msg"]))
    for needle, message in _VALUE_ERRORS:
        if needle in text:
            return message
    return f"giá trị không hợp lệ ({text})"


def message_vi(err: ErrorDetails) -> str:
    """One validation error, in Vietnamese."""
    kind = err["type"]
    ctx: dict[str, Any] = dict(err.get("ctx") or {})
    if err["loc"] and err["loc"][-1] == "[key]":
        return "khóa " + (_BY_TYPE.get(kind) or f"không hợp lệ ({err['msg']})")
    if kind in _BY_TYPE:
        return _BY_TYPE[kind]
    if kind == "literal_error":
        # (pydantic joins the last two choices with an English "or")
        expected = str(ctx.get("expected", "")).replace("' or '", "' hoặc '")
        return f"giá trị không hợp lệ; chỉ nhận: {expected}"
    if kind == "greater_than_equal":
        return f"không được nhỏ hơn {ctx.get('ge')}"
    if kind == "less_than_equal":
        return f"không được lớn hơn {ctx.get('le')}"
    if kind == "string_too_long":
        return f"dài quá {ctx.get('max_length')} ký tự"
    if kind == "too_short":
        return f"phải có ít nhất {ctx.get('min_length')} phần tử"
    if kind == "too_long":
        return f"có quá nhiều phần tử (tối đa {ctx.get('max_length')})"
    if kind == "value_error":
        return _value_error(err)
    return f"không hợp lệ ({err['msg']})"
