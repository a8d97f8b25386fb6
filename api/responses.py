"""JSON answers serialised once, by orjson or pydantic, and sent as bytes (no second encoding pass).

Routes keep their ``response_model`` (for OpenAPI); returning a ``Response`` skips FastAPI's
re-validation and its stdlib ``json.dumps``. The bytes are the same JSON the model would give.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from pydantic import BaseModel
from starlette.responses import Response

JSON = "application/json"


def json_bytes(content: bytes, status_code: int = 200, headers: Mapping[str, str] | None = None,
               media_type: str = JSON) -> Response:
    """An answer whose body is already JSON."""
    return Response(content, status_code=status_code, headers=headers, media_type=media_type)


def json_response(content: Any, status_code: int = 200, headers: Mapping[str, str] | None = None,
                  media_type: str = JSON) -> Response:
    """Plain data (dicts, lists, str, int, None) as JSON, like ``JSONResponse`` but by orjson."""
    return Response(orjson.dumps(content), status_code=status_code, headers=headers, media_type=media_type)


def model_json(model: BaseModel) -> bytes:
    """A wire model as FastAPI sends a ``response_model``: JSON by alias, every field."""
    return model.__pydantic_serializer__.to_json(model, by_alias=True)


def model_response(model: BaseModel, status_code: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """A wire model as FastAPI sends a ``response_model``."""
    return Response(model_json(model), status_code=status_code, headers=headers, media_type=JSON)
