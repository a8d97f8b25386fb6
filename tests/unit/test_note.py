"""C2SP signed-note, tlog-checkpoint and tlog-cosignature."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable

import pytest
from conftest import VECTORS as SHARED_VECTORS
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.errors import CryptoError
from ledger.note import (
    Checkpoint,
    CosignatureSigner,
    CosignatureVerifier,
    NoteError,
    NoteSigner,
    NoteVerifier,
    key_id,
    open_checkpoint,
    open_note,
    sign_note,
    signature_line,
)

VECTORS = SHARED_VECTORS
EM = "\u2014"

# golang.org/x/mod/sumdb/note package documentation (the reference implementation).
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
GO_NOTE = (
    GO_TEXT + "\n" + EM + " PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1F"
    "FYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
# A real witness key (type 0x04) from transparency-dev/formats note_cosigv1_test.go.
WITNESS_VKEY = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"
CHECKPOINT = Checkpoint("example.com/log", 5, bytes(range(32)))


def test_c2sp_example_note_verifies() -> None:
    example = json.loads((VECTORS / "signed-note" / "example.json").read_text())
    assert example["valid"] is True
    verifier = NoteVerifier.from_vkey(example["verifier_key"])
    assert verifier.vkey() == example["verifier_key"]
    assert (verifier.name, verifier.key_id) == ("example.com/foo", 0x530D903A)
    note = open_note(example["note"], [verifier])
    assert note.text == "This is an example message.\n"
    assert [(s.name, s.key_id, s.timestamp) for s in note.verified] == [("example.com/foo", 0x530D903A, None)]
    assert note.unverified == ()
    assert note.signed_by(verifier)
    with pytest.raises(NoteError):
        open_note(example["note"].replace("example message", "example massage"), [verifier])


def test_go_reference_keys_and_signature_match_byte_for_byte() -> None:
    signer = NoteSigner.from_skey(GO_SKEY)
    assert signer.skey() == GO_SKEY
    assert signer.key_id == 0xC74F20A3
    assert signer.verifier().vkey() == GO_VKEY
    assert sign_note(GO_TEXT, [signer]) == GO_NOTE  # Ed25519 is deterministic
    note = open_note(GO_NOTE.encode(), [NoteVerifier.from_vkey(GO_VKEY)])
    assert note.text == GO_TEXT


def test_key_id_follows_the_spec_formula() -> None:
    pub = base64.b64decode(GO_VKEY.split("+", 2)[2])[1:]
    assert key_id("PeterNeumann", 0x01, pub) == 0xC74F20A3
    assert key_id("PeterNeumann", 0x04, pub) != 0xC74F20A3
    witness = CosignatureVerifier.from_vkey(WITNESS_VKEY)
    assert witness.key_id == 0xDA77ADE7
    assert witness.vkey() == WITNESS_VKEY


@pytest.mark.parametrize(
    "vkey",
    [
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong key ID
        "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # upper-case hex
        "PeterNeumann+c74f20a3+BBpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong type byte
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",  # bad base64
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWAA==",  # too long
        "PeterNeumann+c74f20a3",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        WITNESS_VKEY,  # a cosignature key is not a note key
    ],
)
def test_malformed_verifier_keys_are_refused(vkey: str) -> None:
    with pytest.raises(NoteError):
        NoteVerifier.from_vkey(vkey)


def test_signer_keys_round_trip_and_reject_mangling() -> None:
    for cls in (NoteSigner, CosignatureSigner):
        signer = cls.generate("dantin.example/log")
        assert cls.from_skey(signer.skey()).skey() == signer.skey()
        assert "PRIVATE" not in repr(signer)
    for bad in (
        GO_SKEY.replace("PRIVATE+KEY", "PRIVATE+KEYS"),
        GO_SKEY.replace("c74f20a3", "c74f20a2"),
        GO_SKEY[:-4],
        GO_SKEY.removeprefix("PRIVATE+KEY+"),
    ):
        with pytest.raises(NoteError):
            NoteSigner.from_skey(bad)
    with pytest.raises(NoteError):
        CosignatureSigner.from_skey(GO_SKEY)  # type 0x01 key string for a 0x04 signer
    with pytest.raises(NoteError):
        NoteSigner.from_private_bytes("bad+name", bytes(32))
    with pytest.raises(NoteError):
        NoteSigner.from_private_bytes("ok", bytes(31))


def test_unknown_signatures_are_ignored_but_listed() -> None:
    log, other = NoteSigner.generate("log.example"), NoteSigner.generate("other.example")
    impostor = NoteSigner.generate("log.example")  # same name, different key ID
    note = sign_note("hello\n", [other, log, impostor])
    opened = open_note(note, [log.verifier()])
    assert [s.name for s in opened.verified] == ["log.example"]
    assert {(s.name, s.key_id) for s in opened.unverified} == {
        ("other.example", other.key_id),
        ("log.example", impostor.key_id),
    }
    with pytest.raises(NoteError, match="tin cậy"):
        open_note(note, [NoteSigner.generate("nobody").verifier()])


def test_a_bad_signature_from_a_known_key_rejects_the_note() -> None:
    log, witness = NoteSigner.generate("log.example"), NoteSigner.generate("w.example")
    good = sign_note("hello\n", [log])
    # A valid Ed25519 signature by another key, relabelled with the log's name and key ID.
    raw = bytearray(base64.b64decode(signature_line("hello\n", witness).split(" ")[2]))
    raw[:4] = log.key_id.to_bytes(4, "big")
    forged = good + f"{EM} log.example {base64.b64encode(bytes(raw)).decode()}\n"
    with pytest.raises(NoteError, match="khóa đã biết") as err:
        open_note(forged, [log.verifier()])
    assert err.value.code == "bad_note"
    assert isinstance(err.value, CryptoError)
    assert "bad signature by log.example" in err.value.detail
    # One flipped bit in the log's own signature.
    sig = bytearray(base64.b64decode(good.split(" ")[-1].strip()))
    sig[-1] ^= 1
    flipped = f"hello\n\n{EM} log.example {base64.b64encode(bytes(sig)).decode()}\n"
    with pytest.raises(NoteError):
        open_note(flipped, [log.verifier()])


@pytest.mark.parametrize(
    "mangle",
    [
        lambda n: n.replace("\n\n", "\n"),  # no blank line
        lambda n: n.removesuffix("\n"),  # signature block not newline-terminated
        lambda n: n + "\n",  # trailing blank line
        lambda n: n.replace(EM, "-"),  # not an em dash
        lambda n: n.replace(EM + " ", EM),  # no space after the dash
        lambda n: n.replace("hello", "hel\tlo"),  # control character
        lambda n: n.replace("hello", "hel\rlo"),
        lambda n: n.replace("hello", "hel\udc80lo"),  # lone surrogate: not UTF-8
        lambda n: n.replace("=\n", "\n"),  # bad base64 padding
        lambda n: n + f"{EM} x AAAA\n",  # signature shorter than its key ID
        lambda n: n + f"{EM} a+b AAAAAAA=\n",  # invalid key name
        lambda n: n + f"{EM}  AAAAAAA=\n",  # empty key name
        lambda n: n + f"{EM} x AAAAAAA=\n" * 100,  # too many signatures
        lambda n: n.replace("hello", "jello"),  # tampered text
    ],
)
def test_malformed_or_tampered_notes_are_refused(mangle: Callable[[str], str]) -> None:
    signer = NoteSigner.generate("log.example")
    note = sign_note("hello\nworld\n", [signer])
    open_note(note, [signer.verifier()])
    with pytest.raises(NoteError):
        open_note(mangle(note), [signer.verifier()])


def test_non_utf8_bytes_are_refused() -> None:
    signer = NoteSigner.generate("log.example")
    note = sign_note("hello\n", [signer]).encode()
    assert open_note(note, [signer.verifier()]).text == "hello\n"
    with pytest.raises(NoteError, match="UTF-8"):
        open_note(note.replace(b"hello", b"hel\xfflo"), [signer.verifier()])


def test_text_may_contain_blank_lines_but_must_end_in_newline() -> None:
    signer = NoteSigner.generate("log.example")
    for text in ("a\n\nb\n", "a\n\n", "\n"):
        assert open_note(sign_note(text, [signer]), [signer.verifier()]).text == text
    for text in ("no newline", "", "tab\there\n"):
        with pytest.raises(NoteError):
            sign_note(text, [signer])
    with pytest.raises(ValueError, match="at least one"):
        sign_note("hello\n", [])


def test_cosignatures_are_timestamped_and_verified() -> None:
    log = NoteSigner.generate("example.com/log")
    witness = CosignatureSigner.generate("witness.example/w1")
    body = CHECKPOINT.format()
    before = int(time.time())
    note = sign_note(body, [log]) + signature_line(body, witness)
    cp, opened = open_checkpoint(note, log.verifier(), cosigners=[witness.verifier()])
    assert cp == CHECKPOINT
    [log_sig, cosig] = opened.verified
    assert log_sig.timestamp is None
    assert cosig.name == "witness.example/w1"
    assert cosig.timestamp is not None
    assert before <= cosig.timestamp <= time.time()
    assert cosig.signature[:8] == cosig.timestamp.to_bytes(8, "big")
    # cosignature/v1 signs "cosignature/v1\ntime <ts>\n" + body, not the body alone.
    raw = witness.sign(body.encode(), timestamp=1679315147)
    witness_key = witness.verifier()
    assert witness_key.verify(body.encode(), raw)
    assert witness_key.timestamp(raw) == 1679315147
    assert not witness_key.verify(body.encode(), (1679315148).to_bytes(8, "big") + raw[8:])
    assert not NoteVerifier(witness.name, witness.public_key).verify(body.encode(), raw[8:])
    with pytest.raises(ValueError, match="timestamp"):
        witness.sign(body.encode(), timestamp=2**63)


def test_cosignature_message_is_built_as_the_spec_says() -> None:
    key = Ed25519PrivateKey.generate()
    witness = CosignatureSigner("witness.example/w1", key)
    body = CHECKPOINT.format().encode()
    raw = witness.sign(body, timestamp=1679315147)
    # tlog-cosignature: "cosignature/v1\ntime <ts>\n" + checkpoint body, independently.
    key.public_key().verify(raw[8:], b"cosignature/v1\ntime 1679315147\n" + body)
    # A correctly signed timestamp beyond 2^63 - 1 must still be refused.
    huge = 2**63
    sig = huge.to_bytes(8, "big") + key.sign(b"cosignature/v1\ntime %d\n" % huge + body)
    assert witness.verifier().timestamp(sig) is None
    assert not witness.verifier().verify(body, sig)


def test_go_cosignature_timestamp_is_parsed() -> None:
    # transparency-dev/formats TestCosignatureTimestamp "works" vector.
    raw = base64.b64decode(
        "ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEBYJXORmnFBOBA=="
    )
    witness = CosignatureVerifier.from_vkey(WITNESS_VKEY)
    assert witness.timestamp(raw[4:]) == 1727964367
    assert witness.timestamp(raw[4:-1]) is None


def test_a_witness_alone_does_not_make_a_checkpoint_trusted() -> None:
    log = NoteSigner.generate("example.com/log")
    witness = CosignatureSigner.generate("witness.example/w1")
    note = sign_note(CHECKPOINT.format(), [witness])
    with pytest.raises(NoteError, match="nhật ký"):
        open_checkpoint(note, log.verifier(), cosigners=[witness.verifier()])
    impostor = NoteSigner.generate("example.com/other")
    with pytest.raises(NoteError, match="nhật ký khác"):
        open_checkpoint(sign_note(CHECKPOINT.format(), [impostor]), impostor.verifier())
    cp, _ = open_checkpoint(sign_note(CHECKPOINT.format(), [impostor]), impostor.verifier(), origin="example.com/log")
    assert cp.size == 5


def test_checkpoint_format_and_parse() -> None:
    body = CHECKPOINT.format()
    assert body == "example.com/log\n5\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
    assert Checkpoint.parse(body) == CHECKPOINT
    ext = Checkpoint("o", 0, bytes(32), ("ext one", "ext two"))
    assert Checkpoint.parse(ext.format()) == ext
    assert ext.format().endswith("\next one\next two\n")


@pytest.mark.parametrize(
    "body",
    [
        "example.com/log\n5\n",  # no root line
        "example.com/log\n05\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",  # leading zero
        "example.com/log\n-5\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
        "example.com/log\n+5\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
        "example.com/log\n\u0665\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",  # Arabic 5
        "example.com/log\n 5\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
        "example.com/log\n18446744073709551616\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
        "example.com/log\n5\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==\n",  # 31 bytes
        "example.com/log\n5\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n",  # unpadded
        "example.com/log\n5\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9=\n",  # non-canonical bits
        "example.com/log\n5\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",  # no final newline
        "example.com/log\n5\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n\n",  # empty extension
        "\n5\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",  # empty origin
    ],
)
def test_malformed_checkpoints_are_refused(body: str) -> None:
    with pytest.raises(NoteError):
        Checkpoint.parse(body)


def test_note_error_speaks_vietnamese_and_english() -> None:
    with pytest.raises(NoteError) as err:
        open_note("no signatures\n", [])
    e = err.value
    assert e.code == "bad_note"
    assert e.title_vi == "Ghi chú đã ký không hợp lệ"
    assert "chữ ký" in e.message_vi
    assert e.detail == "no signature block"
