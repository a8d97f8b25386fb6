"""A village's bundle: made from a real ledger, checked with nothing but its bytes.

The story: the cell of Làng Mạ profiles two people, rotates its key, nominates one of them
and agrees the candidates; the commune orders the election. The inspection commission and
the commune Front cosign the checkpoint. The bundle of Làng Mạ then verifies offline
(``verify_bundle``, no database), re-deriving every leaf, proof, signature, authority step,
stream link and the verdict; and every byte of it matters: flipping any one is refused,
either as "not a bundle" (exit 2; the file must be RFC 8785 canonical, so even whitespace
is meaning) or as a named failure (exit 1). Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import base64
import collections
import hashlib
import json
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import Backend, World
from test_refusals import LANG_KHAC, second_village

from ledger import home
from ledger.bundle import (
    BundleError,
    BundleFailed,
    Made,
    NotABundle,
    against_ledger,
    heads_text,
    make_bundle,
    read_heads,
    verify_bundle,
    witnessed_on,
)
from ledger.catalogue import stream_of
from ledger.errors import CryptoError
from ledger.note import Checkpoint, CosignatureSigner, NoteSigner, open_checkpoint, sign_note, signature_line
from ledger.rules.engine import engine_digest
from ledger.signing import SigningKey, canonical_json
from ledger.witness import DEFAULT_POLICY, Policy, witness_ledger

FRONT = "qng.bato.badien/front"


def story(world: World) -> None:
    key = SigningKey.generate()
    world.accept(world.enrolment(world.standing, FRONT, "commune_front", "Ban Thường trực UBMTTQ xã Ba Điền",
                                 world.badien, key))
    world.keys[FRONT] = key
    cell, village = world.cell, world.lang_ma
    world.accept(
        world.sign(cell, "person.profiled", village, {"person": "p1", "name": "Đinh Văn A", "born": "1975-02-01",
                                                      "residence": village}, date="2022-03-01"),
        world.sign(cell, "person.profiled", village, {"person": "p2", "name": "Phạm Thị B", "born": "1980-06-01"},
                   date="2022-03-01"),
        world.sign(cell, "person.profiled", village, {"person": "p9", "name": "Người khác"}, date="2022-03-01"),
    )
    new_key = SigningKey.generate()
    world.accept(world.sign(cell, "key.rotated", village, {"body": cell, "key": {"public": new_key.public.b64},
                                                           "retire": world.keys[cell].public.key_id}))
    world.keys[cell] = new_key
    world.accept(world.sign(cell, "personnel.nominated", village, {"person": "p1"}, date="2022-03-20"))
    world.accept(world.sign(world.committee, "election.ordered", village,
                            {"election_date": "2022-05-15", "decision": "12/QĐ-UBND"}, date="2022-04-01"))
    world.accept(world.sign(cell, "candidates.agreed", village, {"candidates": ["p1", "p2"]}, date="2022-04-10"))


def witness_all(world: World, backend: Backend, tmp_path: Path, now: int | None = None) -> None:
    world.ledger.publish_checkpoint()
    log = home.log_verifier(backend.directory)
    for body in (world.inspection, FRONT):
        witness_ledger(world.ledger, world.keys[body], body, tmp_path / f"{body.replace('/', '_')}.json", log, now=now)


def bundle_of(world: World, backend: Backend) -> Made:
    """The bundle of Làng Mạ, as ``dantin bundle`` makes it."""
    return make_bundle(world.ledger, world.lang_ma, policy=DEFAULT_POLICY, signer=home.log_signer(backend.directory))


#: 2023-11-14: a day before the bundle's format 2 and the rules of 2026-12-05.
BEFORE = 1_700_000_000


def format_1(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` as a bundle of format 1 (until 2026-12): the same without the stream heads (nor the engine)."""
    return {k: v for k, v in doc.items() if k not in ("heads", "engine")} | {"bundle": 1}


@pytest.fixture
def made(world: World, backend: Backend, tmp_path: Path) -> Made:
    story(world)
    witness_all(world, backend, tmp_path)
    return bundle_of(world, backend)


def recanonical(doc: dict[str, Any]) -> bytes:
    return canonical_json(doc)


def failure(data: bytes, **kw: Any) -> BundleFailed:
    with pytest.raises(BundleFailed) as failed:
        verify_bundle(data, **kw)
    assert failed.value.where and any(ord(c) > 127 for c in failed.value.message_vi)
    return failed.value


