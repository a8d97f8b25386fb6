"""The web face: server-rendered Vietnamese pages over the same ledger as the API (router ``api.web.pages``)."""
