"""Adapters: the log's own tables beside eventsourcing's, on SQLite and PostgreSQL.

Each recorder extends the library's tracking recorder, so leaves and the sealer's
position are written in one transaction (the library's tracking pattern): a crash
between the two cannot happen, and the sealer resumes exactly where it stopped.
``ledger`` reaches these by topic (``DANTIN_SEAL_RECORDER_TOPIC``), never by import.
"""

from __future__ import annotations

from ledger.sealer import CheckpointRow, Leaf

__all__ = ["CheckpointRow", "Leaf"]
