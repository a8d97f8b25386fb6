"""Rule sets and the verdict engine (RULES.md): pure functions over a village's record.

    from ledger.rules import judge, VillageRecord, RecordedEvent, Place
    verdict = judge(record, as_of=date(2022, 12, 31))

``judge`` returns EVENTS.md's verdict as plain data; ``record_from_dossier`` maps a
loaded dossier into a :class:`VillageRecord`.
"""

from ledger.rules.record import Place, ProfileUpdate, RecordedEvent, VillageRecord, record_from_dossier
from ledger.rules.verdict import judge

__all__ = ["Place", "ProfileUpdate", "RecordedEvent", "VillageRecord", "judge", "record_from_dossier"]
