"""`quyhoach report`: clearance progress or the infrastructure figures of a unit for a period."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from cli.common import fail
from core import i18n
from core.settings import get_settings
from gis.db import make_engine
from layers.admin_units import get_unit
from maps.infrastructure import write_infrastructure_report
from maps.report import write_report


@click.command("report")
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
        fail("--to is before --from")
    engine = make_engine(get_settings(), admin=True)
    with engine.connect() as conn:
        found = get_unit(conn, unit) if unit else None
        if unit and found is None:
            fail(i18n.phrase(i18n.UNIT_WORDS, "unknown", lang, id=unit))
        if found is not None:
            district, ward = found.slot
        if not district:
            fail("--unit or --district is required")
        write = write_infrastructure_report if topic == "infrastructure" else write_report
        body, path = write(conn, str(district), date_from.date(), date_to.date(), ward,
                           as_of.date() if as_of else None, fmt, lang, out)
    engine.dispose()
    if path is not None:
        click.echo(f"Report written to {path}" if lang == "en" else f"Đã ghi báo cáo: {path}")
    else:
        click.echo(body)
