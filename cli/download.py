"""`quyhoach export LAYER --format F --out FILE`: a layer's features as a file, as `f=` gives them.

The selection is the items' (bbox, datetime, CQL2 filter), the columns those the reader may
see: public ones, or a staff account's with `--user`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys
from pathlib import Path

import click

from cli.export import CRSType, Numbers, _bbox
from cli.users import USER_OPTION, fail, resolve_acting_user
from core.errors import PlanningError
from core.i18n import DOWNLOAD_WORDS, phrase
from core.settings import get_settings
from gis.db import make_engine
from layers import access, cql2, downloads, features
from layers.registry import LAYERS

DATE = click.DateTime(["%Y-%m-%d"])


@click.command("export")
@click.argument("layer", type=click.Choice(tuple(LAYERS)))
@click.option("--format", "fmt", required=True, type=click.Choice(tuple(downloads.FORMATS)),
              help="csv, gpkg, shp (zipped), kml, fgb (FlatGeobuf) or dxf (VN-2000 drawing).")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The file to write (a Shapefile is written as a zip).")
@click.option("--crs", type=CRSType(), default=None,
              help="CRS of the file: CRS84, EPSG:3857 or EPSG:5897 (default: the format's; "
                   "EPSG:5897 for shp and dxf, CRS84 otherwise).")
@click.option("--filter", "filter_", default=None, help="A CQL2 text filter, as /items takes it.")
@click.option("--bbox", type=Numbers(4, "105.88,21.02,105.92,21.05"),
              help="Area: west,south,east,north in lon/lat (or --bbox-crs EPSG:5897).")
@click.option("--bbox-crs", type=CRSType(), help="CRS of --bbox, e.g. EPSG:5897.")
@click.option("--from", "date_from", type=DATE, default=None, help="Start of the datetime interval.")
@click.option("--to", "date_to", type=DATE, default=None, help="End of the datetime interval.")
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi",
              help="Language of the CAD layer names and messages.")
@USER_OPTION
def export_layer_cmd(layer: str, fmt: str, out: Path, crs: tuple[int, bool] | None,
                     filter_: str | None, bbox: tuple[float, ...] | None,
                     bbox_crs: tuple[int, bool] | None, date_from: dt.datetime | None,
                     date_to: dt.datetime | None, lang: str, user_name: str | None) -> None:
    """Write a layer's features (all, or a selection) to a file, with a progress bar."""
    spec = LAYERS[layer]
    settings = get_settings()
    reader = resolve_acting_user(user_name, lang) if user_name else None
    period = None
    if date_from or date_to:
        period = (date_from.date() if date_from else None, date_to.date() if date_to else None)
    engine = make_engine(settings, admin=True)
    try:
        with engine.connect() as conn:
            if not access.may_read(spec, reader):
                fail(lang, f"lớp {layer} chỉ dành cho cán bộ: dùng --user.",
                     f"layer {layer} is for staff only: use --user.")
            q = features.Query(
                bbox=_bbox(bbox, bbox_crs), datetime=period, reader=reader,
                filter=cql2.compile_filter(spec, filter_, may_read_staff=access.is_staff(reader)))
            srid = downloads.output_srid(downloads.FORMATS[fmt], crs[0] if crs else None)
            q = dataclasses.replace(q, out_srid=srid)
            total = downloads.check_size(conn, spec, q, settings.export_max_features)
            with click.progressbar(length=total, label=out.name, file=sys.stderr,
                                   show_pos=True) as bar:
                downloads.write(conn, spec, q, fmt, out, lang, progress=bar.update)
    except PlanningError as exc:
        fail(lang, exc.message, exc.message_en)
    finally:
        engine.dispose()
    click.echo(phrase(DOWNLOAD_WORDS, "written", lang, count=total, path=out))
