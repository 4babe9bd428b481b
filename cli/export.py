"""`quyhoach export-map`: a PNG snapshot of a map view, or a PDF print at an exact scale.

Options arrive typed through click (numbers, dates, choices); maps.export and maps.pdf check
them as they do the API's, with the same bilingual messages. A PNG is the /map page rendered by
Chromium, so the command runs the service for the while on a loopback port: uvicorn imports
the app factory by name (`api.app:create_app`), which reads the same environment as this command.
"""

from __future__ import annotations

import datetime as dt
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from core.errors import PlanningError
from core.settings import get_settings
from gis.db import make_engine
from gis.srs import WGS84, UnsupportedCRSError, parse_crs
from layers.features import BBox
from layers.units import wards_by_district
from maps import export as X
from maps import pdf

APP_FACTORY = "api.app:create_app"


@contextmanager
def serving() -> Iterator[str]:
    """The service on a free loopback port for as long as the block runs; yields its base URL.

    uvicorn builds the app from its import string with the settings of the environment, the
    same this command read; the socket is bound here first, so no other process can take it.
    """
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(APP_FACTORY, factory=True, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]},
                              name="quyhoach-export-server", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise PlanningError("Không khởi động được máy chủ bản đồ để xuất ảnh.",
                                    "The map server for the snapshot did not start.")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


class Numbers(click.ParamType):
    """A comma list of `count` finite numbers, e.g. 105.88,21.02,105.92,21.05."""

    name = "numbers"

    def __init__(self, count: int, example: str):
        self.count = count
        self.example = example

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None
                ) -> tuple[float, ...]:
        """The numbers of the list, or a usage error."""
        if isinstance(value, tuple):
            return value
        try:
            nums = tuple(float(v) for v in str(value).split(","))
        except ValueError:
            nums = ()
        if len(nums) != self.count or not all(n == n and abs(n) != float("inf") for n in nums):
            self.fail(f"{value!r} must be {self.count} comma-separated numbers, "
                      f"e.g. {self.example}", param, ctx)
        return nums


class CRSType(click.ParamType):
    """A CRS reference (EPSG:5897, EPSG:4326, CRS84...) as (srid, latitude-first axis order)."""

    name = "crs"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None
                ) -> tuple[int, bool]:
        """The SRID and axis order of the reference, or a usage error."""
        if isinstance(value, tuple):
            return value
        try:
            return parse_crs(str(value))
        except UnsupportedCRSError:
            self.fail(f"{value!r} is not supported: use CRS84, EPSG:4326, EPSG:3857 or EPSG:5897",
                      param, ctx)


def _bbox(values: tuple[float, ...] | None, crs: tuple[int, bool] | None) -> BBox | None:
    if values is None:
        return None
    srid, lat_lon = crs or (WGS84, False)
    x1, y1, x2, y2 = values
    if lat_lon:
        x1, y1, x2, y2 = y1, x1, y2, x2
    if x1 > x2 or y1 > y2:
        raise click.BadParameter("each minimum must come before its maximum", param_hint="--bbox")
    return BBox(x1, y1, x2, y2, srid)


def _day(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value is not None else None


DATE = click.DateTime(["%Y-%m-%d"])


@click.command("export-map")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="view.png (snapshot of the map) or sheet.pdf (print at a scale).")
@click.option("--bbox", type=Numbers(4, "105.88,21.02,105.92,21.05"),
              help="Area: west,south,east,north in lon/lat (or --bbox-crs EPSG:5897).")
@click.option("--bbox-crs", type=CRSType(), help="CRS of --bbox, e.g. EPSG:5897 for VN-2000 metres.")
@click.option("--center", type=Numbers(2, "21.0445,105.8950"),
              help="PDF: centre of the sheet as latitude,longitude.")
