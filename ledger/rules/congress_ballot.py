"""Rules on the cell congress's ballots (RULES.md §4): C-STRUCTURE, C-SEPARATE, C-ELIGIBLE, C-WINNER, C-ROUNDS.

The majority is of the full members summoned less those not counted (``excluded``);
probationary members neither vote nor stand.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from ledger.rules.finding import Finding, bad, missing, na, ok, refs, wait
from ledger.rules.record import RecordedEvent
from ledger.rules.text import OFFICE, cap, d_en, d_vi, half, ids, num
from ledger.rules.timeline import Congress, Context

NONE_YET = ("No cell congress recorded yet", "Chưa có đại hội chi bộ trong hồ sơ")


def each_congress(ctx: Context, judge: Callable[[Congress], list[Finding]]) -> list[Finding]:
    congresses = ctx.judged_congresses
    if not congresses:
        return [wait((), *NONE_YET)]
    return [f for c in congresses for f in judge(c)]


def _int(facts: Mapping[str, Any], key: str) -> int:
    value = facts.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def denominator(c: Congress, causes: list[str]) -> tuple[int, int]:
    """(full members summoned, of whom not counted)."""
    key = ("denominator", *causes)
    found: tuple[int, int] | None = c.memo.get(key)
    if found is None:
        found = c.memo[key] = _denominator(c, causes)
    return found


def _denominator(c: Congress, causes: list[str]) -> tuple[int, int]:
    if c.held is None:
        return 0, 0
    excluded = c.held.facts.get("excluded") or {}
    return _int(c.held.facts, "summoned"), sum(_int(excluded, k) for k in causes)


def elected(count: RecordedEvent, denom: int) -> list[str]:
    """Those above half of ``denom``, best first, up to the seats; a tie across the last seat elects neither."""
    votes = {str(p): v for p, v in (count.facts.get("votes") or {}).items() if isinstance(v, int)}
    above = sorted((p for p, v in votes.items() if v * 2 > denom), key=lambda p: (-votes[p], p))
    seats = _int(count.facts, "seats") or 1
    if len(above) > seats and votes[above[seats - 1]] == votes[above[seats]]:
        return [p for p in above[:seats] if votes[p] > votes[above[seats]]]
    return above[:seats]


def elected_in(c: Congress, count: RecordedEvent, denom: int) -> list[str]:
    """``elected(count, denom)`` for one of the congress's ballots, worked out once (do not change it)."""
    key = ("elected", id(count), denom)
    found: list[str] | None = c.memo.get(key)
    if found is None:
        found = c.memo[key] = elected(count, denom)
    return found


def elected_to(c: Congress, office: str, causes: list[str]) -> list[str]:
    summoned, excluded = denominator(c, causes)
    return [p for count in c.office_counts(office) for p in elected_in(c, count, summoned - excluded)]


#: Who is not counted toward the majority (RULES.md C-WINNER). The same list as C-WINNER's
#: data; C-STRUCTURE and C-ROUNDS use it to know who a ballot elected.
ALL_CAUSES = ["transferred", "exempt_absent", "suspended", "absent_approved"]


