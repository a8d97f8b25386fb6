"""An independent verifier of dantin village bundles, written from docs/bundle.md alone.

    python verify_bundle_independent.py BUNDLE [--log-key VKEY]

No code of dantin's (the standard library and `cryptography`): docs/bundle.md, with EVENTS.md's
table of who signs what, is enough to check a bundle. tests/integration/test_bundle_independent.py
holds it to `dantin verify-bundle` on dantin's own bundles. It checks docs/bundle.md's steps 1-7
(structure; the log key and checkpoint; leaves and inclusion proofs; signatures, authority replayed
from the bundled events, key rotations and revocations, `prev` links; the village; the stream
heads, or a format-1 checkpoint witnessed before format 2; cosignatures and the witness policy)
and of step 8 what an outside verifier can: the verdict is of this village and witnessed day,
follows from its checks' statuses, and cites only bundled events. It cannot re-derive the verdict
(that takes dantin's rules engine and rule-set data), nor check the custody and invisible-character
rules of 2026-12-05, each type's facts schema, nor the rules of 2026-12-06 (a correction's target and
place, an event only a village's record reads stated about a commune or a district). Without --log-key the
stream heads prove nothing: whoever holds a bundle can re-sign its checkpoint's body and heads.

Exit status as `dantin verify-bundle`: 0 verified, 1 a check failed, 2 not a bundle (or bad usage).
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import json
import re
import sys
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

ZERO = "0" * 64
PAYLOAD_TYPE = "application/vnd.dantin.event+json; version=1"
TOP = {1: {"bundle", "village", "checkpoint", "log_key", "witness_policy", "entries", "verdict"}}
TOP[2] = TOP[1] | {"heads"}
TOP[3] = TOP[2] | {"engine"}  # the rules engine that derived the verdict: "sha256:" and 64 hex digits
HEADS_HEADER = "dantin stream heads v1"
FORMAT_2_SINCE = dt.date(2026, 12, 5)  # format 2, and three rules, from this witnessed day
VN = dt.timezone(dt.timedelta(hours=7))
SIGNS = {kind: set(types.split()) for kind, types in {  # EVENTS.md's table and §Attendance: who signs what
    "root": "body.enrolled place.registered",
    "district_standing": "waiver.granted body.enrolled attendance.planned attendance.reported",
    "commune_committee": "person.profiled election.ordered election.team_formed election.notice_posted "
                         "election.recognised election.rerun_ordered head.acting_appointed head.removal_recognised",
    "commune_front": "front.observation",
    "village_front": "candidates.drafted candidates.finalised front.head_chosen",
    "election_team": "election.counted",
    "cell": "person.profiled personnel.nominated candidates.agreed congress.held congress.counted "
            "congress.reported attendance.recorded",
    "commune_party": "waiver.granted congress.approved congress.annulled congress.appointed attendance.planned "
                     "attendance.reported",
    "training_center": "training.completed",
    "inspection": "inspection.finding",
}.items()}
SIGNS_FROM = {("commune_party", "waiver.granted"): "2025-07-01"}  # RULES.md Q3: by the event's own date
ANY_BODY = {"key.rotated", "key.revoked", "correction.recorded"}
PERSON_ONE = ("person", "leader", "secretary", "deputy", "member")  # EVENTS.md's facts that name a person
PERSON_MANY = ("candidates", "members", "committee")
STATUSES = {"pass", "fail", "waived", "deviation", "pending", "not_applicable"}  # RULES.md §7


class Failed(Exception):
    """A check failed: exit 1."""
    exit_code = 1

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")


class NotABundle(Failed):
    """Not a bundle, a structural fault, or bad usage: exit 2."""
    exit_code = 2


def canonical(value: Any) -> bytes:
    """RFC 8785 for the values a bundle holds (no floats): keys sorted by UTF-16 code units."""
    def text(v: Any) -> str:
        if isinstance(v, dict):
            items = sorted(v.items(), key=lambda kv: kv[0].encode("utf-16-be"))
            return "{" + ",".join(text(k) + ":" + text(x) for k, x in items) + "}"
        if isinstance(v, list):
            return "[" + ",".join(text(x) for x in v) + "]"
        if isinstance(v, float):
            raise NotABundle("not_canonical", "a number that is not an integer")
        return json.dumps(v, ensure_ascii=False)
    return text(value).encode()


def b64(s: str, what: str) -> bytes:
    """Standard base64, in its one canonical spelling."""
    try:
        raw = base64.b64decode(s, validate=True)
    except (ValueError, TypeError):
        raise Failed("bad_base64", f"{what} is not standard base64") from None
    if base64.b64encode(raw).decode() != s:
        raise Failed("bad_base64", f"{what} is not canonical base64")
    return raw


def ed25519_ok(pub: bytes, sig: bytes, msg: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(pub).verify(sig, msg)
    except (InvalidSignature, ValueError):
        return False
    return True


def note_key_id(name: str, kind: int, pub: bytes) -> bytes:
    """C2SP signed-note key ID: SHA-256(name || \\n || type || key)[:4]."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([kind]) + pub).digest()[:4]


