"""Structured logs: one JSON object per line on stderr (English; people read the HTTP answers).

A record's fields come from ``extra={FIELDS: {...}}`` when given (the request log: no JSON
round trip per request), else from a message that is a JSON object, else the message itself.
"""

from __future__ import annotations

import logging
import sys
import time

import orjson

FIELDS = "dantin_fields"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = getattr(record, FIELDS, None)
        if not isinstance(line, dict):
            message = record.getMessage()
            try:
                line = orjson.loads(message) if message.startswith("{") else {"message": message}
            except orjson.JSONDecodeError:
                line = {"message": message}
            if not isinstance(line, dict):
                line = {"message": message}
        out = {"ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
               "level": record.levelname.lower(), "logger": record.name, **line}
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(out).decode()


def configure(level: str = "info") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
