"""The `quyhoach` command line."""

from __future__ import annotations

import atexit
import datetime as dt
import gc
import sys
from pathlib import Path

import click
from sqlalchemy import text

from cli.download import export_layer_cmd
from cli.export import export_map_cmd
from cli.history import status
from cli.import_ import import_cmd
from cli.layer import layer
from cli.plans import plan
from cli.units import units
from cli.users import token, user
from core import i18n
from core.settings import get_settings
from gis.cluster import ClusterError, cluster_from, down, up
from gis.db import database_url, libpq_url, make_engine
from layers.admin_units import get_unit
from layers.migrate import current, upgrade
from layers.sample import load_sample
from maps.infrastructure import write_infrastructure_report
from maps.report import write_report


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """Quyhoach: spatial planning service for Hanoi's districts."""
    # What the imports built lives as long as the command, so the collector need not scan it
    # while the command runs; it is unfrozen at the end for a caller that goes on (a test runner).
    gc.freeze()
    ctx.call_on_close(gc.unfreeze)


# Nor need the interpreter walk it at exit, which took 0.2 s of every command.
atexit.register(gc.freeze)


@main.group()
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
        _fail(str(exc))
    click.echo(f"PostGIS cluster up: {url}")


@db.command("down")
def db_down() -> None:
    """Stop the project-local cluster."""
    try:
        stopped = down(cluster_from(get_settings()))
    except ClusterError as exc:
        _fail(str(exc))
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
        _fail(f"cannot read the database status: {exc}")
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


@main.command("load-sample")
@click.option("--if-empty", is_flag=True, help="Load only when the layers hold no data yet.")
def load_sample_cmd(if_empty: bool) -> None:
    """Load the Long Biên and Hai Bà Trưng sample (replaces the layers' contents)."""
    engine = make_engine(get_settings(), admin=True)
    counts = load_sample(engine, if_empty=if_empty, plan_store=get_settings().plan_store)
    if counts is None:
        click.echo("Layers already hold data; sample not loaded.")
    else:
        click.echo("Sample loaded: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    engine.dispose()


@main.command("report")
@click.option("--topic", type=click.Choice(["clearance", "infrastructure"]), default="clearance",
              help="Site clearance, or the infrastructure programme's figures.")
@click.option("--unit", default=None, help="Administrative unit id, old or new, e.g. bo-de.")
@click.option("--district", default=None, help="District slug, e.g. long-bien (or --unit).")
@click.option("--ward", default=None, help="Restrict to one ward (its name).")
@click.option("--from", "date_from", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--to", "date_to", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "md", "pdf", "xlsx"]),
              default="text")
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="The figures as the status history stood on this day.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the report to this file (pdf and xlsx: a file named after the period).")
def report_cmd(
    unit: str | None, district: str | None, ward: str | None, date_from: dt.datetime, date_to: dt.datetime, fmt: str,
    lang: str, as_of: dt.datetime | None, out: Path | None, topic: str,
) -> None:
    """Clearance progress (or the infrastructure figures) of a district for a period."""
    if date_to < date_from:
        _fail("--to is before --from")
    engine = make_engine(get_settings(), admin=True)
    with engine.connect() as conn:
        found = get_unit(conn, unit) if unit else None
        if unit and found is None:
            _fail(i18n.phrase(i18n.UNIT_WORDS, "unknown", lang, id=unit))
        if found is not None:
            district, ward = found.slot
        if not district:
            _fail("--unit or --district is required")
        write = write_infrastructure_report if topic == "infrastructure" else write_report
        body, path = write(conn, str(district), date_from.date(), date_to.date(), ward,
                           as_of.date() if as_of else None, fmt, lang, out)
    engine.dispose()
    if path is not None:
        click.echo(f"Report written to {path}" if lang == "en" else f"Đã ghi báo cáo: {path}")
    else:
        click.echo(body)


@main.command("serve")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=8000, type=int)
@click.option("--workers", default=1, type=int)
def serve_cmd(host: str, port: int, workers: int) -> None:
    """Serve the API and the map."""
    import uvicorn

    uvicorn.run("api.app:create_app", factory=True, host=host, port=port, workers=workers)



main.add_command(plan)


main.add_command(import_cmd)
main.add_command(layer)
main.add_command(units)


main.add_command(export_map_cmd)
main.add_command(export_layer_cmd)


main.add_command(status)
main.add_command(user)
main.add_command(token)

if __name__ == "__main__":
    main()
