"""Security headers on every response: a strict Content-Security-Policy, nosniff, referrer policy.

Pages run only scripts served by the service itself, plus the inline `<script>` blocks their
builder stamped with the response's nonce (Folium writes its map set-up inline, with names that
change on every render, so hashes would have to be taken from each finished page; a hash of the
finished page would also bless a script that an escaping mistake let in, a nonce does not).
Styles allow 'unsafe-inline': Folium writes `<style>` blocks into the page, Leaflet's and the
panels' markup carries `style` attributes and Redoc injects its styles at run time; a style
cannot run a script, and every user-supplied string reaches the page as text anyway. Workers
may come from blob: URLs because Redoc builds its search worker that way.
"""

from __future__ import annotations

import secrets

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.settings import Settings
from maps.export import tile_origin

NONCE_KEY = "csp_nonce"

# Headers of every response.
COMMON_HEADERS: list[tuple[bytes, bytes]] = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
]
# Responses that are not documents only need to refuse being framed elsewhere.
OTHER_POLICY = b"frame-ancestors 'self'"
# Documents a browser may run scripts in.
DOCUMENT_TYPES = (b"text/html", b"image/svg+xml", b"application/xhtml+xml", b"text/xml",
                  b"application/xml")


def content_security_policy(settings: Settings, nonce: str | None = None) -> str:
    """The policy of the service's pages; `nonce` allows the inline scripts stamped with it."""
    basemap = tile_origin(settings.basemap_url)
    scripts = "'self'" + (f" 'nonce-{nonce}'" if nonce else "")
    images = "'self' data: blob:" + (f" {basemap}" if basemap else "")
    return "; ".join((
        "default-src 'self'",
        f"script-src {scripts}",
        "script-src-attr 'none'",
        "style-src 'self' 'unsafe-inline'",
        f"img-src {images}",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    ))


def csp_nonce(request: Request) -> str:
    """The nonce of this response's inline scripts (made on first use, then in its policy)."""
    state = request.scope.setdefault("state", {})
    nonce = state.get(NONCE_KEY)
    if nonce is None:
        nonce = state[NONCE_KEY] = secrets.token_urlsafe(18)
    return str(nonce)


class SecurityHeadersMiddleware:
    """Pure ASGI middleware adding the headers at response start (streams pass untouched)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.page_policy = content_security_policy(settings).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Forward the request; add the headers to the response's start message."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Made here so that a route storing the nonce writes into the dict read below.
        state = scope.setdefault("state", {})

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[tuple[bytes, bytes]] = list(message.get("headers", []))
                message["headers"] = self._add(state.get(NONCE_KEY), headers)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _add(self, nonce: str | None, headers: list[tuple[bytes, bytes]]
             ) -> list[tuple[bytes, bytes]]:
        present = {name.lower() for name, _ in headers}
        for name, value in COMMON_HEADERS:
            if name not in present:
                headers.append((name, value))
        if b"content-security-policy" in present:
            return headers  # a route that set its own policy keeps it
        content_type = next((v for n, v in headers if n.lower() == b"content-type"), b"")
        if content_type.lower().startswith(DOCUMENT_TYPES):
            policy = (content_security_policy(self.settings, nonce).encode() if nonce
                      else self.page_policy)
            headers.append((b"content-security-policy", policy))
            headers.append((b"x-frame-options", b"SAMEORIGIN"))
        else:
            headers.append((b"content-security-policy", OTHER_POLICY))
        return headers


def add_security_headers(app: Starlette) -> None:
    """Add the security headers to every response of `app` (its settings give the basemap)."""
    settings = getattr(app.state, "settings", None) or Settings()
    app.add_middleware(SecurityHeadersMiddleware, settings=settings)
