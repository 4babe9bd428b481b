"""A bare ASGI app answering the first page and one feature with quyhoach's own statements.

No framework and no middleware: the HTTP server (uvicorn, as quyhoach is served), the async read
pool (`gis.adb`) and the statements of `layers.features`, nothing else. `make bench` runs it
beside quyhoach and the floor to show what Python and HTTP alone cost per request on this
machine, the part of quyhoach's time that no change to its own code can remove.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

import orjson

from core.settings import Settings
from gis.adb import AsyncReadPool
from layers import features
from layers.registry import LAYERS

_pool: AsyncReadPool | None = None


async def _lifespan(receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _body(path: str, query: bytes) -> tuple[int, bytes]:
    global _pool
    if _pool is None:
        settings = Settings()
        _pool = AsyncReadPool(settings.database_url or "", settings)
    parts = path.strip("/").split("/")
    if parts[:1] == ["conformance"]:
        return 200, b"{}"
    if len(parts) < 3 or parts[0] != "collections" or parts[2] != "items":
        return 404, b"{}"
    spec = LAYERS[parts[1].removeprefix("public.")]
    if len(parts) == 4:
        found = await features.item_async(_pool, spec, int(parts[3]), features.Query())
        return (200, found[0]) if found else (404, b"{}")
    limit = int(parse_qs(query.decode()).get("limit", ["100"])[0])
    matched, returned, feats = await features.items_async(_pool, spec, features.Query(limit=limit))
    head = orjson.dumps({"type": "FeatureCollection", "numberMatched": matched,
                         "numberReturned": returned})
    return 200, b"".join((head[:-1], b',"features":[', feats, b"]}"))


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The ASGI application."""
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    status, body = await _body(scope["path"], scope.get("query_string", b""))
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/geo+json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
