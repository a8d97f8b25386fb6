"""How checks speak: numbers, dates and people, in English and in Vietnamese.

Vietnamese writes 1.234,5 (dot for thousands, comma for decimals) and dates as
dd/mm/yyyy; English details use 1,234.5 and ISO dates.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from functools import lru_cache

STATUS_VI = {
    "pass": "đạt",
    "fail": "vi phạm",
    "waived": "được miễn",
    "deviation": "lệch mô hình",
    "pending": "chờ",
    "not_applicable": "không áp dụng",
}
VERDICT_VI = {"violations": "có vi phạm", "incomplete": "chưa đủ hồ sơ", "compliant": "đúng quy định"}
SAME_PERSON_VI = {
    "secretary": "trưởng thôn là bí thư chi bộ",
    "deputy": "trưởng thôn là phó bí thư chi bộ",
    "committee": "trưởng thôn là chi ủy viên",
    "outside": "trưởng thôn là đảng viên, ngoài cấp ủy chi bộ",
    "non_member": "trưởng thôn không phải đảng viên",
    "none": "chưa có trưởng thôn được công nhận",
}
UNIT = {"households": ("households", "hộ"), "voters": ("voters", "cử tri")}
OFFICE = {"committee": ("chi ủy", "chi ủy"), "secretary": ("secretary", "bí thư"), "deputy": ("deputy", "phó bí thư")}


def num(value: int | Fraction, vi: bool = False, places: int = 1) -> str:
    """A whole number, or a fraction rounded to ``places`` decimals (trailing zeros kept)."""
    if type(value) is int:  # the common case, quickly: only thousands separators to swap
        return f"{value:,}".replace(",", ".") if vi else f"{value:,}"
    if isinstance(value, Fraction) and value.denominator != 1:
        text = f"{float(value):,.{places}f}"
    else:
        text = f"{int(value):,}"
    if vi:
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def pct(part: int, whole: int, vi: bool = False) -> str:
    if whole <= 0:
        return "—"
    if type(part) is int and type(whole) is int:  # num(Fraction(...)) without making the fraction
        share = part * 100
        return (num(share // whole, vi) if share % whole == 0 else _decimal(share / whole, vi)) + "%"
    return num(Fraction(part * 100, whole), vi) + "%"


def half(total: int, vi: bool = False) -> str:
    """Half of ``total``: "155" for 310, "155,5" for 311."""
    if type(total) is int:  # num(Fraction(total, 2)) without making the fraction
        return num(total // 2, vi) if total % 2 == 0 else _decimal(total / 2, vi)
    return num(Fraction(total, 2), vi)


def _decimal(value: float, vi: bool) -> str:
    """``num`` of a fraction that is not whole, given as its (correctly rounded) float."""
    text = f"{value:,.1f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".") if vi else text


def d_en(day: date | None) -> str:
    return day.isoformat() if day else "?"


def d_vi(day: date | None) -> str:
    return _d_vi(day) if day else "?"


@lru_cache(maxsize=4096)
def _d_vi(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def ids(values: list[str] | tuple[str, ...] | set[str] | frozenset[str]) -> str:
    return ", ".join(sorted(values)) if values else "—"

LEVEL_VI = {
    "education": {"none": "chưa qua trường lớp", "tieu_hoc": "tiểu học", "thcs": "trung học cơ sở",
                  "thpt": "trung học phổ thông", "trung_cap": "trung cấp", "cao_dang": "cao đẳng",
                  "dai_hoc": "đại học"},
    "theory": {"none": "chưa học lý luận chính trị", "so_cap": "sơ cấp", "trung_cap": "trung cấp",
               "cao_cap": "cao cấp"},
}
BODY_VI = {"district_standing": "Ban Thường vụ Huyện ủy/Thị ủy", "commune_party": "Đảng ủy xã",
           "province_standing": "Ban Thường vụ Tỉnh ủy", "commune_committee": "UBND xã", "cell": "chi bộ"}


def cap(text: str) -> str:
    """The sentence with its first letter upper-cased ("ông/bà …" → "Ông/bà …")."""
    return text[:1].upper() + text[1:]
