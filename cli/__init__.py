"""The command-line face: ``dantin …``. It calls ``ledger`` and prints; nothing else."""
