"""One router per resource; each route is a few lines calling the ledger or a small service.

A route's docstring is its operation's description in the OpenAPI document (/docs), as its ``summary=`` and its
parameters' descriptions are: Vietnamese (tests/api/test_api_docs.py). Notes for developers go in ``#`` comments.
"""
