"""The API reference at ``/docs``: the app's own OpenAPI document (``app.openapi()``) as a Vietnamese page.

FastAPI's Swagger UI and ReDoc load their scripts and stylesheets from a CDN: on the offline
machines the commissions use they were blank pages, and in English. This page is rendered on the
server from the same document ``/openapi.json`` serves, with our stylesheet only (no script, no
font, nothing from outside): every operation under its tag (in the document's tag order), its
parameters with their types and constraints, its request body, its responses with the problem
codes the document gives, whether it needs a signed request (its ``security``), and the schemas
it refers to as tables of fields. Descriptions are shown as written, as Markdown rendered by
markdown-it with raw HTML escaped and images off.

The document does not change while the application runs, so the page is rendered once per
application and served with a strong ETag (``Cache-Control: no-cache``: a browser keeps it and
asks again with ``If-None-Match``, and gets 304 until the server is upgraded).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from markdown_it import MarkdownIt
from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool

from api.web.pages import CSP, templates

router = APIRouter(include_in_schema=False)

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
WHERE_VI = {"path": "đường dẫn", "query": "truy vấn", "header": "trường tiêu đề", "cookie": "cookie"}
TYPES_VI = {"string": "chuỗi", "integer": "số nguyên", "number": "số", "boolean": "đúng/sai", "object": "đối tượng",
            "array": "mảng", "null": "null"}
# (keyword, how the page says it): the JSON Schema constraints, in the order they are listed.
CONSTRAINTS_VI = (
    ("minimum", "≥ {}"), ("exclusiveMinimum", "> {}"), ("maximum", "≤ {}"), ("exclusiveMaximum", "< {}"),
    ("multipleOf", "bội số của {}"), ("minLength", "ít nhất {} ký tự"), ("maxLength", "tối đa {} ký tự"),
    ("pattern", "khớp mẫu {}"), ("minItems", "ít nhất {} phần tử"), ("maxItems", "tối đa {} phần tử"),
    ("minProperties", "ít nhất {} trường"), ("maxProperties", "tối đa {} trường"),
)
UNTAGGED = "khác"

_markdown = MarkdownIt("commonmark", {"html": False}).disable("image")  # raw HTML is escaped; nothing is loaded


def markdown(text: str | None) -> Markup:
    """A description as written (CommonMark, raw HTML escaped); one paragraph is given without its ``<p>``."""
    if not text:
        return Markup("")
    html = _markdown.render(text).strip()
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]
    return Markup(html)  # noqa: S704 (markdown-it escapes the text; raw HTML is off)


def _code(value: Any) -> Markup:
    text = value if isinstance(value, str) and value else json.dumps(value, ensure_ascii=False)  # (the empty: "")
    return Markup("<code>{}</code>").format(text)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]+", "-", text).strip("-") or "-"


def schema_anchor(name: str) -> str:
    return "schema-" + _slug(name)


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _options(schema: dict[str, Any]) -> tuple[list[dict[str, Any]], bool, str] | None:
    """The branches of an ``anyOf``/``oneOf`` other than null, whether null is one, and the keyword."""
    for key in ("anyOf", "oneOf"):
        if isinstance(schema.get(key), list):
            branches = [b for b in schema[key] if isinstance(b, dict)]
            rest = [b for b in branches if b.get("type") != "null"]
            return rest, len(rest) < len(branches), key
    return None


def type_of(schema: Any) -> Markup:
    """A schema's type, said briefly: a named schema is a link to its table below."""
    if not isinstance(schema, dict) or not schema:
        return Markup("bất kỳ")
    if "$ref" in schema:
        name = _ref_name(str(schema["$ref"]))
        return Markup('<a href="#{}"><code>{}</code></a>').format(schema_anchor(name), name)
    found = _options(schema)
    if found is not None:
        rest, nullable, key = found
        said = Markup(" hoặc ").join(type_of(b) for b in rest) if rest else Markup("null")
        if len(rest) > 1:
            said = Markup("{} {}").format("đúng một trong:" if key == "oneOf" else "một trong:", said)
        return said + Markup(" hoặc null") if nullable and rest else said
    if isinstance(schema.get("allOf"), list):
        return Markup(" và ").join(type_of(b) for b in schema["allOf"])
    if "const" in schema:
        return Markup("đúng giá trị {}").format(_code(schema["const"]))
    if isinstance(schema.get("enum"), list):
        return Markup("một trong {}").format(Markup(", ").join(_code(v) for v in schema["enum"]))
    kind = schema.get("type")
    if isinstance(kind, list):
        return Markup(" hoặc ").join(type_of({**schema, "type": k}) for k in kind)
    if kind == "array":
        items = schema.get("items")
        return Markup("mảng các {}").format(type_of(items)) if items else Markup("mảng")
    if kind == "object" or "properties" in schema:
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and not schema.get("properties"):
            return Markup("đối tượng (mỗi khóa một {})").format(type_of(extra))
        names = list(schema.get("properties", {}))
        if names:
            return Markup("đối tượng với {}").format(Markup(", ").join(_code(n) for n in names))
        return Markup("đối tượng")
    said = escape(TYPES_VI.get(str(kind), str(kind))) if kind else Markup("bất kỳ")
    if schema.get("format"):
        said += Markup(", định dạng {}").format(_code(schema["format"]))
    return said


