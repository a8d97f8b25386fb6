"""RFC 9162 Merkle hashing: transparency-dev/merkle vectors and exhaustive small trees."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from conftest import VECTORS as SHARED_VECTORS

from ledger.errors import CryptoError
from ledger.merkle import (
    EMPTY_ROOT,
    CompactRange,
    Node,
    ProofError,
    consistency_proof,
    consistency_proof_from_leaves,
    inclusion_proof,
    inclusion_proof_from_leaves,
    leaf_hash,
    node_hash,
    root_from_leaves,
    verify_consistency,
    verify_inclusion,
)

VECTORS = SHARED_VECTORS / "merkle"
INCLUSION = sorted((VECTORS / "inclusion").rglob("*.json"))
CONSISTENCY = sorted((VECTORS / "consistency").rglob("*.json"))


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _b64(value: str) -> bytes:
    return base64.b64decode(value, validate=True)


def _proof(vector: dict[str, Any]) -> list[bytes]:
    return [_b64(p) for p in vector["proof"] or []]  # Go marshals an empty proof as null


def _mth(leaves: Sequence[bytes]) -> bytes:
    """MTH exactly as written in RFC 9162 §2.1.1 (recursive), as a reference."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(_mth(leaves[:k]), _mth(leaves[k:]))


def _leaves(n: int) -> list[bytes]:
    return [leaf_hash(b"entry %d" % i) for i in range(n)]


def _store(leaves: Sequence[bytes]) -> dict[tuple[int, int], bytes]:
    nodes: dict[tuple[int, int], bytes] = {}
    cr = CompactRange(lambda node: nodes.__setitem__((node.level, node.index), node.hash))
    for leaf in leaves:
        cr.append(leaf)
    return nodes


def _getter(nodes: dict[tuple[int, int], bytes], size: int) -> Callable[[int, int], bytes]:
    """A node lookup that refuses anything but a completed perfect subtree of ``size``."""

    def get_node(level: int, index: int) -> bytes:
        assert (index + 1) << level <= size, f"asked for incomplete node {level}/{index}"
        return nodes[level, index]

    return get_node


def _flip(h: bytes, bit: int = 0) -> bytes:
    return bytes([h[0] ^ (1 << bit)]) + h[1:]


def test_vector_folders_are_present() -> None:
    assert len(INCLUSION) >= 90
    assert len(CONSISTENCY) >= 90
    wanted = [_load(p)["wantErr"] for p in INCLUSION + CONSISTENCY]
    assert wanted.count(False) >= 10
    assert wanted.count(True) >= 150


@pytest.mark.parametrize("path", INCLUSION, ids=lambda p: str(p.relative_to(VECTORS)))
def test_inclusion_vector(path: Path) -> None:
    v = _load(path)
    args = (_b64(v["leafHash"]), v["leafIdx"], v["treeSize"], _proof(v), _b64(v["root"]))
    if v["wantErr"]:
        with pytest.raises(ProofError):
            verify_inclusion(*args)
    else:
        verify_inclusion(*args)  # returns None; raising is the only failure signal


@pytest.mark.parametrize("path", CONSISTENCY, ids=lambda p: str(p.relative_to(VECTORS)))
def test_consistency_vector(path: Path) -> None:
    v = _load(path)
    args = (v["size1"], v["size2"], _proof(v), _b64(v["root1"]), _b64(v["root2"]))
    if v["wantErr"]:
        with pytest.raises(ProofError):
            verify_consistency(*args)
    else:
        verify_consistency(*args)


def test_hashes_are_domain_separated() -> None:
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    assert node_hash(b"a", b"b") == hashlib.sha256(b"\x01ab").digest()
    assert leaf_hash(b"\x01ab") != node_hash(b"a", b"b")


def test_root_from_leaves_matches_recursive_definition() -> None:
    for n in range(130):
        assert root_from_leaves(_leaves(n)) == _mth(_leaves(n)), n


