"""The read path: reads outside transactions, a pool sized to the load, cached statements,
and read-only routes served by a second database (a replica) while writes go to the primary."""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg.pq import TransactionStatus
from sqlalchemy import event

from api.app import create_app
from api.routes.tiles import tile_of
from core.settings import Settings
from gis.db import libpq_url, make_engine
from layers import features
from layers.migrate import upgrade
from layers.plans import SAMPLE_PLAN_DIR, SAMPLE_STEM
from layers.registry import LAYERS
from tests.accounts_helpers import make_account

META = json.loads((SAMPLE_PLAN_DIR / f"{SAMPLE_STEM}.json").read_text("utf-8"))
(X0, _), _, (_, YB), _ = META["corners"]


def _count(url: str, table: str) -> int:
    with psycopg.connect(libpq_url(url)) as c:
        row = c.execute(f"SELECT count(*) FROM {table}").fetchone()
        assert row is not None
        return int(row[0])


def _zipped_plan() -> bytes:
    """A one-zone plan in VN-2000, inside the sample sheet."""
    ring = [[X0 + 10, YB + 10], [X0 + 60, YB + 10], [X0 + 60, YB + 60], [X0 + 10, YB + 60],
            [X0 + 10, YB + 10]]
    doc = json.dumps({
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::5897"}},
        "features": [{"type": "Feature", "properties": {"code": "CX", "name": "CX-read-path"},
                      "geometry": {"type": "Polygon", "coordinates": [ring]}}],
    }).encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("plan.geojson", doc)
    return buf.getvalue()


@pytest.fixture(scope="module")
def empty_primary(fresh_database) -> str:
    """A migrated primary holding nothing: whatever a read finds came from elsewhere."""
    url = fresh_database("read_path_primary")
    engine = make_engine(Settings(database_url=url), url, admin=True)
    upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def replica_client(settings: Settings, database_url: str, empty_primary: str
                   ) -> Iterator[TestClient]:
    """The service writing to the empty primary and reading from the sample's database."""
    split = settings.model_copy(update={"database_url": empty_primary,
                                        "database_url_read": database_url})
    with TestClient(create_app(split)) as c:
        yield c


def test_read_routes_read_from_the_read_database(replica_client, database_url,
                                                 empty_primary) -> None:
    assert _count(empty_primary, "parcels") == 0 < _count(database_url, "parcels")
    app = replica_client.app
    assert app.state.read_engine is not app.state.engine

    page = replica_client.get("/collections/parcels/items", params={"limit": 3})
    assert page.status_code == 200
    assert page.json()["numberReturned"] == 3
    first = page.json()["features"][0]
    one = replica_client.get(f"/collections/parcels/items/{first['id']}")
    assert one.status_code == 200 and one.json()["id"] == first["id"]

    ring = first["geometry"]["coordinates"][0][0]
    lon, lat = (sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring))
    x, y = tile_of(lon, lat, 16)
    tile = replica_client.get(f"/collections/parcels/tiles/WebMercatorQuad/16/{y}/{x}")
    assert tile.status_code == 200 and len(tile.content) > 0

    # The district list, the statistics and the map come from the read database too: the
    # primary knows no district at all, so any of them reading it would answer 404.
    assert replica_client.get("/stats/clearance").status_code == 200
    assert replica_client.get("/dashboard").status_code == 200
    extent = replica_client.get("/collections/parcels").json()["extent"]
    assert "spatial" in extent


def test_the_hot_routes_read_on_the_event_loop_from_the_read_database(
        replica_client, database_url, empty_primary) -> None:
    app = replica_client.app
    checkouts: list[object] = []

    def checkout(*args: object) -> None:
        checkouts.append(args)

    event.listen(app.state.engine, "checkout", checkout)
    event.listen(app.state.read_engine, "checkout", checkout)
    try:
        page = replica_client.get("/collections/parcels/items", params={"limit": 2})
        assert page.json()["numberReturned"] == 2
        fid = page.json()["features"][0]["id"]
        assert replica_client.get(f"/collections/parcels/items/{fid}").status_code == 200
    finally:
        event.remove(app.state.engine, "checkout", checkout)
        event.remove(app.state.read_engine, "checkout", checkout)
    assert checkouts == []  # neither sync pool: the async read pool answered
    read_db = libpq_url(database_url).rpartition("/")[2]
    assert read_db != libpq_url(empty_primary).rpartition("/")[2]
    assert app.state.read_db.idle()
    assert {c.info.dbname for c in app.state.read_db.idle()} == {read_db}


