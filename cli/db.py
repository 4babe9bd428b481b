"""`quyhoach db`: the project's own PostGIS cluster, or DATABASE_URL, and its schema."""

from __future__ import annotations

import click
from sqlalchemy import text

from cli.common import fail
from core.settings import get_settings
from gis.cluster import ClusterError, cluster_from, down, up
from gis.db import database_url, libpq_url, make_engine
from layers.migrate import current, upgrade


@click.group()
def db() -> None:
    """The database: the project's own PostGIS cluster, or DATABASE_URL."""


@db.command("up")
def db_up() -> None:
    """Initialise and start the project-local cluster (unless DATABASE_URL is set)."""
    settings = get_settings()
    if settings.database_url:
        click.echo("DATABASE_URL is set; the local cluster is not needed.")
        return
    try:
        url = up(cluster_from(settings))
    except ClusterError as exc:
        fail(str(exc))
    click.echo(f"PostGIS cluster up: {url}")


@db.command("down")
def db_down() -> None:
    """Stop the project-local cluster."""
    try:
        stopped = down(cluster_from(get_settings()))
    except ClusterError as exc:
        fail(str(exc))
    click.echo("PostGIS cluster stopped." if stopped else "PostGIS cluster was not running.")


@db.command("path")
def db_path() -> None:
    """Print the project-local cluster's data directory."""
    click.echo(cluster_from(get_settings()).data_dir)


@db.command("url")
def db_url() -> None:
    """Print the database URL in use."""
    click.echo(libpq_url(database_url(get_settings())))


@db.command("status")
def db_status() -> None:
    """Print the PostgreSQL and PostGIS versions and the schema revision in use."""
    engine = make_engine(get_settings())
    try:
        with engine.connect() as conn:
            postgres, postgis = conn.execute(text("SELECT version(), postgis_full_version()")).one()
            schema = None
            if conn.execute(text("SELECT to_regclass('alembic_version')")).scalar() is not None:
                schema = conn.execute(text(
                    "SELECT string_agg(version_num, ',' ORDER BY version_num) FROM alembic_version"
                )).scalar()
    except Exception as exc:  # no server, or no PostGIS extension yet
        fail(f"cannot read the database status: {exc}")
    finally:
        engine.dispose()
    click.echo(f"PostgreSQL: {postgres}")
    click.echo(f"PostGIS: {postgis}")
    click.echo(f"Schema: {schema or '(none)'}")


@db.command("migrate")
def db_migrate() -> None:
    """Apply the schema migrations (the PostGIS extension included)."""
    engine = make_engine(get_settings(), admin=True)
    upgrade(engine)
    click.echo(f"Schema at revision {current(engine)}.")
    engine.dispose()