def test_a_village_bundle_verifies_offline_and_says_what_it_proved(made: Made, world: World, backend: Backend) -> None:
    doc = json.loads(made.data)
    assert canonical_json(doc) == made.data and doc["bundle"] == 3 and doc["engine"] == engine_digest()
    report = verify_bundle(made.data)
    assert report.village == world.lang_ma and report.size == made.size == world.ledger.log_size()
    assert report.village_events == 4  # registration, nomination, order, agreement (the rotation is the cell's)
    assert report.witnesses == {world.inspection: "inspection", FRONT: "commune_front"}
    assert report.sources == {"log_key": "bundle", "witness_keys": "bundle", "root_key": "bundle", "policy": "bundle"}
    assert any("lấy từ chính gói" in line for line in report.not_proved)
    streams = {_stream(e) for e in doc["entries"]}
    assert {"person:p1", "person:p2", world.cell, world.committee, world.standing, world.root,
            world.inspection, FRONT, "qng", "qng.bato", "qng.bato.badien", world.lang_ma} <= streams
    assert "person:p9" not in streams and world.sontinh not in streams  # nothing the village does not need
    # The log's signed stream heads: every stream given whole (not the places above, given their
    # registration alone), with its count of entries up to the checkpoint.
    heads = read_heads(doc["heads"], home.log_verifier(backend.directory), _checkpoint_of(doc, backend))
    assert set(heads) == streams - {"qng", "qng.bato", "qng.bato.badien"} and report.heads == len(heads)
    assert heads[world.lang_ma][0] == 4 and heads["person:p1"][0] == 1 and heads[world.cell][0] == 2
    # Signed by the log key the bundle itself carries: anyone could have signed them (see
    # test_stream_heads_under_the_bundles_own_log_key_prove_no_stream_whole).
    assert not any("ký xác nhận số sự kiện" in line for line in report.proved)
    assert any("--ledger" in line and "--log-key" in line for line in report.not_proved)
    assert doc["entries"][0]["index"] == 0  # the root's self-enrolment: where authority starts
    # The verdict, re-derived from the bundled events on the day the witnesses signed.
    assert made.verdict is not None and report.verdict == made.verdict == doc["verdict"]
    assert made.verdict["village"] == world.lang_ma and made.verdict["ruleset_digest"].startswith("sha256:")
    assert made.verdict["as_of"] == witnessed_on(doc["checkpoint"], home.log_verifier(backend.directory)).isoformat()
    assert any("Kết luận" in line for line in report.proved)
    # The inspector's offline verdict is the server's verdict for that day.
    from datetime import date

    from projections.views import Views
    views = Views(world.ledger)
    views.catch_up()
    server = views.verdict(world.lang_ma, date.fromisoformat(made.verdict["as_of"]))
    assert server == made.verdict
    # The keys a reader already holds: the report says they were given, not taken from the bundle.
    cosigners = [CosignatureSigner.from_private_bytes(b, world.keys[b].seed()).verifier().vkey()
                 for b in (world.inspection, FRONT)]
    pinned = verify_bundle(made.data, log_key=home.log_verifier(backend.directory).vkey(), witness_keys=cosigners,
                           root_key=world.keys[world.root].public.b64, policy=DEFAULT_POLICY)
    assert pinned.sources == {"log_key": "given", "witness_keys": "given", "root_key": "given", "policy": "given"}
    assert not any("lấy từ chính gói" in line for line in pinned.not_proved)
    assert any("ký xác nhận số sự kiện" in line for line in pinned.proved)
    assert any("--ledger" in line for line in pinned.not_proved)


def _checkpoint_of(doc: dict[str, Any], backend: Backend) -> Checkpoint:
    return open_checkpoint(doc["checkpoint"], home.log_verifier(backend.directory))[0]


def _stream(item: dict[str, Any]) -> str:
    st = json.loads(base64.b64decode(item["entry"]["payload"]))
    return stream_of(st["type"], st["place"], st["body"], st["facts"])


def test_keys_and_policy_the_reader_holds_are_enforced(made: Made, world: World, backend: Backend) -> None:
    impostor = NoteSigner.generate("dantin.qng/log").verifier().vkey()  # same origin, another key
    assert failure(made.data, log_key=impostor).code == "log_key_mismatch"
    only_inspection = CosignatureSigner.from_private_bytes(world.inspection, world.keys[world.inspection].seed())
    assert failure(made.data, witness_keys=[only_inspection.verifier().vkey()]).code == "not_witnessed"
    two_fronts = Policy.from_json({"groups": [{"kinds": ["commune_front"], "need": 2}]})
    assert failure(made.data, policy=two_fronts).code == "not_witnessed"
    assert failure(made.data, root_key=SigningKey.generate().public.b64).code == "root_key_mismatch"


