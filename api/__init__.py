"""The HTTP face of the ledger (FastAPI): thin routes over ``ledger.application.Ledger``."""
