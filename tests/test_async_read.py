"""The hot read routes (one feature, items, tiles) served from the async read pool on the event
loop, against the real database: the same answers as the statements run on a sync connection,
no sync pool checkout, one round trip per feature, and 503s (not 500s) when the database fails."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import mapbox_vector_tile
import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg.pq import TransactionStatus
from sqlalchemy import event

from api.app import create_app
from api.routes.tiles import tile_of
from core.settings import Settings
from gis.adb import AsyncReadPool, ConnectionReader
from layers import editing, features
from layers.registry import LAYERS


def _centre(feature: dict[str, Any]) -> tuple[float, float]:
    ring = feature["geometry"]["coordinates"][0][0]
    return sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring)


@pytest.fixture
def sync_checkouts(client: TestClient) -> Iterator[list[object]]:
    """Every checkout of the app's sync pool while the test runs."""
    seen: list[object] = []

    def checkout(*args: object) -> None:
        seen.append(args)

    engine = client.app.state.engine
    event.listen(engine, "checkout", checkout)
    try:
        yield seen
    finally:
        event.remove(engine, "checkout", checkout)


def _hot_paths(client: TestClient) -> list[str]:
    first = client.get("/collections/parcels/items", params={"limit": 1}).json()["features"][0]
    lon, lat = _centre(first)
    x, y = tile_of(lon, lat, 16)
    box = f"{lon - 0.003},{lat - 0.003},{lon + 0.003},{lat + 0.003}"
    return [
        f"/collections/parcels/items/{first['id']}",
        f"/collections/parcels/items/{first['id']}?crs=http://www.opengis.net/def/crs/EPSG/0/5897",
        "/collections/parcels/items?limit=100",
        f"/collections/parcels/items?bbox={box}&limit=1000",
        "/collections/parcels/items?filter=status%20%3D%20%27paid%27&limit=20",
        "/collections/projects/items?limit=10&offset=5",
        f"/collections/parcels/tiles/WebMercatorQuad/16/{y}/{x}",
    ]


def test_hot_routes_are_served_by_the_async_pool(client, sync_checkouts) -> None:
    paths = _hot_paths(client)
    sync_checkouts.clear()
    for path in paths:
        r = client.get(path)
        assert r.status_code == 200, (path, r.text)
        assert len(r.content) > 0, path
    # No sync connection was checked out (that checkout is the thread-pool hop avoided).
    assert sync_checkouts == []
    pool = client.app.state.read_db
    assert isinstance(pool, AsyncReadPool) and pool.idle()
    # Autocommit, idle between requests: a read costs no BEGIN/ROLLBACK round trips.
    assert all(c.autocommit and c.info.transaction_status == TransactionStatus.IDLE
               for c in pool.idle())


def test_the_async_answers_equal_the_sync_connection_answers(client, tx_client) -> None:
    for path in _hot_paths(client):
        fast, given = client.get(path), tx_client.get(path)
        assert fast.status_code == given.status_code == 200, path
        assert fast.headers["content-type"] == given.headers["content-type"]
        assert fast.headers.get("etag") == given.headers.get("etag"), path
        if "/tiles/" in path:
            assert fast.content == given.content
            assert mapbox_vector_tile.decode(fast.content)["parcels"]["features"]
        else:
            assert fast.json() == given.json(), path


class CountingReader:
    """A real Reader that counts the statements it runs."""

    def __init__(self, inner: ConnectionReader) -> None:
        self.inner = inner
        self.rows = 0

    async def row(self, sql: Any, params: dict[str, Any], generic: bool = False
                  ) -> tuple[Any, ...] | None:
        """The inner reader's row, counted."""
        self.rows += 1
        return await self.inner.row(sql, params, generic)

    async def columns(self, sql: Any) -> tuple[str, ...]:
        """The inner reader's columns."""
        return await self.inner.columns(sql)


def test_one_feature_and_its_etag_come_in_one_statement(conn) -> None:
    spec = LAYERS["parcels"]
    reader = CountingReader(ConnectionReader(conn))
    asyncio.run(features.reader_columns_async(reader, spec, features.Query()))
    found = asyncio.run(features.item_async(reader, spec, 1, features.Query()))
    assert reader.rows == 1
    assert found is not None
    body, tag = found
    # The body as PostgreSQL built it, bytes that are never decoded and re-encoded.
    assert isinstance(body, bytes) and body.startswith(b'{"type":"Feature","id":1,')
    assert tag == editing.etag(conn, spec, 1)
    assert features.item(conn, spec, 1, features.Query()) == body.decode()
    matched, returned, page = asyncio.run(features.items_async(reader, spec,
                                                               features.Query(limit=3)))
    assert reader.rows == 2 and returned == 3 and matched >= 3 and isinstance(page, bytes)
    assert asyncio.run(features.item_async(reader, spec, 999_999_999, features.Query())) is None


def test_not_modified_and_not_found_on_the_async_path(client) -> None:
    r = client.get("/collections/parcels/items/1")
    assert r.status_code == 200 and r.headers["etag"].startswith('"')
    again = client.get("/collections/parcels/items/1", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.headers["etag"] == r.headers["etag"]
    assert client.get("/collections/parcels/items/999999999").status_code == 404


def test_a_statement_timeout_is_a_503_on_every_hot_route(settings: Settings, client) -> None:
    first = client.get("/collections/parcels/items", params={"limit": 1}).json()["features"][0]
    x, y = tile_of(*_centre(first), 13)
    slow = settings.model_copy(update={"statement_timeout_ms": 1})
    with TestClient(create_app(slow)) as c:
        for path in ("/collections/parcels/items?limit=10000",
                     f"/collections/parcels/tiles/WebMercatorQuad/13/{y}/{x}"):
            r = c.get(path, headers={"Accept-Language": "en"})
            assert r.status_code == 503, (path, r.status_code, r.text)
            assert int(r.headers["retry-after"]) > 0
            assert r.json()["code"] == "QueryTimeout"
            assert "too long" in r.json()["description_en"]


def test_a_connection_the_server_closed_is_replaced(settings: Settings, server_url: str) -> None:
    with TestClient(create_app(settings)) as c:
        for _ in range(3):
            assert c.get("/collections/parcels/items/1").status_code == 200
        pool = c.app.state.read_db
        pids = {conn.info.backend_pid for conn in pool.idle()}
        assert pids
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) pid",
                          (list(pids),))
            for _ in range(100):  # until the server has closed them
                if admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = ANY(%s)",
                                 (list(pids),)).fetchone() is None:
                    break
                time.sleep(0.02)
        for _ in range(3):
            assert c.get("/collections/parcels/items/1").status_code == 200
            assert c.get("/collections/parcels/items?limit=3").status_code == 200
        assert pids.isdisjoint(conn.info.backend_pid for conn in pool.idle())


def test_a_database_that_is_away_is_a_503_on_the_async_path(settings: Settings) -> None:
    away = settings.model_copy(update={"database_url": "postgresql://postgres@127.0.0.1:9/none",
                                       "database_url_read": None})
    with TestClient(create_app(away)) as c:
        start = time.monotonic()
        r = c.get("/collections/parcels/items/1", headers={"Accept-Language": "en"})
        assert r.status_code == 503 and r.json()["code"] == "DatabaseUnavailable"
        assert int(r.headers["retry-after"]) > 0
        assert time.monotonic() - start < 3.0
        assert c.app.state.read_db.conninfo.endswith("127.0.0.1:9/none")
