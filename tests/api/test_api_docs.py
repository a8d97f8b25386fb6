"""The API reference at /docs, over a real server: a Vietnamese page built from the served OpenAPI document,
loading nothing from outside (the users' machines are offline); FastAPI's Swagger UI and ReDoc are gone."""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
from apihelp import Served

from schemas.envelope import EnvelopeWire, SignatureWire

pytest_plugins = ["apiserver"]  # served_sqlite (the page does not depend on the backend)

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
                  "wbr"})


class Page(HTMLParser):
    """What the tests read of the page: elements by attribute, ids and internal references, text by element."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.html = html
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.ids: list[str] = []
        self.refs: list[str] = []
        self.unbalanced: list[str] = []
        self._open: list[tuple[str, dict[str, str], list[str]]] = []
        self.texts: list[tuple[str, dict[str, str], str]] = []  # (tag, attributes, its whole text), closed elements
        self.feed(html)
        self.close()
        self.unbalanced += [t for t, _, _ in self._open]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        self.elements.append((tag, attributes))
        if "id" in attributes:
            self.ids.append(attributes["id"])
        if attributes.get("href", "").startswith("#"):
            self.refs.append(attributes["href"][1:])
        if "aria-labelledby" in attributes:
            self.refs.append(attributes["aria-labelledby"])
        if tag not in VOID:
            self._open.append((tag, attributes, []))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self._open or self._open[-1][0] != tag:
            self.unbalanced.append(f"</{tag}> at {self.getpos()}")
            return
        _, attributes, parts = self._open.pop()
        text = " ".join("".join(parts).split())
        self.texts.append((tag, attributes, text))
        if self._open:
            self._open[-1][2].append(" " + "".join(parts) + " ")

    def handle_data(self, data: str) -> None:
        if self._open:
            self._open[-1][2].append(data)

    def text(self, tag: str, **attributes: str) -> list[str]:
        wanted = {k.replace("_", "-"): v for k, v in attributes.items()}
        return [t for name, a, t in self.texts if name == tag and all(a.get(k) == v for k, v in wanted.items())]


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m.upper(), path, op) for path, ops in doc["paths"].items() for m, op in ops.items() if m in METHODS]


@pytest.fixture(scope="module")
def docs(served_sqlite: Served) -> tuple[httpx.Response, Page, dict[str, Any]]:
    answer = served_sqlite.client.get("/docs")
    return answer, Page(answer.text), served_sqlite.client.get("/openapi.json").json()


def test_docs_is_a_vietnamese_page_that_loads_nothing_from_outside(docs: tuple[httpx.Response, Page, Any]) -> None:
    answer, page, _ = docs
    assert answer.status_code == 200
    # No script at all (the page needs none), no stylesheet or anything else fetched from another host.
    fetched = [a.get("src") or a.get("href", "") for tag, a in page.elements
               if tag in ("link", "img", "iframe", "source", "embed", "object") or "src" in a]
    assert fetched and all(url.startswith(("/", "data:")) and not url.startswith("//") for url in fetched), fetched
    assert [a for tag, a in page.elements if tag == "script"] == []
    assert ("link", {"rel": "stylesheet", "href": "/static/style.css"}) in page.elements
    lowered = answer.text.lower()
    assert "swagger" not in lowered and "redoc" not in lowered and "cdn." not in lowered
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in answer.headers["content-security-policy"]
    assert not page.unbalanced
    assert ("html", {"lang": "vi"}) in page.elements
    # Vietnamese headings and labels.
    assert page.text("h1")[0].startswith("Tài liệu API")
    for heading in ("Tham số", "Nội dung gửi", "Phản hồi"):
        assert heading in page.text("h4"), heading
    assert "Lược đồ dữ liệu" in page.text("h2")
    assert "Bắt buộc" in page.text("th") and "Cần yêu cầu ký:" in page.text("span", **{"class": "label"})
    assert ("a", {"href": "/openapi.json"}) in page.elements
    # Every id once, every internal link and label lands on one.
    assert [i for i, n in Counter(page.ids).items() if n > 1] == []
    assert set(page.refs) <= set(page.ids)


def test_docs_lists_every_operation_of_the_openapi_document_by_tag(docs: tuple[httpx.Response, Page, Any]) -> None:
    _, page, doc = docs
    operations = _operations(doc)
    assert len(operations) >= 14
    shown = [(a["data-method"], a["data-path"]) for tag, a in page.elements if tag == "section" and "data-path" in a]
    assert sorted(shown) == sorted((m, p) for m, p, _ in operations)
    for method, path, operation in operations:
        heading = page.text("h3", id=f"op-{method.lower()}-" + path.strip("/").replace("/", "-")
                            .replace("{", "").replace("}", ""))
        assert heading and path in heading[0] and operation["summary"] in heading[0], (method, path, heading)
    # Tags in the document's order, each with its description.
    tags = [a["data-tag"] for tag, a in page.elements if tag == "section" and "data-tag" in a]
    used = {op["tags"][0] for _, _, op in operations}
    assert tags == [t["name"] for t in doc["tags"] if t["name"] in used]
    assert set(tags) == used  # (every tag an operation names is described in the document)
    for tag in doc["tags"]:
        assert tag["description"] in page.text("div", **{"class": "tag-description"})
    # Every schema of the components has its table.
    assert {a["data-schema"] for tag, a in page.elements if "data-schema" in a} == set(doc["components"]["schemas"])


def test_a_parameters_constraints_and_the_documented_errors_are_shown(docs: tuple[httpx.Response, Page, Any]) -> None:
    _, page, doc = docs
    limit = doc["paths"]["/v1/officeholders"]["get"]["parameters"]
    assert {"name": "limit", "in": "query"}.items() <= next(p for p in limit if p["name"] == "limit").items()
    row = next(t for tag, a, t in page.texts if tag == "tr" and a.get("data-param") == "limit")
    assert row.startswith("limit truy vấn không số nguyên")
    assert "≥ 1" in row and "≤ 1000" in row and "mặc định 100" in row
    place = next(t for tag, a, t in page.texts if tag == "tr" and a.get("data-param") == "village_id")
    assert "đường dẫn có" in place and "tối đa 200 ký tự" in place
    # The responses of GET /v1/officeholders, the 404 with its stable code.
    section = _section(page, "GET", "/v1/officeholders")
    assert [s for s in ("200", "400", "404") if f'data-status="{s}"' in section] == ["200", "400", "404"]
    assert "Không tìm thấy." in section and ">not_found</code>" in section
    assert "application/problem+json" in section and 'href="#schema-ProblemPublic"' in section
    # A body: POST /v1/events, its media type, schema and examples.
    events = _section(page, "POST", "/v1/events")
    assert "application/json" in events and 'href="#schema-EnvelopeWire"' in events and "Ví dụ: Một lô" in events
    assert ">replay</code>" in events and 'data-status="413"' in events


def test_signed_reads_are_said_from_the_documents_security(docs: tuple[httpx.Response, Page, Any]) -> None:
    _, page, doc = docs
    scheme = doc["components"]["securitySchemes"]["httpSignature"]
    assert scheme["type"] == "apiKey" and scheme["in"] == "header" and scheme["name"] == "Signature"
    signed = {(m, p) for m, p, op in _operations(doc) if op.get("security")}
    assert signed == {("GET", "/v1/villages/{village_id}/history"), ("GET", "/v1/bundles/villages/{village_id}")}
    marks = {a["data-signed"] for tag, a in page.elements if tag == "p" and "data-signed" in a}
    assert marks == {"yes", "no"}
    history = _section(page, "GET", "/v1/villages/{village_id}/history")
    assert 'data-signed="yes"' in history and ">signature_missing</code>" in history
    assert 'data-signed="no"' in _section(page, "GET", "/v1/officeholders")
    assert "RFC 9421" in " ".join(page.text("dd"))


def _section(page: Page, method: str, path: str) -> str:
    """The HTML of one operation's section, as served."""
    start = page.html.index(f'data-method="{method}" data-path="{path}"')
    end = page.html.find('<section class="op"', start)
    return page.html[start:end if end > 0 else None]


