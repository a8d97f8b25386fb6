"""Public reads and operations over a real server: places, checkpoints, proofs, health, logs."""

from __future__ import annotations

import base64
import json
import re
import time
from typing import Any

import pytest
from apihelp import PERSON, Served, fresh, problem_of, profile

from ledger.merkle import verify_consistency, verify_inclusion
from ledger.note import open_checkpoint

pytest_plugins = ["apiserver"]  # the `served` fixture


def _b64(items: list[str]) -> list[bytes]:
    return [base64.b64decode(i) for i in items]


def test_places_show_names_kinds_and_the_tree(served: Served) -> None:
    w = served.world
    commune = served.client.get(f"/v1/places/{w.badien}")
    assert commune.status_code == 200
    assert commune.json() == {"id": w.badien, "name": "Xã Ba Điền", "kind": "commune", "parent": w.bato,
                              "children": [w.lang_ma]}
    root = served.client.get(f"/v1/places/{w.province}").json()
    assert root["parent"] is None and root["children"] == sorted([w.bato, w.sontinh])
    assert served.client.get(f"/v1/places/{w.lang_ma}").json()["kind"] == "thon"
    problem_of(served.client.get("/v1/places/qng.bato.khong-co"), 404, "not_found")
    problem_of(served.client.get("/v1/places/Not A Place"), 404, "not_found")


def test_a_place_registered_through_the_api_appears_at_once(served: Served) -> None:
    w = served.world
    village = f"{w.badien}.{fresh('thon')}"
    assert served.post_events(w.sign(w.root, "place.registered", village,
                                     {"id": village, "name": "Thôn Mới", "kind": "thon"})).status_code == 201
    assert served.client.get(f"/v1/places/{village}").json()["name"] == "Thôn Mới"
    assert village in served.client.get(f"/v1/places/{w.badien}").json()["children"]


def test_checkpoint_is_the_signed_note_as_text(served: Served) -> None:
    response = served.client.get("/v1/log/checkpoint")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    checkpoint, _ = open_checkpoint(response.text, served.log_verifier())
    assert checkpoint.size >= 1
    assert served.client.get("/v1/log/checkpoint", params={"witnessed": "nope"}).status_code == 400


def test_inclusion_and_consistency_proofs_verify_against_checkpoints(served: Served) -> None:
    old_note = served.client.get("/v1/log/checkpoint").text
    old, _ = open_checkpoint(old_note, served.log_verifier())
    receipt = served.post_events(profile(served.world, fresh())).json()
    new, _ = open_checkpoint(receipt["inclusion"]["checkpoint"], served.log_verifier())
    got = served.client.get("/v1/log/proof/inclusion", params={"index": receipt["index"], "size": new.size})
    assert got.status_code == 200
    proof = got.json()
    assert proof["checkpoint"] == receipt["inclusion"]["checkpoint"]
    verify_inclusion(base64.b64decode(proof["leaf_hash"]), receipt["index"], new.size, _b64(proof["proof"]),
                     new.root_hash)
    default = served.client.get("/v1/log/proof/inclusion", params={"index": 0}).json()  # to the newest checkpoint
    latest, _ = open_checkpoint(default["checkpoint"], served.log_verifier())
    verify_inclusion(base64.b64decode(default["leaf_hash"]), 0, latest.size, _b64(default["proof"]),
                     latest.root_hash)
    cons = served.client.get("/v1/log/proof/consistency", params={"old": old.size, "new": new.size}).json()
    assert cons["old_checkpoint"] == old_note and cons["new_checkpoint"] == receipt["inclusion"]["checkpoint"]
    verify_consistency(old.size, new.size, _b64(cons["proof"]), old.root_hash, new.root_hash)


def test_out_of_range_and_bad_proof_parameters(served: Served) -> None:
    size = served.client.get("/readyz").json()["log_size"]
    problem_of(served.client.get("/v1/log/proof/inclusion", params={"index": size + 5}), 404, "out_of_range")
    problem_of(served.client.get("/v1/log/proof/inclusion", params={"index": 0, "size": size + 1000}), 404,
               "out_of_range")
    problem_of(served.client.get("/v1/log/proof/consistency", params={"old": size + 10, "new": size}), 404,
               "out_of_range")
    for beyond in (size + 1000, 2**53):  # from a size to itself: once an empty proof of a tree there is not
        problem_of(served.client.get("/v1/log/proof/consistency", params={"old": beyond, "new": beyond}), 404,
                   "out_of_range")
    said = problem_of(served.client.get("/v1/log/proof/inclusion", params={"index": -1}), 400, "invalid_request")
    assert "không được nhỏ hơn 0" in said["detail"]  # the rule, in Vietnamese, not only in detail_en
    for params in ({"index": -1}, {"index": "x"}, {}, {"index": 0, "size": 0}, {"index": 2**64}):
        problem_of(served.client.get("/v1/log/proof/inclusion", params=params), 400, "invalid_request")
    problem_of(served.client.get("/v1/log/proof/consistency", params={"old": 0}), 400, "invalid_request")