def test_compact_range_root_matches_for_every_size_up_to_300() -> None:
    leaves = _leaves(300)
    cr = CompactRange()
    assert cr.size == 0
    assert cr.root() == EMPTY_ROOT == root_from_leaves([])
    for n, leaf in enumerate(leaves, start=1):
        cr.append(leaf)
        assert cr.size == n
        assert cr.root() == root_from_leaves(leaves[:n]), n
        assert len(cr.nodes()) == n.bit_count()


@pytest.mark.parametrize("step", [1, 2, 3, 7, 64, 300])
def test_extending_a_compact_range_gives_the_roots_appending_gives(step: int) -> None:
    leaves = _leaves(300)
    cr = CompactRange()
    cr.extend([])
    assert cr.size == 0 and cr.root() == EMPTY_ROOT
    for start in range(0, 300, step):
        cr.extend(leaves[start:start + step])
        n = min(start + step, 300)
        assert cr.size == n
        assert cr.root() == _mth(leaves[:n]), n
        assert len(cr.nodes()) == n.bit_count()


def test_compact_range_reports_every_completed_node_once() -> None:
    leaves = _leaves(300)
    seen: list[Node] = []
    cr = CompactRange(seen.append)
    returned: list[Node] = []
    for leaf in leaves:
        returned += cr.append(leaf)
    assert returned == seen
    # n leaves complete exactly 2n - popcount(n) nodes: O(n) hashing in total.
    assert len(seen) == 2 * 300 - (300).bit_count()
    assert len({(n.level, n.index) for n in seen}) == len(seen)
    for node in seen:
        start = node.index << node.level
        assert node.hash == _mth(leaves[start : start + (1 << node.level)])


def test_compact_range_survives_persistence() -> None:
    leaves = _leaves(100)
    cr = CompactRange()
    for leaf in leaves[:37]:
        cr.append(leaf)
    seen: list[Node] = []
    restored = CompactRange.from_nodes(cr.size, cr.nodes(), seen.append)
    assert restored.root() == cr.root()
    for leaf in leaves[37:]:
        restored.append(leaf)
    assert restored.root() == root_from_leaves(leaves)
    assert seen[0] == Node(0, 37, leaves[37])
    assert Node(1, 18, node_hash(*leaves[36:38])) in seen
    with pytest.raises(ValueError, match="does not match"):
        CompactRange.from_nodes(37, cr.nodes()[:-1])
    with pytest.raises(ValueError, match="32-byte"):
        CompactRange.from_nodes(1, [b"short"])
    with pytest.raises(ValueError, match="32 bytes"):
        CompactRange().append(b"not a hash")


def test_inclusion_proofs_for_every_index_up_to_64() -> None:
    leaves = _leaves(64)
    nodes = _store(leaves)
    for size in range(1, 65):
        root = root_from_leaves(leaves[:size])
        for index in range(size):
            proof = inclusion_proof(index, size, _getter(nodes, size))
            assert proof == inclusion_proof_from_leaves(index, leaves[:size])
            verify_inclusion(leaves[index], index, size, proof, root)
            wrong = index ^ 1 if index ^ 1 < size else 0
            if wrong != index:
                with pytest.raises(ProofError):
                    verify_inclusion(leaves[index], wrong, size, proof, root)


def test_consistency_proofs_for_every_pair_up_to_40() -> None:
    leaves = _leaves(40)
    nodes = _store(leaves)
    roots = [root_from_leaves(leaves[:n]) for n in range(41)]
    for n in range(1, 41):
        for m in range(1, n + 1):
            proof = consistency_proof(m, n, _getter(nodes, n))
            assert proof == consistency_proof_from_leaves(m, leaves[:n])
            verify_consistency(m, n, proof, roots[m], roots[n])
            if m < n:
                with pytest.raises(ProofError):
                    verify_consistency(m, n, proof, roots[m - 1] if m > 1 else roots[n], roots[n])
                with pytest.raises(ProofError):
                    verify_consistency(m, n, proof, roots[m], roots[n - 1])


