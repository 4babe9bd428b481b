"""A real PostGIS for the tests: DATABASE_URL's server, or the project's own cluster.

The session creates a throwaway database, migrates it and loads the sample; each `conn` test
runs in a transaction that is rolled back.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine

from api.app import create_app
from api.deps import get_conn, get_read_conn
from core.settings import Settings
from gis import cluster as pgcluster
from gis.db import libpq_url, make_engine
from layers import accounts
from layers.migrate import upgrade
from layers.sample import load_sample
from tests.serving import serving


def _admin_url(url: str) -> str:
    base, _, _ = libpq_url(url).rpartition("/")
    return base + "/postgres"


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """URL of a PostgreSQL server's maintenance database (starting the local cluster if needed)."""
    settings = Settings()
    if settings.database_url:
        yield _admin_url(settings.database_url)
        return
    cl = pgcluster.cluster_from(settings)
    was_running = pgcluster.is_running(cl)
    pgcluster.up(cl)
    yield cl.admin_url
    if not was_running:
        pgcluster.down(cl)


@pytest.fixture(scope="session")
def fresh_database(server_url: str) -> Iterator[object]:
    """Factory of throwaway databases on the test server, dropped at the end."""
    created: list[str] = []
    base = server_url.rpartition("/")[0]

    def make(suffix: str) -> str:
        name = f"quyhoach_test_{os.getpid()}_{suffix}"
        with psycopg.connect(server_url, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            c.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return f"{base}/{name}"

    yield make
    with psycopg.connect(server_url, autocommit=True) as c:
        for name in created:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def plan_store(tmp_path_factory: pytest.TempPathFactory):
    """The test session's own plan store."""
    return tmp_path_factory.mktemp("plans")


@pytest.fixture(scope="session")
def database_url(fresh_database, plan_store) -> str:
    """A migrated database holding the sample."""
    url = fresh_database("main")
    engine = make_engine(Settings(database_url=url), url)
    upgrade(engine)
    load_sample(engine, plan_store=plan_store)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def settings(database_url: str, plan_store) -> Settings:
    """Settings pointing at the test database; tiles from an unreachable local address."""
    return Settings(
        database_url=database_url,
        basemap_url="http://127.0.0.1:9/{z}/{x}/{y}.png",
        plan_store=plan_store,
    )


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Iterator[Engine]:
    """Engine on the test database."""
    eng = make_engine(settings)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def editor_headers(engine: Engine) -> dict[str, str]:
    """Bearer headers of an account that may write everywhere (an admin), for writing tests."""
    with engine.begin() as c:
        accounts.add_user(c, "test-writer", "admin", secrets.token_urlsafe(16))
        token = accounts.create_token(c, "test-writer", 1)
    return {"Authorization": f"Bearer {token.secret}"}


@pytest.fixture
def conn(engine: Engine) -> Iterator[Connection]:
    """A connection whose transaction is rolled back after the test."""
    with engine.connect() as c:
        trans = c.begin()
        yield c
        trans.rollback()


@pytest.fixture(scope="session")
def app(settings: Settings):
    """The service, as `make run` builds it, on the test database."""
    return create_app(settings)


@pytest.fixture(scope="session")
def client(app) -> Iterator[TestClient]:
    """An HTTP client of the service (its own pool, committed data)."""
    with TestClient(app) as c:
        yield c


@pytest.fixture
def tx_client(app, conn: Connection) -> Iterator[TestClient]:
    """An HTTP client whose requests share the rolled-back `conn` transaction."""
    app.dependency_overrides[get_conn] = app.dependency_overrides[get_read_conn] = lambda: conn
    try:
        with TestClient(app) as c:
            yield c
    finally:
        app.dependency_overrides.pop(get_conn, None)
        app.dependency_overrides.pop(get_read_conn, None)


@pytest.fixture(scope="session")
def live_server(settings: Settings) -> Iterator[str]:
    """The real service on a free loopback port (for GDAL, browsers); yields its base URL."""
    with serving(create_app(settings)) as (host, port):
        yield f"http://{host}:{port}"


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium driven by Playwright, one per test module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