@pytest.mark.parametrize("query", [
    "/v1/villages/{v}/leadership?as_of=x", "/v1/villages/{v}/verdict?as_of=2022-02-30",
    "/v1/officeholders?as_of=2022-01-01T01:00", "/v1/attendance?as_of=22-1-1",
    "/v1/villages/{v}/verdict?as_recorded=maybe", "/v1/log/checkpoint?witnessed=2",
    "/v1/officeholders?office=mayor",
])
def test_a_mistyped_date_or_flag_is_said_in_vietnamese_only(served: Served, query: str) -> None:
    said = problem_of(served.client.get(query.format(v="qng.bato.badien.lang-ma")), 400, "invalid_request")
    detail = said["detail"].partition(": ")[2]  # (after the parameter's name)
    assert not re.search(r"\b(Input|should|valid|or|expected|Datetimes)\b", detail), said  # pydantic's English
    assert said["detail_en"]  # which a program still gets


@pytest.mark.parametrize("day", ["1640995200", "20220101", "2022-W01-1", "２０２２-01-01"])
@pytest.mark.parametrize("path", ["/v1/villages/{v}/verdict", "/v1/officeholders", "/v1/attendance"])
def test_as_of_is_yyyy_mm_dd_only_as_its_description_says(served: Served, path: str, day: str) -> None:
    """pydantic would take a number of seconds since 1970 for a day (1640995200 = 2022-01-01)."""
    said = problem_of(served.client.get(path.format(v="qng.bato.badien.lang-ma"), params={"as_of": day}), 400,
                      "invalid_request")
    assert "YYYY-MM-DD" in said["detail"] and "Invalid" not in said["detail"]


def test_public_answers_never_carry_profiles(served: Served) -> None:
    w = served.world
    receipt = served.post_events(profile(w, fresh(), born="1980-01-02", party={"status": "full"})).json()
    bodies = [
        json.dumps(receipt),
        served.client.get(f"/v1/places/{w.lang_ma}").text,
        served.client.get("/v1/log/checkpoint").text,
        served.client.get("/v1/log/proof/inclusion", params={"index": receipt["index"]}).text,
        served.client.get(f"/v1/villages/{w.lang_ma}/history").text,  # unsigned: 401
        served.client.get(f"/v1/bundles/villages/{w.lang_ma}").text,
    ]
    for text in bodies:
        assert "born" not in text and "party" not in text and "1980-01-02" not in text and PERSON not in text


def test_health_readiness_request_ids_and_json_logs(served: Served) -> None:
    assert served.client.get("/healthz").json() == {"status": "ok"}
    ready = served.client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["log_size"] > 0
    mine = "trace-" + fresh()
    response = served.client.get("/healthz", headers={"X-Request-ID": mine})
    assert response.headers["x-request-id"] == mine
    generated = served.client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"}).headers["x-request-id"]
    assert generated != "bad id\twith spaces" and len(generated) == 32
    problem = served.client.get("/v1/places/qng.khong", headers={"X-Request-ID": mine + "-2"})
    assert problem.headers["x-request-id"] == mine + "-2"
    requests: dict[str, dict[str, Any]] = {}
    for _ in range(100):  # the line is written just after the answer is sent
        lines = [json.loads(line) for line in served.log_lines() if line.startswith("{")]
        requests = {line["request_id"]: line for line in lines if line.get("event") == "request"}
        if mine + "-2" in requests:
            break
        time.sleep(0.05)
    assert requests[mine]["method"] == "GET" and requests[mine]["path"] == "/healthz"
    assert requests[mine]["status"] == 200 and requests[mine]["duration_ms"] >= 0
    assert requests[mine + "-2"]["status"] == 404