def parse_vkey(vkey: str) -> tuple[str, bytes, bytes]:
    """A C2SP verifier key `<origin>+<key id>+<base64(0x01 || key)>` -> (origin, key id, raw key)."""
    m = re.fullmatch(r"([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/]{44})", vkey)
    key = base64.b64decode(m[3]) if m else b""
    if not m or len(key) != 33 or key[0] != 1 or note_key_id(m[1], 1, key[1:]).hex() != m[2]:
        raise NotABundle("bad_log_key", f"{vkey!r} is not a C2SP Ed25519 verifier key")
    return m[1], bytes.fromhex(m[2]), key[1:]


def parse_note(text: str, what: str) -> tuple[str, list[tuple[str, bytes]]]:
    """C2SP signed note -> (its text, up to and including the newline before the blank line; [(name, sig)])."""
    body, sep, sigs = text.partition("\n\n")
    if not sep or not sigs.endswith("\n"):
        raise Failed("bad_note", f"{what} is not a signed note")
    lines = []
    for line in sigs[:-1].split("\n"):
        m = re.fullmatch(r"\u2014 (\S+) (\S+)", line)
        if m is None:
            raise Failed("bad_note", f"{what}: bad signature line {line!r}")
        lines.append((m[1], b64(m[2], f"{what}: signature of {m[1]}")))
    if len(set(lines)) != len(lines):
        raise Failed("bad_note", f"{what}: a signature line is repeated")
    return body + "\n", lines


def inclusion_root(index: int, size: int, leaf: bytes, proof: list[bytes]) -> bytes:
    """RFC 9162 §2.1.3.2: the root an inclusion proof leads to."""
    if index >= size:
        raise Failed("bad_proof", f"index {index} is not below the tree size {size}")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise Failed("bad_proof", f"entry {index}: proof too long")
        if fn & 1 or fn == sn:
            r = hashlib.sha256(b"\x01" + p + r).digest()
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = hashlib.sha256(b"\x01" + r + p).digest()
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise Failed("bad_proof", f"entry {index}: proof too short")
    return r


