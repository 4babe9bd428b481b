"""Administrative units in the pages and prints: the unit picker and period controls, the former
boundaries, the succession page, the titles, and `quyhoach units import` / `succession add`."""

from __future__ import annotations

import datetime as dt
import html
import re
import subprocess
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
import shapely
from click.testing import CliRunner
from shapely.geometry import Polygon
from sqlalchemy import text

from cli.main import main
from maps import units as unit_views

H1_2022 = {"from": "2022-01-01", "to": "2022-06-30"}
NEW_WARD = "phường Bồ Đề (từ 01/07/2025)"
MAP_READY = ("() => window.quyhoach && quyhoach.idle && quyhoach.idle()"
             " && quyhoach.state.statsStatus === 'loaded'")
DASHBOARD_READY = "() => window.qhDashboard && qhDashboard.state.status === 'loaded'"


def _title(page: str) -> str:
    found = re.search(r"<title>(.*?)</title>", page, re.S)
    assert found, page[:300]
    return html.unescape(found.group(1)).strip()


def _pdftext(path: Path) -> str:
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                         text=True, check=True).stdout
    return " ".join(out.split())


# --- the succession page ----------------------------------------------------------------------


def _share_tables(page: str, section: str) -> dict[str, list[tuple[str, float, str]]]:
    """Each level's rows of a section: (unit id, share, shown percentage), and the total cell."""
    body = re.search(rf'<section id="qu-{section}">(.*?)</section>', page, re.S)
    assert body, section
    tables: dict[str, list[tuple[str, float, str]]] = {}
    for level, table in re.findall(r'<table [^>]*data-level="(\w+)">(.*?)</table>',
                                   body.group(1), re.S):
        rows = re.findall(r'<tr data-unit="([^"]+)">.*?class="qu-num qu-share" '
                          r'data-share="([^"]+)">([^<]+)</td>', table, re.S)
        total = re.search(r'class="qu-num qu-total" data-share="([^"]+)">([^<]+)</td>', table)
        assert total, table
        tables[level] = [(u, float(s), p) for u, s, p in rows]
        tables[level].append(("total", float(total.group(1)), total.group(2)))
    return tables


def _pct(shown: str) -> float:
    return float(shown.rstrip("%").replace(".", "").replace(",", "."))


def test_succession_page_of_a_new_ward_shares_sum_to_100(client) -> None:
    """The new ward's former wards and district, each share of its area, adding up to 100 %."""
    r = client.get("/units/bo-de/succession")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    assert _title(page) == f"Nguồn gốc và kế thừa — {NEW_WARD}"
    tables = _share_tables(page, "predecessors")
    assert set(tables) == {"district", "ward"}
    wards = tables["ward"]
    *rows, total = wards
    assert {u for u, _, _ in rows} >= {"long-bien.bo-de", "long-bien.ngoc-lam",
                                       "long-bien.gia-thuy"}
    assert abs(sum(s for _, s, _ in rows) - 1) < 1e-6
    assert total[2] == "100,0%"
    # what a reader adds up: the percentages shown, each rounded to a tenth
    assert abs(sum(_pct(p) for _, _, p in rows) - 100) <= 0.05 * len(rows)
    assert tables["district"][-1][2] == "100,0%"
    assert "phường Bồ Đề (đến 30/06/2025)" in page and "toàn bộ" in page and "một phần" in page
    assert "Chưa có đơn vị kế thừa." in page
    # the small map draws the ward and what it came from (the page's own data, no request)
    config = re.search(r'<script type="application/json" id="qu-config">(.*?)</script>', page,
                       re.S)
    assert config and '"role":"predecessor"' in config.group(1)
    assert "/static/maps/quyhoach-units.js" in page


def test_succession_page_of_an_old_ward_and_in_english(client) -> None:
    """An old ward lists where its area went (100 % in all); the page speaks English too."""
    page = client.get("/units/long-bien.gia-thuy/succession", params={"lang": "en"}).text
    assert _title(page) == "Succession — Gia Thụy ward (until 2025-06-30)"
    tables = _share_tables(page, "successors")
    *rows, total = tables["ward"]
    assert len(rows) >= 2 and total[2] == "100.0%"
    assert "Its area now belongs to" in page and "No earlier unit is recorded." in page
    r = client.get("/units/khong-co/succession")
    assert r.status_code == 404 and "/units?on=" in r.text


