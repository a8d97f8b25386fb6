"""One error base class for the whole ledger.

Every error a person may read carries a stable ``code`` (for programs) and a
Vietnamese message (for people). Faces (CLI, HTTP) map these to exit codes and
RFC 9457 problems in one place; nothing below them prints or exits.
"""

from __future__ import annotations


class DantinError(Exception):
    """Base class of every error dantin raises on purpose."""

    code: str = "error"
    #: Vietnamese title shown to people; subclasses override.
    title_vi: str = "Lỗi"
    #: A defect of the program, not of what was asked (``projections.views.VillageUnavailable``): the
    #: command line exits as on an internal error (3), the API answers 500.
    defect: bool = False

    def __init__(self, message_vi: str, *, detail: str = "", code: str | None = None) -> None:
        super().__init__(message_vi)
        self.message_vi = message_vi
        #: English detail for logs and programs (never shown as the only text).
        self.detail = detail
        if code is not None:
            self.code = code

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "title": self.title_vi, "detail": self.message_vi}


class CryptoError(DantinError):
    """A signature, key or proof did not verify, or could not be parsed."""

    code = "crypto_error"
    title_vi = "Lỗi mật mã"


class StoreUnavailable(DantinError):
    """The store could not be read at all: its server gone or refusing, its file locked or
    unreadable. Not a finding about the ledger: ``verify`` stops with this instead of
    reporting rows it could not reach as damaged."""

    code = "store_unavailable"
    title_vi = "Không đọc được kho dữ liệu"


#: Refusal codes of a submission, with their Vietnamese titles. Stable: programs match
#: on the code. Nothing is stored when a submission is refused.
REFUSALS: dict[str, str] = {
    "malformed": "Phong bì không đúng định dạng",
    "bad_signature": "Chữ ký không hợp lệ",
    "unknown_key": "Khóa hoặc cơ quan ký không có trong sổ cái",
    "key_revoked": "Khóa đã bị thu hồi",
    "key_not_yet_valid": "Khóa chưa có hiệu lực vào thời điểm ký",
    "kind_not_allowed": "Loại cơ quan này không được ký loại sự kiện này",
    "outside_jurisdiction": "Địa bàn nằm ngoài thẩm quyền của cơ quan ký",
    "replay": "Phong bì này đã được ghi nhận trước đó",
    "unknown_place": "Địa bàn chưa được đăng ký",
    "unknown_person": "Người được nhắc đến chưa được khai báo",
    "already_exists": "Đối tượng này đã được đăng ký",
    "signed_in_future": "Thời điểm ký ở tương lai",
    # A correction (``ledger.correction``, from 2026-12-06): of an event the ledger does not hold, of another body's.
    "unknown_event": "Sự kiện được nhắc đến không có trong sổ cái",
    "not_own_event": "Sự kiện được đính chính không phải của cơ quan ký",
}


class Refused(DantinError):
    """A submission the ledger will not store. ``code`` is one of ``REFUSALS``."""

    def __init__(self, code: str, message_vi: str, *, detail: str = "") -> None:
        if code not in REFUSALS:
            raise ValueError(f"unknown refusal code {code!r}")
        super().__init__(message_vi, detail=detail, code=code)
        self.title_vi = REFUSALS[code]
        #: For a rule of form added later (``ledger.authority``), the day from which it is judged: a
        #: row stored before it broke no rule then. None for the rules the ledger has always judged.
        self.rule_since: str | None = None
