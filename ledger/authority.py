"""Who may state what: the acceptance rule, as a pure function of the ledger's state.

``admit`` judges one envelope against a ``View`` of the ledger as it stands just
before that envelope. Ingest calls it with a view over the stored aggregates; the audit
(``ledger.audit``) calls it with a view folded from the log itself, so authority is
judged "as the ledger stood at that event" by the very same code. A correction also asks the
view for the event it corrects (``View.earlier``: ``ledger.correction`` says where each finds it).
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import orjson

from ledger import correction
from ledger.catalogue import PERSON_STREAM_PREFIX, SIGNERS, may_sign, person_refs, stream_of
from ledger.correction import Earlier
from ledger.envelope import Envelope
from ledger.errors import Refused
from ledger.signing import BadSignature, PublicKey
from schemas._checks import first_unsafe_text, may_hold_unsafe_text, unsafe_text_vi
from schemas.facts import (
    FACTS_MODELS,
    BodyEnrolled,
    KeyGrant,
    KeyRevoked,
    KeyRotated,
    PersonProfiled,
    PlaceRegistered,
)
from schemas.ids import place_contains

# Body kinds whose members may rotate or revoke the keys of the bodies they enrolled.
_ENROLLERS = SIGNERS["body.enrolled"]

_AUTHORITY_FACTS = (PlaceRegistered, BodyEnrolled, KeyRotated, KeyRevoked)
#: The facts types that are none of the above, nor made from them: the facts of most events.
#: Their exact type is looked up once, instead of failing four ``isinstance`` tests.
_OTHER_FACTS = frozenset(
    {m for m in FACTS_MODELS.values() if not issubclass(m, _AUTHORITY_FACTS)} | {type(None)}
)


@dataclass(slots=True)
class KeyState:
    public: PublicKey
    valid_from: datetime | None
    revoked: bool = False


@dataclass(slots=True)
class BodyState:
    id: str
    kind: str
    name: str
    jurisdiction: str
    parent: str | None
    keys: dict[str, KeyState] = field(default_factory=dict)


@dataclass(slots=True)
class StreamState:
    """What one stream (place, body or person) contributes to authority."""

    id: str
    head: str
    seen: set[str] = field(default_factory=set)
    body: BodyState | None = None
    place_kind: str | None = None
    #: A person's stream: the place of the person's first profile, and the residence a profile
    #: last stated. Bodies there (or above) keep the profile (``_check_custody``).
    registrar: str | None = None
    residence: str | None = None


GENESIS = "0" * 64

#: How a statement's payload ends when its ``v`` is the integer 1. ``Statement`` says
#: ``Literal[1]``, which also takes ``true`` (it equals 1 in Python), and took it since the
#: first release; the published schema says ``const: 1``, which refuses it. So a stored
#: statement reads as before (replay and proofs need it), and the judgement refuses it, last of
#: its checks (``_check_version``): ingest says ``malformed`` (or, sent again, ``replay``), the
#: audit reports the row as one that should have been refused, and a bundle holding it fails
#: (docs/bundle.md). The payload is the RFC 8785 form of a statement the model accepted: its keys are
#: the model's fields, none of which sorts after ``v``, so this is its end exactly when ``v``
#: is 1 (``true`` is the only other value ``Literal[1]`` takes from JSON).
_V_ONE = b'"v":1}'


class View(Protocol):
    def stream(self, stream_id: str) -> StreamState | None: ...

    def earlier(self, entry_hash: str, near: str) -> Earlier | None:
        """The event of the ledger whose entry hash is ``entry_hash`` (64 hex digits), if it holds one;
        ``near``: the stream to look in first (the asking correction's own)."""


def _body(view: View, body_id: str) -> BodyState | None:
    st = view.stream(body_id)
    return st.body if st is not None else None


def _place_exists(view: View, place_id: str) -> bool:
    st = view.stream(place_id)
    return st is not None and st.place_kind is not None


def _is_ancestor(view: View, ancestor: str, body: BodyState) -> bool:
    parent = body.parent
    while parent is not None:
        if parent == ancestor:
            return True
        found = _body(view, parent)
        parent = found.parent if found else None
    return False


def admit(
    env: Envelope,
    view: View,
    *,
    check_signature: bool = True,
    genesis: bool = False,
    vouched: Container[tuple[str, bytes, bytes]] = (),
) -> str:
    """Return the stream ``env`` belongs to, or raise ``Refused`` with the reason.

    ``genesis`` is true for the first entry of an empty ledger only: the root body's
    self-signed enrolment, which nothing else could authorise. ``vouched`` holds
    (payload hash, signature, public key) triples already verified elsewhere
    (``ledger.preverify``); the signature of such an envelope is not verified again.
    """
    return admit_signed(env, view, check_signature=check_signature, genesis=genesis, vouched=vouched)[0]


def admit_signed(
    env: Envelope,
    view: View,
    *,
    check_signature: bool = True,
    genesis: bool = False,
    vouched: Container[tuple[str, bytes, bytes]] = (),
) -> tuple[str, PublicKey]:
    """``admit``, and the key that signed: the audit checks the signature with it."""
    st = env.statement
    if genesis:
        stream, public = _admit_genesis(env, check_signature)
        _check_version(env)
        _check_text(env)
        return stream, public
    signer = _body(view, st.body)
    if signer is None:
        raise Refused("unknown_key", f"Cơ quan '{st.body}' chưa được kết nạp vào sổ cái.",
                      detail=f"unknown body {st.body}")
    key = signer.keys.get(env.keyid)
    if key is None:
        raise Refused("unknown_key", f"Khóa {env.keyid} không phải khóa của cơ quan '{st.body}'.",
                      detail=f"key {env.keyid} not a key of {st.body}")
    if check_signature and (env.payload_hash, env.sig, key.public.raw) not in vouched:
        try:
            key.public.verify(env.sig, env.preimage())
        except BadSignature:
            raise Refused("bad_signature", "Chữ ký không khớp với nội dung và khóa của cơ quan.",
                          detail="Ed25519 verification failed") from None
    stream = stream_of(st.type, st.place, st.body, st.facts)
    existing = view.stream(stream)
    if existing is not None and env.payload_hash in existing.seen:
        raise Refused("replay", "Phong bì này đã được ghi nhận trước đó; không ghi lại lần nữa.",
                      detail=f"payload {env.payload_hash} already in {stream}")
    if key.revoked:
        raise Refused("key_revoked", f"Khóa {env.keyid} của '{st.body}' đã bị thu hồi.",
                      detail="key revoked")
    if key.valid_from is not None and st.signed_at < key.valid_from:
        raise Refused("key_not_yet_valid",
                      f"Khóa {env.keyid} chỉ có hiệu lực từ {key.valid_from.isoformat()}; "
                      f"chữ ký lúc {st.signed_at.isoformat()} là quá sớm.",
                      detail="signed before key valid_from")
    if not may_sign(signer.kind, st.type, st.date):
        raise Refused("kind_not_allowed",
                      f"Cơ quan loại '{signer.kind}' không được ký sự kiện '{st.type}'"
                      + (f" ghi ngày {st.date.isoformat()}." if signer.kind in SIGNERS[st.type] else "."),
                      detail=f"{signer.kind} may not sign {st.type}"
                      + (f" dated {st.date.isoformat()}" if signer.kind in SIGNERS[st.type] else ""))
    if not place_contains(signer.jurisdiction, st.place):
        raise Refused("outside_jurisdiction",
                      f"Địa bàn '{st.place}' nằm ngoài thẩm quyền '{signer.jurisdiction}' "
                      f"của '{st.body}'.", detail="place outside jurisdiction")
    _check_references(env, view, signer)
    if existing is not None and type(env.facts) is PersonProfiled:
        _check_custody(signer, env.facts.person, existing)
    _check_version(env)
    _check_text(env)
    if st.type in correction.VILLAGE_ONLY:
        place = view.stream(st.place)
        correction.about_a_village(st.type, st.place, place.place_kind if place is not None else None)
    elif st.type == "correction.recorded":
        _check_correction(env, view, stream)
    return stream, key.public


def _check_custody(signer: BodyState, person: str, state: StreamState) -> None:
    """A person profiled once is profiled again only by a body whose jurisdiction holds where
    the first profile was stated or where the person lives (the residence last stated): the
    village's cell, its commune's committee. Ids are global, so without this the cell of any
    village could rewrite the age or party standing of another village's nominee. A move is a
    profile naming the new residence, stated by a keeper of the record (the commune, for a
    move within it); the new village's bodies keep it from then on. Releases before 2026-12-05
    did not judge this."""
    registrar, residence, jurisdiction = state.registrar, state.residence, signer.jurisdiction
    if registrar is None or place_contains(jurisdiction, registrar) or (
            residence is not None and place_contains(jurisdiction, residence)):
        return
    keepers = f"nơi khai báo người này ('{registrar}')" + (
        f" hoặc nơi người này cư trú ('{residence}')" if residence is not None and residence != registrar else "")
    raise _since(Refused(
        "outside_jurisdiction",
        f"Chỉ cơ quan có thẩm quyền tại {keepers} mới được cập nhật lý lịch của người '{person}'; "
        f"thẩm quyền '{jurisdiction}' của '{signer.id}' không bao gồm nơi đó. Người chuyển đến: cơ quan đang giữ "
        "lý lịch ghi nơi cư trú mới trước.",
        detail=f"person {person} is kept at {registrar}" + (f" and {residence}" if residence else "")
        + f", outside {signer.id}'s jurisdiction {jurisdiction}"), "2026-12-05")


def _check_version(env: Envelope) -> None:
    """Late in the judgement (only the dated rules of text and corrections follow): a row stored so
    by an earlier release is reported for what else is wrong with it first (the audit names one
    reason a row), and sent again it is a replay."""
    if not env.payload.endswith(_V_ONE):
        raise _since(Refused("malformed", "Nội dung ký sai cấu trúc tại v: phải là số nguyên 1.",
                             detail="v: true where the schema says the integer 1"), "2026-12-05")


def _check_text(env: Envelope) -> None:
    """No signed string holds a control character or an invisible format character (a
    bidirectional override makes a name display as another; ``schemas._checks``). Judged here,
    last, not by the models: a row stored before this rule replays, and the audit reports it."""
    if not may_hold_unsafe_text(env.payload):
        return
    found = first_unsafe_text(orjson.loads(env.payload))
    if found is not None:
        where, char = found
        raise _since(Refused("malformed", f"Nội dung ký sai tại {where}: {unsafe_text_vi(char)}.",
                             detail=f"unsafe character {char} at {where}"), "2026-12-05")


def _check_correction(env: Envelope, view: View, stream: str) -> None:
    """A correction must take effect: it names an earlier event of the ledger, signed by the same
    body, and leaves it with facts its type holds (``ledger.correction.judge``). Judged last, as the
    newest of the dated rules (2026-12-06): a row breaking an older rule too is reported for that
    one, and a bundle of a day between the two is failed for it."""
    st = env.statement
    target = st.facts.get("corrects")
    original = view.earlier(target, stream) if correction.is_entry_hash(target) else None
    at = view.stream(st.place)  # (registered: ``_check_references``)
    correction.judge(st.body, st.facts, original, st.place, at.place_kind if at is not None else None)


def _since(refusal: Refused, day: str) -> Refused:
    """A refusal by a rule (of form, or of custody) that releases before ``day`` did not judge: the audit says a
    stored row breaks it as such, not as one that should have been refused when written."""
    refusal.rule_since = day
    return refusal


def _admit_genesis(env: Envelope, check_signature: bool) -> tuple[str, PublicKey]:
    st, facts = env.statement, env.facts
    if not (isinstance(facts, BodyEnrolled) and facts.kind == "root" and facts.id == st.body
            and facts.jurisdiction == st.place):
        raise Refused("unknown_key", "Sổ cái trống: sự kiện đầu tiên phải là việc kết nạp cơ "
                      "quan gốc, tự ký.", detail="first entry must be the root's self-enrolment")
    _check_grants(facts.keys)
    keys = {PublicKey.from_b64(g.public).key_id: PublicKey.from_b64(g.public) for g in facts.keys}
    if env.keyid not in keys:
        raise Refused("unknown_key", "Cơ quan gốc phải tự ký bằng một khóa của chính nó.",
                      detail="genesis not self-signed")
    if check_signature:
        try:
            keys[env.keyid].verify(env.sig, env.preimage())
        except BadSignature:
            raise Refused("bad_signature", "Chữ ký không khớp với nội dung và khóa.",
                          detail="Ed25519 verification failed") from None
    return facts.id, keys[env.keyid]


def _check_references(env: Envelope, view: View, signer: BodyState) -> None:
    st, facts = env.statement, env.facts
    authority = type(facts) not in _OTHER_FACTS
    if authority and isinstance(facts, PlaceRegistered):
        if facts.id != st.place:
            raise Refused("malformed", "Mã địa bàn đăng ký phải trùng với trường 'place'.",
                          detail="facts.id != place")
        if view.stream(facts.id) is not None:
            raise Refused("already_exists", f"Địa bàn '{facts.id}' đã được đăng ký.",
                          detail="place exists")
        parent = facts.id.rpartition(".")[0]
        if parent and not _place_exists(view, parent):
            raise Refused("unknown_place", f"Địa bàn cấp trên '{parent}' chưa được đăng ký.",
                          detail=f"parent {parent} unknown")
        return
    if not _place_exists(view, st.place):
        raise Refused("unknown_place", f"Địa bàn '{st.place}' chưa được đăng ký.",
                      detail=f"place {st.place} unknown")
    if authority and isinstance(facts, BodyEnrolled):
        if facts.jurisdiction != st.place:
            raise Refused("malformed", "Địa bàn thẩm quyền phải trùng với trường 'place'.",
                          detail="facts.jurisdiction != place")
        if view.stream(facts.id) is not None:
            raise Refused("already_exists", f"Cơ quan '{facts.id}' đã được kết nạp.",
                          detail="body exists")
        _check_grants(facts.keys)
    elif authority and isinstance(facts, (KeyRotated, KeyRevoked)):
        target = _body(view, facts.body)
        if target is None:
            raise Refused("unknown_key", f"Cơ quan '{facts.body}' chưa được kết nạp.",
                          detail="target body unknown")
        if target.id != signer.id and not (
            signer.kind in _ENROLLERS and _is_ancestor(view, signer.id, target)
        ):
            raise Refused("kind_not_allowed",
                          "Chỉ chính cơ quan, hoặc cơ quan cấp trên đã kết nạp nó, mới được "
                          "thay hoặc thu hồi khóa.", detail="not self or enrolling ancestor")
        if isinstance(facts, KeyRotated):
            _check_grants([facts.key])
            if facts.retire is not None and facts.retire not in target.keys:
                raise Refused("unknown_key", f"Khóa {facts.retire} không thuộc '{facts.body}'.",
                              detail="retired key unknown")
        elif facts.key not in target.keys:
            raise Refused("unknown_key", f"Khóa {facts.key} không thuộc '{facts.body}'.",
                          detail="revoked key unknown")
    elif isinstance(facts, PersonProfiled):
        if facts.residence is not None and not _place_exists(view, facts.residence):
            raise Refused("unknown_place", f"Nơi cư trú '{facts.residence}' chưa được đăng ký.",
                          detail="residence unknown")
    for person in person_refs(st.type, st.facts):
        if view.stream(PERSON_STREAM_PREFIX + person) is None:
            raise Refused("unknown_person", f"Người có mã '{person}' chưa được khai báo (person.profiled).",
                          detail=f"person {person} unknown")


def _check_grants(grants: list[KeyGrant]) -> None:
    seen: set[bytes] = set()
    for grant in grants:
        try:
            public = PublicKey.from_b64(grant.public)
        except Exception:  # noqa: BLE001 - any parse failure of a key is malformed input
            raise Refused("malformed", "Khóa công khai trong dữ kiện không hợp lệ.",
                          detail="bad public key") from None
        if public.raw in seen:
            raise Refused("already_exists", "Một khóa được khai báo hai lần.", detail="duplicate key")
        seen.add(public.raw)


def open_state(stream_id: str) -> StreamState:
    return StreamState(id=stream_id, head=GENESIS)


def evolve(state: StreamState, env: Envelope, entry_hash: str) -> None:
    """Apply an accepted envelope to its stream's state."""
    state.seen.add(env.payload_hash)
    state.head = entry_hash
    facts = env.facts
    if type(facts) in _OTHER_FACTS:
        if type(facts) is PersonProfiled:
            if state.registrar is None:
                state.registrar = env.statement.place
            if facts.residence is not None:
                state.residence = facts.residence
        return
    if isinstance(facts, PlaceRegistered):
        state.place_kind = facts.kind
    elif isinstance(facts, BodyEnrolled):
        state.body = BodyState(
            id=facts.id, kind=facts.kind, name=facts.name, jurisdiction=facts.jurisdiction,
            parent=env.statement.body if env.statement.body != facts.id else None,
            keys={},
        )
        for grant in facts.keys:
            public = PublicKey.from_b64(grant.public)
            state.body.keys[public.key_id] = KeyState(public, grant.valid_from)
    elif isinstance(facts, KeyRotated) and state.body is not None:
        public = PublicKey.from_b64(facts.key.public)
        state.body.keys[public.key_id] = KeyState(public, facts.key.valid_from)
        if facts.retire is not None and facts.retire in state.body.keys:
            state.body.keys[facts.retire].revoked = True
    elif isinstance(facts, KeyRevoked) and state.body is not None:
        if facts.key in state.body.keys:
            state.body.keys[facts.key].revoked = True