# --- the picker, the presets and the former boundaries ------------------------------------------


def test_picker_lists_todays_wards_then_the_former_ones_by_district(conn) -> None:
    """Today's wards first, then each former district with its own wards under its name."""
    config = unit_views.controls_config(conn, None, "vi", today=dt.date(2026, 1, 1))
    groups = config["groups"]
    assert groups[0]["label"] == "Hiện nay (từ 01/07/2025)"
    today = [u["id"] for u in groups[0]["units"]]
    assert "bo-de" in today and "long-bien" not in today
    assert not any(u.startswith("long-bien.") for u in today)
    by_label = {g["label"]: g for g in groups}
    long_bien = by_label["quận Long Biên (đến 30/06/2025)"]
    ids = [u["id"] for u in long_bien["units"]]
    assert ids[0] == "long-bien" and "long-bien.bo-de" in ids and "hai-ba-trung.bach-mai" not in ids
    assert len(ids) == 15  # the district and its 14 wards
    assert "quận Hai Bà Trưng (đến 30/06/2025)" in by_label
    assert config["formerOn"] == "2025-06-30"
    assert [p["from"] for p in config["presets"]][:2] == ["2022-01-01", "2011-01-01"]


def test_former_boundaries_are_outlines_of_the_old_units(client) -> None:
    """/units?on=DAY&f=geojson: lines around the units of that day, no areas."""
    fc = client.get("/units", params={"on": "2025-06-30", "f": "geojson"}).json()
    ids = {f["id"] for f in fc["features"]}
    assert {"long-bien", "long-bien.bo-de", "hai-ba-trung"} <= ids and "bo-de" not in ids
    assert {f["geometry"]["type"] for f in fc["features"]} <= {"LineString", "MultiLineString"}
    assert client.get("/units", params={"f": "kml"}).status_code == 400


# --- titles -------------------------------------------------------------------------------------


def test_titles_name_a_new_ward(client, tmp_path: Path) -> None:
    """The map, the dashboard and the PDF print name the ward, not "quận Bo De"."""
    page = client.get("/map", params={"unit": "bo-de", **H1_2022}).text
    assert _title(page) == f"Bản đồ giải phóng mặt bằng — {NEW_WARD}"
    assert f"Tiến độ GPMB — {NEW_WARD}" in html.unescape(page)
    assert "Bo De" not in page
    board = client.get("/dashboard", params={"unit": "bo-de", **H1_2022}).text
    assert _title(board) == f"Tiến độ giải phóng mặt bằng — {NEW_WARD}"
    assert 'id="qd-unit"' in board and "Bo De" not in board
    r = client.get("/exports/map.pdf", params={"unit": "bo-de", **H1_2022, "paper": "A3",
                                               "layers": "wards,projects"})
    assert r.status_code == 200, r.text
    path = tmp_path / "bo-de.pdf"
    path.write_bytes(r.content)
    body = _pdftext(path)
    for words in ("UBND PHƯỜNG BỒ ĐỀ", f"Bản đồ giải phóng mặt bằng — {NEW_WARD}",
                  "Phường Bồ Đề (từ 01/07/2025), thành phố Hà Nội"):
        assert words in body, (words, body[:600])
    assert "QUẬN BO DE" not in body.upper()


def test_titles_of_the_old_districts_stay(client) -> None:
    """The districts' default pages keep their names, in both languages."""
    assert _title(client.get("/map").text) == "Bản đồ giải phóng mặt bằng — quận Long Biên"
    assert _title(client.get("/map", params={"lang": "en", "district": "hai-ba-trung"}).text) == (
        "Site-clearance map — Hai Bà Trưng district")
    assert _title(client.get("/dashboard", params={"district": "long-bien"}).text) == (
        "Tiến độ giải phóng mặt bằng — quận Long Biên")
    # a former ward, chosen in the picker, is named with its district
    assert _title(client.get("/dashboard", params={"unit": "long-bien.bo-de"}).text) == (
        "Tiến độ giải phóng mặt bằng — phường Bồ Đề, quận Long Biên")


# --- quyhoach units import / succession add -----------------------------------------------------


def _square(x: float, y: float, side: float = 400.0) -> Polygon:
    return Polygon([(x, y), (x + side, y), (x + side, y + side), (x, y + side)])


