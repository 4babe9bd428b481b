"""PDF prints at an exact scale, figures in view, and the exports' parameter checks."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from pathlib import Path

import numpy as np
import orjson
import pytest
from click.testing import CliRunner
from PIL import Image
from sqlalchemy import text

from cli.main import main
from gis.srs import VN2000, WGS84, transformer
from layers.features import BBox
from layers.queries import clearance_stats
from maps import export as X
from maps import styles

MM_PER_INCH = 25.4
PT_PER_MM = 72 / 25.4


def pdfinfo(path: Path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return dict(line.split(":", 1) for line in out.splitlines() if ":" in line)


def page_size_mm(path: Path) -> tuple[float, float]:
    m = re.match(r"\s*([\d.]+) x ([\d.]+) pts", pdfinfo(path)["Page size"])
    assert m is not None
    return float(m.group(1)) / PT_PER_MM, float(m.group(2)) / PT_PER_MM


def pdftext(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def rasterise(path: Path, dpi: int, tmp_path: Path) -> np.ndarray:
    stem = tmp_path / "page"
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-singlefile", str(path), str(stem)],
                   check=True)
    return np.asarray(Image.open(f"{stem}.png").convert("RGB")).astype(int)


def lonlat(x: float, y: float) -> tuple[float, float]:
    lon, lat = transformer(VN2000, WGS84).transform(x, y)
    return float(lon), float(lat)


@pytest.fixture(scope="module")
def lone_project(engine) -> dict:
    """A Long Biên project with no other project within 500 m, and its VN-2000 box."""
    with engine.connect() as c:
        row = c.execute(text("""
            SELECT p.code, p.status, ST_XMin(p.geom) AS x0, ST_YMin(p.geom) AS y0,
                   ST_XMax(p.geom) AS x1, ST_YMax(p.geom) AS y1
            FROM projects p
            WHERE p.district = 'long-bien'
              AND NOT EXISTS (SELECT 1 FROM projects q
                              WHERE q.id <> p.id AND ST_DWithin(q.geom, p.geom, 500))
            ORDER BY p.area_m2 DESC LIMIT 1""")).one()
    return dict(row._mapping)


def get_pdf(client, tmp_path: Path, name: str = "sheet.pdf", **params) -> Path:
    r = client.get("/exports/map.pdf", params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    path = tmp_path / name
    path.write_bytes(r.content)
    return path


@pytest.mark.parametrize(("paper", "orientation", "size"), [
    ("A3", "landscape", (420, 297)),
    ("A3", "portrait", (297, 420)),
    ("A4", "portrait", (210, 297)),
    ("A1", "landscape", (841, 594)),
])
def test_pdf_page_is_the_paper(client, tmp_path, paper, orientation, size) -> None:
    path = get_pdf(client, tmp_path, center="21.0445,105.8950", scale="2000", paper=paper,
                   orientation=orientation, layers="wards,projects")
    w, h = page_size_mm(path)
    assert w == pytest.approx(size[0], abs=0.05) and h == pytest.approx(size[1], abs=0.05)
    assert pdfinfo(path)["Pages"].strip() == "1"


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) of the runs of True in a 1-D mask."""
    edges = np.diff(np.concatenate([[0], mask.astype(int), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1, strict=True))


def test_a3_at_1_2000_measures_true(client, tmp_path, lone_project) -> None:
    """Rasterised, a known project and the VN-2000 grid measure 1:2000 within 1%."""
    p = lone_project
    cx, cy = (p["x0"] + p["x1"]) / 2, (p["y0"] + p["y1"]) / 2
    lon, lat = lonlat(cx, cy)
    path = get_pdf(client, tmp_path, center=f"{lat:.8f},{lon:.8f}", scale="2000", paper="A3",
                   orientation="landscape", layers="projects")
    dpi = 200
    img = rasterise(path, dpi, tmp_path)
    px_per_m = 1000 / 2000 / MM_PER_INCH * dpi  # 1 m on the ground is 0.5 mm on paper

    # The project: its coloured pixels span its ground extent at the scale.
    saturated = (np.max(img, axis=2) - np.min(img, axis=2)) > 40
    colour = np.array([int(styles.STYLES["projects"].color(p["status"])[i:i + 2], 16)
                       for i in (1, 3, 5)])
    hue_like = np.abs(img - colour).sum(axis=2) < np.abs(img - 255).sum(axis=2)
    ys, xs = np.nonzero(saturated & hue_like)
    h_px, w_px = img.shape[:2]
    # Only pixels near the middle of the map frame (the sheet is centred on the project).
    near = np.hypot(xs - w_px * 0.4, ys - h_px / 2) < w_px * 0.35
    xs, ys = xs[near], ys[near]
    assert len(xs) > 1000
    stroke_px = styles.STYLES["projects"].weight * 0.6 / 72 * dpi
    measured_w = (xs.max() - xs.min() + 1 - stroke_px) / px_per_m
    measured_h = (ys.max() - ys.min() + 1 - stroke_px) / px_per_m
    ground_w, ground_h = p["x1"] - p["x0"], p["y1"] - p["y0"]
    assert abs(measured_w / ground_w - 1) < 0.01, (measured_w, ground_w)
    assert abs(measured_h / ground_h - 1) < 0.01, (measured_h, ground_h)

    # The grid: ticks under the frame are 200 m apart, i.e. 100 mm on the sheet.
    dark = img.sum(axis=2) < 200
    frame_rows = [y for y in range(h_px // 2, h_px) if dark[y, w_px // 4: w_px // 2].mean() > 0.95]
    bottom = frame_rows[0]  # the frame's lower edge
    left, right = max(_runs(dark[bottom]), key=lambda run: run[1] - run[0])
    below = dark[bottom + int(0.9 / MM_PER_INCH * dpi)]
    centres = [(a + z) / 2 for a, z in _runs(below) if left + 2 < a and z < right - 2]
    assert len(centres) >= 3
    spacing_mm = (centres[-1] - centres[0]) / (len(centres) - 1) / dpi * MM_PER_INCH
    assert spacing_mm == pytest.approx(100.0, rel=0.01)
    ground_step = spacing_mm / 1000 * 2000
    assert ground_step == pytest.approx(200.0, rel=0.01)


def test_pdf_text_has_the_title_block_and_diacritics(client, tmp_path, lone_project) -> None:
    title = "Bản đồ tiến độ giải phóng mặt bằng phường Bồ Đề — Quý II/2022"
    p = lone_project
    lon, lat = lonlat((p["x0"] + p["x1"]) / 2, (p["y0"] + p["y1"]) / 2)
    path = get_pdf(client, tmp_path, center=f"{lat},{lon}", scale="1000", paper="A3",
                   title=title, layers="wards,projects,red_lines")
    body = " ".join(pdftext(path).split())
    assert "Bản đồ tiến độ giải phóng mặt bằng phường Bồ Đề" in body
    assert "Quý II/2022" in body
    for words in ("UBND QUẬN LONG BIÊN", "PHÒNG QUẢN LÝ ĐÔ THỊ", "Quận Long Biên, thành phố Hà Nội",
                  "Tỷ lệ 1:1.000 · khổ A3", "CHÚ GIẢI", "Dự án giải phóng mặt bằng", "TỶ LỆ 1:1.000",
                  "Hệ tọa độ VN-2000", "Số liệu cập nhật đến", "Ngày lập:"):
        assert words in body, words
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    assert "DejaVuSans" in fonts and " yes " in fonts  # embedded


def test_pdf_figures_equal_the_districts_when_the_sheet_covers_it(client, engine, tmp_path) -> None:
    """Caption figures follow clearance_stats.sql: a sheet over all of Hai Bà Trưng's projects."""
    with engine.connect() as c:
        w, s, e, n = c.execute(text("""
            SELECT ST_XMin(x), ST_YMin(x), ST_XMax(x), ST_YMax(x) FROM (
              SELECT ST_Extent(ST_Transform(geom, 4326))::geometry AS x FROM projects
              WHERE district = 'hai-ba-trung') t""")).one()
        stats = orjson.loads(clearance_stats(c, "hai-ba-trung", dt.date(2011, 1, 1),
                                             dt.date(2015, 12, 31)))
    path = get_pdf(client, tmp_path, bbox=f"{w - 0.002},{s - 0.002},{e + 0.002},{n + 0.002}",
                   paper="A1", layers="projects,parcels", district="hai-ba-trung")
    body = " ".join(pdftext(path).split())
    assert stats["plans_total"] > 0
    assert f"Phương án đã phê duyệt: {stats['plans_approved']}/{stats['plans_total']}" in body
    assert f"Diện tích đất đã thu hồi: {stats['recovered_ha']:.2f} ha".replace(".", ",") in body
    assert f"Dự án triển khai: {stats['projects']}" in body
    assert "Tỷ lệ 1:5.000" in body or "Tỷ lệ 1:2.000" in body  # the largest scale that fits


def test_figures_in_view_follow_the_district_figures(conn, settings) -> None:
    content = X.ExportContent(("projects",), "long-bien", dt.date(2022, 1, 1),
                              dt.date(2022, 6, 30))
    whole = X.figures_in_view(conn, BBox(105.80, 20.95, 106.00, 21.12, WGS84), content,
                              settings.storage_srid)
    stats = orjson.loads(clearance_stats(conn, "long-bien", dt.date(2022, 1, 1),
                                         dt.date(2022, 6, 30)))
    assert (whole.projects, whole.plans_approved, whole.plans_total) == (
        stats["projects"], stats["plans_approved"], stats["plans_total"])
    assert whole.recovered_ha == pytest.approx(float(stats["recovered_ha"]), abs=1e-4)
    part = X.figures_in_view(conn, BBox(105.88, 21.02, 105.91, 21.05, WGS84), content,
                             settings.storage_srid)
    assert 0 < part.plans_total < whole.plans_total
    assert part.plans_approved <= whole.plans_approved
    assert part.recovered_ha <= whole.recovered_ha


def test_pdf_with_a_raster_plan_backdrop_names_the_plan(client, engine, tmp_path) -> None:
    with engine.connect() as c:
        plan = c.execute(text("""
            SELECT id, decision, ST_X(ST_Centroid(footprint)) AS x, ST_Y(ST_Centroid(footprint)) AS y
            FROM plans WHERE kind = 'raster' ORDER BY id LIMIT 1""")).one()
    lon, lat = lonlat(plan.x, plan.y)
    path = get_pdf(client, tmp_path, center=f"{lat},{lon}", scale="2000", paper="A4",
                   plan=str(plan.id), opacity="1", layers="red_lines")
    body = " ".join(pdftext(path).split())
    assert f"Quyết định {plan.decision}" in body
    images = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True,
                            text=True).stdout.splitlines()
    assert len(images) >= 3  # header lines and the plan sheet (with its soft mask)
    img = rasterise(path, 50, tmp_path)
    h, w = img.shape[:2]
    centre = img[h // 3: h * 2 // 3, w // 4: w // 2]
    assert (np.abs(centre - 255).sum(axis=2) > 30).mean() > 0.5  # the sheet is drawn there


@pytest.mark.parametrize(("url", "needle"), [
    ("/exports/map.png?bbox=106.5,21.0,106.6,21.1", "outside Hanoi"),
    ("/exports/map.png?bbox=105.88,21.02,105.94,21.06&layers=projects,roads", "Unknown map layer"),
    ("/exports/map.png?bbox=105.88,21.02,105.94,21.06&width=100000", "from 200 to 4096"),
    ("/exports/map.png?bbox=105.88,21.02,105.94,21.06&height=5", "from 200 to 4096"),
    ("/exports/map.png?bbox=105.88,21.02,105.94,21.06&width=abc", "whole number of pixels"),
    ("/exports/map.png?bbox=105.88,21.02,105.8801,21.0201&width=4000", "too small"),
    ("/exports/map.png", "bbox is missing"),
    ("/exports/map.png?bbox=105.88,21.02,105.94,21.06&plan=99999", "No plan 99999"),
    ("/exports/map.png?bbox=105.88,21.02,105.94,21.06&opacity=3", "opacity"),
    ("/exports/map.pdf?center=21.04,105.89&scale=3000", "Scale '3000' is not supported"),
    ("/exports/map.pdf?center=21.04,105.89&scale=2000&paper=A5", "paper 'A5' is not valid"),
    ("/exports/map.pdf?center=21.04,105.89&scale=2000&orientation=diagonal", "orientation"),
    ("/exports/map.pdf?center=10.77,106.70&scale=2000", "outside Hanoi"),
    ("/exports/map.pdf?bbox=105.80,20.95,106.00,21.12&scale=500&paper=A4", "does not fit"),
    ("/exports/map.pdf?bbox=105.88,21.02,105.94,21.06&center=21.04,105.89", "exactly one"),
    ("/exports/map.pdf?center=21.04,105.89", "A scale is needed"),
    ("/exports/map.pdf?center=21.04,105.89&scale=2000&layers=nope", "Unknown map layer"),
])
def test_bad_requests_get_400_with_a_bilingual_message(client, url, needle) -> None:
    r = client.get(url)
    assert r.status_code == 400, r.text
    body = r.json()
    assert needle in body["description_en"]
    assert body["description_vi"] and body["description_vi"] != body["description_en"]


def test_cli_prints_an_a3_sheet(database_url, plan_store, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("QUYHOACH_PLAN_STORE", str(plan_store))
    out = tmp_path / "sheet.pdf"
    result = CliRunner().invoke(main, [
        "export-map", "--out", str(out), "--scale", "2000", "--paper", "A3",
        "--center", "21.0445,105.8950", "--layers", "wards,projects",
        "--title", "Sơ đồ vị trí dự án"])
    assert result.exit_code == 0, result.output
    assert "1:2000" in result.output
    assert page_size_mm(out) == pytest.approx((420, 297), abs=0.05)
    assert "Sơ đồ vị trí dự án" in pdftext(out)
    bad = CliRunner().invoke(main, ["export-map", "--out", str(tmp_path / "x.pdf"),
                                    "--scale", "2000", "--center", "10.77,106.70"])
    assert bad.exit_code == 2 and "ngoài Hà Nội" in bad.output