def test_leaving_out_or_reordering_events_is_found_and_named(made: Made, world: World) -> None:
    doc = json.loads(made.data)
    by_stream = collections.defaultdict(list)
    for position, item in enumerate(doc["entries"]):
        by_stream[_stream(item)].append(position)

    def without(*positions: int) -> bytes:
        return recanonical({**doc, "entries": [e for i, e in enumerate(doc["entries"]) if i not in positions]})

    # The cell's enrolment: what it signed has no signer, and its stream no longer starts at its first event.
    assert failure(without(by_stream[world.cell][0])).code == "unknown_key"
    found = failure(without(*by_stream[world.cell][:1], *by_stream["person:p1"], *by_stream["person:p2"],
                            *by_stream["person:p9"]))
    assert found.code == "broken_link" and world.cell in found.where
    # The profile of a person the village names.
    assert failure(without(*by_stream["person:p2"])).code == "unknown_person"
    # A village event in the middle of its stream.
    found = failure(without(by_stream[world.lang_ma][2]))
    assert found.code == "broken_link" and world.lang_ma in found.where
    # The whole signer chain of the cell: the root of authority cannot be reached.
    assert failure(without(0)).code == "no_genesis"
    # Another village's name on this bundle.
    assert failure(recanonical({**doc, "village": world.badien})).code == "no_village"
    # A cosignature by a key nobody can check.
    stranger = CosignatureSigner.generate("qng.bato.badien/khac")
    text = doc["checkpoint"][: doc["checkpoint"].index("\n\n") + 1]
    forged = {**doc, "checkpoint": doc["checkpoint"] + signature_line(text, stranger)}
    assert failure(recanonical(forged)).code == "unknown_cosigner"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # the bundle's bytes do not depend on the store
def test_a_verdict_of_another_rules_engine_is_re_derived_and_an_edited_one_fails(made: Made) -> None:
    """The verdict is not signed: what a bundle proves is its events, and the verdict shown is the one this
    release derives from them. A bundle naming this release's rules engine whose verdict is another was
    edited (verdict_mismatch, naming where). One made by another engine (a rule's reading fixed since), or by
    a release that named none (format 2), verifies: the re-derived verdict is shown, the bundle's beside it,
    and where they differ is said; an old bundle does not fail on a rule fix as if forged."""
    doc = json.loads(made.data)
    first = doc["verdict"]["checks"][0]
    other = "pending" if first["status"] != "pending" else "pass"
    edited = {**doc["verdict"], "checks": [{**first, "status": other}, *doc["verdict"]["checks"][1:]]}
    where = f"{first['rule']}: {other} → {first['status']}"

    with pytest.raises(BundleFailed) as failed:  # this engine: edited
        verify_bundle(canonical_json({**doc, "verdict": edited}))
    said = " ".join(failed.value.message_vi.split())
    assert failed.value.code == "verdict_mismatch" and failed.value.where == "verdict"
    assert where in said and "đã bị sửa" in said and "Các sự kiện vẫn được chứng minh" in said, said

    elsewhere = "sha256:" + "ab" * 32
    for bundle, named in (({**doc, "engine": elsewhere, "verdict": edited}, elsewhere),
                          ({k: v for k, v in doc.items() if k != "engine"} | {"bundle": 2, "verdict": edited},
                           "không ghi bộ máy quy tắc nào (gói phiên bản 1 hoặc 2)")):
        report = verify_bundle(canonical_json(bundle))
        assert report.verdict == doc["verdict"] and report.bundled_verdict == edited
        assert report.verdict_differs == [where]
        shown = report.to_dict()
        assert shown["verdict"] == doc["verdict"] and shown["bundled_verdict"] == edited
        note = " ".join(" ".join(report.not_proved).split())
        assert f"Kết luận ghi trong gói khác kết luận dựng lại ở trên ({where})" in note and named in note, note
        assert "không có chữ ký" in note and "hoặc do phần kết luận đã bị sửa" in note, note  # a claim, not a proof
        assert any("do phiên bản này dựng lại" in p for p in report.proved)

    same = verify_bundle(canonical_json({**doc, "engine": elsewhere}))  # another engine, the same verdict
    assert same.verdict == doc["verdict"] and not same.verdict_differs and "bundled_verdict" not in same.to_dict()
    assert any(elsewhere in p and "dựng lại đúng như trong gói" in p and "không có chữ ký" in p for p in same.proved)
    assert verify_bundle(made.data).verdict == doc["verdict"] and not verify_bundle(made.data).verdict_differs


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_verdict_of_another_engine_is_still_a_verdict_of_this_bundle_and_is_shown_inert(made: Made) -> None:
    """Naming another engine (the field is not signed: anyone may) does not make any JSON a verdict: it must
    be of this village on the witnessed day, follow from its checks' statuses and cite only bundled events
    (as the independent verifier checks it), else it was edited. And what it holds is shown as one short
    line: a verified report does not print a bundle's unsigned text as lines of its own."""
    doc = json.loads(made.data)
    v, elsewhere = doc["verdict"], "sha256:" + "ab" * 32
    first, rest = v["checks"][0], v["checks"][1:]
    for bad in ({**v, "village": doc["village"] + "x"}, {**v, "as_of": "2020-01-01"}, {**v, "checks": "x"},
                {**v, "verdict": "compliant" if v["verdict"] != "compliant" else "violations"},
                {**v, "checks": [{**first, "status": "ok"}, *rest]},
                {**v, "checks": [{**first, "events": ["00" * 32]}, *rest]}):
        for bundle in ({**doc, "engine": elsewhere, "verdict": bad},
                       {k: x for k, x in doc.items() if k != "engine"} | {"bundle": 2, "verdict": bad}):
            assert failure(canonical_json(bundle)).code == "verdict_mismatch", bad

    fake = "pass\n  ✓ Kết luận 'Đạt' được dựng lại đúng như trong gói\u202e" + "x" * 500
    odd = {**v, "checks": [{**first, "rule": fake, "status": "pending"}, *rest]}
    odd["verdict"] = "violations" if any(c["status"] == "fail" for c in odd["checks"]) else "incomplete"
    report = verify_bundle(canonical_json({**doc, "engine": elsewhere, "verdict": odd}))
    assert report.verdict == v and report.verdict_differs and report.bundled_verdict == odd
    for line in (*report.proved, *report.not_proved, *report.verdict_differs):
        assert "\n" not in line and "\u202e" not in line and len(line) < 1500, line