def test_writes_go_to_the_primary(replica_client, database_url, empty_primary) -> None:
    plans_read_before = _count(database_url, "plans")
    primary = make_engine(Settings(database_url=empty_primary), empty_primary)
    _, writer = make_account(primary, "admin")  # accounts live on the primary
    primary.dispose()
    r = replica_client.post("/plans", headers=writer,
                            files={"file": ("plan.zip", _zipped_plan(), "application/zip")})
    assert r.status_code == 201, r.text
    # The answer reads the new plan back on the connection that wrote it.
    assert r.json()["plan"]["id"] == r.json()["id"]
    assert _count(empty_primary, "plans") == 1
    assert _count(database_url, "plans") == plans_read_before
    # The listing is a read: it shows the read database's plans, not the primary's one.
    assert plans_read_before > 1
    assert len(replica_client.get("/plans").json()["features"]) == plans_read_before


def test_without_a_read_database_reads_use_the_primary_outside_transactions(client) -> None:
    app = client.app
    assert app.state.read_engine.pool is app.state.engine.pool
    seen: list[object] = []

    def after(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        seen.append(conn.connection.dbapi_connection.info.transaction_status)

    event.listen(app.state.engine, "after_cursor_execute", after)
    try:
        assert client.get("/collections/parcels/items/1").status_code == 200
        assert client.get("/collections/parcels/items", params={"limit": 5}).status_code == 200
        assert client.get("/stats/clearance").status_code == 200
    finally:
        event.remove(app.state.engine, "after_cursor_execute", after)
    # Inside a transaction each read would cost a BEGIN and a ROLLBACK round trip.
    assert seen and all(s == TransactionStatus.IDLE for s in seen)


def test_the_pool_keeps_a_connection_per_concurrent_request(client) -> None:
    engine = client.app.state.read_engine
    assert client.app.state.settings.pool_size >= 8
    taken = [engine.connect() for _ in range(8)]
    for conn in taken:
        conn.close()
    # Kept open, not closed on return: a new backend would set PROJ up again on its first
    # transform (hundreds of milliseconds at p99).
    assert engine.pool.checkedin() >= 8


def test_item_statements_are_built_once_per_shape(conn) -> None:
    spec = LAYERS["parcels"]
    features.item(conn, spec, 1, features.Query())
    items_before = features._statement.cache_info()
    item_before = features._item_statement.cache_info()
    for fid in (1, 2, 3):
        assert features.item(conn, spec, fid, features.Query()) is not None
    for offset in (0, 10):
        features.items(conn, spec, features.Query(limit=5, offset=offset))
    features.items(conn, spec, features.Query(limit=5, offset=20))
    assert features._item_statement.cache_info().hits >= item_before.hits + 3
    assert features._item_statement.cache_info().currsize == item_before.currsize
    after = features._statement.cache_info()
    assert after.currsize <= items_before.currsize + 1  # one shape, whatever the page
    assert after.hits >= items_before.hits + 2


def test_a_connection_the_server_closed_is_replaced_without_an_error(settings,
                                                                     server_url) -> None:
    with TestClient(create_app(settings)) as c:
        engine = c.app.state.read_engine
        assert c.get("/collections/parcels/items/1").status_code == 200
        with engine.connect() as conn:
            pid = conn.connection.dbapi_connection.info.backend_pid
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
            for _ in range(100):  # until the server has closed it
                if admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s",
                                 (pid,)).fetchone() is None:
                    break
                time.sleep(0.02)
        # Without a pre-ping, the dead connection is still in the pool: the checkout notices.
        assert engine.pool.checkedin() >= 1
        for _ in range(3):
            assert c.get("/collections/parcels/items/1").status_code == 200
        with engine.connect() as conn:
            assert conn.connection.dbapi_connection.info.backend_pid != pid