def c_structure(ctx: Context, p: Mapping[str, Any]) -> list[Finding]:
    """C-STRUCTURE: ≥ 9 full members → chi ủy (≤ 7) first, secretary from it, ≤ 1 deputy; else no chi ủy."""
    def judge(c: Congress) -> list[Finding]:
        if c.held is None:
            return [bad(refs(c.first, *c.counts), "Congress decisions recorded without the congress itself",
                        "Có kết quả, quyết định nhưng không có biên bản đại hội (số đảng viên, số triệu tập)")]
        full, threshold = _int(c.held.facts, "full_members"), p["committee_threshold"]
        committee, secretary = c.office_counts("committee"), c.office_counts("secretary")
        appointed = [a for a in c.appointments if a.facts.get("office") == "secretary"]
        en: list[str] = []
        vi: list[str] = []
        if full >= threshold and not committee:
            en.append(f"{full} full members (≥ {threshold}) but no chi ủy ballot")
            vi.append(f"chi bộ có {full} đảng viên chính thức (≥ {threshold}) nhưng không bầu chi ủy")
        approved = c.approval if c.approval is not None and c.approval.facts.get("committee") else None
        if full < threshold and (committee or approved):
            en.append(f"{full} full members (< {threshold}): a chi ủy may not be elected")
            vi.append(f"chi bộ có {full} đảng viên chính thức (< {threshold}): không bầu chi ủy")
        members = elected_to(c, "committee", ALL_CAUSES)
        if len(members) > p["max_committee"] or any(_int(k.facts, "seats") > p["max_committee"] for k in committee):
            en.append(f"chi ủy of more than {p['max_committee']}")
            vi.append(f"chi ủy quá {p['max_committee']} người")
        if committee and secretary and ctx.position(secretary[0]) < ctx.position(committee[-1]):
            en.append("the secretary was balloted before the chi ủy")
            vi.append("bầu bí thư trước khi bầu chi ủy")
        chosen = elected_to(c, "secretary", ALL_CAUSES) + [str(a.facts.get("person")) for a in appointed]
        if committee and any(s not in members for s in chosen):
            en.append(f"secretary {ids(set(chosen) - set(members))} is not in the elected chi ủy")
            vi.append(f"bí thư {ids(set(chosen) - set(members))} không thuộc chi ủy vừa bầu")
        deputies = elected_to(c, "deputy", ALL_CAUSES)
        if len(deputies) > p["max_deputies"]:
            en.append(f"{len(deputies)} deputies elected; at most {p['max_deputies']}")
            vi.append(f"bầu {len(deputies)} phó bí thư; tối đa {p['max_deputies']}")
        events = refs(c.held, *committee, *secretary, *c.office_counts("deputy"),
                      approved if full < threshold else None)
        if not secretary and not appointed:
            found = missing(ctx, c.day, refs(c.first), "Secretary ballot", "Bầu bí thư")
            if not en:
                return [found]
            en.append(found.detail)
            vi.append(found.detail_vi)
        if en:
            return [bad(events, "Structure: " + "; ".join(en), "Cơ cấu bầu cử: " + "; ".join(vi))]
        shape = (f"chi ủy of {len(members)}, then secretary" if committee else "secretary elected directly")
        shape_vi = (f"bầu chi ủy {len(members)} người rồi bầu bí thư" if committee else "bầu trực tiếp bí thư")
        return [ok(events, f"{full} full members: {shape}", f"Chi bộ có {full} đảng viên chính thức: {shape_vi}")]
    return each_congress(ctx, judge)


def c_separate(ctx: Context, p: Mapping[str, Any]) -> list[Finding]:
    """C-SEPARATE: chi ủy, secretary and deputy each on their own secret ballot."""
    def judge(c: Congress) -> list[Finding]:
        if not c.counts:
            return [missing(ctx, c.day, refs(c.first), "Congress ballots", "Phiếu bầu tại đại hội")]
        en: list[str] = []
        vi: list[str] = []
        bad_counts = [k for k in c.counts if k.facts.get("separate") is not True or k.facts.get("secret") is not True]
        for k in bad_counts:
            office, office_vi = OFFICE.get(str(k.facts.get("office")), ("?", "?"))
            en.append(f"{office} ballot {k.id} not on its own secret ballot")
            vi.append(f"lần bầu {office_vi} {k.id} không bỏ phiếu kín riêng")
        approval = c.approval
        named = []
        for office in ("secretary", "deputy"):
            has_ballot = c.office_counts(office) or any(a.facts.get("office") == office for a in c.appointments)
            if approval is not None and approval.facts.get(office) and not has_ballot:
                named.append(approval)
                en.append(f"{OFFICE[office][0]} {approval.facts.get(office)} approved without a ballot of its own")
                vi.append(f"{OFFICE[office][1]} {approval.facts.get(office)} được chuẩn y mà không có lần bầu riêng")
        if en:
            return [bad(refs(*bad_counts, *named), cap("; ".join(en)), cap("; ".join(vi)))]
        return [ok(refs(*c.counts), f"{len(c.counts)} separate secret ballot" + ("s" if len(c.counts) > 1 else ""),
                   f"{len(c.counts)} lần bỏ phiếu kín riêng cho từng chức danh")]
    return each_congress(ctx, judge)