def test_a_bundle_is_made_only_from_a_witnessed_checkpoint(world: World, backend: Backend, tmp_path: Path) -> None:
    story(world)
    world.ledger.publish_checkpoint()
    with pytest.raises(BundleError, match="nhân chứng"):
        bundle_of(world, backend)
    witness_all(world, backend, tmp_path)
    world.accept(world.sign(world.cell, "congress.reported", world.lang_ma, {}, date="2022-06-01"))
    made = bundle_of(world, backend)
    assert made.later_events == 1 and made.size == world.ledger.log_size() - 1  # after the witnessed checkpoint
    verify_bundle(made.data)


def test_a_reformatted_bundle_is_refused_as_not_canonical(made: Made) -> None:
    pretty = json.dumps(json.loads(made.data), indent=1, ensure_ascii=False).encode()
    with pytest.raises(NotABundle, match="RFC 8785"):
        verify_bundle(pretty)
    for junk in (b"", b"[]", b'{"bundle": 2}', b"\xff", made.data[:-1], made.data + b"\n"):
        with pytest.raises(NotABundle):
            verify_bundle(junk)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # the bundle's bytes do not depend on the store
def test_every_byte_of_the_bundle_matters(made: Made) -> None:
    data = made.data
    entries, log_key = data.find(b'"entries":['), data.find(b'"log_key":')
    verdict, village = data.find(b'"verdict":{'), data.find(b'"village":')
    engine = data.find(b'"engine":"sha256:') + len(b'"engine":"sha256:')  # the digest's 64 hex digits
    masks = (0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xFF)
    # Every byte of the checkpoint, keys, policy and names; a dense deterministic sample of the
    # entries (every 5th byte, the flip mask rotating) and of the verdict (slow to re-derive).
    def sampled(i: int) -> bool:
        if entries <= i < log_key:
            return (i - entries) % 5 == 0
        if verdict <= i < village:
            return (i - verdict) % 29 == 0
        return True

    offsets = [i for i in range(len(data)) if sampled(i)]
    codes: collections.Counter[str] = collections.Counter()
    started = time.monotonic()
    for n, offset in enumerate(offsets):
        flipped = bytearray(data)
        flipped[offset] ^= masks[n % len(masks)]
        said = ""
        try:
            report = verify_bundle(bytes(flipped))
        except NotABundle as exc:
            codes["not_canonical" if "RFC 8785" in exc.message_vi else "not_a_bundle"] += 1
            said = exc.message_vi
        except BundleFailed as exc:
            codes[exc.code] += 1
            said = exc.where and exc.message_vi  # what broke, and where
        else:
            # Another hex digit of the engine's digest names another rules engine: the verdict is
            # re-derived all the same, and the report says the bundle names another engine.
            if not (engine <= offset < engine + 64 and report.engine == "sha256:" + bytes(flipped[engine:engine + 64])
                    .decode()):
                pytest.fail(f"flipping byte {offset} ({data[offset - 30:offset + 30]!r}) was not noticed")
            codes["other_engine"] += 1
            said = next(p for p in report.proved if report.engine in p)
        assert said, offset
    assert sum(codes.values()) == len(offsets) and len(offsets) > len(data) // 6
    assert {"bad_proof", "bad_entry", "bad_checkpoint", "bad_cosignature", "not_a_bundle"} <= set(codes), codes
    assert time.monotonic() - started < 60, codes