def test_openapi_documents_every_route_with_examples(served: Served) -> None:
    doc = served.client.get("/openapi.json").json()
    paths = doc["paths"]
    assert {"/v1/events", "/v1/places/{place_id}", "/v1/log/checkpoint", "/v1/log/proof/inclusion",
            "/v1/log/proof/consistency", "/v1/log/cosignatures", "/v1/villages/{village_id}/history",
            "/v1/bundles/villages/{village_id}", "/healthz", "/readyz"} <= set(paths)
    text = json.dumps(doc, ensure_ascii=False)
    assert '"example' in text
    events = paths["/v1/events"]["post"]
    assert events["requestBody"]["content"]["application/json"]["examples"]
    assert {"200", "201", "409", "413", "422"} <= set(events["responses"])
    for name in ("ReceiptPublic", "ProblemPublic", "PlacePublic", "HistoryPublic", "InclusionProofPublic"):
        assert doc["components"]["schemas"][name].get("examples"), name


@pytest.mark.parametrize("path", ["/v1/places/qng", "/", "/readyz"])
def test_head_is_get_without_the_body(served: Served, path: str) -> None:
    got = served.client.get(path)
    head = served.client.head(path)
    assert head.status_code == got.status_code == 200
    assert head.content == b"" and head.headers["content-type"] == got.headers["content-type"]
    assert head.headers.get("content-length") == got.headers.get("content-length")


@pytest.mark.parametrize(("path", "status", "code"), [
    ("/villages/qng.bato?as_of=123456789012345678901", 400, "invalid_request"),
    ("/log/verify", 405, "method_not_allowed"),
    ("/khong-co", 404, "not_found"),
])
def test_a_browser_asking_for_a_page_gets_a_page_not_json(served: Served, path: str, status: int, code: str) -> None:
    page = served.client.get(path, headers={"Accept": "text/html,application/xhtml+xml"})
    assert page.status_code == status
    assert page.headers["content-type"].startswith("text/html")
    assert f"<code>{code}</code>" in page.text and 'lang="vi"' in page.text
    problem_of(served.client.get(path), status, code)  # a program still gets problem+json
    api = served.client.get("/v1/places/khong-co", headers={"Accept": "text/html"})
    assert api.headers["content-type"].startswith("application/problem+json")  # the API always answers so


VILLAGE = "qng.bato.badien.lang-ma"


@pytest.mark.parametrize(("path", "name"), [
    ("/v1/officeholders?place=qng.bato&place=qng.sontinh", "place"),
    ("/v1/officeholders?place=qng.bato&limit=1&limit=1000", "limit"),
    ("/v1/log/proof/inclusion?index=0&index=1", "index"),
    ("/v1/log/proof/inclusion?index=-1&index=-1", "index"),  # the repetition is said, not only the value
    ("/v1/log/proof/consistency?old=1&new=2&old=2", "old"),
    ("/v1/log/checkpoint?witnessed=false&witnessed=true", "witnessed"),
    (f"/v1/villages/{VILLAGE}/leadership?as_of=2022-05-17&as_of=2022-08-01", "as_of"),
    (f"/v1/villages/{VILLAGE}/verdict?as_recorded=true&as_recorded=false", "as_recorded"),
    ("/v1/attendance?year=2022&year=2023", "year"),
])
def test_an_api_parameter_sent_twice_is_refused_not_the_last_one_kept(served: Served, path: str, name: str) -> None:
    said = problem_of(served.client.get(path), 400, "invalid_request")  # as a parameter out of bounds is
    assert f"Tham số '{name}' chỉ được gửi một lần" in said["detail"], said
    assert said["instance"] == path.partition("?")[0]
    problem_of(served.client.get(path, headers={"Accept": "text/html"}), 400, "invalid_request")  # API: JSON
    once = served.client.get(path.rpartition("&")[0])  # sent once: answered as before
    assert once.status_code < 500 and "chỉ được gửi một lần" not in once.text
    head = served.client.head(path)
    assert head.status_code == 400 and head.content == b""


def test_parameters_sent_once_or_not_taken_by_the_route_are_answered_as_before(served: Served) -> None:
    heads = served.client.get("/v1/officeholders?place=qng.bato&office=head&as_of=2022-08-01")
    assert heads.status_code == 200 and heads.json()["place"] == "qng.bato"
    ignored = served.client.get("/v1/officeholders?place=qng.bato&office=head&as_of=2022-08-01&x=1&x=2")
    assert ignored.status_code == 200 and ignored.json() == heads.json()  # unknown parameters stay ignored
    assert served.client.get("/healthz?x=1&x=2").json() == {"status": "ok"}
    assert served.client.get("/v1/log/proof/inclusion?index=0&size=1").status_code == 200


