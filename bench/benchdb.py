"""The benchmark's own databases on the project's PostgreSQL server: create, migrate, fill."""

from __future__ import annotations

import json
import time

import psycopg
import synth

from core.settings import Settings
from gis.db import libpq_url, make_engine
from layers.migrate import alembic_config, upgrade


def schema_heads() -> list[str]:
    """The migration heads of the code (a data set is rebuilt when the schema moves on)."""
    from alembic.script import ScriptDirectory

    return sorted(ScriptDirectory.from_config(alembic_config()).get_heads())


def admin_url(url: str) -> str:
    """The maintenance database's URL on the same server as `url`."""
    return libpq_url(url).rpartition("/")[0] + "/postgres"


def server_url(settings: Settings) -> str:
    """The admin URL of DATABASE_URL's server, or of the project's own cluster (started)."""
    if settings.database_url:
        return admin_url(settings.database_url)
    from gis import cluster as pgcluster

    cl = pgcluster.cluster_from(settings)
    pgcluster.up(cl)
    return cl.admin_url


def database_url(server: str, name: str) -> str:
    """URL of database `name` on the server whose admin URL is given."""
    return server.rpartition("/")[0] + "/" + name


def recreate(server: str, name: str) -> str:
    """Drop and create a database, migrated to the project's schema; return its URL."""
    with psycopg.connect(server, autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        c.execute(f'CREATE DATABASE "{name}"')
    url = database_url(server, name)
    engine = make_engine(Settings(database_url=url), url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    return url


def drop(server: str, name: str) -> None:
    """Drop a database if it exists."""
    with psycopg.connect(server, autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _meta(url: str) -> dict | None:
    try:
        with psycopg.connect(url, connect_timeout=5) as c:
            row = c.execute("SELECT to_regclass('bench_meta') IS NOT NULL").fetchone()
            if not row or not row[0]:
                return None
            got = c.execute("SELECT meta FROM bench_meta").fetchone()
            return got[0] if got else None
    except psycopg.OperationalError:
        return None


def ensure(server: str, name: str, parcels: int, fresh: bool = False,
           ds: synth.Dataset | None = None) -> tuple[str, synth.Dataset | None, float]:
    """The data set's database, generated unless an identical one is there; (url, data, seconds).

    The data set is returned only when it was generated now.
    """
    url = database_url(server, name)
    want = {"version": synth.GENERATOR_VERSION, "seed": synth.SEED, "parcels": parcels,
            "schema": schema_heads()}
    if not fresh and _meta(url) == want:
        return url, None, 0.0
    t0 = time.perf_counter()
    url = recreate(server, name)
    ds = ds or synth.generate(parcels)
    synth.load(url, ds)
    with psycopg.connect(url) as c:
        c.execute("CREATE TABLE bench_meta (meta jsonb NOT NULL)")
        c.execute("INSERT INTO bench_meta VALUES (%s::jsonb)", (json.dumps(want),))
    return url, ds, time.perf_counter() - t0
