"""JSON request bodies, read within a size limit, and their geometries within a vertex count."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import Depends, Request
from starlette.datastructures import FormData
from starlette.types import Message

from core.errors import InvalidParameterError, PayloadTooLargeError
from layers.plans import check_vertices


def _size_text(limit: int) -> str:
    if limit >= 1024 * 1024:
        return f"{limit / 1024 / 1024:.3g} MB"
    return f"{max(1, limit // 1024)} KB"


def body_too_large(limit: int) -> PayloadTooLargeError:
    """The 413 of a request body over `limit` bytes."""
    size = _size_text(limit)
    return PayloadTooLargeError(f"Nội dung gửi lên vượt quá giới hạn {size}.",
                                f"The request body exceeds the limit of {size}.")


def limited(request: Request, limit: int) -> Request:
    """The request, its body refused with 413 by its Content-Length or once `limit` bytes arrive."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise body_too_large(limit)
    received = 0
    receive = request.receive

    async def counting() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise body_too_large(limit)
        return message

    return Request(request.scope, counting)


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, at most `limit` bytes (413 beyond)."""
    return await limited(request, limit).body()


async def form_body(request: Request, limit: int, max_files: int, max_fields: int) -> FormData:
    """The multipart form, at most `limit` bytes (413 beyond); 400 when it is not multipart."""
    try:
        return await limited(request, limit).form(max_files=max_files, max_fields=max_fields)
    except PayloadTooLargeError:
        raise
    except Exception as exc:  # malformed multipart bodies
        raise InvalidParameterError(
            "Cần gửi dạng multipart/form-data với trường 'file'.",
            "Send multipart/form-data with a 'file' field.", detail=str(exc)) from None


async def json_body(request: Request) -> Any:
    """The posted JSON document, at most `body_max_bytes` long."""
    raw = await read_body(request, request.app.state.settings.body_max_bytes)
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidParameterError("Nội dung gửi lên không phải JSON hợp lệ.",
                                    "The request body is not valid JSON.", detail=str(exc)) from None


async def geojson_body(request: Request) -> Any:
    """The posted GeoJSON document, also refused beyond `geometry_max_vertices` positions."""
    doc = await json_body(request)
    check_vertices(doc, request.app.state.settings.geometry_max_vertices)
    return doc


JSONBody = Annotated[Any, Depends(json_body)]
GeoJSONBody = Annotated[Any, Depends(geojson_body)]


def json_request_body(description: str) -> dict[str, Any]:
    """OpenAPI of a JSON request body read by `json_body` (FastAPI cannot see it)."""
    return {"requestBody": {"required": True, "description": description, "content": {
        "application/json": {"schema": {"type": "object"}},
        "application/geo+json": {"schema": {"type": "object"}}}}}
