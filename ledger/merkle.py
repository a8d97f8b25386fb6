"""Merkle tree hashing, proofs and verification per RFC 9162 §2.1.

Leaf and node hashes are domain-separated (§2.1.1). A :class:`CompactRange`
keeps the perfect-subtree hashes ("frontier") of a growing log, as in
transparency-dev/merkle ``compact``, and reports every node it completes so a
sealer can store them: proofs then need only node lookups (``GetNode``).

Verification follows §2.1.3.2 (inclusion) and §2.1.4.2 (consistency). It
returns nothing and raises :class:`ProofError` on any failure.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from ledger.errors import CryptoError

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

#: ``get_node(level, index)``: hash of the perfect subtree of ``2**level``
#: leaves starting at leaf ``index * 2**level``.
GetNode = Callable[[int, int], bytes]


class ProofError(CryptoError):
    """A Merkle inclusion or consistency proof did not verify."""

    code = "bad_proof"
    title_vi = "Bằng chứng Merkle không hợp lệ"


@dataclass(frozen=True, slots=True)
class Node:
    """A completed perfect subtree: ``2**level`` leaves from ``index * 2**level``."""

    level: int
    index: int
    hash: bytes


def leaf_hash(entry: bytes) -> bytes:
    """``SHA-256(0x00 || entry)`` (RFC 9162 §2.1.1)."""
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 || left || right)`` (RFC 9162 §2.1.1)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_leaves(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH over leaf hashes (RFC 9162 §2.1.1), level by level, odd nodes promoted."""
    level = list(leaf_hashes)
    if not level:
        return EMPTY_ROOT
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        level = paired + level[len(paired) * 2 :]
    return level[0]


class CompactRange:
    """The perfect-subtree hashes covering leaves ``[0, size)``, largest first.

    ``append`` returns (and passes to ``on_node``) every node it completes,
    starting with the leaf itself at level 0; amortised O(1) hashes per leaf.
    """

    def __init__(self, on_node: Callable[[Node], None] | None = None) -> None:
        self._size = 0
        self._hashes: list[bytes] = []
        self._on_node = on_node

    @classmethod
    def from_nodes(
        cls, size: int, nodes: Sequence[bytes], on_node: Callable[[Node], None] | None = None
    ) -> CompactRange:
        """Restore a range saved with :meth:`nodes`."""
        if size < 0 or len(nodes) != size.bit_count():
            raise ValueError(f"size {size} does not match {len(nodes)} nodes")
        if any(len(h) != HASH_SIZE for h in nodes):
            raise ValueError("compact range nodes must be 32-byte hashes")
        cr = cls(on_node)
        cr._size, cr._hashes = size, list(nodes)
        return cr

    def copy(self) -> CompactRange:
        """An independent range with the same nodes (no callback), to append to tentatively."""
        cr = CompactRange()
        cr._size, cr._hashes = self._size, list(self._hashes)
        return cr

    @property
    def size(self) -> int:
        return self._size

    def nodes(self) -> list[bytes]:
        """The frontier hashes, largest subtree first (one per set bit of ``size``)."""
        return list(self._hashes)

    def append(self, leaf: bytes) -> list[Node]:
        if len(leaf) != HASH_SIZE:
            raise ValueError("leaf hash must be 32 bytes")
        completed = [Node(0, self._size, leaf)]
        h, index, size = leaf, self._size, self._size
        while size & 1:
            h = node_hash(self._hashes.pop(), h)
            index, size = index >> 1, size >> 1
            completed.append(Node(len(completed), index, h))
        self._hashes.append(h)
        self._size += 1
        if self._on_node is not None:
            for node in completed:
                self._on_node(node)
        return completed

    def extend(self, leaves: Iterable[bytes]) -> None:
        """``append`` each leaf, for a caller that needs only roots: no node objects made, none
        reported; ``node_hash`` written out in the loop (the audit recomputes every root so)."""
        size, hashes, sha256 = self._size, self._hashes, hashlib.sha256
        pop, push = hashes.pop, hashes.append
        for h in leaves:
            n = size
            while n & 1:
                h = sha256(b"\x01" + pop() + h).digest()
                n >>= 1
            push(h)
            size += 1
        self._size = size

    def root(self) -> bytes:
        if not self._hashes:
            return EMPTY_ROOT
        h = self._hashes[-1]
        for left in reversed(self._hashes[:-1]):
            h = node_hash(left, h)
        return h


def _split(n: int) -> int:
    """Largest power of two smaller than ``n`` (RFC 9162 §2.1.1 ``k``), ``n > 1``."""
    return 1 << ((n - 1).bit_length() - 1)


def _range_hash(begin: int, end: int, get_node: GetNode) -> bytes:
    """MTH of leaves ``[begin, end)``, ``begin`` a multiple of the largest power of two ≤ ``end - begin``."""
    hashes = []
    while begin < end:
        level = (end - begin).bit_length() - 1
        hashes.append(get_node(level, begin >> level))
        begin += 1 << level
    h = hashes[-1]
    for left in reversed(hashes[:-1]):
        h = node_hash(left, h)
    return h


