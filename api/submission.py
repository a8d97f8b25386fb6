"""``POST /v1/events``: from request bytes to receipts with inclusion proofs.

One envelope (a DSSE object) answers 201 with its receipt, or a problem: 409 with the
original receipt for a replay of an accepted envelope, 422 for any other refusal, 400 when
the body is not JSON. A batch (``{"envelopes": [...]}`` or a bare JSON array, as ``dantin
sign`` writes for several events) is judged envelope by envelope in one transaction, like
``dantin submit``: the accepted ones are stored even when others are refused. The answer
holds one result per envelope, in order, each with its own ``status`` (201, 409 or 422) and
a receipt or a problem; its own status says what was stored: 201 every envelope, 200 some
(a partial success), 409 none because every one was already recorded, 422 none otherwise.

Every receipt carries an inclusion proof to a published checkpoint; when no checkpoint
covers the new leaves yet, one is published first.

Requests of one envelope each that wait while another write runs are stored together
(``submit_each``, driven by ``api.writer.GroupWriter``), each with its own answer.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from api.problems import ApiError, BadRequest, problem_of
from ledger.application import Ledger, Receipt
from ledger.envelope import as_envelope_input
from ledger.errors import REFUSALS, DantinError, Refused


class Replayed(ApiError):
    status = 409
    code = "replay"
    title_vi = REFUSALS["replay"]


@dataclass(frozen=True)
class Outcome:
    status: int
    body: dict[str, Any]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def read_documents(body: bytes, max_batch: int) -> tuple[list[Any], bool]:
    """The envelopes of a request body, and whether it was a batch."""
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequest("Nội dung gửi lên không phải JSON hợp lệ.", code="malformed",
                         title_vi=REFUSALS["malformed"], detail=f"not JSON: {exc}") from None
    if isinstance(doc, dict) and set(doc) == {"envelopes"}:
        doc = doc["envelopes"]
        if not isinstance(doc, list):
            raise Refused("malformed", "Trường 'envelopes' phải là một danh sách phong bì.",
                          detail="envelopes is not a list")
    if isinstance(doc, list):
        if not doc:
            raise Refused("malformed", "Lô phong bì rỗng.", detail="empty batch")
        if len(doc) > max_batch:
            raise Refused("malformed", f"Một lô có tối đa {max_batch} phong bì; lô này có {len(doc)}.",
                          detail=f"batch of {len(doc)} > {max_batch}")
        return [as_envelope_input(d) for d in doc], True
    if isinstance(doc, dict) and "signatures" not in doc and "type" in doc and "facts" in doc:
        raise Refused("malformed", "Sự kiện chưa được ký: hãy ký bằng 'dantin sign' (khóa của cơ quan) rồi nộp "
                      "phong bì đã ký.", detail="unsigned event")
    return [as_envelope_input(doc)], False


def submit(ledger: Ledger, body: bytes, max_batch: int) -> Outcome:
    docs, batch = read_documents(body, max_batch)
    return submit_documents(ledger, docs, batch)


def submit_each(ledger: Ledger, docs: list[Any]) -> list[Outcome | DantinError]:
    """Envelopes of separate requests, stored in one transaction (``api.writer``): per envelope, its 201
    outcome or the refusal its request raises, exactly as when submitted alone in this order."""
    results = ledger.submit(docs)
    proofs = inclusion_proofs(ledger, [r for r in results if isinstance(r, Receipt)])
    return [Outcome(201, receipt_public(result, proofs.get(result.index))) if isinstance(result, Receipt)
            else _refusal(ledger, doc, result) for doc, result in zip(docs, results, strict=True)]


def submit_documents(ledger: Ledger, docs: list[Any], batch: bool) -> Outcome:
    """``read_documents``' envelopes: a single one's receipt (or its refusal raised), or a batch's results."""
    if not batch:
        [found] = submit_each(ledger, docs)
        if isinstance(found, DantinError):
            raise found
        return found
    results = ledger.submit(docs)
    accepted = [r for r in results if isinstance(r, Receipt)]
    proofs = inclusion_proofs(ledger, accepted)
    items: list[dict[str, Any]] = []
    for doc, result in zip(docs, results, strict=True):
        if isinstance(result, Receipt):
            items.append({"status": 201, "receipt": receipt_public(result, proofs.get(result.index))})
            continue
        problem = problem_of(_refusal(ledger, doc, result))
        items.append({"status": problem["status"], "receipt": problem.pop("receipt", None), "problem": problem})
    if len(accepted) == len(results):
        status = 201
    elif accepted:
        status = 200
    else:
        status = 409 if all(item["status"] == 409 for item in items) else 422
    return Outcome(status, {"accepted": len(accepted), "refused": len(results) - len(accepted), "results": items})


def _refusal(ledger: Ledger, doc: Any, refusal: Refused) -> Refused | Replayed:
    if refusal.code != "replay":
        return refusal
    original = ledger.receipt_of(doc) if isinstance(doc, dict) else None
    extra = {"receipt": receipt_public(original, inclusion_proofs(ledger, [original]).get(original.index))} \
        if original is not None else {}
    return Replayed(refusal.message_vi, detail=refusal.detail, extra=extra)


def inclusion_proofs(ledger: Ledger, receipts: Sequence[Receipt]) -> dict[int, dict[str, Any]]:
    """An RFC 9162 inclusion proof of each receipt's leaf to one published checkpoint covering them all."""
    if not receipts or ledger.sealer is None:
        return {}
    last = max(r.index for r in receipts)
    # The checkpoint the sealer signed for the newest batch covers these leaves: no extra write per request
    # (it is published with the next due one; any later checkpoint is provably consistent with it).
    # Otherwise the newest published one, or a new one (None without the log key).
    row = ledger.sealer.latest
    if row is None or row.size <= last:
        row = ledger.publish_checkpoint() or ledger.checkpoint()
    if row is None or row.size <= last:
        return {}
    return {r.index: {"leaf_index": r.index, "tree_size": row.size, "leaf_hash": _b64(bytes.fromhex(r.hash)),
                      "proof": [_b64(h) for h in ledger.inclusion_proof(r.index, row.size)],
                      "checkpoint": row.note}
            for r in receipts}


def receipt_public(receipt: Receipt, inclusion: dict[str, Any] | None) -> dict[str, Any]:
    return {"stream": receipt.stream, "version": receipt.version, "type": receipt.type, "index": receipt.index,
            "notification_id": receipt.notification_id, "hash": receipt.hash,
            "hash_b64": _b64(bytes.fromhex(receipt.hash)), "inclusion": inclusion}
