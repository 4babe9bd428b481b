"""`quyhoach export-map`: a PNG snapshot of a map view, or a PDF print at an exact scale."""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from core.errors import PlanningError
from core.settings import Settings, get_settings


@contextmanager
def serving(settings: Settings) -> Iterator[str]:
    """The service on a free loopback port for as long as the block runs; yields its base URL."""
    import uvicorn

    from api.app import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, name="quyhoach-export-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise PlanningError("Không khởi động được máy chủ bản đồ để xuất ảnh.",
                                "The map server for the snapshot did not start.")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@click.command("export-map")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="view.png (snapshot of the map) or sheet.pdf (print at a scale).")
@click.option("--bbox", help="Area: west,south,east,north in lon/lat (or --bbox-crs EPSG:5897).")
@click.option("--bbox-crs", help="CRS of --bbox, e.g. EPSG:5897 for VN-2000 metres.")
@click.option("--center", help="PDF: centre of the sheet as latitude,longitude.")
@click.option("--scale", help="PDF: 500, 1000, 2000 or 5000.")
@click.option("--paper", help="PDF: A4, A3 (default) or A1.")
@click.option("--orientation", type=click.Choice(["landscape", "portrait"]), help="PDF paper.")
@click.option("--width", type=int, help="PNG width in pixels (default 1600).")
@click.option("--height", type=int, help="PNG height in pixels (default: the bbox's shape).")
@click.option("--layers", help="Comma list of layers (default: all).")
@click.option("--plan", "plan_id", type=int, help="Id of a 1/2000 plan shown underneath.")
@click.option("--opacity", type=float, help="Opacity of the plan, 0–1.")
@click.option("--district", help="District slug (default: the one in view).")
@click.option("--from", "date_from", help="First day of the period (YYYY-MM-DD).")
@click.option("--to", "date_to", help="Last day of the period (YYYY-MM-DD).")
@click.option("--title", help="Title of the export.")
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi")
def export_map_cmd(out: Path, bbox: str | None, bbox_crs: str | None, center: str | None,
                   scale: str | None, paper: str | None, orientation: str | None,
                   width: int | None, height: int | None, layers: str | None,
                   plan_id: int | None, opacity: float | None, district: str | None,
                   date_from: str | None, date_to: str | None, title: str | None,
                   lang: str) -> None:
    """Export the clearance map: --out view.png renders /map; --out sheet.pdf prints at --scale."""
    from gis.db import make_engine

    kind = out.suffix.lower()
    if kind not in (".png", ".pdf"):
        raise click.UsageError("--out must end in .png or .pdf")
    settings = get_settings()
    engine = make_engine(settings, admin=True)
    common = {"layers": layers, "district": district, "date_from": date_from, "date_to": date_to,
              "plan": None if plan_id is None else str(plan_id),
              "opacity": None if opacity is None else str(opacity), "lang": lang, "title": title}
    try:
        if kind == ".pdf":
            from maps import pdf

            with engine.connect() as conn:
                req = pdf.parse_sheet(conn, bbox=bbox, bbox_crs=bbox_crs, center=center,
                                      scale=scale, paper=paper, orientation=orientation, **common)
                body = pdf.render_sheet(conn, settings, req)
            summary = f"{req.layout.paper} {req.layout.orientation}, 1:{req.scale}"
        else:
            from maps import export as X

            if center or scale or paper or orientation:
                raise click.UsageError("--center, --scale, --paper and --orientation are for PDF")
            with engine.connect() as conn:
                snap = X.parse_snapshot(conn, bbox=bbox, bbox_crs=bbox_crs,
                                        width=None if width is None else str(width),
                                        height=None if height is None else str(height), **common)
                caption = X.snapshot_caption(conn, snap)
            with serving(settings) as base_url:
                body = X.render_snapshot(X.SnapshotPool(settings), snap, caption, base_url)
            summary = f"{snap.width}×{snap.height} px"
    except PlanningError as exc:
        click.echo(f"error: {exc.message_en if lang == 'en' else exc.message}", err=True)
        sys.exit(2)
    finally:
        engine.dispose()
    out.write_bytes(body)
    click.echo(f"{out} ({summary}, {len(body) // 1024} KB)")
