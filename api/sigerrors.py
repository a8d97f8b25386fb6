"""The one error of request signatures (answered 401 by ``api.problems``)."""

from __future__ import annotations

from ledger.errors import DantinError


class SignatureError(DantinError):
    """A request signature that is missing, unreadable, stale or wrong."""

    title_vi = "Chữ ký yêu cầu không hợp lệ"

    def __init__(self, code: str, message_vi: str, *, detail: str = "") -> None:
        super().__init__(message_vi, detail=detail or code, code=code)