def constraints_of(schema: Any, *, examples: bool = True) -> list[Markup]:
    """A schema's constraints, default and examples, said in Vietnamese (also those of its one non-null branch)."""
    if not isinstance(schema, dict):
        return []
    layers = [schema]
    found = _options(schema)
    if found is not None and len(found[0]) == 1:
        layers.append(found[0][0])
    said: list[Markup] = []
    for layer in layers:
        for key, text in CONSTRAINTS_VI:
            if key in layer:
                said.append(escape(text).format(_code(layer[key])))
        if layer.get("uniqueItems"):
            said.append(Markup("các phần tử khác nhau"))
        extra = layer.get("additionalProperties")
        if extra is False and layer.get("properties"):
            said.append(Markup("không nhận trường nào khác"))
        elif isinstance(extra, dict) and layer.get("properties"):
            said.append(Markup("các trường khác: {}").format(type_of(extra)))
        if layer.get("readOnly"):
            said.append(Markup("chỉ đọc"))
        if layer.get("writeOnly"):
            said.append(Markup("chỉ ghi"))
        if layer.get("deprecated"):
            said.append(Markup("đã lỗi thời"))
    if "default" in schema:
        said.append(Markup("mặc định {}").format(_code(schema["default"])))
    if examples and isinstance(schema.get("examples"), list) and schema["examples"]:
        shown = [e for e in schema["examples"] if not isinstance(e, dict | list)]
        if shown:
            said.append(Markup("ví dụ {}").format(Markup(", ").join(_code(e) for e in shown)))
    return said


@dataclass
class Row:
    """A parameter or a field of a schema."""

    name: str
    type: Markup
    required: bool
    constraints: list[Markup]
    description: Markup
    where: str = ""


@dataclass
class Example:
    label: str
    text: str


@dataclass
class Media:
    media_type: str
    schema: Markup
    fields: list[Row]
    examples: list[Example]


@dataclass
class Answer:
    status: str
    description: Markup
    media: list[Media]
    codes: list[str]
    headers: list[Row]


@dataclass
class Security:
    name: str
    description: Markup


@dataclass
class Operation:
    anchor: str
    method: str
    path: str
    summary: str
    description: Markup
    deprecated: bool
    signed: list[list[Security]]  # alternatives (any one of them), each a list of schemes (all of them)
    signing_optional: bool
    parameters: list[Row]
    body_required: bool = False
    body_description: Markup = field(default_factory=Markup)
    body: list[Media] = field(default_factory=list)
    responses: list[Answer] = field(default_factory=list)


@dataclass
class Tag:
    name: str
    anchor: str
    description: Markup
    operations: list[Operation] = field(default_factory=list)


@dataclass
class Schema:
    name: str
    anchor: str
    description: Markup
    type: Markup
    constraints: list[Markup]
    fields: list[Row]
    examples: list[Example]


def _example_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, indent=2)


def _examples(holder: dict[str, Any]) -> list[Example]:
    found = []
    if "example" in holder:
        found.append(Example("Ví dụ", _example_text(holder["example"])))
    named = holder.get("examples")
    if isinstance(named, dict):
        for name, item in named.items():
            if isinstance(item, dict) and "value" in item:
                found.append(Example(f"Ví dụ: {item.get('summary') or name}", _example_text(item["value"])))
    elif isinstance(named, list):  # (JSON Schema's ``examples``, in a schema)
        found.extend(Example(f"Ví dụ {i}" if len(named) > 1 else "Ví dụ", _example_text(v))
                     for i, v in enumerate(named, 1))
    return found


def _fields(schema: Any) -> list[Row]:
    if not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict):
        return []
    required = set(schema.get("required", ()))
    return [Row(name, type_of(prop), name in required, constraints_of(prop), markdown(prop.get("description")))
            for name, prop in schema["properties"].items() if isinstance(prop, dict)]


def _media(content: dict[str, Any]) -> list[Media]:
    return [Media(media_type, type_of(item.get("schema")),
                  _fields(item.get("schema")) if "$ref" not in item.get("schema", {}) else [], _examples(item))
            for media_type, item in content.items() if isinstance(item, dict)]


def _codes(content: dict[str, Any]) -> list[str]:
    """The stable problem codes the response's examples give (``code`` of a problem document)."""
    codes: list[str] = []
    for item in content.values():
        values = [item.get("example")] if isinstance(item, dict) else []
        if isinstance(item, dict) and isinstance(item.get("examples"), dict):
            values += [e.get("value") for e in item["examples"].values() if isinstance(e, dict)]
        for value in values:
            if isinstance(value, dict) and isinstance(value.get("code"), str) and value["code"] not in codes:
                codes.append(value["code"])
    return codes


