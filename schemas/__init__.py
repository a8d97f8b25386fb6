"""Wire contracts: pydantic models of what crosses the ledger's boundary.

``python -m schemas.export`` writes them as JSON Schema under ``schemas/json/``; a test
keeps those files in step with the models.
"""
