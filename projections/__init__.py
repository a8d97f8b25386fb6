"""The read side: pure folds of the ledger's events into views, kept with a tracked position.

``record`` maps a village's stored entries into the verdict engine's input;
``leadership`` folds them into office tenures (who held what, from when to when);
``views`` keeps both, per village, in tables beside the log, resuming from its tracked
position after a restart and rebuildable by replaying the log from nothing.
"""
