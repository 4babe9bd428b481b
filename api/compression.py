"""Response compression: brotli or gzip for JSON, GeoJSON, vector tiles and text.

Pure ASGI, so streamed bodies still stream (each chunk is compressed and flushed as it comes).
Only bodies of a compressible type are touched: images, PDFs, spreadsheets and archives are
compressed already. A compressed response is marked `Vary: Accept-Encoding` (so is the identity
answer of a compressible type, which a cache must not hand to a client asking for gzip), and a
strong ETag on it becomes weak: the same validator never names two different byte sequences.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

from anyio import to_thread
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

try:  # brotli is a declared dependency; without it the service still answers with gzip
    import brotli
except ImportError:  # pragma: no cover
    brotli = None

MIN_SIZE = 1024  # below this the encoding's overhead costs more than it saves
THREAD_SIZE = 256 * 1024  # larger bodies are compressed off the event loop
GZIP_LEVEL = 5
BROTLI_QUALITY = 5  # close to gzip's speed at this level, 15-25 % smaller
COMPRESSIBLE_TYPES = frozenset({
    "application/json", "application/geo+json", "application/vnd.mapbox-vector-tile",
    "application/javascript", "application/xml", "image/svg+xml",
})
NOT_COMPRESSED_STATUS = frozenset({204, 206, 304})


def compressible(content_type: str) -> bool:
    """Whether a media type is worth compressing (text, JSON, XML, vector tiles)."""
    media = content_type.split(";", 1)[0].strip().lower()
    return (media in COMPRESSIBLE_TYPES or media.startswith("text/")
            or media.endswith(("+json", "+xml")))


def choose_encoding(accept_encoding: str, with_brotli: bool = brotli is not None) -> str | None:
    """The encoding to answer with for an Accept-Encoding header: br, gzip or None (identity)."""
    weights: dict[str, float] = {}
    for part in accept_encoding.split(","):
        name, *params = (p.strip() for p in part.split(";"))
        weight = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if name:
            weights[name.lower()] = weight
    star = weights.get("*", 0.0)
    offered = ("br", "gzip") if with_brotli else ("gzip",)
    best, best_weight = None, 0.0
    for encoding in offered:  # on equal weights the first (brotli) wins
        weight = weights.get(encoding, star)
        if weight > best_weight:
            best, best_weight = encoding, weight
    return best


class _Stream:
    """One compressor for a streamed body."""

    def __init__(self, encoding: str) -> None:
        self.brotli = brotli.Compressor(quality=BROTLI_QUALITY) if encoding == "br" else None
        self.gzip = None if self.brotli else zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)

    def chunk(self, data: bytes, last: bool) -> bytes:
        """Compress a chunk and flush it, so the client gets it now."""
        if self.brotli is not None:
            out = self.brotli.process(data)
            return out + (self.brotli.finish() if last else self.brotli.flush())
        assert self.gzip is not None
        out = self.gzip.compress(data)
        return out + self.gzip.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)


def compress(data: bytes, encoding: str) -> bytes:
    """A whole body in one encoding (gzip with a zero timestamp: the same bytes every time)."""
    return _Stream(encoding).chunk(data, last=True)


def _add_vary(headers: MutableHeaders) -> None:
    vary = headers.get("vary", "")
    names = {v.strip().lower() for v in vary.split(",")}
    if "*" not in names and "accept-encoding" not in names:
        headers["vary"] = f"{vary}, Accept-Encoding" if vary else "Accept-Encoding"


def _mark_encoded(headers: MutableHeaders, encoding: str) -> None:
    headers["content-encoding"] = encoding
    etag = headers.get("etag")
    if etag and not etag.startswith("W/"):
        headers["etag"] = "W/" + etag
    if "accept-ranges" in headers:
        del headers["accept-ranges"]  # byte ranges would count the identity body's bytes


class CompressionMiddleware:
    """Compress responses of compressible types for clients that accept br or gzip."""

    def __init__(self, app: ASGIApp, minimum_size: int = MIN_SIZE) -> None:
        self.app = app
        self.minimum_size = minimum_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; compress its response on the way back when it is worth it."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        encoding = choose_encoding(Headers(scope=scope).get("accept-encoding", ""))
        await self.app(scope, receive, _Responder(send, encoding, self.minimum_size))


class _Responder:
    """The `send` of one response: holds its start until the first body chunk decides."""

    def __init__(self, send: Send, encoding: str | None, minimum_size: int) -> None:
        self.send = send
        self.encoding = encoding
        self.minimum_size = minimum_size
        self.start: Message | None = None
        self.stream: _Stream | None = None

    async def __call__(self, message: Message) -> None:
        """Forward one ASGI message, compressing body chunks when the response is chosen."""
        kind = message["type"]
        if kind == "http.response.start":
            await self._on_start(message)
        elif kind == "http.response.body" and self.start is not None:
            await self._on_first_body(message)
        elif kind == "http.response.body" and self.stream is not None:
            more = message.get("more_body", False)
            body = await self._run(self.stream.chunk, message.get("body", b""), not more)
            await self.send({"type": kind, "body": body, "more_body": more})
        else:
            if self.start is not None:  # another kind of body (a path to send): leave it be
                await self.send(self.start)
                self.start = None
            await self.send(message)

    async def _on_start(self, message: Message) -> None:
        headers = MutableHeaders(scope=message)
        if (message["status"] in NOT_COMPRESSED_STATUS or message["status"] < 200
                or "content-encoding" in headers
                or not compressible(headers.get("content-type", ""))):
            await self.send(message)
            return
        _add_vary(headers)
        if self.encoding is None:
            await self.send(message)
            return
        self.start = message

    async def _on_first_body(self, message: Message) -> None:
        start, self.start = self.start, None
        assert start is not None and self.encoding is not None
        headers = MutableHeaders(scope=start)
        body: bytes = message.get("body", b"")
        more = message.get("more_body", False)
        if not more:
            packed = (await self._run(compress, body, self.encoding)
                      if len(body) >= self.minimum_size else body)
            if len(packed) < len(body):
                _mark_encoded(headers, self.encoding)
                headers["content-length"] = str(len(packed))
                body = packed
            await self.send(start)
            await self.send({"type": "http.response.body", "body": body, "more_body": False})
            return
        length = headers.get("content-length")
        if length is not None and length.isdigit() and int(length) < self.minimum_size:
            await self.send(start)
            await self.send(message)
            return
        self.stream = _Stream(self.encoding)
        _mark_encoded(headers, self.encoding)
        if "content-length" in headers:
            del headers["content-length"]
        await self.send(start)
        body = await self._run(self.stream.chunk, body, False)
        await self.send({"type": "http.response.body", "body": body, "more_body": True})

    @staticmethod
    async def _run(fn: Callable[..., bytes], data: bytes, *args: object) -> bytes:
        if len(data) >= THREAD_SIZE:
            return await to_thread.run_sync(fn, data, *args)
        return fn(data, *args)
