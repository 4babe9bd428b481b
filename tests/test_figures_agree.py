"""Map exports count as /stats does: the PNG caption, the PDF sheet, the report and /stats/clearance.

For a whole district the four show the same projects, plans approved / total and hectares, on
the day asked for (`as_of`) and today. A smaller view restricts the exports' figures to the area
each shows (the PNG's fitted view, the PDF's map frame) by the same rules, on the same day.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from click.testing import CliRunner
from PIL import Image

from api import params as P
from api import views
from api.deps import Period, Place
from cli.main import main
from gis.srs import VN2000, WGS84
from layers.queries import Area, clearance_stats
from maps import export as X
from maps import pdf

START, END = dt.date(2022, 1, 1), dt.date(2022, 6, 30)
PERIOD = {"district": "long-bien", "from": START.isoformat(), "to": END.isoformat()}
AS_OF = dt.date(2022, 4, 15)
DISTRICT_VIEW = "105.85,20.99,105.96,21.09"  # all of Long Biên's wards, with a margin
SMALL_VIEW = "105.88,21.02,105.905,21.04"  # fits an A1 sheet at 1:5000
LAYERS = "projects,parcels"

CAPTION = re.compile(r"([\d.]+) dự án · phương án đã phê duyệt ([\d.]+)/([\d.]+) · "
                     r"đất đã thu hồi ([\d.,]+) ha")


def _int(s: str) -> int:
    """A count written the Vietnamese way (1.315)."""
    return int(s.replace(".", ""))


def _dp(s: str) -> str:
    """A decimal written the Vietnamese way (3,80), as Python writes it (3.80)."""
    return s.replace(".", "").replace(",", ".")


def figures(doc: dict[str, Any]) -> tuple[int, int, int, str]:
    """Projects, plans approved, plans total and hectares (2 dp) of a clearance_stats document."""
    return (doc["projects"], doc["plans_approved"], doc["plans_total"],
            f"{float(doc['recovered_ha']):.2f}")


def caption_figures(lines: list[str]) -> tuple[int, int, int, str]:
    """The figures a snapshot caption shows."""
    found = [m for line in lines if (m := CAPTION.search(line))]
    assert len(found) == 1, lines
    m = found[0]
    return _int(m.group(1)), _int(m.group(2)), _int(m.group(3)), _dp(m.group(4))


def sheet_figures(text: str) -> tuple[int, int, int, str]:
    """The figures a PDF sheet's panel shows (pdftotext)."""
    body = " ".join(text.split())
    projects = re.search(r"Dự án triển khai: ([\d.]+)", body)
    plans = re.search(r"Phương án đã phê duyệt: ([\d.]+)/([\d.]+)", body)
    ha = re.search(r"Diện tích đất đã thu hồi: ([\d.,]+) ha", body)
    assert projects and plans and ha, body
    return (_int(projects.group(1)), _int(plans.group(1)), _int(plans.group(2)),
            _dp(ha.group(1)))


