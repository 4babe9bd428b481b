"""The service outlives its database: 503 with Retry-After while PostgreSQL is down, and every
request served again within seconds of its return.

The outage is real: a private throwaway cluster (the project's own `gis.cluster` code) is
stopped and started under a running server, never the shared test cluster.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from core.settings import Settings
from gis import cluster as pgcluster
from gis.db import make_engine
from layers.migrate import upgrade
from tests.serving import serving

pytestmark = pytest.mark.slow

PATHS = ("/collections/parcels/items?limit=1", "/collections/parcels",
         "/collections/parcels/tiles/WebMercatorQuad/16/28841/52034")
PACE_S = 0.05
MAX_REQUESTS = 400


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def private_cluster() -> Iterator[pgcluster.Cluster]:
    """A PostgreSQL cluster of this test's own, on a free port, removed afterwards."""
    root = Path(tempfile.mkdtemp(prefix="quyhoach-outage-", dir="/var/tmp"))
    if os.geteuid() == 0:  # the server runs as `postgres`, which must reach its directory
        entry = pwd.getpwnam(pgcluster.SERVER_USER)
        os.chown(root, entry.pw_uid, entry.pw_gid)
    cl = pgcluster.Cluster(data_dir=root / "pg", port=_free_port(), database="quyhoach",
                           bindir=pgcluster.find_bindir(Settings()))
    try:
        pgcluster.up(cl)
        yield cl
    finally:
        pgcluster.down(cl)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def served(private_cluster: pgcluster.Cluster, tmp_path: Path) -> Iterator[str]:
    """The service on a free loopback port, on the private cluster; yields its base URL."""
    settings = Settings(database_url=private_cluster.url(), plan_store=tmp_path / "plans",
                        basemap_url="http://127.0.0.1:9/{z}/{x}/{y}.png")
    engine = make_engine(settings, admin=True)
    upgrade(engine)
    engine.dispose()
    with serving(create_app(settings)) as (host, port):
        yield f"http://{host}:{port}"


@dataclass
class Answer:
    """One request of the loop: when it left and came back, and what it got."""

    start: float
    end: float
    status: int
    retry_after: str | None
    body: dict[str, str] | None


def _ask(client: httpx.Client, path: str) -> Answer:
    start = time.monotonic()
    try:
        r = client.get(path)
        status, retry, body = r.status_code, r.headers.get("retry-after"), None
        if r.headers.get("content-type", "").startswith("application/json") and status >= 400:
            body = r.json()
    except httpx.HTTPError:  # a hang cut by the client's timeout, or a dropped connection
        status, retry, body = 0, None, None
    return Answer(start, time.monotonic(), status, retry, body)


def test_requests_get_503_while_the_database_is_down_and_succeed_after(
        served: str, private_cluster: pgcluster.Cluster) -> None:
    answers: list[Answer] = []
    stop = threading.Event()

    def loop() -> None:
        with httpx.Client(base_url=served, timeout=10) as client:
            for i in range(MAX_REQUESTS):
                if stop.is_set():
                    return
                answers.append(_ask(client, PATHS[i % len(PATHS)]))
                time.sleep(PACE_S)

    worker = threading.Thread(target=loop, daemon=True)
    worker.start()
    time.sleep(1.0)
    stopping_at = time.monotonic()
    pgcluster.down(private_cluster)
    down_at = time.monotonic()
    time.sleep(2.5)
    restart_at = time.monotonic()
    pgcluster.up(private_cluster)
    up_at = time.monotonic()
    time.sleep(6.0)
    stop.set()
    worker.join(timeout=30)
    assert not worker.is_alive()

    before = [a for a in answers if a.end < stopping_at]
    during = [a for a in answers if down_at < a.start and a.end < restart_at]
    settled = [a for a in answers if a.start > up_at + 5.0]
    assert before and during and settled, (len(before), len(during), len(settled))

    assert all(a.status == 200 for a in before), [a.status for a in before]
    for a in during:
        assert a.status == 503, a
        assert a.retry_after is not None and int(a.retry_after) > 0
        assert a.end - a.start < 3.0, a
        assert a.body is not None and a.body["code"] == "DatabaseUnavailable"
        assert "Cơ sở dữ liệu" in a.body["description_vi"]
        assert "database" in a.body["description_en"]
    assert all(a.status == 200 for a in settled), [a.status for a in settled]
    # Never a 500 or a hang, even for the requests caught as the server stopped or started.
    assert {a.status for a in answers} <= {200, 503}, {a.status for a in answers}
    assert max(a.end - a.start for a in answers) < 3.0
