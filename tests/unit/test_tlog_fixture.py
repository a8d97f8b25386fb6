"""The tessera testdata log (C2SP tlog-tiles layout): signatures, tiles, entries, proofs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import VECTORS as SHARED_VECTORS

from ledger.merkle import (
    EMPTY_ROOT,
    consistency_proof_from_leaves,
    inclusion_proof_from_leaves,
    leaf_hash,
    root_from_leaves,
    verify_consistency,
    verify_inclusion,
)
from ledger.note import Checkpoint, NoteError, NoteVerifier, open_checkpoint

FIXTURE = SHARED_VECTORS / "tlog-fixture"
ABOUT = json.loads((FIXTURE / "ABOUT.json").read_text())
ORIGIN = "example.com/log/testdata"
TILE_WIDTH = 256
SIZES = sorted(int(p.suffix[1:]) for p in FIXTURE.glob("checkpoint.*"))


def tile_index_path(n: int) -> str:
    """tlog-tiles index encoding: 3-digit groups, all but the last prefixed with ``x``."""
    groups = [f"{n % 1000:03d}"]
    while n >= 1000:
        n //= 1000
        groups.append(f"x{n % 1000:03d}")
    return "/".join(reversed(groups))


def tile_path(kind: str, index: int, width: int) -> Path:
    """``tile/<L>/<N>[.p/<W>]`` or ``tile/entries/<N>[.p/<W>]``."""
    suffix = f".p/{width}" if width < TILE_WIDTH else ""
    return FIXTURE / "tile" / kind / (tile_index_path(index) + suffix)


def level0_hashes(size: int) -> list[bytes]:
    """All leaf hashes of a tree of ``size``, read from its level-0 tiles."""
    hashes: list[bytes] = []
    for index in range((size + TILE_WIDTH - 1) // TILE_WIDTH):
        width = min(TILE_WIDTH, size - index * TILE_WIDTH)
        data = tile_path("0", index, width).read_bytes()
        assert len(data) == 32 * width
        hashes += [data[i : i + 32] for i in range(0, len(data), 32)]
    return hashes


def bundle_entries(size: int) -> list[bytes]:
    """All entries of a tree of ``size``: uint16-length-prefixed, per entry bundle."""
    entries: list[bytes] = []
    for index in range((size + TILE_WIDTH - 1) // TILE_WIDTH):
        width = min(TILE_WIDTH, size - index * TILE_WIDTH)
        data, pos = tile_path("entries", index, width).read_bytes(), 0
        while pos < len(data):
            length = int.from_bytes(data[pos : pos + 2], "big")
            entries.append(data[pos + 2 : pos + 2 + length])
            pos += 2 + length
        assert pos == len(data)
    return entries


def load(size: int) -> Checkpoint:
    note = (FIXTURE / f"checkpoint.{size}").read_text()
    checkpoint, opened = open_checkpoint(note, NoteVerifier.from_vkey(ABOUT["verifier_key"]))
    assert opened.unverified == ()
    return checkpoint


def test_tile_paths_follow_tlog_tiles() -> None:
    assert tile_index_path(0) == "000"
    assert tile_index_path(1234067) == "x001/x234/067"
    assert tile_index_path(1000) == "x001/000"
    assert tile_path("0", 0, 15) == FIXTURE / "tile/0/000.p/15"
    assert tile_path("1", 1234, 256) == FIXTURE / "tile/1/x001/234"


def test_fixture_is_complete() -> None:
    assert len(SIZES) == 16
    assert SIZES[-1] == 15
    assert (FIXTURE / "checkpoint").read_text() == (FIXTURE / "checkpoint.15").read_text()


@pytest.mark.parametrize("size", SIZES)
def test_checkpoint_signature_and_root_from_tiles(size: int) -> None:
    checkpoint = load(size)
    assert (checkpoint.origin, checkpoint.size, checkpoint.extensions) == (ORIGIN, size, ())
    hashes = level0_hashes(size)
    assert root_from_leaves(hashes) == checkpoint.root_hash
    entries = bundle_entries(size)
    assert [leaf_hash(e) for e in entries] == hashes
    if size == 0:
        assert checkpoint.root_hash == EMPTY_ROOT


def test_tiles_only_grow() -> None:
    for size in SIZES[1:]:
        assert level0_hashes(size)[:-1] == level0_hashes(size - 1)
        assert bundle_entries(size)[:-1] == bundle_entries(size - 1)


def test_proofs_between_fixture_checkpoints() -> None:
    leaves = level0_hashes(15)
    checkpoints = {size: load(size) for size in SIZES}
    for n in range(1, 16):
        root = checkpoints[n].root_hash
        for i in range(n):
            verify_inclusion(leaves[i], i, n, inclusion_proof_from_leaves(i, leaves[:n]), root)
        for m in range(1, n + 1):
            proof = consistency_proof_from_leaves(m, leaves[:n])
            verify_consistency(m, n, proof, checkpoints[m].root_hash, root)


def test_tampered_checkpoints_fail() -> None:
    verifier = NoteVerifier.from_vkey(ABOUT["verifier_key"])
    note = (FIXTURE / "checkpoint.15").read_text()
    for bad in (
        note.replace("\n15\n", "\n14\n"),
        note.replace("rKbD", "rKbE"),
        note.replace(ORIGIN, ORIGIN + "x", 1),
        (FIXTURE / "checkpoint.14").read_text().split("\n\n")[0] + "\n\n" + note.split("\n\n")[1],
    ):
        with pytest.raises(NoteError):
            open_checkpoint(bad, verifier)
    with pytest.raises(NoteError):
        open_checkpoint(note, verifier, origin="example.com/other")