def pdftext(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def query(as_of: dt.date | None, **extra: str) -> dict[str, str]:
    q = {**PERIOD, **extra}
    if as_of is not None:
        q["as_of"] = as_of.isoformat()
    return q


def period(as_of: dt.date | None) -> Period:
    return Period(START, END, as_of)


def snapshot_request(bbox: str, as_of: dt.date | None, width: str = "1600") -> X.SnapshotRequest:
    """The typed request the PNG route builds from this query string."""
    return views.snapshot_request(content(as_of), bbox=bbox, bbox_crs=None, width=width,
                                  height=None)


def content(as_of: dt.date | None) -> X.ContentRequest:
    """What the export routes show for this query string."""
    return views.content_request(Place("long-bien", None), period(as_of), "vi", layers=LAYERS,
                                 plan=None, opacity=None, title=None)


def area_stats(conn, settings, as_of: dt.date | None, area: Area) -> tuple[int, int, int, str]:
    return figures(orjson.loads(clearance_stats(
        conn, "long-bien", START, END, as_of=as_of, area=area,
        storage_srid=settings.storage_srid)))


@pytest.mark.parametrize("as_of", [AS_OF, None], ids=["as_of", "today"])
def test_district_caption_report_and_stats_agree(client, conn, settings, as_of) -> None:
    stats = client.get("/stats/clearance", params=query(as_of)).json()
    report = client.get("/reports/clearance", params=query(as_of, format="json")).json()
    assert stats["as_of"] == report["as_of"] == (as_of.isoformat() if as_of else None)
    assert figures(stats) == figures(report)

    snap = X.snapshot(conn, snapshot_request(DISTRICT_VIEW, as_of), settings.storage_srid)
    assert snap.content.as_of == as_of
    caption = X.snapshot_caption(conn, snap, settings.storage_srid)
    assert caption_figures(caption) == figures(stats)
    if as_of is not None:
        assert "theo tình trạng ngày 15/04/2022" in caption[1]
        today = client.get("/stats/clearance", params=query(None)).json()
        assert figures(stats) != figures(today)  # the day asked for changes what is counted


@pytest.mark.parametrize("as_of", [AS_OF, None], ids=["as_of", "today"])
def test_smaller_view_png_and_pdf_count_their_area_as_stats_does(client, conn, settings,
                                                                  tmp_path, as_of) -> None:
    district = figures(client.get("/stats/clearance", params=query(as_of)).json())

    # The PDF: a real print of the view, read back as text.
    r = client.get("/exports/map.pdf", params=query(as_of, bbox=SMALL_VIEW, paper="A1",
                                                     layers=LAYERS))
    assert r.status_code == 200, r.text
    path = tmp_path / "sheet.pdf"
    path.write_bytes(r.content)
    text = pdftext(path)
    sheet = pdf.plan_sheet(conn, views.sheet_request(
        content(as_of), bbox=SMALL_VIEW, bbox_crs=None, center=None, scale=None, paper="A1",
        orientation=None), settings.storage_srid)
    on_sheet = sheet_figures(text)
    assert on_sheet == area_stats(conn, settings, as_of, Area(*sheet.extent, VN2000))
    assert ("Theo tình trạng ngày 15/04/2022" in " ".join(text.split())) == (as_of is not None)

    # The PNG caption of the same query: its figures are those of the view it shows.
    snap = X.snapshot(conn, snapshot_request(SMALL_VIEW, as_of), settings.storage_srid)
    in_view = caption_figures(X.snapshot_caption(conn, snap, settings.storage_srid))
    assert in_view == area_stats(conn, settings, as_of, Area(*snap.view.bounds, WGS84))

    for shown in (on_sheet, in_view):  # restricted to the area, not the district's
        assert 0 < shown[2] < district[2] and shown[0] < district[0]


def test_png_route_passes_as_of_to_the_caption_and_the_page(live_server, client,
                                                            monkeypatch) -> None:
    seen: dict[str, Any] = {}
    caption_lines, map_url = X.caption_lines, X.map_url

    def caption_seen(snap: X.Snapshot, found: X.Figures | None, *args: Any) -> list[str]:
        seen["snap"], seen["lines"] = snap, caption_lines(snap, found, *args)
        return seen["lines"]

    def url_seen(base_url: str, snap: X.Snapshot) -> str:
        seen["url"] = map_url(base_url, snap)
        return seen["url"]

    monkeypatch.setattr(X, "caption_lines", caption_seen)
    monkeypatch.setattr(X, "map_url", url_seen)
    r = httpx.get(f"{live_server}/exports/map.png", timeout=60, params=query(
        AS_OF, bbox=DISTRICT_VIEW, width="600", layers=LAYERS))
    assert r.status_code == 200, r.text
    assert r.content.startswith(b"\x89PNG")
    assert seen["snap"].content.as_of == AS_OF
    assert "as_of=2022-04-15" in seen["url"]  # the page is drawn as of the day too
    stats = client.get("/stats/clearance", params=query(AS_OF)).json()
    assert caption_figures(seen["lines"]) == figures(stats)


def test_cli_prints_and_snapshots_as_of_a_day(database_url, plan_store, settings, engine,
                                              tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("QUYHOACH_PLAN_STORE", str(plan_store))
    monkeypatch.setenv("QUYHOACH_BASEMAP_URL", settings.basemap_url)
    sheet_path = tmp_path / "sheet.pdf"
    result = CliRunner().invoke(main, [
        "export-map", "--out", str(sheet_path), "--bbox", SMALL_VIEW, "--paper", "A1",
        "--layers", LAYERS, "--district", "long-bien", "--from", "2022-01-01",
        "--to", "2022-06-30", "--as-of", "2022-04-15"])
    assert result.exit_code == 0, result.output
    with engine.connect() as conn:
        sheet = pdf.plan_sheet(conn, pdf.SheetRequest(
            bbox=P.bbox_param(SMALL_VIEW, None), paper="A1",
            content=X.ContentRequest(layers=("projects", "parcels"), district="long-bien",
                                     date_from=START, date_to=END, as_of=AS_OF)),
            settings.storage_srid)
        expected = area_stats(conn, settings, AS_OF, Area(*sheet.extent, VN2000))
    assert sheet_figures(pdftext(sheet_path)) == expected

    seen: dict[str, Any] = {}
    map_url = X.map_url

    def url_seen(base_url: str, snap: X.Snapshot) -> str:
        seen["url"] = map_url(base_url, snap)
        return seen["url"]

    monkeypatch.setattr(X, "map_url", url_seen)
    view_path = tmp_path / "view.png"
    result = CliRunner().invoke(main, [
        "export-map", "--out", str(view_path), "--bbox", SMALL_VIEW, "--width", "400",
        "--layers", "projects", "--as-of", "2022-04-15"])
    assert result.exit_code == 0, result.output
    assert Image.open(view_path).size[0] == 400
    assert "as_of=2022-04-15" in seen["url"] and "district=long-bien" in seen["url"]
