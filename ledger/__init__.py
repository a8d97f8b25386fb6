"""dantin's domain: signed envelopes, bodies and authority, the log, the application service."""