@pytest.mark.parametrize(("path", "name"), [
    ("/?commune=qng.bato.badien&commune=qng.bato.khong-co", "commune"),
    ("/?verdict=violations&verdict=compliant", "verdict"),
    (f"/villages/{VILLAGE}?as_of=2022-05-01&as_of=2022-08-01", "as_of"),
    ("/attendance?place=qng.bato&place=qng.sontinh", "place"),
    ("/log?busy=true&busy=false", "busy"),
])
def test_a_page_parameter_sent_twice_gets_the_vietnamese_error_page(served: Served, path: str, name: str) -> None:
    page = served.client.get(path, headers={"Accept": "text/html,application/xhtml+xml"})
    assert page.status_code == 400
    assert page.headers["content-type"].startswith("text/html") and 'lang="vi"' in page.text
    assert "<code>invalid_request</code>" in page.text
    assert f"Tham số &#39;{name}&#39; chỉ được gửi một lần" in page.text, page.text
    said = problem_of(served.client.get(path), 400, "invalid_request")  # a program gets problem+json
    assert f"Tham số '{name}' chỉ được gửi một lần" in said["detail"]


def test_openapi_still_lists_each_query_parameter_once_and_documents_the_400(served: Served) -> None:
    doc = served.client.get("/openapi.json").json()
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            names = [p["name"] for p in operation.get("parameters", ()) if p["in"] == "query"]
            assert "request" not in names and len(names) == len(set(names)), (path, method)
            if names:
                assert "400" in operation["responses"], (path, method)
    assert "gửi hơn một lần" in json.dumps(doc["paths"]["/v1/officeholders"]["get"]["responses"]["400"],
                                          ensure_ascii=False)


def test_the_dashboard_of_a_commune_there_is_not_is_the_vietnamese_404_page(served: Served) -> None:
    w = served.world
    for commune in ("qng.bato.khong-co", w.bato, w.lang_ma):  # unknown; a district; a village: no such commune
        page = served.client.get("/", params={"commune": commune}, headers={"Accept": "text/html"})
        assert page.status_code == 404, commune
        assert page.headers["content-type"].startswith("text/html") and 'lang="vi"' in page.text
        assert "<h1>Không tìm thấy</h1>" in page.text
        assert f"Sổ cái không có xã/thị trấn với mã <code>{commune}</code>" in page.text
        assert 'data-village="' not in page.text  # not every village, as it was
    one = served.client.get("/", params={"commune": w.badien})
    assert one.status_code == 200 and f'data-village="{w.lang_ma}"' in one.text
    every = served.client.get("/", params={"commune": "", "verdict": ""})
    assert every.status_code == 200 and f'data-village="{w.lang_ma}"' in every.text


def test_a_dashboard_verdict_there_is_not_is_said_in_vietnamese_not_ignored(served: Served) -> None:
    w = served.world
    page = served.client.get("/", params={"verdict": "zzz"}, headers={"Accept": "text/html"})
    assert page.status_code == 400
    assert "Kết luận «zzz» không có" in page.text and "đang hiển thị mọi kết luận" in page.text
    assert f'data-village="{w.lang_ma}"' in page.text  # every verdict, as it says
    assert served.client.get("/", params={"verdict": "compliant"}).status_code == 200


def test_the_dashboard_of_a_registered_commune_without_villages_is_empty_not_everything(served: Served) -> None:
    w = served.world
    commune = f"{w.sontinh}.{fresh('xa')}"
    assert served.post_events(w.sign(w.root, "place.registered", commune,
                                     {"id": commune, "name": "Xã Mới Lập", "kind": "commune"})).status_code == 201
    page = served.client.get("/", params={"commune": commune})
    assert page.status_code == 200
    assert "Bảng tổng hợp: Xã Mới Lập" in page.text and "(0 thôn, tổ dân phố)" in page.text
    assert 'data-village="' not in page.text and f'value="{commune}" selected' in page.text
    assert f'href="/front/{commune}"' in page.text
    front = served.client.get(f"/front/{commune}")  # its Front page: no village yet, said so, not "no such commune"
    assert front.status_code == 200 and "Chưa có thôn nào của Xã Mới Lập trong sổ cái." in front.text
    for not_a_commune in (w.bato, w.lang_ma, "qng.bato.khong-co"):
        assert served.client.get(f"/front/{not_a_commune}").status_code == 404