@click.option("--scale", type=int, help="PDF: 500, 1000, 2000 or 5000 (as in 1:2000).")
@click.option("--paper", type=click.Choice(list(pdf.PAPERS), case_sensitive=False),
              help="PDF: A4, A3 (default) or A1.")
@click.option("--orientation", type=click.Choice(pdf.ORIENTATIONS), help="PDF paper.")
@click.option("--width", type=int, help="PNG width in pixels (default 1600).")
@click.option("--height", type=int, help="PNG height in pixels (default: the bbox's shape).")
@click.option("--layers", help="Comma list of layers (default: all).")
@click.option("--plan", "plan_id", type=int, help="Id of a 1/2000 plan shown underneath.")
@click.option("--opacity", type=float, help="Opacity of the plan, 0–1.")
@click.option("--district", help="District slug (default: the one in view).")
@click.option("--from", "date_from", type=DATE, help="First day of the period (YYYY-MM-DD).")
@click.option("--to", "date_to", type=DATE, help="Last day of the period (YYYY-MM-DD).")
@click.option("--as-of", "as_of", type=DATE,
              help="The map and its figures as the status history stood on this day.")
@click.option("--title", help="Title of the export.")
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi")
def export_map_cmd(out: Path, bbox: tuple[float, ...] | None, bbox_crs: tuple[int, bool] | None,
                   center: tuple[float, ...] | None, scale: int | None, paper: str | None,
                   orientation: str | None, width: int | None, height: int | None,
                   layers: str | None, plan_id: int | None, opacity: float | None,
                   district: str | None, date_from: dt.datetime | None,
                   date_to: dt.datetime | None, as_of: dt.datetime | None, title: str | None,
                   lang: str) -> None:
    """Export the clearance map: --out view.png renders /map; --out sheet.pdf prints at --scale."""
    kind = out.suffix.lower()
    if kind not in (".png", ".pdf"):
        raise click.UsageError("--out must end in .png or .pdf")
    box = _bbox(bbox, bbox_crs)
    content = X.ContentRequest(
        layers=None if layers is None else tuple(v.strip() for v in layers.split(",") if v.strip()),
        district=(district or "").strip() or None, date_from=_day(date_from),
        date_to=_day(date_to), as_of=_day(as_of), plan=plan_id, opacity=opacity, lang=lang,
        title=title)
    if kind == ".png":
        if center or scale or paper or orientation:
            raise click.UsageError("--center, --scale, --paper and --orientation are for PDF")
        if box is None:
            raise click.UsageError("--bbox is needed for a PNG")
    settings = get_settings()
    engine = make_engine(settings, admin=True)
    srid = settings.storage_srid
    try:
        with engine.connect() as conn:
            known = wards_by_district(conn)
            if content.district is not None and content.district not in known:
                raise click.BadParameter(f"{content.district!r}; districts: {', '.join(known)}",
                                         param_hint="--district")
            if kind == ".pdf":
                sheet = pdf.plan_sheet(conn, pdf.SheetRequest(
                    bbox=box, center=None if center is None else (center[0], center[1]),
                    scale=scale, paper=paper or "A3", orientation=orientation or "landscape",
                    content=content), srid)
                body = pdf.render_sheet(conn, settings, sheet)
                summary = f"{sheet.layout.paper} {sheet.layout.orientation}, 1:{sheet.scale}"
            else:
                assert box is not None
                snap, caption = X.prepare_snapshot(
                    conn, X.SnapshotRequest(box, width, height, content), srid)
                summary = f"{snap.width}×{snap.height} px"
        if kind == ".png":
            with serving() as base_url:
                body = X.render_snapshot(X.SnapshotPool(settings), snap, caption, base_url)
    except PlanningError as exc:
        click.echo(f"error: {exc.message_en if lang == 'en' else exc.message}", err=True)
        sys.exit(2)
    finally:
        engine.dispose()
    out.write_bytes(body)
    click.echo(f"{out} ({summary}, {len(body) // 1024} KB)")