def c_eligible(ctx: Context, p: Mapping[str, Any]) -> list[Finding]:
    """C-ELIGIBLE: only full members vote and stand."""
    def judge(c: Congress) -> list[Finding]:
        if not c.counts:
            return [missing(ctx, c.day, refs(c.first), "Congress ballots", "Phiếu bầu tại đại hội")]
        en: list[str] = []
        vi: list[str] = []
        culprits = []
        for k in c.counts:
            probationary = _int(k.facts, "ballots_probationary")
            if probationary:
                culprits.append(k)
                en.append(f"{probationary} ballots of probationary members counted in {k.id}")
                vi.append(f"tính {probationary} phiếu của đảng viên dự bị trong lần bầu {k.id}")
        stood = sorted({str(x) for k in c.counts for x, v in (k.facts.get("votes") or {}).items() if v})
        for person in stood:
            status = (ctx.profile(person, c.day).get("party") or {}).get("status")
            if status in ("probationary", "none"):
                culprits += [k for k in c.counts if (k.facts.get("votes") or {}).get(person)]
                word, word_vi = ("a probationary member", "đảng viên dự bị") if status == "probationary" \
                    else ("not a party member", "không phải đảng viên")
                en.append(f"{ctx.who(person)} stood, {word}")
                vi.append(f"ông/bà {ctx.who(person)} được bầu nhưng là {word_vi}")
        if en:
            return [bad(refs(*culprits), cap("; ".join(en)), cap("; ".join(vi)))]
        return [ok(refs(*c.counts), "Only full members' ballots counted; every candidate a full member",
                   "Chỉ tính phiếu của đảng viên chính thức; người được bầu đều là đảng viên chính thức")]
    return each_congress(ctx, judge)


def c_winner(ctx: Context, p: Mapping[str, Any]) -> list[Finding]:
    """C-WINNER: elected only with more than half of the full members summoned, less those not counted."""
    def judge(c: Congress) -> list[Finding]:
        if not c.counts:
            return [missing(ctx, c.day, refs(c.first), "Congress ballots", "Phiếu bầu tại đại hội")]
        causes = p["excluded_causes"]
        summoned, excluded = denominator(c, causes)  # the same for every ballot of the congress, as are:
        denom = summoned - excluded
        texts = _Majority(denom, num(denom), num(denom, True), half(denom), half(denom, True),
                          f"{num(denom)} = {num(summoned)} summoned − {num(excluded)} not counted",
                          f"{num(denom, True)} = {num(summoned, True)} triệu tập − {num(excluded, True)} không tính")
        approval = c.approval
        return [_winner_one(ctx, c, k, causes, texts, approval) for k in c.counts]
    return each_congress(ctx, judge)


class _Majority(NamedTuple):
    """A congress's majority and how its texts write it."""

    denom: int
    denom_en: str
    denom_vi: str
    half_en: str
    half_vi: str
    base: str
    base_vi: str


