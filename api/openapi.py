"""The OpenAPI document: problem responses per route, and the schemas routes reference by hand
(``POST /v1/events`` reads its body itself, to judge a batch envelope by envelope)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from api import examples as ex
from api.models import BatchResultPublic, EventBatchCreate, ProblemPublic, ReceiptPublic
from schemas.envelope import EnvelopeWire

REF = "#/components/schemas/{model}"

_DESCRIPTIONS = {
    400: "Yêu cầu không hợp lệ (tham số sai hoặc gửi hơn một lần, nội dung không phải JSON).",
    401: "Thiếu chữ ký yêu cầu, hoặc chữ ký sai, hết hạn, dùng lại (RFC 9421).",
    403: "Cơ quan ký không có quyền đọc, hoặc địa bàn ngoài thẩm quyền.",
    404: "Không tìm thấy.",
    409: "Xung đột: phong bì đã được ghi nhận (kèm biên nhận gốc), hoặc chưa có checkpoint đủ nhân chứng.",
    413: "Nội dung gửi lên quá lớn.",
    422: "Bị từ chối: nội dung, chữ ký hoặc thẩm quyền không hợp lệ; không có gì được lưu.",
    500: "Không tính được thông tin của thôn này (village_unavailable): chương trình đánh giá gặp lỗi với hồ sơ "
         "của thôn; sổ cái không bị ảnh hưởng, các thôn khác vẫn được trả lời.",
    503: "Sổ cái tạm thời không sẵn sàng.",
}
_EXAMPLES: dict[int, dict[str, Any]] = {
    400: {"type": "https://dantin.qng/problems/invalid_request", "title": "Yêu cầu không hợp lệ", "status": 400,
          "detail": "Tham số không hợp lệ tại query.index.", "code": "invalid_request"},
    401: {"type": "https://dantin.qng/problems/signature_missing", "title": "Chữ ký yêu cầu không hợp lệ",
          "status": 401, "detail": "Dữ liệu này chỉ dành cho cơ quan có thẩm quyền: yêu cầu phải được ký "
          "(RFC 9421: trường Signature-Input và Signature).", "code": "signature_missing"},
    403: {"type": "https://dantin.qng/problems/read_outside_jurisdiction", "title": "Không có quyền đọc",
          "status": 403, "detail": "Địa bàn 'qng.bato.badien.lang-ma' nằm ngoài thẩm quyền 'qng.sontinh' của "
          "'qng.sontinh/inspection'.", "code": "read_outside_jurisdiction"},
    404: {"type": "https://dantin.qng/problems/not_found", "title": "Không tìm thấy", "status": 404,
          "detail": "Địa bàn 'qng.bato.khong-co' chưa được đăng ký.", "code": "not_found"},
    409: ex.PROBLEM_REPLAY,
    413: {"type": "https://dantin.qng/problems/body_too_large", "title": "Nội dung gửi lên quá lớn", "status": 413,
          "detail": "Nội dung gửi lên vượt quá giới hạn 1048576 byte.", "code": "body_too_large"},
    422: ex.PROBLEM,
    500: {"type": "https://dantin.qng/problems/village_unavailable",
          "title": "Không tính được thông tin của thôn/tổ dân phố", "status": 500,
          "detail": "Không tính được kết luận của thôn/tổ dân phố 'qng.bato.badien.lang-ma': chương trình đánh giá "
          "gặp lỗi với hồ sơ của thôn này (ZeroDivisionError). Sổ cái không bị ảnh hưởng và các thôn khác vẫn tra "
          "cứu được; hãy báo lỗi này cho người vận hành.", "code": "village_unavailable"},
    503: {"type": "https://dantin.qng/problems/log_unavailable", "title": "Không có nhật ký", "status": 503,
          "detail": "Sổ cái này không có nhật ký Merkle.", "code": "log_unavailable"},
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entries for problem answers (``application/problem+json``)."""
    return {s: {"description": _DESCRIPTIONS[s],
                "content": {"application/problem+json": {"schema": {"$ref": REF.format(model="ProblemPublic")},
                                                         "example": _EXAMPLES[s]}}}
            for s in statuses}


