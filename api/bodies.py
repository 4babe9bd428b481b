"""JSON request bodies, read within a size limit, and their geometries within a vertex count."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import Depends, Request

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


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 by its Content-Length or once `limit` bytes arrived."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise body_too_large(limit)
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise body_too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


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
