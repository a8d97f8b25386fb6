"""The read-side views behind the public village routes, kept up with the log before each read.

One ``Views`` per server process; catching up writes the views' tables, so it is serialised.
Public verdicts keep every check's status but drop the explanation of the rules that are
judged on personal profiles (ages, party status, education, training): ARCHITECTURE.md —
"the public API shows offices and names; profiles are shown only to authorised readers".
"""

from __future__ import annotations

import threading
from typing import Any

from ledger.application import Ledger
from projections.views import Views

#: Rules whose explanations quote profile data.
PROFILE_RULES = frozenset({"E-STANDARD", "P-CRITERIA", "P-WAIVER", "C-ELIGIBLE"})
REDACTED_VI = "Chi tiết có thông tin cá nhân (tuổi, đảng tịch, trình độ); chỉ cơ quan có thẩm quyền được xem."
REDACTED_EN = "Details quote personal data; only authorised readers may see them."


class VillageViews:
    def __init__(self, ledger: Ledger) -> None:
        self.views = Views(ledger)
        self._lock = threading.Lock()

    def fresh(self) -> Views:
        with self._lock:
            self.views.catch_up()
        return self.views


def public_verdict(verdict: dict[str, Any]) -> dict[str, Any]:
    checks = []
    for check in verdict.get("checks", []):
        if check.get("rule") in PROFILE_RULES:
            check = {**check, "detail": REDACTED_EN, "detail_vi": REDACTED_VI}
        checks.append(check)
    return {**verdict, "checks": checks}
