"""Reads served from a real hot standby: they see a write once it is replayed, and never a stale tile.

A private primary (the project's own cluster code, on a port of its own) is migrated and given
the sample, then copied by `pg_basebackup -R` into a streaming standby. The service is built with
`database_url` on the primary and `database_url_read` on the standby. Pausing the standby's
replay shows which database the reads come from: the primary has the write, the service does
not show it until the standby has replayed it. Tile versions come from the database the tile
came from, so a lagging standby never labels old content with the new version.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import mapbox_vector_tile
import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from api.app import create_app
from api.routes.tiles import tile_of
from core.settings import Settings
from gis import cluster as pgcluster
from gis.db import make_engine
from layers import history
from layers.migrate import upgrade
from layers.sample import load_sample
from tests.pgcluster_helpers import (
    private_root,
    remove,
    start_primary,
    start_standby,
    wait_for_replay,
)

pytestmark = pytest.mark.slow

Z = 14
TILEJSON = "/collections/projects/tiles/WebMercatorQuad/tilejson.json"


@dataclass(frozen=True)
class Replicated:
    """A primary with the sample, its streaming standby and the plan store of both."""

    primary: pgcluster.Cluster
    standby: pgcluster.Cluster
    plan_store: Path


@pytest.fixture(scope="module")
def replicated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replicated]:
    """A private primary holding the sample and a hot standby of it, removed afterwards."""
    root = private_root()
    plan_store = tmp_path_factory.mktemp("replica-plans")
    primary = standby = None
    try:
        primary = start_primary(root)
        engine = make_engine(Settings(database_url=primary.url()), primary.url(), admin=True)
        try:
            upgrade(engine)
            load_sample(engine, plan_store=plan_store)
        finally:
            engine.dispose()
        standby = start_standby(primary, root)
        yield Replicated(primary, standby, plan_store)
    finally:
        remove(root, *(c for c in (standby, primary) if c is not None))


@pytest.fixture
def writer(replicated: Replicated) -> Iterator[Engine]:
    """An engine on the primary, for the writes."""
    eng = make_engine(Settings(database_url=replicated.primary.url()), admin=True)
    yield eng
    eng.dispose()


def _standby_sql(standby: pgcluster.Cluster, sql: str) -> Any:
    with psycopg.connect(standby.admin_url, autocommit=True) as c:
        return c.execute(sql).fetchone()[0]


def _project(client: TestClient, pid: int) -> dict[str, Any]:
    r = client.get(f"/collections/projects/items/{pid}")
    assert r.status_code == 200, r.text
    return r.json()["properties"]


def _tile_url(client: TestClient, x: int, y: int) -> tuple[int, str]:
    """(version, versioned z14 tile path) as the service's TileJSON gives them."""
    doc = client.get(TILEJSON)
    assert doc.status_code == 200, doc.text
    template = doc.json()["tiles"][0]
    path = template[template.index("/collections/"):]
    return int(doc.json()["version"]), (
        path.replace("{z}", str(Z)).replace("{y}", str(y)).replace("{x}", str(x)))


def _etag(response: httpx.Response) -> str:
    """The tile's identity in its ETag: layer, version, z, y, x (the tile format tag left out)."""
    opaque = response.headers["etag"].removeprefix("W/").strip('"')
    return '"' + ".".join(opaque.split(".")[:5]) + '"'


def _tile_status(body: bytes, pid: int) -> str:
    layer = mapbox_vector_tile.decode(body)["projects"]
    [feature] = [f for f in layer["features"] if f["id"] == pid]
    return feature["properties"]["status"]


def test_reads_come_from_the_standby_and_follow_its_replay(replicated: Replicated,
                                                          writer: Engine) -> None:
    primary, standby = replicated.primary, replicated.standby
    settings = Settings(database_url=primary.url(), database_url_read=standby.url(),
                        plan_store=replicated.plan_store,
                        basemap_url="http://127.0.0.1:9/{z}/{x}/{y}.png")
    with writer.connect() as c:
        project = c.execute(text(
            "SELECT id, code, status, ST_X(p) AS lon, ST_Y(p) AS lat FROM ("
            " SELECT id, code, status, ST_Transform(ST_PointOnSurface(geom), 4326) AS p"
            " FROM projects WHERE status <> 'suspended') s ORDER BY id LIMIT 1")).one()
    x, y = tile_of(project.lon, project.lat, Z)

    with TestClient(create_app(settings)) as client:
        app = client.app
        assert app.state.engine.url.port == primary.port
        assert app.state.read_engine.url.port == standby.port
        with app.state.read_engine.connect() as c:
            assert c.execute(text("SELECT pg_is_in_recovery()")).scalar_one() is True

        assert _project(client, project.id)["status"] == project.status
        old_version, old_url = _tile_url(client, x, y)
        tile = client.get(old_url)
        assert tile.status_code == 200
        assert _etag(tile) == f'"projects.{old_version}.{Z}.{y}.{x}"'
        assert "immutable" in tile.headers["cache-control"]
        assert _tile_status(tile.content, project.id) == project.status

        # Hold the standby back: the next write reaches the primary only.
        _standby_sql(standby, "SELECT pg_wal_replay_pause()")
        try:
            with writer.begin() as c:
                today = c.execute(text("SELECT current_date")).scalar_one()
                history.record(c, "project", project.code, "suspended", today, "Kiểm thử",
                               "tạm dừng để kiểm thử bản sao")
            with writer.connect() as c:
                new_version = c.execute(text(
                    "SELECT version FROM layer_versions WHERE layer = 'projects'")).scalar_one()
                assert c.execute(text("SELECT status FROM projects WHERE id = :id"),
                                 {"id": project.id}).scalar_one() == "suspended"
            assert new_version > old_version

            # The service still shows the standby's state, so that is where it reads.
            assert _project(client, project.id)["status"] == project.status
            assert _tile_url(client, x, y)[0] == old_version
            # Asked for the new version too early, the standby answers with what it has, under
            # its own version and not for keeps: no cache stores old content as the new version.
            early = client.get(f"/collections/projects/tiles/WebMercatorQuad/{Z}/{y}/{x}"
                               f"?v={new_version}")
            assert early.status_code == 200
            assert _etag(early) == f'"projects.{old_version}.{Z}.{y}.{x}"'
            assert "immutable" not in early.headers["cache-control"]
            assert _tile_status(early.content, project.id) == project.status
            clients = _standby_sql(standby, (
                "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
                f" AND datname = '{standby.database}' AND pid <> pg_backend_pid()"))
            assert clients >= 1
        finally:
            _standby_sql(standby, "SELECT pg_wal_replay_resume()")

        wait_for_replay(primary, standby)
        assert _project(client, project.id)["status"] == "suspended"
        version, url = _tile_url(client, x, y)
        assert version == new_version
        fresh = client.get(url)
        assert fresh.status_code == 200
        assert _etag(fresh) == f'"projects.{new_version}.{Z}.{y}.{x}"'
        assert "immutable" in fresh.headers["cache-control"]
        assert _tile_status(fresh.content, project.id) == "suspended"
