"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import orjson
from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import HTMLResponse

from api.auth import SignInRedirect, install, redirect_to_sign_in, sign_in_gate
from api.compression import CompressionMiddleware
from api.deps import public_base
from api.errors import STATUS_CODES, LastResortMiddleware, add_exception_handlers
from api.guard import HeadAsGet, RequestGuard
from api.hotpath import HotRoutes, hot_routes
from api.routes import audit as audit_routes
from api.routes import auth as auth_routes
from api.routes import collections, dashboard, exports, health, maps, plans, reports, stats, tiles
from api.routes import editing as editing_routes
from api.routes.docs import router as docs_router
from api.routes.portrayal import router as portrayal_router
from api.routes.search import router as search_router
from api.routes.units import router as units_router
from api.security import add_security_headers
from core.settings import Settings
from gis.adb import AsyncReadPool
from gis.db import database_url, make_engine, reading


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the service; tests pass their own settings."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.engine = make_engine(settings)
        # Read-only routes use the replica when there is one, else the primary's own pool.
        app.state.read_engine = (
            make_engine(settings, settings.database_url_read, read_only=True)
            if settings.database_url_read else reading(app.state.engine))
        # The hot read routes (items, one feature, tiles) read on the event loop, same database.
        app.state.read_db = AsyncReadPool(
            settings.database_url_read or database_url(settings), settings)
        yield
        await app.state.read_db.close()
        app.state.engine.dispose()
        if settings.database_url_read:
            app.state.read_engine.dispose()

    app = FastAPI(
        title="quyhoach",
        description="Quy hoạch — planning layers of Hanoi's districts over OGC APIs and maps.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None, redoc_url=None,  # served by api.routes.docs from local files
        dependencies=[Depends(sign_in_gate)],  # sign-in when required; staff layers hidden
        # The service sets up no OpenTelemetry: no per-request check for a configured provider.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    install(app, settings)
    add_exception_handlers(app, STATUS_CODES)
    app.add_exception_handler(SignInRedirect, redirect_to_sign_in)
    routers = [docs_router, *(m.router for m in (
        health, collections, tiles, stats, maps, plans, exports, reports, dashboard, auth_routes,
        audit_routes, editing_routes)), units_router, search_router, portrayal_router]
    for router in routers:
        app.include_router(router)
    # Innermost first, outermost last: the hot read routes are answered inside the middleware
    # below (HEAD, compression, the guard, errors, headers apply to them too) without FastAPI's
    # per-request machinery; unexpected errors become a JSON 500, bad requests stop before routing.
    if settings.hot_routes:
        app.add_middleware(HotRoutes, prefix="/collections/", routes=hot_routes(
            [r for router in routers for r in router.routes], app.router.dependencies))
    app.add_middleware(CompressionMiddleware)  # HEAD gets the GET's encoded headers
    app.add_middleware(HeadAsGet)
    app.add_middleware(RequestGuard)
    app.add_middleware(LastResortMiddleware)
    add_security_headers(app)  # outermost: every response, errors included, gets the headers

    @app.get("/", summary="Landing page", tags=["OGC API – Features"])
    def landing(request: Request) -> Response:
        """Landing page: JSON by default, HTML for a browser (or f=html)."""
        fmt = request.query_params.get("f")
        wants_html = fmt == "html" or (fmt is None and "text/html" in request.headers.get("accept", ""))
        if wants_html:
            return HTMLResponse(LANDING_HTML)
        base = public_base(request)
        return Response(orjson.dumps({
            "title": "quyhoach — Quy hoạch đô thị",
            "description": "Lớp dữ liệu quy hoạch của các quận Hà Nội / Planning layers of Hanoi's districts",
            "links": [
                {"rel": "self", "type": "application/json", "href": f"{base}/"},
                {"rel": "service-desc", "type": "application/vnd.oai.openapi+json;version=3.0",
                 "href": f"{base}/openapi.json"},
                {"rel": "service-doc", "type": "text/html", "href": f"{base}/docs"},
                {"rel": "conformance", "type": "application/json", "href": f"{base}/conformance"},
                {"rel": "data", "type": "application/json", "href": f"{base}/collections"},
            ],
        }), media_type="application/json")

    return app


LANDING_HTML = (
    "<!doctype html><html lang='vi'><meta charset='utf-8'><title>quyhoach</title>"
    "<h1>quyhoach — Quy hoạch đô thị</h1>"
    "<ul><li><a href='/map'>Bản đồ / Map</a></li>"
    "<li><a href='/dashboard'>Tiến độ GPMB / Clearance dashboard</a></li>"
    "<li><a href='/collections'>Lớp dữ liệu / Collections</a></li>"
    "<li><a href='/stats/clearance'>Thống kê GPMB / Clearance statistics</a></li>"
    "<li><a href='/health'>Health</a></li><li><a href='/docs'>API</a></li></ul></html>"
)
