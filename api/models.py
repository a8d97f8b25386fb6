"""Wire models of the HTTP face, named by suffix: ``…Create`` comes in, ``…Public`` goes out.

The envelope itself is ``schemas.envelope.EnvelopeWire`` (the contract shared with the CLI);
examples come from a real ledger (``api.examples``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api import examples as ex
from schemas.envelope import EnvelopeWire


def _examples(*values: Any) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": list(values)})


class EventBatchCreate(BaseModel):
    """Several envelopes judged in one transaction (a bare JSON array is accepted too)."""

    model_config = _examples({"envelopes": [ex.ENVELOPE]})
    envelopes: list[EnvelopeWire] = Field(min_length=1)


class InclusionProofPublic(BaseModel):
    """RFC 9162 §2.1.3 inclusion proof of one leaf in the tree of ``tree_size`` leaves; hashes in base64."""

    model_config = _examples(ex.INCLUSION)
    leaf_index: int = Field(ge=0)
    tree_size: int = Field(ge=1)
    leaf_hash: str = Field(description="SHA-256(0x00 ‖ entry), standard base64.")
    proof: list[str] = Field(description="Sibling hashes from the leaf up, standard base64.")
    checkpoint: str | None = Field(description="The signed checkpoint note (C2SP) of `tree_size`, if published.")


class ReceiptPublic(BaseModel):
    """What a submitter gets for an accepted envelope."""

    model_config = _examples(ex.RECEIPT)
    stream: str = Field(description="The stream (place, body or person) the event was appended to.")
    version: int = Field(ge=1, description="Its version in that stream.")
    type: str
    index: int = Field(ge=0, description="Leaf index in the log.")
    notification_id: int
    hash: str = Field(description="The entry (leaf) hash, hex.")
    hash_b64: str = Field(description="The same hash, standard base64.")
    inclusion: InclusionProofPublic | None = Field(description="Proof to a published checkpoint (null only when "
                                                               "this server holds no log key).")


class ProblemPublic(BaseModel):
    """RFC 9457 problem details; `title` and `detail` are Vietnamese, `code` is stable."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [ex.PROBLEM, ex.PROBLEM_REPLAY]})
    type: str = Field(description="https://dantin.qng/problems/<code>")
    title: str
    status: int
    detail: str
    code: str
    detail_en: str | None = Field(default=None, description="English detail for programs and logs.")
    instance: str | None = None
    receipt: ReceiptPublic | None = Field(default=None, description="For `replay` (409): the original receipt.")


class BatchItemPublic(BaseModel):
    status: int = Field(description="201 accepted, 409 replay of an accepted envelope, 422 refused.")
    receipt: ReceiptPublic | None = None
    problem: ProblemPublic | None = None


class BatchResultPublic(BaseModel):
    """One result per envelope, in order (answered with 200 when any envelope was refused)."""

    model_config = _examples(ex.BATCH)
    accepted: int
    refused: int
    results: list[BatchItemPublic]


class PlacePublic(BaseModel):
    model_config = _examples(ex.PLACE)
    id: str
    name: str
    kind: str = Field(description="province, district, commune, thon, tdp…")
    parent: str | None
    children: list[str]


class ConsistencyProofPublic(BaseModel):
    """RFC 9162 §2.1.4 consistency proof between two tree sizes; hashes in base64."""

    model_config = _examples(ex.CONSISTENCY)
    old_size: int
    new_size: int
    proof: list[str]
    old_checkpoint: str | None
    new_checkpoint: str | None


class CosignaturePublic(BaseModel):
    """A witness cosignature (C2SP tlog-cosignature) the ledger verified and stored."""

    model_config = _examples(ex.COSIGNATURE)
    size: int = Field(description="Tree size of the checkpoint it cosigns.")
    witness: str = Field(description="The witness body's id.")
    key_id: int
    timestamp: int
    line: str


class ReaderPublic(BaseModel):
    body: str
    kind: str
    keyid: str


class EntryPublic(BaseModel):
    """One stored entry: the envelope exactly as received, and what it says."""

    index: int | None = Field(description="Leaf index in the log.")
    version: int
    hash: str = Field(description="Entry (leaf) hash, hex.")
    received: str
    envelope: EnvelopeWire
    statement: dict[str, Any] = Field(description="The signed payload, decoded.")