@pytest.fixture
def inside_ngoc_lam(engine) -> tuple[float, float]:
    """A point well inside former Ngọc Lâm ward (VN-2000), for squares that lie in it."""
    with engine.connect() as c:
        x, y = c.execute(text(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(ST_Buffer(geom, -150)) AS p "
            "FROM admin_units WHERE id = 'long-bien.ngoc-lam') s")).one()
    return float(x) - 20, float(y) - 20


@pytest.fixture
def cleanup(engine):
    ids: list[str] = []
    yield ids
    with engine.begin() as c:
        c.execute(text("DELETE FROM admin_units WHERE id = ANY(:ids)"), {"ids": ids})


def _units(engine, ids: list[str]) -> dict[str, Any]:
    with engine.connect() as c:
        rows = c.execute(text(
            "SELECT id, level, name, parent_id, valid_from, ST_SRID(geom) AS srid, area_m2 "
            "FROM admin_units WHERE id = ANY(:ids)"), {"ids": ids}).mappings().all()
    return {r["id"]: dict(r) for r in rows}


def test_units_import_adds_wards_and_their_succession(database_url, monkeypatch, tmp_path, engine,
                                                       inside_ngoc_lam, cleanup) -> None:
    """Two wards from a lon/lat GeoPackage: stored in VN-2000 under the city, with slug ids."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    x, y = inside_ngoc_lam
    squares = [_square(x, y, 40), _square(x + 45, y, 40)]
    gdf = gpd.GeoDataFrame({"Tên": ["Phường Thử Nghiệm Một", "Thử Nghiệm Hai"]},
                           geometry=squares, crs="EPSG:5897").to_crs("EPSG:4326")
    path = tmp_path / "phuong.gpkg"
    gdf.to_file(path, driver="GPKG", engine="pyogrio")
    ids = ["thu-nghiem-mot", "thu-nghiem-hai"]
    cleanup.extend(ids)
    out = CliRunner().invoke(main, ["units", "import", str(path), "--level", "ward",
                                    "--valid-from", "2030-01-01"])
    assert out.exit_code == 0, out.output
    assert "Đã nhập 2 đơn vị" in out.output
    found = _units(engine, ids)
    assert set(found) == set(ids)
    one = found["thu-nghiem-mot"]
    assert (one["level"], one["name"], one["parent_id"], one["srid"]) == (
        "ward", "Thử Nghiệm Một", "ha-noi", 5897)
    assert one["valid_from"] == dt.date(2030, 1, 1)
    assert one["area_m2"] == pytest.approx(1600, rel=0.01)  # reprojected back onto the ground
    # the same file again: the ids exist, nothing is written twice
    again = CliRunner().invoke(main, ["units", "import", str(path), "--level", "ward",
                                      "--valid-from", "2030-01-01"])
    assert again.exit_code == 1 and "thu-nghiem-mot" in again.output
    # succession: the new ward took part of former Ngọc Lâm
    out = CliRunner().invoke(main, ["units", "succession", "add", "thu-nghiem-mot",
                                    "long-bien.ngoc-lam", "--lang", "en"])
    assert out.exit_code == 0, out.output
    assert "100.0% of thu-nghiem-mot" in out.output
    with engine.connect() as c:
        share = c.execute(text(
            "SELECT whole, successor_share FROM unit_succession_shares "
            "WHERE successor_id = 'thu-nghiem-mot' AND predecessor_id = 'long-bien.ngoc-lam'")
        ).one()
    assert share.whole is False and share.successor_share == pytest.approx(1, abs=1e-6)
    bad = CliRunner().invoke(main, ["units", "succession", "add", "long-bien.ngoc-lam",
                                    "thu-nghiem-hai"])
    assert bad.exit_code == 2 and "không bắt đầu sau" in bad.output


def test_units_import_with_an_invalid_row_writes_nothing(database_url, monkeypatch, tmp_path,
                                                          engine, inside_ngoc_lam,
                                                          cleanup) -> None:
    """A self-intersecting boundary on row 2: the row is named, the good row is not written."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    x, y = inside_ngoc_lam
    bow_tie = Polygon([(x + 50, y), (x + 90, y + 40), (x + 90, y), (x + 50, y + 40)])
    assert not shapely.is_valid(bow_tie)
    gdf = gpd.GeoDataFrame({"ten_phuong": ["Hợp Lệ", "Tự Cắt"], "ma": ["hop-le", "tu-cat"]},
                           geometry=[_square(x, y, 40), bow_tie], crs="EPSG:5897")
    path = tmp_path / "hong.gpkg"
    gdf.to_file(path, driver="GPKG", engine="pyogrio")
    cleanup.extend(["hop-le", "tu-cat"])
    out = CliRunner().invoke(main, ["units", "import", str(path), "--level", "ward",
                                    "--valid-from", "2030-01-01", "--id-column", "ma"])
    assert out.exit_code == 1, out.output
    assert "dòng 2 (Tự Cắt)" in out.output and "Self-intersection" in out.output
    assert "dòng 1" not in out.output
    assert "chưa ghi gì" in out.output
    assert _units(engine, ["hop-le", "tu-cat"]) == {}