def structure(raw: bytes) -> dict[str, Any]:
    """Step 1: everything whose fault makes the file "not a bundle" (exit 2)."""
    def names(v: Any) -> bool:  # sorted, without repeats
        return isinstance(v, list) and all(isinstance(x, str) and x for x in v) and v == sorted(set(v))
    try:
        b = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise NotABundle("not_json", "the file is not UTF-8 JSON") from None
    if not isinstance(b, dict) or type(b.get("bundle")) is not int or b["bundle"] not in TOP:
        raise NotABundle("not_bundle", "not a bundle of a known format")
    if canonical(b) != raw:
        raise NotABundle("not_canonical", "the file is not RFC 8785 canonical JSON")
    if (set(b) != TOP[b["bundle"]] or not isinstance(b["entries"], list) or not b["entries"]
            or not all(isinstance(b[k], str) for k in ("village", "checkpoint", "log_key", "heads", "engine") if k in b)
            or ("engine" in b and not re.fullmatch(r"sha256:[0-9a-f]{64}", b["engine"]))):
        raise NotABundle("not_bundle", f"not exactly the fields {sorted(TOP[b['bundle']])}, of their types")
    last = -1
    for n, item in enumerate(b["entries"]):
        ok = isinstance(item, dict) and set(item) == {"entry", "index", "proof"}
        env = item.get("entry") if ok else None
        ok = ok and type(item["index"]) is int and item["index"] > last and isinstance(item["proof"], list)
        ok = ok and all(isinstance(p, str) for p in item["proof"]) and isinstance(env, dict)
        ok = ok and set(env) == {"payload", "payloadType", "signatures", "prev", "received"}
        sigs = env.get("signatures") if ok else None
        ok = ok and isinstance(sigs, list) and len(sigs) == 1 and isinstance(sigs[0], dict)
        ok = ok and set(sigs[0]) == {"keyid", "sig"} and all(isinstance(v, str) for v in sigs[0].values())
        if not (ok and all(isinstance(env[k], str) for k in ("payload", "payloadType", "prev", "received"))):
            raise NotABundle("not_bundle", f"entries[{n}]: its fields, one signature, or its index order")
        last = item["index"]
    policy = b["witness_policy"]
    ok = isinstance(policy, dict) and set(policy) == {"groups", "witness_kinds"}
    ok = ok and isinstance(policy["groups"], list) and bool(policy["groups"]) and names(policy["witness_kinds"])
    ok = ok and set(policy["witness_kinds"]) <= set(SIGNS)
    for g in policy["groups"] if ok else []:
        ok = ok and isinstance(g, dict) and "need" in g and set(g) <= {"need", "kinds", "bodies"}
        ok = ok and type(g["need"]) is int and 1 <= g["need"] <= 100 and bool(set(g) - {"need"})
        ok = ok and all(names(g[k]) and g[k] for k in ("kinds", "bodies") if k in g)
        ok = ok and set(g.get("kinds", [])) <= set(SIGNS)
    if not ok:
        raise NotABundle("bad_policy", "the witness policy is not well formed")
    parse_vkey(b["log_key"])
    return b


def add_key(body: dict[str, Any], grant: dict[str, Any]) -> None:
    """A key in facts, `{"public", "valid_from"?}`, under its key id (docs/bundle.md)."""
    pub = b64(grant["public"], "a key in facts")
    body["keys"][hashlib.sha256(pub).hexdigest()[:32]] = {"pub": pub, "valid_from": grant.get("valid_from"),
                                                          "revoked": False}


def when(rfc3339: str) -> float:
    return dt.datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp()


def stream_of(st: dict[str, Any]) -> str:
    """The stream an entry belongs to, as docs/bundle.md gives it."""
    t, f = st["type"], st["facts"]
    by_type = {"place.registered": f.get("id"), "body.enrolled": f.get("id"), "key.rotated": f.get("body"),
               "key.revoked": f.get("body"), "person.profiled": f"person:{f.get('person')}",
               "attendance.planned": st["body"], "attendance.reported": st["body"]}
    return str(by_type.get(t, st["place"]))