# -- a stream cut short: the log's signed stream heads ------------------------------------------------


def _cut(doc: dict[str, Any], stream: str) -> dict[str, Any]:
    """``doc`` without the last entry of ``stream`` (and without the verdict, which that changes)."""
    last = max(i for i, item in enumerate(doc["entries"]) if _stream(item) == stream)
    return {**doc, "entries": [e for i, e in enumerate(doc["entries"]) if i != last], "verdict": None}


def test_an_event_left_out_at_the_end_of_its_stream_is_found(world: World, backend: Backend, tmp_path: Path) -> None:
    """Leaving out a stream's last events breaks no link: only the log's count shows it. Here the
    village's last event (which changes its verdict) and the revocation of the cell's key (after
    which nothing it signs with that key would count)."""
    story(world)
    world.accept(world.sign(world.cell, "key.revoked", world.lang_ma, {
        "body": world.cell, "key": world.keys[world.cell].public.key_id, "reason": "Lộ khóa"}, date="2022-04-20"))
    witness_all(world, backend, tmp_path)
    doc = json.loads(bundle_of(world, backend).data)
    found = failure(recanonical(_cut(doc, world.lang_ma)))
    assert found.code == "stream_incomplete" and found.where == "heads"
    assert f"'{world.lang_ma}' có 4 sự kiện" in found.message_vi and "chỉ có 3" in found.message_vi
    found = failure(recanonical(_cut(doc, world.cell)))
    assert found.code == "stream_incomplete" and f"'{world.cell}' có 3 sự kiện" in found.message_vi


def test_the_stream_heads_are_the_logs_signed_word_for_this_checkpoint(made: Made, world: World,
                                                                       backend: Backend) -> None:
    doc = json.loads(made.data)
    log = home.log_signer(backend.directory)
    checkpoint = _checkpoint_of(doc, backend)
    heads = read_heads(doc["heads"], log.verifier(), checkpoint)

    def with_heads(note: str) -> bytes:
        return recanonical({**doc, "heads": note})

    # A count changed by hand: the log's signature no longer holds.
    assert failure(with_heads(doc["heads"].replace(f"{world.lang_ma} 4 ", f"{world.lang_ma} 3 "))).code == "bad_heads"
    # Signed by another key of the same name.
    impostor = NoteSigner.generate(log.name)
    assert failure(with_heads(sign_note(heads_text(checkpoint, heads), [impostor]))).code == "bad_heads"
    # The log's word about another checkpoint.
    other = Checkpoint(checkpoint.origin, checkpoint.size - 1, checkpoint.root_hash, ())
    assert failure(with_heads(sign_note(heads_text(other, heads), [log]))).code == "heads_mismatch"
    # A log that leaves a stream out of its word: the bundle then proves nothing about it.
    fewer = {k: v for k, v in heads.items() if k != world.cell}
    found = failure(with_heads(sign_note(heads_text(checkpoint, fewer), [log])))
    assert found.code == "heads_mismatch" and world.cell in found.message_vi
    # A checkpoint's signature is not a stream-heads note, and one cannot be read as the other.
    assert failure(with_heads(doc["checkpoint"])).code in {"bad_heads", "heads_mismatch"}  # cosigned, besides
    with pytest.raises(CryptoError):
        open_checkpoint(doc["heads"], log.verifier())


def test_a_full_ledger_holds_the_logs_word_to_account(made: Made, world: World, backend: Backend) -> None:
    """Offline, a reader takes the stream heads on the log's word. Whoever holds a full copy checks
    it (``dantin verify-bundle --ledger``): a log that signed a count short of the truth has signed
    the evidence of its lie. A format-1 bundle cut short is found the same way."""
    assert against_ledger(verify_bundle(made.data), world.ledger) == (len(read_heads(
        json.loads(made.data)["heads"], home.log_verifier(backend.directory),
        _checkpoint_of(json.loads(made.data), backend))), [])
    doc = json.loads(made.data)
    checkpoint = _checkpoint_of(doc, backend)
    lying = _cut(doc, world.lang_ma)
    heads = read_heads(doc["heads"], home.log_verifier(backend.directory), checkpoint)
    last = next(item for item in reversed(lying["entries"]) if _stream(item) == world.lang_ma)
    from ledger.entry import entry_bytes
    from ledger.merkle import leaf_hash
    entry = last["entry"]
    heads[world.lang_ma] = (3, leaf_hash(entry_bytes(entry["payload"], entry["signatures"][0]["keyid"],
                                                     entry["signatures"][0]["sig"], entry["prev"], entry["received"])))
    lying["heads"] = sign_note(heads_text(checkpoint, heads), [home.log_signer(backend.directory)])
    data = recanonical(lying)
    assert verify_bundle(data).heads == len(heads)  # offline, the lie holds
    streams, differences = against_ledger(verify_bundle(data), world.ledger)
    assert streams == len(heads) and len(differences) == 1, differences
    assert f"'{world.lang_ma}'" in differences[0] and "bằng chứng nhật ký nói sai" in differences[0]




