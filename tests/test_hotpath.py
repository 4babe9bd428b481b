"""The hot read routes answered by `api.hotpath` give exactly what FastAPI would give.

Every request below goes to two apps on the same database, one with the hot path and one
without (`hot_routes=False`): status, body and the headers a client or a cache reads must be the
same, errors, sign-in and staff-only attributes included.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import Depends, FastAPI, Query, Request
from fastapi.testclient import TestClient

from api.app import create_app
from api.deps import get_reader
from api.hotpath import HotRoutes, NotHotError, hot, hot_routes, plan
from api.routes.tiles import tile_of
from core.settings import Settings
from gis.adb import AsyncReadPool

HEADERS = ("content-type", "etag", "cache-control", "content-crs", "vary", "content-encoding",
           "retry-after", "www-authenticate", "location", "content-security-policy",
           "x-content-type-options", "referrer-policy")


@pytest.fixture(scope="module")
def pair(settings: Settings) -> Iterator[tuple[TestClient, TestClient]]:
    """(the service with the hot path, the same service without it)."""
    with TestClient(create_app(settings)) as hot_client, \
            TestClient(create_app(settings.model_copy(update={"hot_routes": False}))) as plain:
        yield hot_client, plain


def _same(pair: tuple[TestClient, TestClient], path: str, method: str = "GET",
          headers: dict[str, str] | None = None) -> Any:
    hot_client, plain = pair
    a = hot_client.request(method, path, headers=headers, follow_redirects=False)
    b = plain.request(method, path, headers=headers, follow_redirects=False)
    assert a.status_code == b.status_code, (path, a.status_code, a.text, b.text)
    assert a.content == b.content, (path, a.text[:300], b.text[:300])
    for name in HEADERS:
        if name == "etag" and "f=csv" in path:
            continue  # a download is a file of its own each time (its validator says so)
        assert a.headers.get(name) == b.headers.get(name), (path, name)
    return a


def _paths(client: TestClient) -> list[str]:
    first = client.get("/collections/parcels/items", params={"limit": 1}).json()["features"][0]
    ring = first["geometry"]["coordinates"][0][0]
    lon, lat = sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring)
    x, y = tile_of(lon, lat, 16)
    box = f"{lon - 0.003},{lat - 0.003},{lon + 0.003},{lat + 0.003}"
    fid = first["id"]
    return [
        # items: pages, filters, CRSs, formats, and every kind of bad parameter
        "/collections/parcels/items",
        "/collections/parcels/items?limit=5&offset=3&lang=en",
        f"/collections/parcels/items?bbox={box}&limit=50",
        "/collections/parcels/items?filter=status%20%3D%20%27paid%27&limit=5",
        "/collections/parcels/items?status=paid&limit=5",
        "/collections/parcels/items?limit=3&crs=http://www.opengis.net/def/crs/EPSG/0/5897",
        "/collections/projects/items?as_of=2022-03-01&limit=5",
        "/collections/projects/items?datetime=2022-01-01/..&limit=5",
        "/collections/parcels/items?limit=3&f=csv",
        "/collections/parcels/items?limit=abc",
        "/collections/parcels/items?limit=-1",
        "/collections/parcels/items?bbox=1,2,3",
        "/collections/parcels/items?crs=EPSG:9999",
        "/collections/parcels/items?filter=nope%20%3D%201",
        "/collections/parcels/items?filter=compensation_vnd%20%3E%200",
        "/collections/parcels/items?unknown=1",
        "/collections/parcels/items?as_of=2022-13-45",
        "/collections/nowhere/items",
        # one feature
        f"/collections/parcels/items/{fid}",
        f"/collections/parcels/items/{fid}?crs=http://www.opengis.net/def/crs/EPSG/0/5897",
        f"/collections/parcels/items/{fid}?lang=en",
        f"/collections/parcels/items/{fid}?colour=red",
        "/collections/parcels/items/999999999",
        "/collections/parcels/items/99999999999",
        "/collections/parcels/items/abc",
        "/collections/nowhere/items/1",
        # tiles
        f"/collections/parcels/tiles/WebMercatorQuad/16/{y}/{x}",
        f"/collections/parcels/tiles/WebMercatorQuad/16/{y}/{x}?filter=status%20%3D%20%27paid%27",
        "/collections/parcels/tiles/WebMercatorQuad/30/1/1",
        "/collections/parcels/tiles/WebMercatorQuad/2/9/9",
        "/collections/parcels/tiles/WebMercatorQuad/z/1/1",
        "/collections/nowhere/tiles/WebMercatorQuad/1/1/1",
    ]


def test_the_hot_path_answers_as_fastapi_does(pair: tuple[TestClient, TestClient]) -> None:
    statuses = set()
    for path in _paths(pair[0]):
        statuses.add(_same(pair, path).status_code)
        _same(pair, path, headers={"Accept-Language": "en", "Accept-Encoding": "gzip"})
        _same(pair, path, method="HEAD")
    assert statuses >= {200, 400, 404}


def test_revalidation_is_the_same_on_both(pair: tuple[TestClient, TestClient]) -> None:
    for path in _paths(pair[0]):
        first = pair[0].get(path)
        if first.status_code == 200 and first.headers.get("etag") and "f=csv" not in path:
            r = _same(pair, path, headers={"If-None-Match": first.headers["etag"]})
            assert r.status_code == 304, path


def test_staff_attributes_and_tokens_on_the_hot_path(pair: tuple[TestClient, TestClient],
                                                      editor_headers: dict[str, str]) -> None:
    path = "/collections/parcels/items?limit=2"
    anonymous = _same(pair, path).json()["features"][0]["properties"]
    staff = _same(pair, path, headers=editor_headers).json()["features"][0]["properties"]
    assert "compensation_vnd" not in anonymous and "compensation_vnd" in staff
    bad = _same(pair, path, headers={"Authorization": "Bearer nonsense"})
    assert bad.status_code == 401
    assert _same(pair, path, headers={"Authorization": "Basic abc"}).status_code == 401


def test_sign_in_required_closes_the_hot_routes_too(settings: Settings,
                                                    editor_headers: dict[str, str]) -> None:
    closed = settings.model_copy(update={"require_sign_in": True})
    with TestClient(create_app(closed)) as a, \
            TestClient(create_app(closed.model_copy(update={"hot_routes": False}))) as b:
        for path in ("/collections/parcels/items", "/collections/parcels/items/1",
                     "/collections/parcels/tiles/WebMercatorQuad/16/1/1"):
            r = _same((a, b), path)
            assert r.status_code == 401 and r.json()["code"]
            page = _same((a, b), path, headers={"Accept": "text/html"})
            assert page.status_code == 303 and "/login?next=" in page.headers["location"]
            assert _same((a, b), path, headers=editor_headers).status_code in (200, 404)


def test_the_hot_path_serves_without_fastapis_router(settings: Settings) -> None:
    app = create_app(settings)
    with TestClient(app) as c:
        assert c.get("/collections/parcels/items?limit=1").status_code == 200
        app.router.routes.clear()  # what is still answered is answered by HotRoutes
        assert c.get("/collections/parcels/items?limit=1").status_code == 200
        assert c.get("/collections/parcels/items/1").status_code == 200
        assert c.get("/collections").status_code == 404
        # Writes are never hot: POST goes to FastAPI (whose routes are gone here).
        assert c.post("/collections/parcels/items", json={}).status_code in (404, 405)


def test_overridden_dependencies_go_through_fastapi(settings: Settings, conn) -> None:
    from gis.adb import ConnectionReader

    app = create_app(settings)
    app.dependency_overrides[get_reader] = lambda: ConnectionReader(conn)
    with TestClient(app) as c:
        app.router.routes.clear()
        # The override names a dependency of the hot routes: FastAPI answers (404 here).
        assert c.get("/collections/parcels/items?limit=1").status_code == 404


def test_exactly_the_read_routes_are_hot_and_none_is_shadowed(settings: Settings) -> None:
    app = create_app(settings)
    stack = next(m for m in app.user_middleware if m.cls is HotRoutes)
    routes = stack.kwargs["routes"]
    assert {r.path for r in routes} == {
        "/collections/{collection_id}/items",
        "/collections/{collection_id}/items/{feature_id}",
        "/collections/{collection_id}/tiles/WebMercatorQuad/{tile_matrix}/{tile_row}/{tile_col}",
    }
    # No other GET route has a path a hot pattern would take from it.
    for path, ops in app.openapi()["paths"].items():
        if "get" not in ops or path in {r.path for r in routes}:
            continue
        sample = path.replace("{", "").replace("}", "")
        assert not any(r.pattern.match(sample) for r in routes), path
    # Every hot route runs the app's own dependencies first (the sign-in gate).
    assert all(r.prelude and r.prelude[0].call.__name__ == "sign_in_gate" for r in routes)


def test_an_endpoint_the_hot_path_cannot_call_is_refused() -> None:
    def sync_endpoint(request: Request) -> None:
        """A plain def."""

    async def typed(limit: int = Query(10)) -> None:
        """An int parameter (FastAPI would validate it)."""

    def sync_dependency() -> int:
        return 1

    async def with_sync_dep(x: int = Depends(sync_dependency)) -> None:
        """A sync dependency (FastAPI would run it in a thread)."""

    for fn in (sync_endpoint, typed, with_sync_dep):
        with pytest.raises(NotHotError):
            plan(fn, frozenset())  # type: ignore[arg-type]

    app = FastAPI()

    @app.post("/x")
    @hot
    async def write() -> None:
        """A write."""

    with pytest.raises(NotHotError, match="only GET"):
        hot_routes(app.router.routes, [])


def test_generic_plans_for_lookups_custom_plans_for_the_rest(settings: Settings) -> None:
    from sqlalchemy import text

    async def run() -> tuple[list[bytes], list[bool]]:
        pool = AsyncReadPool(settings.database_url or "", settings)
        sql = text("SELECT current_setting('plan_cache_mode')")
        try:
            modes = [(await pool.row(sql, {}, generic=g))[0] for g in (False, True, False, True)]
            kinds = [type(c).__name__ == "_GenericPlans" for c in pool.idle()]
            # A pool full of one mode's idle connections makes room for the other's.
            conns = [await pool.acquire(False) for _ in range(pool.size)]
            for c in conns:
                await pool.release(c)
            await pool.row(sql, {}, generic=True)
            kinds = [type(c).__name__ == "_GenericPlans" for c in pool.idle()]
            return modes, kinds
        finally:
            await pool.close()

    modes, kinds = asyncio.run(run())
    assert modes == [b"force_custom_plan", b"force_generic_plan"] * 2
    assert len(kinds) <= settings.pool_size and kinds.count(True) == 1
