"""Public village reads over a real server: leadership on any day, verdicts, office holders — no profiles."""

from __future__ import annotations

from apihelp import BORN, PARTY, PERSON, Served, problem_of

from api.village_views import PROFILE_RULES, REDACTED_VI

pytest_plugins = ["apiserver"]  # the `served` fixture


def _recognise_and_approve(served: Served) -> None:
    w = served.world
    if served.client.get(f"/v1/villages/{w.lang_ma}/leadership", params={"as_of": "2022-08-01"}).json()[
            "offices"]["head"] == PERSON:
        return  # the session's server already has them (the fixture is shared)
    for body, type_, day, facts in (
        (w.committee, "election.recognised", "2022-05-18", {"person": PERSON, "decision": "12/QĐ-UBND"}),
        (PARTY, "congress.approved", "2022-07-01", {"decision": "45-QĐ/ĐU", "secretary": PERSON, "committee": []}),
    ):
        response = served.post_events(w.sign(body, type_, w.lang_ma, facts, date=day))
        assert response.status_code == 201, response.text


def test_leadership_on_any_day_with_names_and_nothing_personal(served: Served) -> None:
    _recognise_and_approve(served)
    w = served.world
    before = served.client.get(f"/v1/villages/{w.lang_ma}/leadership", params={"as_of": "2022-05-17"})
    assert before.status_code == 200 and before.json()["offices"]["head"] is None
    after = served.client.get(f"/v1/villages/{w.lang_ma}/leadership", params={"as_of": "2022-08-01"})
    body = after.json()
    assert body["offices"]["head"] == PERSON and body["offices"]["secretary"] == PERSON
    assert body["names"][PERSON] == "Nguyễn Văn A"
    assert BORN not in after.text and '"party"' not in after.text and '"born"' not in after.text
    problem_of(served.client.get("/v1/villages/qng.bato.khong-co/leadership"), 404, "not_found")
    problem_of(served.client.get(f"/v1/villages/{w.lang_ma}/leadership", params={"as_of": "15/5/2022"}), 400,
               "invalid_request")


def test_verdict_keeps_statuses_but_not_personal_details(served: Served) -> None:
    _recognise_and_approve(served)
    w = served.world
    response = served.client.get(f"/v1/villages/{w.lang_ma}/verdict", params={"as_of": "2022-08-01"})
    assert response.status_code == 200
    verdict = response.json()
    assert verdict["village"] == w.lang_ma and verdict["leadership"]["head"] == PERSON
    assert verdict["verdict"] in ("violations", "incomplete", "compliant")
    profiled = [c for c in verdict["checks"] if c["rule"] in PROFILE_RULES]
    assert profiled and all(c["detail_vi"] == REDACTED_VI for c in profiled)
    assert BORN not in response.text
    problem_of(served.client.get("/v1/villages/qng.bato.khong-co/verdict"), 404, "not_found")


def test_officeholders_by_place_and_office_paginated(served: Served) -> None:
    _recognise_and_approve(served)
    w = served.world
    heads = served.client.get("/v1/officeholders", params={"place": w.bato, "office": "head", "as_of": "2022-08-01"})
    assert heads.status_code == 200
    assert [(i["village"], i["person"], i["name"]) for i in heads.json()["items"]] == [
        (w.lang_ma, PERSON, "Nguyễn Văn A")]
    every = served.client.get("/v1/officeholders", params={"place": w.bato, "as_of": "2022-08-01", "limit": 1}).json()
    assert len(every["items"]) == 1 and every["next_offset"] == 1
    rest = served.client.get("/v1/officeholders", params={"place": w.bato, "as_of": "2022-08-01", "offset": 1}).json()
    assert {i["office"] for i in [*every["items"], *rest["items"]]} == {"head", "secretary"}
    assert served.client.get("/v1/officeholders", params={"place": w.sontinh}).json()["items"] == []
    problem_of(served.client.get("/v1/officeholders", params={"place": "qng.khong-co"}), 404, "not_found")
    problem_of(served.client.get("/v1/officeholders", params={"office": "king"}), 400, "invalid_request")