def test_a_format_1_bundle_cut_short_is_found_against_the_ledger(world: World, backend: Backend,
                                                                  tmp_path: Path) -> None:
    """A bundle of format 1, witnessed before format 2 existed, still verifies, and says it cannot
    show a stream complete; a full copy of the ledger shows what it left out."""
    story(world)
    witness_all(world, backend, tmp_path, now=BEFORE)
    cut = recanonical(format_1(_cut(json.loads(bundle_of(world, backend).data), world.lang_ma)))
    report = verify_bundle(cut)  # format 1 cannot show it
    assert report.heads is None and any("phiên bản 1" in line for line in report.not_proved)
    _, differences = against_ledger(report, world.ledger)
    assert len(differences) == 1 and "gói đã bỏ ra các sự kiện cuối" in differences[0]


def test_heads_stripped_from_a_bundle_witnessed_since_format_2_is_a_failure(made: Made, world: World,
                                                                            backend: Backend) -> None:
    """Stripping the stream heads and calling the bundle format 1 is a downgrade: from the day
    format 2 exists (by the witnesses' signed time) a bundle without them fails."""
    doc = json.loads(made.data)
    found = failure(recanonical(format_1(_cut(doc, world.lang_ma))), log_key=home.log_verifier(backend.directory).vkey())
    assert found.code == "no_heads" and "phiên bản 1" in found.message_vi
    assert failure(recanonical(format_1(doc))).code == "no_heads"  # whole, too: the claim cannot be checked


def test_the_heads_are_spelled_one_way_and_signed_once(made: Made, world: World, backend: Backend) -> None:
    doc = json.loads(made.data)
    log = home.log_signer(backend.directory)
    checkpoint = _checkpoint_of(doc, backend)
    heads = read_heads(doc["heads"], log.verifier(), checkpoint)
    # A hash in base64 other than the standard spelling (the last character's unused bits set),
    # signed by the log itself: refused as a failure of the bundle, not as an error of the program.
    text = heads_text(checkpoint, heads)
    stream = world.lang_ma
    line = next(x for x in text.split("\n") if x.startswith(stream + " "))
    odd = line[:-2] + chr(ord(line[-2]) + 1) + "="
    found = failure(recanonical({**doc, "heads": sign_note(text.replace(line, odd), [log])}))
    assert found.code == "heads_mismatch" and "base64" in found.message_vi
    # The log's signature line twice, on the heads and on the checkpoint; a witness's line twice.
    signature = doc["heads"][doc["heads"].index("\n\n") + 2:]
    assert failure(recanonical({**doc, "heads": doc["heads"] + signature})).code == "bad_heads"
    lines = doc["checkpoint"][doc["checkpoint"].index("\n\n") + 2:].splitlines(keepends=True)
    for line in (lines[0], lines[-1]):
        assert failure(recanonical({**doc, "checkpoint": doc["checkpoint"] + line})).code == "bad_cosignature"


