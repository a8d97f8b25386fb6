"""The bytes of one log entry, and its hash.

An entry is the body's DSSE envelope exactly as received, plus ``prev``, the hash of the
previous entry of the same stream (``authority.GENESIS`` for a stream's first), plus
``received``, the server's time of receipt as stored (like RFC 6962's TimestampedEntry,
so the log commits to every stored byte of the row). Its
bytes are the RFC 8785 form of that object; since every value is ASCII with nothing to
escape (base64, hex, the fixed payload type), the canonical form is built directly —
``tests/unit/test_entry.py`` checks it against the JCS implementation. Its hash is the
RFC 9162 leaf hash, so the same 32 bytes link a stream and sit in the Merkle tree.
"""

from __future__ import annotations

import hashlib

from ledger.signing import PAYLOAD_TYPE


def entry_bytes(payload_b64: str, keyid: str, sig_b64: str, prev: str, received: str) -> bytes:
    return (
        '{"payload":"%s","payloadType":"%s","prev":"%s","received":"%s",'
        '"signatures":[{"keyid":"%s","sig":"%s"}]}'
        % (payload_b64, PAYLOAD_TYPE, prev, received, keyid, sig_b64)
    ).encode("ascii")


def entry_hash(entry: bytes) -> str:
    """RFC 9162 §2.1.1 leaf hash, SHA-256(0x00 ‖ entry), in hex."""
    return hashlib.sha256(b"\x00" + entry).hexdigest()
