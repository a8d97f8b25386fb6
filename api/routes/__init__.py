"""One router per resource; each route is a few lines calling the ledger or a small service."""