def test_tampered_inclusion_proofs_fail() -> None:
    leaves = _leaves(21)
    proof = inclusion_proof_from_leaves(13, leaves)
    root = root_from_leaves(leaves)
    verify_inclusion(leaves[13], 13, 21, proof, root)
    tampered = [[*proof[:i], _flip(p, bit), *proof[i + 1 :]] for i, p in enumerate(proof) for bit in (0, 7)]
    tampered += [proof[:-1], [*proof, proof[-1]], [proof[0], *proof], proof[::-1]]
    for bad in tampered:
        with pytest.raises(ProofError):
            verify_inclusion(leaves[13], 13, 21, bad, root)
    for leaf, index, size, r in [
        (_flip(leaves[13]), 13, 21, root),
        (leaves[13], 13, 21, _flip(root)),
        (leaves[13], 13, 16, root),  # sizes 17..32 share this path shape, so they pass
        (leaves[13], 13, 33, root),
        (leaves[13], 21, 21, root),
        (leaves[13], -1, 21, root),
        (leaves[13][:31], 13, 21, root),
    ]:
        with pytest.raises(ProofError):
            verify_inclusion(leaf, index, size, proof, r)
    with pytest.raises(ProofError, match="32 byte"):
        verify_inclusion(leaves[13], 13, 21, [*proof[:-1], proof[-1] + b"\x00"], root)


def test_tampered_consistency_proofs_fail() -> None:
    leaves = _leaves(29)
    r11, r29 = root_from_leaves(leaves[:11]), root_from_leaves(leaves)
    proof = consistency_proof_from_leaves(11, leaves)
    verify_consistency(11, 29, proof, r11, r29)
    for i in range(len(proof)):
        with pytest.raises(ProofError):
            verify_consistency(11, 29, [*proof[:i], _flip(proof[i]), *proof[i + 1 :]], r11, r29)
    for bad in ([], proof[:-1], [*proof, proof[0]], [r11, *proof], [b"", *proof]):
        with pytest.raises(ProofError):
            verify_consistency(11, 29, bad, r11, r29)
    with pytest.raises(ProofError):
        verify_consistency(11, 29, proof, r29, r11)


def test_consistency_from_an_empty_tree_is_refused() -> None:
    root = root_from_leaves(_leaves(5))
    for proof in ([], [root]):
        with pytest.raises(ProofError) as err:
            verify_consistency(0, 5, proof, EMPTY_ROOT, root)
    assert err.value.code == "bad_proof"
    with pytest.raises(ProofError):
        verify_consistency(0, 0, [], EMPTY_ROOT, EMPTY_ROOT)
    with pytest.raises(ValueError, match="no consistency proof"):
        consistency_proof(0, 5, lambda level, index: b"")


def test_equal_sizes_need_an_empty_proof_and_equal_roots() -> None:
    root = root_from_leaves(_leaves(7))
    verify_consistency(7, 7, [], root, root)
    assert consistency_proof(7, 7, lambda level, index: b"") == []
    with pytest.raises(ProofError):
        verify_consistency(7, 7, [root], root, root)
    with pytest.raises(ProofError):
        verify_consistency(7, 7, [], root, _flip(root))
    with pytest.raises(ProofError):
        verify_consistency(8, 7, [], root, root)


def test_proof_generation_rejects_out_of_range_arguments() -> None:
    with pytest.raises(ValueError, match="outside"):
        inclusion_proof(5, 5, lambda level, index: b"")
    with pytest.raises(ValueError, match="outside"):
        inclusion_proof_from_leaves(0, [])
    with pytest.raises(ValueError, match="no consistency proof"):
        consistency_proof(6, 5, lambda level, index: b"")


def test_proof_error_speaks_vietnamese_and_english() -> None:
    with pytest.raises(ProofError) as err:
        verify_inclusion(leaf_hash(b"x"), 3, 2, [], EMPTY_ROOT)
    e = err.value
    assert isinstance(e, CryptoError)
    assert e.code == "bad_proof"
    assert e.title_vi == "Bằng chứng Merkle không hợp lệ"
    assert "lá" in e.message_vi
    assert "index 3" in e.detail
    assert e.to_dict() == {"code": "bad_proof", "title": e.title_vi, "detail": e.message_vi}