def _winner_one(ctx: Context, c: Congress, k: RecordedEvent, causes: list[str], texts: _Majority,
                approval_of_congress: RecordedEvent | None) -> Finding:
    denom = texts.denom
    office = str(k.facts.get("office"))
    votes = {str(x): v for x, v in (k.facts.get("votes") or {}).items() if isinstance(v, int)}
    won = elected_in(c, k, denom)
    claimed = [x for x in (k.facts.get("elected") or []) if str(x) not in won]
    approval = approval_of_congress if c.office_counts(office)[-1] is k else None
    if approval is not None:  # the approval names whom all rounds of this office elected
        named = approval.facts.get(office)
        chosen = elected_to(c, office, causes) + [a.facts.get("person") for a in c.appointments
                                                   if a.facts.get("office") == office]
        claimed += [x for x in (named if isinstance(named, list) else [named] if named else []) if x not in chosen]
    base, base_vi = texts.base, texts.base_vi
    office_en, office_vi = OFFICE.get(office, (office, office))
    wrong = list(dict.fromkeys(str(x) for x in claimed))
    if wrong:
        show = "; ".join(f"{ctx.who(x)} {votes.get(x, 0)}/{texts.denom_en}" for x in wrong)
        return bad(refs(k, approval), f"{cap(office_en)} round {k.facts.get('round')}: {show} declared elected "
                                      f"without more than {texts.half_en} (of {base})",
                   f"Bầu {office_vi} lần {k.facts.get('round')}: {show} được coi là trúng cử khi không đạt quá "
                   f"{texts.half_vi} phiếu (trên {base_vi})")
    who = "; ".join(f"{ctx.who(x)} {votes[x]}/{texts.denom_en}" for x in won) or "nobody"
    who_vi = "; ".join(f"{ctx.who(x)} {votes[x]}/{texts.denom_vi}" for x in won) or "không ai"
    return ok(refs(k), f"{cap(office_en)} round {k.facts.get('round')}: elected {who}; more than {texts.half_en} "
                       f"needed (of {base})",
              f"Bầu {office_vi} lần {k.facts.get('round')}: trúng cử {who_vi}; cần hơn {texts.half_vi} phiếu "
              f"(trên {base_vi})")


def c_rounds(ctx: Context, p: Mapping[str, Any]) -> list[Finding]:
    """C-ROUNDS: after three secretary rounds without a winner the higher committee appoints one."""
    def judge(c: Congress) -> list[Finding]:
        summoned, excluded = denominator(c, ALL_CAUSES)
        rounds = c.office_counts("secretary")
        first = rounds[:p["rounds"]]  # the situation: the first three rounds all elected nobody
        if len(first) < p["rounds"] or any(elected_in(c, k, summoned - excluded) for k in first):
            return [na(f"No {p['rounds']} failed secretary rounds",
                       f"Không có {p['rounds']} lần bầu bí thư không kết quả")]
        appointed = [a for a in c.appointments if a.facts.get("office") == "secretary"]
        if len(rounds) > p["rounds"]:
            return [bad(refs(*rounds[p["rounds"]:]), f"{len(rounds)} secretary rounds; after {p['rounds']} the higher "
                                                      f"committee appoints",
                        f"Bầu bí thư {len(rounds)} lần; sau {p['rounds']} lần cấp trên phải chỉ định")]
        if not appointed:
            return [wait(refs(*rounds), "Three secretary rounds failed; the appointment is not recorded yet",
                         "Ba lần bầu bí thư không có kết quả; chưa có quyết định chỉ định của cấp trên")]
        person = str(appointed[-1].facts.get("person"))
        committee = elected_to(c, "committee", ALL_CAUSES)
        pool_ok = person in committee if committee else \
            (ctx.profile(person, c.day).get("party") or {}).get("status") == "full"
        text = (f"{ctx.who(person)} appointed secretary on {d_en(appointed[-1].date)}",
                f"Cấp trên chỉ định ông/bà {ctx.who(person)} làm bí thư ngày {d_vi(appointed[-1].date)}")
        if not pool_ok:
            return [bad(refs(appointed[-1]), text[0] + " from outside the chi ủy / full members",
                        text[1] + " nhưng không thuộc chi ủy / đảng viên chính thức")]
        return [ok(refs(*rounds, appointed[-1]), *text)]
    if not ctx.judged_congresses:  # no round has failed: not_applicable (RULES.md §7), not pending as the others
        return [na(f"No {p['rounds']} failed secretary rounds (no cell congress recorded yet)",
                   f"Không có {p['rounds']} lần bầu bí thư không kết quả (chưa có đại hội chi bộ trong hồ sơ)")]
    return each_congress(ctx, judge)


RULES = {"C-STRUCTURE": c_structure, "C-SEPARATE": c_separate, "C-ELIGIBLE": c_eligible, "C-WINNER": c_winner,
         "C-ROUNDS": c_rounds}