def _security(doc: dict[str, Any], operation: dict[str, Any]) -> tuple[list[list[Security]], bool]:
    schemes = doc.get("components", {}).get("securitySchemes", {})
    requirements = operation.get("security", doc.get("security", []))
    alternatives = [[Security(name, markdown(schemes.get(name, {}).get("description")) or escape(name))
                     for name in requirement] for requirement in requirements if isinstance(requirement, dict)]
    signed = [a for a in alternatives if a]
    return signed, bool(signed) and len(signed) < len(alternatives)  # an empty requirement: signing is optional


def _operation(doc: dict[str, Any], method: str, path: str, operation: dict[str, Any]) -> Operation:
    signed, optional = _security(doc, operation)
    parameters = [Row(str(p.get("name")), type_of(p.get("schema")), bool(p.get("required")),
                      constraints_of(p.get("schema")), markdown(p.get("description")),
                      WHERE_VI.get(str(p.get("in")), str(p.get("in"))))
                  for p in operation.get("parameters", ()) if isinstance(p, dict) and "$ref" not in p]
    found = Operation(f"op-{method}-" + _slug(path), method.upper(), path,
                      str(operation.get("summary") or ""), markdown(operation.get("description")),
                      bool(operation.get("deprecated")), signed, optional, parameters)
    body = operation.get("requestBody")
    if isinstance(body, dict):
        found.body_required = bool(body.get("required"))
        found.body_description = markdown(body.get("description"))
        found.body = _media(body.get("content", {}))
    for status, answer in operation.get("responses", {}).items():
        content = answer.get("content", {})
        headers = [Row(name, type_of(h.get("schema")), bool(h.get("required")), constraints_of(h.get("schema")),
                       markdown(h.get("description"))) for name, h in answer.get("headers", {}).items()]
        codes = _codes(content) if str(status)[:1] in ("4", "5") else []
        found.responses.append(Answer(str(status), markdown(answer.get("description")), _media(content), codes,
                                      headers))
    return found


def reference(doc: dict[str, Any]) -> dict[str, Any]:
    """What the page shows, read from an OpenAPI document."""
    tags: dict[str, Tag] = {}
    for tag in doc.get("tags", ()):
        tags[tag["name"]] = Tag(tag["name"], "tag-" + _slug(tag["name"]),
                                markdown(tag.get("description")))
    for path, operations in doc.get("paths", {}).items():
        for method in METHODS:
            operation = operations.get(method)
            if not isinstance(operation, dict):
                continue
            name = (operation.get("tags") or [UNTAGGED])[0]  # an operation is listed under its first tag
            if name not in tags:
                tags[name] = Tag(name, "tag-" + _slug(name), Markup(""))
            tags[name].operations.append(_operation(doc, method, path, operation))
    schemas = [Schema(name, schema_anchor(name), markdown(s.get("description")), type_of({**s, "properties": {}}),
                      constraints_of(s, examples=False), _fields(s), _examples(s))
               for name, s in sorted(doc.get("components", {}).get("schemas", {}).items()) if isinstance(s, dict)]
    schemes = [Security(name, markdown(s.get("description")))
               for name, s in doc.get("components", {}).get("securitySchemes", {}).items()]
    info = doc.get("info", {})
    return {"info": info, "description": markdown(info.get("description")), "openapi": doc.get("openapi", ""),
            "tags": [t for t in tags.values() if t.operations], "schemas": schemas, "schemes": schemes,
            "active": "docs"}


@dataclass(frozen=True)
class Page:
    body: bytes
    etag: str


def render(doc: dict[str, Any], read_only: bool = False) -> Page:
    # (no request in the context: rendered once; a copy served read only says so, as every page does)
    body = templates.get_template("api_docs.html").render({**reference(doc), "read_only": read_only}).encode()
    return Page(body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')


def _matches(if_none_match: str, etag: str) -> bool:
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or etag in tags


@router.get("/docs")
async def api_docs(request: Request) -> Response:
    page: Page | None = getattr(request.app.state, "api_docs", None)
    if page is None:  # rendered once: the document does not change while the application runs
        services = getattr(request.app.state, "services", None)
        page = await run_in_threadpool(render, request.app.openapi(),
                                       bool(services is not None and services.settings.read_only))
        request.app.state.api_docs = page
    headers = {"ETag": page.etag, "Cache-Control": "no-cache", "Content-Security-Policy": CSP,
               "X-Content-Type-Options": "nosniff", "Content-Language": "vi"}
    if _matches(request.headers.get("if-none-match", ""), page.etag):
        return Response(status_code=304, headers=headers)
    return Response(page.body, media_type="text/html; charset=utf-8", headers=headers)


@router.get("/redoc")
async def redoc() -> Response:
    """ReDoc was the other CDN page: its address leads to the reference."""
    return RedirectResponse("/docs", status_code=301)