def test_a_bundle_is_judged_by_the_rules_of_its_witnessed_day(world: World, backend: Backend, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Before 2026-12-05 another village's cell could re-profile a person (ids are global). A bundle
    witnessed before that day holds such a row as the ledger then took it, and says so; one
    witnessed since fails on it, naming the rule's day. ``dantin verify`` reports the row either way."""
    import ledger.authority as authority

    story(world)
    other_cell = second_village(world)
    other_village = LANG_KHAC
    with monkeypatch.context() as old_release:
        old_release.setattr(authority, "_check_custody", lambda *_: None)
        world.accept(world.sign(other_cell, "person.profiled", other_village, {"person": "p1", "born": "1990-01-01"},
                                date="2022-04-15"))
        witness_all(world, backend, tmp_path, now=BEFORE)
        then = bundle_of(world, backend)
    report = verify_bundle(then.data)
    assert len(report.earlier) == 1 and "'p1'" in report.earlier[0]
    assert any("quy tắc có hiệu lực ngày nhân chứng ký" in line for line in report.not_proved)
    world.accept(world.sign(world.cell, "congress.reported", world.lang_ma, {}, date="2022-06-01"))
    witness_all(world, backend, tmp_path)  # witnessed today
    with pytest.raises(BundleFailed) as refused:
        bundle_of(world, backend)
    assert refused.value.code == "outside_jurisdiction" and "áp dụng từ 2026-12-05" in refused.value.message_vi
    verify_bundle(then.data)  # the bundle of then still verifies


def test_a_checkpoint_line_that_is_no_cosignature_fails_the_bundle(made: Made, tmp_path: Path) -> None:
    """A well-formed signed-note line of an unknown Ed25519 key (not a cosignature/v1) in the
    checkpoint: a failure of the bundle (exit 1, JSON), not an error of the program."""
    from typer.testing import CliRunner

    from cli.app import app

    doc = json.loads(made.data)
    note = doc["checkpoint"]
    extra = signature_line(note[: note.rfind("\n\n") + 1], NoteSigner.generate("someone.example/log"))
    data = recanonical({**doc, "checkpoint": note + extra})
    assert failure(data).code == "bad_cosignature"
    path = tmp_path / "b.json"
    path.write_bytes(data)
    result = CliRunner().invoke(app, ["verify-bundle", str(path), "--json"])
    assert result.exit_code == 1 and json.loads(result.stdout)["verified"] is False


def test_cosignature_times_rewritten_to_before_a_rule_do_not_let_its_row_in(
        world: World, backend: Backend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bundle witnessed today holding a row the custody rule (2026-12-05) refuses, made as if it
    had been witnessed in 2023 and its cosignatures' times rewritten so: the witnesses' signatures
    no longer hold."""
    import ledger.authority as authority
    import ledger.bundle as bundle_module

    story(world)
    other_cell = second_village(world)
    with monkeypatch.context() as old_release:
        old_release.setattr(authority, "_check_custody", lambda *_: None)
        world.accept(world.sign(other_cell, "person.profiled", LANG_KHAC, {"person": "p1", "born": "1990-01-01"},
                                date="2022-04-15"))
    witness_all(world, backend, tmp_path)  # today
    with monkeypatch.context() as dated:
        dated.setattr(bundle_module, "witnessed_on", lambda *_: date(2023, 11, 14))
        doc = json.loads(bundle_of(world, backend).data)
    note = doc["checkpoint"]
    split = note.rfind("\n\n") + 2
    lines = []
    for line in note[split:].splitlines():
        name, sig64 = line[2:].split(" ")
        raw = base64.b64decode(sig64)
        if len(raw) == 76:  # a cosignature: key id, time, signature
            raw = raw[:4] + BEFORE.to_bytes(8, "big") + raw[12:]
        lines.append(f"\u2014 {name} {base64.b64encode(raw).decode()}\n")
    assert failure(recanonical({**doc, "checkpoint": note[:split] + "".join(lines)})).code == "bad_cosignature"


def test_stream_heads_under_the_bundles_own_log_key_prove_no_stream_whole(made: Made, world: World,
                                                                          backend: Backend) -> None:
    """The witnesses cosign a checkpoint's body (origin, size, root), not the log's key nor its
    signature: whoever holds a bundle can sign that body again with a key of their own, put that
    key in ``log_key``, and sign stream heads that cut a stream short. Without ``--log-key`` every
    check still holds, so the bundle must not claim its streams whole on the strength of those heads."""
    doc = json.loads(made.data)
    log = home.log_signer(backend.directory)
    checkpoint = _checkpoint_of(doc, backend)
    heads = dict(read_heads(doc["heads"], log.verifier(), checkpoint))
    cut = _cut(doc, world.lang_ma)
    last = max((e for e in cut["entries"] if _stream(e) == world.lang_ma), key=lambda e: e["index"])
    heads[world.lang_ma] = (heads[world.lang_ma][0] - 1, hashlib.sha256(b"\0" + canonical_json(last["entry"])).digest())
    forger = NoteSigner.generate(log.name)
    body, signatures = doc["checkpoint"].split("\n\n", 1)
    cosignatures = "".join(line + "\n" for line in signatures.splitlines() if not line.startswith(f"— {log.name} "))
    forged = recanonical({**cut, "log_key": forger.verifier().vkey(),
                          "checkpoint": sign_note(body + "\n", [forger]) + cosignatures,
                          "heads": sign_note(heads_text(checkpoint, heads), [forger])})
    assert failure(forged, log_key=log.verifier().vkey()).code == "log_key_mismatch"
    report = verify_bundle(forged)  # every signature holds: the witnesses' too
    assert report.sources["log_key"] == "bundle"
    assert not any("không sự kiện cuối nào bị bỏ ra" in line for line in report.proved)
    assert any("--log-key" in line and "chuỗi" in line for line in report.not_proved)
    # With the log's key, the same claim stands.
    honest = verify_bundle(made.data, log_key=log.verifier().vkey())
    assert any("không sự kiện cuối nào bị bỏ ra" in line for line in honest.proved)


# -- corrections (ledger.correction): the bundle holds what judges them ---------------------------

def _after_corrections_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bundles read as witnessed on a day the rule of corrections (2026-12-06) is in force: a day
    after it at least (a witness refuses to sign ahead of the clock, so their day is made so)."""
    import ledger.bundle as bundle_module

    real = bundle_module.witnessed_on
    monkeypatch.setattr(bundle_module, "witnessed_on", lambda *a: max(real(*a), date(2026, 12, 7)))


def _correction(world: World, body: str, target: str, facts: dict[str, Any]) -> dict[str, Any]:
    envelope: dict[str, Any] = world.sign(body, "correction.recorded", world.lang_ma, {
        "corrects": target, "reason": "Ghi nhầm", "facts": facts}, date="2022-04-20")
    return envelope


def _hash(world: World, stream: str, version: int) -> str:
    assert world.ledger.sealer is not None
    return next(leaf.hash.hex() for leaf in world.ledger.sealer.store.leaves_of(stream) if leaf.version == version)


def test_a_bundle_of_corrections_verifies_holding_each_original(world: World, backend: Backend, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The cell corrects its nomination and its candidate list (in the village's stream) and the
    profile of p9, a person no event of the village names (in p9's stream, which the bundle would
    not hold otherwise): the bundle holds every original and judges every correction."""
    story(world)
    world.accept(_correction(world, world.cell, _hash(world, world.lang_ma, 2), {"date": "2022-03-19"}),
                 _correction(world, world.cell, _hash(world, world.lang_ma, 4), {"candidates": ["p1"]}),
                 _correction(world, world.cell, _hash(world, "person:p9", 1), {"name": "Người khác nữa"}))
    witness_all(world, backend, tmp_path)
    _after_corrections_rule(monkeypatch)
    made = bundle_of(world, backend)
    assert "person:p9" in {_stream(e) for e in json.loads(made.data)["entries"]}  # for its profile's correction
    report = verify_bundle(made.data)
    assert report.earlier == [] and report.village_events == 7
    assert report.verdict == made.verdict


def test_a_bundle_without_a_corrections_original_cannot_be_made(world: World, backend: Backend, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the profile its correction corrects (the maker not adding p9's stream), the bundle
    cannot judge the correction: it names no event the bundle holds."""
    import ledger.bundle as bundle_module

    story(world)
    world.accept(_correction(world, world.cell, _hash(world, "person:p9", 1), {"name": "Người khác nữa"}))
    witness_all(world, backend, tmp_path)
    _after_corrections_rule(monkeypatch)
    monkeypatch.setattr(bundle_module, "_need_original", lambda *_: None)
    with pytest.raises(BundleFailed) as failed:
        bundle_of(world, backend)
    assert failed.value.code == "unknown_event" and "áp dụng từ 2026-12-06" in failed.value.message_vi


def test_a_bundle_of_a_bad_correction_is_judged_by_the_rules_of_its_witnessed_day(
        world: World, backend: Backend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The commune "corrects" the cell's nomination, stored by a release before 2026-12-06. A bundle
    witnessed before that day takes it as the ledger then did, and says so; one witnessed since fails
    on it, naming the rule's day."""
    import ledger.authority as authority

    story(world)
    with monkeypatch.context() as old_release:
        old_release.setattr(authority, "_check_correction", lambda *_: None)
        world.accept(_correction(world, world.committee, _hash(world, world.lang_ma, 2), {"person": "p2"}))
        witness_all(world, backend, tmp_path, now=BEFORE)
        then = bundle_of(world, backend)
    report = verify_bundle(then.data)
    assert len(report.earlier) == 1 and world.cell in report.earlier[0]
    world.accept(world.sign(world.cell, "congress.reported", world.lang_ma, {}, date="2022-06-01"))
    witness_all(world, backend, tmp_path)  # today, read as a day the rule is in force
    with monkeypatch.context() as later:
        _after_corrections_rule(later)
        with pytest.raises(BundleFailed) as refused:
            bundle_of(world, backend)
    assert refused.value.code == "not_own_event" and "áp dụng từ 2026-12-06" in refused.value.message_vi
    verify_bundle(then.data)  # the bundle of then still verifies