# --- in Chromium --------------------------------------------------------------------------------


@pytest.mark.slow
def test_unit_picker_on_the_map_and_the_dashboard(browser, live_server) -> None:
    """Choosing a unit reloads the map and the dashboard with unit= and its own totals."""
    ctx = browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN")
    errors: list[str] = []
    try:
        page = ctx.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{live_server}/map?district=long-bien&from=2022-01-01&to=2022-06-30")
        page.wait_for_function(MAP_READY, timeout=20_000)
        before = page.evaluate("quyhoach.state.stats.projects")
        assert before == 64
        page.locator("#qh-units summary").click()
        picker = page.locator("#qh-units select.qh-units-picker")
        groups = picker.locator("optgroup")
        labels = groups.evaluate_all("gs => gs.map(g => g.label)")
        assert labels[0].startswith("Hiện nay") and "quận Long Biên (đến 30/06/2025)" in labels
        today = groups.nth(0).locator("option").evaluate_all("os => os.map(o => o.value)")
        assert "bo-de" in today
        old = picker.locator('optgroup[label="quận Long Biên (đến 30/06/2025)"] option')
        assert "long-bien.bo-de" in old.evaluate_all("os => os.map(o => o.value)")
        assert picker.input_value() == "long-bien"
        # the former boundaries: off at opening, drawn when switched on
        assert page.evaluate("quyhoach.units.former.status") == "idle"
        page.locator(".qh-layers > .qh-fold-toggle").click()  # the layer control opens folded below 1500 px
        page.locator(".leaflet-control-layers-overlays label",
                     has_text="Ranh giới hành chính cũ").locator("input").check()
        page.wait_for_function("() => quyhoach.units.former.status === 'loaded'")
        assert page.evaluate("quyhoach.units.former.features") >= 36
        with page.expect_navigation():
            picker.select_option("bo-de")
        page.wait_for_function(MAP_READY, timeout=20_000)
        assert "unit=bo-de" in page.url and "from=2022-01-01" in page.url
        assert "district=" not in page.url
        stats = page.evaluate("quyhoach.state.stats")
        assert stats["unit"]["id"] == "bo-de" and 0 < stats["projects"] < before
        # the unit's map draws the features in view, not only those of a district named bo-de
        assert page.evaluate("quyhoach.state.layers.projects.matched") > 0
        shown = page.locator('#qh-summary [data-stat="projects"]').inner_text()
        assert shown.startswith(str(stats["projects"]))
        assert page.title() == f"Bản đồ giải phóng mặt bằng — {NEW_WARD}"
        # a preset period reloads with its dates, the unit kept
        page.locator("#qh-units summary").click()
        with page.expect_navigation():
            page.locator("#qh-units select.qh-units-presets").select_option(
                "2011-01-01/2015-12-31")
        page.wait_for_function(MAP_READY, timeout=20_000)
        assert "unit=bo-de" in page.url and "from=2011-01-01" in page.url

        # the dashboard's place selector is the same picker
        page.goto(f"{live_server}/dashboard?district=long-bien&from=2022-01-01&to=2022-06-30")
        page.wait_for_function(DASHBOARD_READY, timeout=20_000)
        assert page.locator('[data-stat="projects"]').inner_text() == "64"
        with page.expect_navigation():
            page.locator("#qd-unit").select_option("bo-de")
        page.wait_for_function(DASHBOARD_READY, timeout=20_000)
        assert "unit=bo-de" in page.url and "from=2022-01-01" in page.url
        assert page.locator('[data-stat="projects"]').inner_text() == str(stats["projects"])
        assert page.locator("#qd-title").inner_text() == (
            f"Tiến độ giải phóng mặt bằng — {NEW_WARD}")
        assert errors == []
    finally:
        ctx.close()