def replay(entries: list[dict[str, Any]], leaves: dict[int, bytes], day: dt.date) -> dict[str, Any]:
    """Step 4: signatures, authority and stream links, in log order."""
    if entries[0]["index"] != 0:
        raise Failed("no_genesis", "the bundle does not start with the log's entry 0")
    bodies: dict[str, dict[str, Any]] = {}
    places: dict[str, str] = {}
    streams: dict[str, dict[str, Any]] = {}  # stream id -> {"count", "head" (hex), "place": first is a place}
    events: dict[str, dict[str, Any]] = {}  # leaf hash (hex) -> statement
    for item in entries:
        i, env = item["index"], item["entry"]
        where = f"entry {i}"
        if env["payloadType"] != PAYLOAD_TYPE:
            raise Failed("bad_entry", f"{where}: payloadType {env['payloadType']!r}")
        payload = b64(env["payload"], f"{where} payload")
        try:
            st = json.loads(payload.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise Failed("malformed", f"{where}: the payload is not JSON") from None
        if canonical(st) != payload or set(st) != {"v", "type", "place", "date", "body", "key", "signed_at", "facts"}:
            raise Failed("malformed", f"{where}: not a canonical statement")
        if not (st["v"] == 1 and type(st["v"]) is int) and not (st["v"] is True and day < FORMAT_2_SINCE):
            raise Failed("malformed", f"{where}: statement version {st['v']!r}")
        t, facts, signer = st["type"], st["facts"], st["body"]
        if i == 0:
            if t != "body.enrolled" or facts["kind"] != "root" or facts["id"] != signer:
                raise Failed("no_genesis", "entry 0 is not the root's self-enrolment")
            bodies[signer] = {"kind": "root", "jurisdiction": facts["jurisdiction"], "keys": {}, "parent": None}
            for grant in facts["keys"]:
                add_key(bodies[signer], grant)
        body = bodies.get(signer)
        key = body["keys"].get(st["key"]) if body else None
        if body is None or key is None or key["revoked"]:
            raise Failed("unknown_key", f"{where}: {signer} holds no valid key {st['key']}")
        if key["valid_from"] and when(st["signed_at"]) < when(key["valid_from"]):
            raise Failed("key_not_yet_valid", f"{where}: signed before its key's valid_from")
        ptype = env["payloadType"].encode()
        pae = b"DSSEv1 %d %s %d %s" % (len(ptype), ptype, len(payload), payload)
        sig = env["signatures"][0]
        if sig["keyid"] != st["key"] or not ed25519_ok(key["pub"], b64(sig["sig"], f"{where} signature"), pae):
            raise Failed("bad_signature", f"{where}: the signature does not verify by the statement's key")
        if t not in SIGNS.get(body["kind"], set()) | ANY_BODY or st["date"] < SIGNS_FROM.get((body["kind"], t), ""):
            raise Failed("kind_not_allowed", f"{where}: a {body['kind']} may not sign {t} dated {st['date']}")
        if st["place"] != body["jurisdiction"] and not st["place"].startswith(body["jurisdiction"] + "."):
            raise Failed("outside_jurisdiction", f"{where}: {st['place']} is outside {signer}'s jurisdiction")
        if t == "place.registered":
            parent = facts["id"].rpartition(".")[0]
            if st["place"] != facts["id"] or (parent and parent not in places) or facts["id"] in places:
                raise Failed("unknown_place", f"{where}: {facts['id']} cannot be registered here")
        elif i and st["place"] not in places:
            raise Failed("unknown_place", f"{where}: the place {st['place']} is not registered before it")
        named = [facts.get(k) for k in PERSON_ONE] + [p for k in PERSON_MANY for p in facts.get(k) or []]
        named += list(facts["votes"]) if isinstance(facts.get("votes"), dict) else []
        for person in named if t != "person.profiled" else []:
            if isinstance(person, str) and "person:" + person not in streams:
                raise Failed("unknown_person", f"{where}: {person} is not profiled before it")
        sid = stream_of(st)
        stream = streams.get(sid)
        if env["prev"] != (stream["head"] if stream else ZERO):
            raise Failed("broken_link", f"{where}, stream {sid}: prev does not link to the stream's last entry")
        if t == "body.enrolled" and i:
            if facts["id"] in bodies or facts["jurisdiction"] != st["place"]:
                raise Failed("bad_enrolment", f"{where}: {facts['id']} cannot be enrolled so")
            bodies[facts["id"]] = {"kind": facts["kind"], "jurisdiction": facts["jurisdiction"], "keys": {},
                                   "parent": signer}
            for grant in facts["keys"]:
                add_key(bodies[facts["id"]], grant)
        elif t == "place.registered":
            places[facts["id"]] = facts["kind"]
        elif t in ("key.rotated", "key.revoked"):  # by the body itself or one that enrolled it, directly or above
            target, up = bodies.get(facts["body"]), facts["body"]
            while up and up != signer:
                up = bodies.get(up, {}).get("parent")
            gone = facts["key"] if t == "key.revoked" else facts.get("retire")
            if target is None or not up or (gone is not None and gone not in target["keys"]):
                raise Failed("kind_not_allowed", f"{where}: {signer} may not change the keys of {facts['body']} so")
            if t == "key.rotated":
                add_key(target, facts["key"])
            if gone is not None:
                target["keys"][gone]["revoked"] = True
        stream = streams.setdefault(sid, {"count": 0, "place": t == "place.registered"})
        stream["count"] += 1
        stream["head"] = leaves[i].hex()
        events[stream["head"]] = st
    return {"bodies": bodies, "places": places, "streams": streams, "events": events}


def verify(raw: bytes, log_key: str | None = None) -> list[str]:
    """Check a bundle; return what could not be proved, or raise Failed / NotABundle."""
    b = structure(raw)
    given = parse_vkey(log_key) if log_key is not None else None
    not_proved = ["events after the checkpoint", "the verdict's re-derivation (it needs dantin's rules engine)",
                  "the witness keys and policy are the bundle's own"]

    # 2. The checkpoint's signature by the log key.
    origin, log_kid, log_pub = parse_vkey(b["log_key"])
    if given is not None and given != (origin, log_kid, log_pub):
        raise Failed("log_key_mismatch", "the bundle's log key is not the one given")
    if given is None:
        not_proved.append("the log key is the bundle's own, so the stream heads prove nothing (no --log-key)")
    cp_body, cp_sigs = parse_note(b["checkpoint"], "checkpoint")
    cp = cp_body.split("\n")
    if len(cp) < 4 or cp[0] != origin or not re.fullmatch(r"0|[1-9][0-9]*", cp[1]):
        raise Failed("bad_checkpoint", "the checkpoint is not of the log key's origin")
    size, root = int(cp[1]), b64(cp[2], "the checkpoint's root")
    log_sigs = [s for n, s in cp_sigs if n == origin and s[:4] == log_kid]
    if len(log_sigs) != 1 or not ed25519_ok(log_pub, log_sigs[0][4:], cp_body.encode()):
        raise Failed("bad_checkpoint", "the checkpoint is not signed once by the log key")

    # 3. Leaves and inclusion proofs.
    leaves: dict[int, bytes] = {}
    for item in b["entries"]:
        i = item["index"]
        leaves[i] = hashlib.sha256(b"\x00" + canonical(item["entry"])).digest()
        if inclusion_root(i, size, leaves[i], [b64(p, f"entry {i} proof") for p in item["proof"]]) != root:
            raise Failed("bad_proof", f"entry {i} is not included in the checkpoint's tree")

    # The witnessed day: of the newest cosignature (whose signature step 7 checks).
    cosigs = [(n, s) for n, s in cp_sigs if (n, s[:4]) != (origin, log_kid)]
    times = [int.from_bytes(s[4:12], "big") for _, s in cosigs if len(s) == 76]
    if not times:
        raise Failed("not_witnessed", "the checkpoint has no cosignature")
    day = dt.datetime.fromtimestamp(max(times), VN).date()
    if "heads" not in b and day >= FORMAT_2_SINCE:
        raise Failed("no_heads", f"a format-1 bundle of a checkpoint witnessed on {day}, after format 2 began")

    # 4. Signatures, authority, stream links; 5. the village.
    r = replay(b["entries"], leaves, day)
    bodies, streams, events, village = r["bodies"], r["streams"], r["events"], b["village"]
    if r["places"].get(village) not in ("thon", "tdp"):
        raise Failed("no_village", f"{village} is not registered in the bundle as a thon or tdp")

    # 6. Stream heads: the log's word that no stream given whole was cut short.
    if "heads" in b:
        hd_body, hd_sigs = parse_note(b["heads"], "heads")
        if (len(hd_sigs) != 1 or hd_sigs[0][0] != origin or hd_sigs[0][1][:4] != log_kid
                or not ed25519_ok(log_pub, hd_sigs[0][1][4:], hd_body.encode())):
            raise Failed("bad_heads", "the stream heads are not signed by the log key alone")
        lines = hd_body[:-1].split("\n")
        if lines[:4] != [HEADS_HEADER, origin, str(size), cp[2]]:
            raise Failed("heads_mismatch", "the stream heads are not of this checkpoint")
        said: dict[str, tuple[int, str]] = {}
        for line in lines[4:]:
            m = re.fullmatch(r"([!-~]+) (0|[1-9][0-9]*) ([A-Za-z0-9+/]{43}=)", line)
            if m is None or (said and m[1] <= list(said)[-1]):
                raise Failed("heads_mismatch", f"the line {line[:80]!r} is malformed or out of order")
            said[m[1]] = (int(m[2]), b64(m[3], "a stream head").hex())
        whole = {s for s, state in streams.items() if s == village or not state["place"]}
        for sid in sorted(whole | set(said)):
            if sid not in said or sid not in whole:
                raise Failed("heads_mismatch", f"the stream {sid} is in the bundle or the heads, not both")
            if said[sid][0] != streams[sid]["count"]:
                raise Failed("stream_incomplete", f"the log says {sid} has {said[sid][0]} entries, "
                             f"the bundle holds {streams[sid]['count']}")
            if said[sid][1] != streams[sid]["head"]:
                raise Failed("heads_mismatch", f"the last entry of {sid} is not the one the log names")
    else:
        not_proved.append("that no stream was cut short (format 1 has no stream heads)")

    # 7. Cosignatures (C2SP tlog-cosignature/v1) by witness bodies, and the policy.
    policy, witnesses = b["witness_policy"], {}
    for name, sig in cosigs:
        body = bodies.get(name)
        listed = any(name in g.get("bodies", []) for g in policy["groups"])
        if body is None or not (listed or body["kind"] in policy["witness_kinds"]) or len(sig) != 76:
            raise Failed("unknown_cosigner", f"{name} is not a witness of the bundle")
        ts = int.from_bytes(sig[4:12], "big")
        msg = b"cosignature/v1\ntime %d\n" % ts + cp_body.encode()
        key = next((k for k in body["keys"].values() if not k["revoked"] and note_key_id(name, 4, k["pub"]) == sig[:4]),
                   None)
        if key is None or not ed25519_ok(key["pub"], sig[12:], msg):
            raise Failed("bad_cosignature", f"the cosignature of {name} does not verify")
        if key["valid_from"] and ts < when(key["valid_from"]):
            raise Failed("bad_cosignature", f"{name} cosigned before its key's valid_from")
        witnesses[name] = body["kind"]
    for g in policy["groups"]:  # each group on its own: one witness may count in two
        if sum(1 for w, k in witnesses.items() if w in g.get("bodies", []) or k in g.get("kinds", [])) < g["need"]:
            raise Failed("not_witnessed", f"the cosignatures of {sorted(witnesses)} do not meet the policy")

    # 8. The verdict: what an outside verifier can check of it.
    v = b["verdict"]
    if v is not None:
        checks = v.get("checks") if isinstance(v, dict) else None
        if not isinstance(checks, list) or v.get("village") != village or v.get("as_of") != day.isoformat():
            raise Failed("verdict_mismatch", f"the verdict is not of {village} on {day}")
        statuses = {c.get("status") for c in checks}
        want = "violations" if "fail" in statuses else "incomplete" if "pending" in statuses else "compliant"
        if v.get("verdict") != want or not statuses <= STATUSES:
            raise Failed("verdict_mismatch", f"the verdict {v.get('verdict')!r} does not follow from its checks")
        cited = {e for c in checks for e in c.get("events", [])} - set(events)
        if cited:
            raise Failed("verdict_mismatch", f"the verdict cites events not in the bundle: {sorted(cited)}")
    return not_proved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("bundle", help="the bundle file")
    parser.add_argument("--log-key", metavar="VKEY", help="the log's verifier key as published (dantin log-key)")
    args = parser.parse_args(argv)  # a usage error exits 2
    try:
        with open(args.bundle, "rb") as f:
            not_proved = verify(f.read(), args.log_key)
    except OSError as exc:
        print(f"FAIL not_readable: {exc}", file=sys.stderr)
        return 2
    except Failed as exc:
        print(f"FAIL {exc}", file=sys.stderr)
        return exc.exit_code
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:  # facts not as EVENTS.md says
        print(f"FAIL malformed: {type(exc).__name__} {exc}", file=sys.stderr)
        return 1
    print("OK: verified; not proved: " + "; ".join(not_proved))
    return 0


if __name__ == "__main__":
    sys.exit(main())