class PersonPublic(BaseModel):
    id: str
    profile: dict[str, Any] = Field(description="The profile as it stands (later profiles supersede fields).")
    entries: list[EntryPublic]


class HistoryPublic(BaseModel):
    """Restricted: a village's full history, with the profiles of the people it refers to."""

    model_config = _examples(ex.HISTORY)
    village: PlacePublic
    reader: ReaderPublic
    events: list[EntryPublic]
    people: list[PersonPublic]


class HealthPublic(BaseModel):
    model_config = _examples({"status": "ok"})
    status: str


class ReadyPublic(BaseModel):
    model_config = _examples({"status": "ready", "log_size": 42, "read_only": False})
    status: str
    log_size: int
    read_only: bool = Field(default=False, description="A copy served read only: it takes no write (403 read_only).")


class OfficesPublic(BaseModel):
    head: str | None
    acting_head: str | None
    secretary: str | None
    deputy: str | None
    committee: list[str]
    front_head: str | None


class LeadershipPublic(BaseModel):
    """Who held each village office on ``as_of`` (person ids; ``names`` gives their names). No profile data."""

    model_config = _examples({
        "village": "qng.bato.badien.lang-ma", "name": "Thôn Làng Mạ", "as_of": "2022-08-01", "mode": "as_corrected",
        "offices": {"head": "lang-ma.p01", "acting_head": None, "secretary": "lang-ma.p01", "deputy": None,
                    "committee": [], "front_head": "lang-ma.p04"},
        "names": {"lang-ma.p01": "Đinh Văn Ngó", "lang-ma.p04": "Phạm Thị Hiên"}})
    village: str
    name: str
    as_of: str
    mode: Literal["as_corrected", "as_recorded"]
    offices: OfficesPublic
    names: dict[str, str]


class CheckPublic(BaseModel):
    model_config = ConfigDict(extra="allow")
    rule: str
    ruleset: str
    status: Literal["pass", "fail", "waived", "deviation", "pending", "not_applicable"]
    events: list[str]
    detail: str
    detail_vi: str


class VerdictLeadershipPublic(BaseModel):
    head: str | None
    secretary: str | None
    deputy: str | None
    committee: list[str]


class VerdictPublic(BaseModel):
    """EVENTS.md §Verdict. Event ids are entry hashes (hex), as receipts name them."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "village": "qng.bato.badien.lang-ma", "rulesets": ["vn-2008", "party-2014", "qn-bato-2022"],
        "ruleset_digest": "sha256:…", "verdict": "compliant", "same_person": "secretary",
        "leadership": {"head": "lang-ma.p01", "secretary": "lang-ma.p01", "deputy": None, "committee": []},
        "checks": [{"rule": "E-WINNER", "ruleset": "vn-2008", "status": "pass", "events": ["9f86d0…"],
                    "detail": "lang-ma.p01 has 200 of 310 households (64.5%)",
                    "detail_vi": "Ông Đinh Văn Ngó được 200/310 hộ (64,5%)"}]}]})
    village: str
    rulesets: list[str]
    ruleset_digest: str
    verdict: Literal["violations", "incomplete", "compliant"]
    same_person: Literal["secretary", "deputy", "committee", "outside", "non_member", "none"]
    leadership: VerdictLeadershipPublic
    checks: list[CheckPublic]


class OfficeholderPublic(BaseModel):
    village: str
    office: str
    person: str
    name: str
    since: str
    acting: bool


class OfficeholdersPublic(BaseModel):
    model_config = _examples({
        "place": "qng.bato", "office": "head", "as_of": "2022-08-01", "limit": 100, "offset": 0, "next_offset": None,
        "items": [{"village": "qng.bato.badien.lang-ma", "office": "head", "person": "lang-ma.p01",
                   "name": "Đinh Văn Ngó", "since": "2022-05-18", "acting": False}]})
    place: str
    office: str | None
    as_of: str
    items: list[OfficeholderPublic]
    limit: int
    offset: int
    next_offset: int | None
