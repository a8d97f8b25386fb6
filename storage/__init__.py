"""Adapters: the log's own tables beside eventsourcing's, on SQLite and PostgreSQL.

Each adapter is the application's recorder (a library *process* recorder: events plus a
tracking table) extended with the log tables — leaves, tree nodes, checkpoints. After the
library inserts a batch of events, under its insert lock and in the same transaction, the
adapter hands the new rows to ``ledger.sealer.Sealer.seal``: events, leaves, nodes and a
due checkpoint commit together or not at all. (The sealed position is the last leaf's row:
the library's tracking table is no longer written.) ``ledger`` reaches
these classes by topic (``APPLICATION_RECORDER_TOPIC``), never by import.
"""

from __future__ import annotations

from ledger.sealer import CheckpointRow, Leaf, SealRow

__all__ = ["CheckpointRow", "Leaf", "SealRow"]