def read_only() -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` entry of a write refused by a copy served read only (``dantin serve --read-only``)."""
    return {403: {"description": "Máy chủ này phục vụ một bản sổ cái chỉ đọc (dantin serve --read-only, hoặc sổ cái "
                                 "ở nơi chỉ đọc): không nhận ghi gì.",
                  "content": {"application/problem+json": {"schema": {"$ref": REF.format(model="ProblemPublic")},
                                                           "example": _READ_ONLY_EXAMPLE}}}}


_READ_ONLY_EXAMPLE = {"type": "https://dantin.qng/problems/read_only", "title": "Sổ cái chỉ đọc", "status": 403,
                      "detail": "Sổ cái đang được mở chỉ để đọc (kiểm tra): không ghi được gì vào đó.",
                      "code": "read_only"}


def ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}


EVENTS_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "Một phong bì đã ký (DSSE), hoặc một lô: {\"envelopes\": [...]} hay một mảng JSON.",
        "content": {"application/json": {
            "schema": {"anyOf": [ref(EnvelopeWire), ref(EventBatchCreate),
                                 {"type": "array", "items": ref(EnvelopeWire), "minItems": 1}]},
            "examples": {"one": {"summary": "Một phong bì", "value": ex.ENVELOPE},
                         "batch": {"summary": "Một lô", "value": {"envelopes": [ex.ENVELOPE]}}},
        }},
    },
}
EVENTS_RESPONSES: dict[int | str, dict[str, Any]] = {
    201: {"description": "Đã ghi: biên nhận (một phong bì) hoặc kết quả từng phong bì (lô, tất cả được ghi).",
          "content": {"application/json": {"schema": {"anyOf": [ref(ReceiptPublic), ref(BatchResultPublic)]},
                                           "examples": {"one": {"value": ex.RECEIPT}}}}},
    200: {"description": "Lô được ghi một phần: kết quả từng phong bì, theo thứ tự (status 201/409/422).",
          "content": {"application/json": {"schema": ref(BatchResultPublic), "example": ex.BATCH}}},
    **problems(400, 409, 413, 422, 503),
    **read_only(),
}
# A batch of which nothing was stored answers 409 (every envelope already recorded) or 422, with its results.
for _status in (409, 422):
    EVENTS_RESPONSES[_status]["description"] += " Với một lô không ghi được phong bì nào: kết quả từng phong bì."
    EVENTS_RESPONSES[_status]["content"]["application/json"] = {"schema": ref(BatchResultPublic)}

COSIGNATURE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "Một dòng chữ ký nhân chứng (C2SP tlog-cosignature), hoặc ghi chú checkpoint kèm các dòng đó.",
        "content": {"text/plain": {"schema": {"type": "string"}, "example": ex.COSIGNATURE_LINE}},
    },
}

#: Models the hand-written parts above reference; added to the components.
_REFERENCED: tuple[type[BaseModel], ...] = (EnvelopeWire, EventBatchCreate, ReceiptPublic, BatchResultPublic,
                                            ProblemPublic)


#: The restricted reads' requirement: an RFC 9421 request signature (``api.deps.ReaderDep``). OpenAPI has no
#: scheme for HTTP Message Signatures; an ``apiKey`` in the ``Signature`` field is the nearest, and its
#: description says what is really asked.
SIGNED_READ = "httpSignature"
SECURITY_SCHEMES: dict[str, dict[str, Any]] = {SIGNED_READ: {
    "type": "apiKey", "in": "header", "name": "Signature",
    "description": "Yêu cầu được ký theo RFC 9421 (HTTP Message Signatures) bằng một khóa Ed25519 đã đăng ký của "
                   "một cơ quan có quyền đọc (ủy ban kiểm tra, mặt trận xã, đảng ủy xã, ban thường vụ huyện ủy, gốc), "
                   "trong thẩm quyền của cơ quan đó: trường `Signature-Input` và `Signature`, phủ `@method`, "
                   "`@target-uri`, `@authority` và trường `Dantin-Body` (mã cơ quan đọc), có `created`, `expires`, "
                   "`nonce` và `keyid`. Lệnh `dantin fetch` ký sẵn như vậy. Thiếu hoặc sai chữ ký: 401; "
                   "không có quyền: 403.",
}}
SUCCESS_VI = "Thành công."


def _mark_signed(schema: dict[str, Any]) -> None:
    """The operations that read the request's ``Signature`` field (``ReaderDep``) require a signed request, said
    as OpenAPI says it: a security requirement, and the scheme among the components."""
    signed = False
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            if any(p.get("in") == "header" and p.get("name") == "Signature" for p in operation.get("parameters", ())):
                operation["security"] = [{SIGNED_READ: []}]
                signed = True
    if signed:
        schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES


def _success_in_vietnamese(schema: dict[str, Any]) -> None:
    """FastAPI's default description of a success ("Successful Response") said in Vietnamese."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for response in operation.get("responses", {}).values():
                if response.get("description") == "Successful Response":
                    response["description"] = SUCCESS_VI


def _validation_is_400(schema: dict[str, Any]) -> None:
    """Parameter validation errors are 400 problems here (``api.problems``), not FastAPI's 422 shape."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.get("responses", {})
            if "HTTPValidationError" in str(responses.get("422", "")):
                del responses["422"]
                responses.setdefault("400", problems(400)[400])
    for name in ("HTTPValidationError", "ValidationError"):
        schema.get("components", {}).get("schemas", {}).pop(name, None)


#: The envelope's models come from the event contract (``schemas.envelope``), whose published JSON
#: Schemas keep their English words for outside tools; this document, read by people, says them so.
_CONTRACT_VI: dict[str, tuple[str, dict[str, str]]] = {
    "EnvelopeWire": ("Phong bì DSSE mang đúng một chữ ký.", {
        "payloadType": "Kiểu nội dung ký: application/vnd.dantin.event+json; version=1.",
        "payload": "Nội dung ký (statement, JSON chuẩn tắc RFC 8785), mã hóa base64 chuẩn.",
        "signatures": "Đúng một chữ ký.",
    }),
    "SignatureWire": ("Một chữ ký Ed25519 trên phong bì.", {
        "keyid": "Mã khóa ký (32 ký tự hex), phải trùng với key trong nội dung ký.",
        "sig": "Chữ ký Ed25519 64 byte, mã hóa base64 chuẩn.",
    }),
}


def _contract_in_vietnamese(components: dict[str, Any]) -> None:
    for name, (description, fields) in _CONTRACT_VI.items():
        schema = components.get(name)
        if schema is None:
            continue
        schema["description"] = description
        for field, text in fields.items():
            if field in schema.get("properties", {}):
                schema["properties"][field]["description"] = text


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes,
                             tags=app.openapi_tags)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        _validation_is_400(schema)
        _mark_signed(schema)
        _success_in_vietnamese(schema)
        for model in _REFERENCED:
            found = model.model_json_schema(ref_template=REF, mode="serialization")
            for name, definition in found.pop("$defs", {}).items():
                components.setdefault(name, definition)
            components.setdefault(model.__name__, found)
        _contract_in_vietnamese(components)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