def test_swagger_and_redoc_are_gone_and_the_document_stays(served_sqlite: Served) -> None:
    client = served_sqlite.client
    redoc = client.get("/redoc")
    assert redoc.status_code == 301 and redoc.headers["location"] == "/docs"
    followed = client.get("/redoc", follow_redirects=True)
    assert followed.status_code == 200 and "Tài liệu API" in followed.text and "redoc" not in followed.text.lower()
    for leftover in ("/docs/oauth2-redirect", "/docs/swagger-ui.css"):
        assert client.get(leftover).status_code == 404, leftover
        page = client.get(leftover, headers={"Accept": "text/html"})  # a browser gets the Vietnamese 404 page
        assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    document = client.get("/openapi.json")
    assert document.status_code == 200 and document.json()["info"]["title"] == "Dân tin"


def test_docs_is_cached_and_revalidated_by_etag(served_sqlite: Served) -> None:
    client = served_sqlite.client
    first = client.get("/docs")
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "no-cache" and etag.startswith('"')
    again = client.get("/docs", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert client.get("/docs", headers={"If-None-Match": '"other"'}).status_code == 200
    head = client.head("/docs")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == first.headers["content-length"] == str(len(first.content))


def test_descriptions_are_markdown_with_html_escaped_and_nothing_loaded() -> None:
    from api.web.apidocs import render  # (in process: a document of our own making)

    hostile = ('**Đậm** `mã` <script src="https://cdn.example/x.js"></script> ![ảnh](https://cdn.example/i.png) '
               "[liên kết](javascript:alert(1)) <img src=https://cdn.example/p.png>")
    doc = {"openapi": "3.1.0", "info": {"title": "T", "version": "1", "description": hostile},
           "paths": {"/x": {"get": {"summary": "<b>tóm tắt</b>", "description": hostile, "responses": {
               "200": {"description": hostile}}}}}}
    html = render(doc).body.decode()
    page = Page(html)
    assert [a for tag, a in page.elements if tag in ("script", "img")] == []
    assert not any(a.get("href", "").startswith("javascript:") for _, a in page.elements)
    assert "<strong>Đậm</strong> <code>mã</code> &lt;script" in html
    assert "&lt;b&gt;tóm tắt&lt;/b&gt;" in html
    assert 'data-method="GET" data-path="/x"' in html and 'data-tag="khác"' in html  # an untagged operation


# -- every text of the document a person reads is Vietnamese ------------------------------------------------

# Combining marks that NFD leaves from Vietnamese letters: grave, acute, circumflex, tilde, breve, hook above,
# horn, dot below (as tests/integration/test_refusals.py checks the refusals' messages).
_VI_MARKS = {"\u0300", "\u0301", "\u0302", "\u0303", "\u0306", "\u0309", "\u031b", "\u0323"}


def has_vietnamese_diacritics(text: str) -> bool:
    return "đ" in text.lower() or any(ch in _VI_MARKS for ch in unicodedata.normalize("NFD", text))


def _texts(node: Any, where: str) -> Iterator[tuple[str, str]]:
    """Every ``summary`` and ``description`` under ``node`` with where it stands; example values are data, not
    text (an example's own summary is text). ``title``s are left: pydantic makes them from the identifiers
    ("Leaf Index"), and /docs shows none."""
    if isinstance(node, list):
        for i, item in enumerate(node):
            yield from _texts(item, f"{where}[{i}]")
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key in ("summary", "description") and isinstance(value, str):
            yield f"{where}.{key}", value
        elif key == "examples" and isinstance(value, dict):  # a media type's named examples
            for name, example in value.items():
                yield from ((f"{where}.examples.{name}.{k}", example[k]) for k in ("summary", "description")
                            if isinstance(example.get(k), str))
        elif key not in ("example", "examples", "default", "const", "enum"):
            yield from _texts(value, f"{where}.{key}")


def test_every_text_of_the_openapi_document_is_vietnamese(tmp_path: Path) -> None:
    from api.app import create_app  # (in process: the document needs no ledger, only the routes)
    from api.settings import ApiSettings

    doc = create_app(ApiSettings(directory=tmp_path)).openapi()
    # The event contract's models (schemas.envelope) keep English words in their published JSON Schemas, for
    # outside tools; this document, read by people, says them in Vietnamese (api.openapi._CONTRACT_VI).
    contract: dict[str, Any] = {}
    schemas = doc["components"]["schemas"]
    assert {EnvelopeWire.__name__, SignatureWire.__name__} <= set(schemas)
    assert "Standard base64" in str(EnvelopeWire.model_json_schema())  # (the contract itself unchanged)
    texts = [*_texts({k: v for k, v in doc.items() if k != "components"}, "$"),
             *_texts({k: v for k, v in doc["components"].items() if k != "schemas"}, "$.components"),
             *_texts({k: v for k, v in schemas.items() if k not in contract}, "$.components.schemas")]
    assert len(texts) > 100
    english = [f"{where}: {text!r}" for where, text in texts if not has_vietnamese_diacritics(text)]
    assert not english, f"{len(english)} texts of /openapi.json are not Vietnamese:\n" + "\n".join(english)
    # Every operation is summed up, every parameter and every answer said.
    operations = _operations(doc)
    assert [(m, p) for m, p, op in operations if not op.get("summary")] == []
    assert [(m, p, q["name"]) for m, p, op in operations for q in op.get("parameters", ())
            if not q.get("description")] == []
    assert [(m, p, s) for m, p, op in operations for s, answer in op["responses"].items()
            if not answer.get("description")] == []
    # Every model the API defines says what it is.
    assert [name for name, schema in schemas.items() if name not in contract and not schema.get("description")] \
        == []