def inclusion_proof(index: int, size: int, get_node: GetNode) -> list[bytes]:
    """PATH(index, D[size]) (RFC 9162 §2.1.3.1), leaf-side first."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} outside tree of size {size}")
    lo, hi, path = 0, size, []
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            path.append(_range_hash(lo + k, hi, get_node))
            hi = lo + k
        else:
            path.append(_range_hash(lo, lo + k, get_node))
            lo += k
    return path[::-1]


def consistency_proof(m: int, n: int, get_node: GetNode) -> list[bytes]:
    """PROOF(m, D[n]) (RFC 9162 §2.1.4.1); empty when ``m == n``."""
    if not 0 < m <= n:
        raise ValueError(f"no consistency proof from size {m} to {n}")
    lo, hi, complete, path = 0, n, True, []
    while m != hi:
        k = _split(hi - lo)
        if m <= lo + k:
            path.append(_range_hash(lo + k, hi, get_node))
            hi = lo + k
        else:
            path.append(_range_hash(lo, lo + k, get_node))
            lo, complete = lo + k, False
    if not complete:
        path.append(_range_hash(lo, hi, get_node))
    return path[::-1]


def inclusion_proof_from_leaves(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """Reference PATH straight from the recursive definition in RFC 9162 §2.1.3.1."""
    if not 0 <= index < len(leaves):
        raise ValueError(f"leaf index {index} outside tree of size {len(leaves)}")
    if len(leaves) == 1:
        return []
    k = _split(len(leaves))
    if index < k:
        return [*inclusion_proof_from_leaves(index, leaves[:k]), root_from_leaves(leaves[k:])]
    return [*inclusion_proof_from_leaves(index - k, leaves[k:]), root_from_leaves(leaves[:k])]


def consistency_proof_from_leaves(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    """Reference PROOF straight from SUBPROOF in RFC 9162 §2.1.4.1."""
    if not 0 < m <= len(leaves):
        raise ValueError(f"no consistency proof from size {m} to {len(leaves)}")

    def subproof(m: int, d: Sequence[bytes], b: bool) -> list[bytes]:
        if m == len(d):
            return [] if b else [root_from_leaves(d)]
        k = _split(len(d))
        if m <= k:
            return [*subproof(m, d[:k], b), root_from_leaves(d[k:])]
        return [*subproof(m - k, d[k:], False), root_from_leaves(d[:k])]

    return subproof(m, leaves, True)


def _check_elements(proof: Sequence[bytes]) -> None:
    if any(len(p) != HASH_SIZE for p in proof):
        raise ProofError(
            "Mỗi phần tử của bằng chứng phải dài đúng 32 byte.",
            detail="proof element is not 32 bytes",
        )


def _mismatch(what: str) -> ProofError:
    return ProofError("Gốc tính từ bằng chứng không khớp với gốc đã cho.", detail=f"{what} root mismatch")


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> None:
    """Check ``leaf`` is leaf ``index`` of the tree ``root`` of ``size`` (§2.1.3.2)."""
    if not 0 <= index < size:
        raise ProofError("Chỉ số lá nằm ngoài kích thước cây.", detail=f"index {index} >= size {size}")
    if len(leaf) != HASH_SIZE:
        raise ProofError("Hàm băm của lá phải dài đúng 32 byte.", detail="leaf hash not 32 bytes")
    _check_elements(proof)
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError("Bằng chứng bao hàm quá dài.", detail="inclusion proof too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("Bằng chứng bao hàm quá ngắn.", detail="inclusion proof too short")
    if not hmac.compare_digest(r, root):
        raise _mismatch("inclusion")


def verify_consistency(size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes) -> None:
    """Check tree ``root2`` of ``size2`` extends tree ``root1`` of ``size1`` (§2.1.4.2)."""
    if size1 <= 0 or size1 > size2:
        raise ProofError(
            "Chỉ chấp nhận bằng chứng nhất quán khi 0 < kích thước cũ ≤ kích thước mới.",
            detail=f"refused consistency from size {size1} to {size2}",
        )
    _check_elements(proof)
    if size1 == size2:
        if proof:
            raise ProofError("Hai kích thước bằng nhau nên bằng chứng phải rỗng.", detail="non-empty proof")
        if not hmac.compare_digest(root1, root2):
            raise _mismatch("equal-size")
        return
    if not proof:
        raise ProofError("Bằng chứng nhất quán rỗng.", detail="empty consistency proof")
    path = [root1, *proof] if size1 & (size1 - 1) == 0 else list(proof)
    fr, sr = _consistency_roots(size1, size2, path)
    if not hmac.compare_digest(fr, root1):
        raise _mismatch("old")
    if not hmac.compare_digest(sr, root2):
        raise _mismatch("new")


def _consistency_roots(size1: int, size2: int, path: Sequence[bytes]) -> tuple[bytes, bytes]:
    """Steps 3-7 of RFC 9162 §2.1.4.2: the old and new roots the path implies."""
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("Bằng chứng nhất quán quá dài.", detail="consistency proof too long")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("Bằng chứng nhất quán quá ngắn.", detail="consistency proof too short")
    return fr, sr
