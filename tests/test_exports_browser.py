"""PNG snapshots rendered by headless Chromium from the running service, and the map's control."""

from __future__ import annotations

import io
import math
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import sync_playwright
from sqlalchemy import text

from api.app import create_app
from maps import styles

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
BACKGROUND = np.array([221, 221, 221])  # Leaflet's map background where no basemap tile drew
R = 6378137.0


def to_pixel(lon: float, lat: float, bbox: tuple[float, float, float, float], w: int, h: int
             ) -> tuple[float, float]:
    """Where Web Mercator puts a point in a w × h image fitted (centred) on a lon/lat bbox."""
    def merc(lo: float, la: float) -> tuple[float, float]:
        return R * math.radians(lo), R * math.log(math.tan(math.pi / 4 + math.radians(la) / 2))

    x0, y0 = merc(bbox[0], bbox[1])
    x1, y1 = merc(bbox[2], bbox[3])
    k = min(w / (x1 - x0), h / (y1 - y0))
    x, y = merc(lon, lat)
    return w / 2 + (x - (x0 + x1) / 2) * k, h / 2 - (y - (y0 + y1) / 2) * k


def png(content: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(content)).convert("RGB")).astype(int)


@pytest.fixture(scope="module")
def projects_view(engine) -> dict:
    """A view around a roomy Long Biên project and every project's widest interior point."""
    with engine.connect() as c:
        rows = c.execute(text("""
            SELECT p.code, p.status, ST_X(ST_Transform(m.center, 4326)) AS lon,
                   ST_Y(ST_Transform(m.center, 4326)) AS lat, m.radius,
                   NOT EXISTS (SELECT 1 FROM projects q WHERE q.id <> p.id
                               AND ST_DWithin(q.geom, m.center, m.radius + 5)) AS alone
            FROM projects p, ST_MaximumInscribedCircle(p.geom) m
            WHERE p.district = 'long-bien' ORDER BY m.radius DESC""")).all()
        target = next(r for r in rows if r.alone)
        empty = c.execute(text("""
            SELECT ST_X(ST_Transform(pt, 4326)) AS lon, ST_Y(ST_Transform(pt, 4326)) AS lat
            FROM (SELECT ST_Translate(ST_Centroid(geom), 0, -250) AS pt FROM projects
                  WHERE code = :code) t
            WHERE NOT EXISTS (SELECT 1 FROM projects q, wards w
                              WHERE ST_DWithin(q.geom, t.pt, 60))""",
        ), {"code": target.code}).one_or_none()
    d = 0.006
    bbox = (target.lon - d, target.lat - d * 0.7, target.lon + d, target.lat + d * 0.7)
    return {"bbox": bbox, "target": target, "projects": rows, "empty": empty}


def fit_zoom(bbox: tuple[float, float, float, float], width: int, height: int) -> int:
    """The whole zoom at which Leaflet fits a lon/lat box in a map of that size."""
    w, s, e, n = bbox

    def merc(lat: float) -> float:
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))
    zx = math.log2(width * 360 / (256 * (e - w)))
    zy = math.log2(height * 2 * math.pi / (256 * (merc(n) - merc(s))))
    return math.floor(min(zx, zy))


def expected_fill(status: str, zoom: int = 18) -> np.ndarray:
    """A project's fill over the blank background, with the emphasis of small zooms."""
    style = styles.STYLES["projects"]
    hex_ = style.color(status)
    colour = np.array([int(hex_[i:i + 2], 16) for i in (1, 3, 5)])
    low = style.low_zoom
    opacity = (low.get("fill_opacity", style.fill_opacity) if low and zoom < low["below"]
               else style.fill_opacity)
    return opacity * colour + (1 - opacity) * BACKGROUND


def test_png_has_the_size_asked_and_the_projects_where_they_are(live_server, projects_view) -> None:
    bbox = projects_view["bbox"]
    w, h = 1200, 800
    t = time.monotonic()
    r = httpx.get(f"{live_server}/exports/map.png", timeout=60, params={
        "bbox": ",".join(f"{v:.6f}" for v in bbox), "width": w, "height": h,
        "layers": "projects", "district": "long-bien"})
    assert r.status_code == 200, r.text
    assert time.monotonic() - t < 30  # the basemap is unreachable: it is given up on in time
    assert r.headers["content-type"] == "image/png"
    img = png(r.content)
    assert img.shape == (h, w, 3)
    assert len(np.unique(img.reshape(-1, 3), axis=0)) > 50  # not blank
    checked = 0
    for p in projects_view["projects"]:
        x, y = to_pixel(p.lon, p.lat, bbox, w, h)
        # Away from the caption (top left), the legend (bottom right) and the scale bar.
        if not (0.3 * w < x < 0.7 * w and 0.2 * h < y < 0.75 * h) or not p.alone:
            continue
        patch = img[round(y) - 2: round(y) + 3, round(x) - 2: round(x) + 3].reshape(-1, 3)
        assert np.abs(patch.mean(axis=0) - expected_fill(p.status, fit_zoom(bbox, w, h))).max() < 14, (p.code, patch)
        checked += 1
    assert checked >= 1
    empty = projects_view["empty"]
    if empty is not None:
        x, y = to_pixel(empty.lon, empty.lat, bbox, w, h)
        assert np.abs(img[round(y), round(x)] - BACKGROUND).max() <= 4


def test_png_in_english_with_a_plan_backdrop(live_server, engine) -> None:
    with engine.connect() as c:
        plan = c.execute(text("""
            SELECT id, ST_XMin(b) w, ST_YMin(b) s, ST_XMax(b) e, ST_YMax(b) n FROM (
              SELECT id, ST_Transform(footprint, 4326) b FROM plans WHERE kind = 'raster'
              ORDER BY id LIMIT 1) t""")).one()
    r = httpx.get(f"{live_server}/exports/map.png", timeout=60, params={
        "bbox": f"{plan.w},{plan.s},{plan.e},{plan.n}", "width": 600, "height": 450,
        "layers": "red_lines", "plan": plan.id, "opacity": "1", "lang": "en"})
    assert r.status_code == 200, r.text
    img = png(r.content)
    assert img.shape == (450, 600, 3)
    centre = img[150:300, 200:400].reshape(-1, 3)
    # The plan sheet covers the centre: far from the empty grey background.
    assert (np.abs(centre - BACKGROUND).max(axis=1) > 30).mean() > 0.5


class Hanging:
    """A TCP server that accepts connections and never answers: tiles that never come."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)

    def close(self) -> None:
        self.sock.close()
        for c in self.conns:
            c.close()


def serve(app) -> tuple[str, object, threading.Thread]:
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server, thread


@pytest.fixture(scope="module")
def small_pool(settings) -> Iterator[tuple[str, object]]:
    """The service with one browser page, no queue, and a basemap whose tiles hang."""
    hanging = Hanging()
    app = create_app(settings.model_copy(update={
        "basemap_url": f"http://127.0.0.1:{hanging.port}/{{z}}/{{x}}/{{y}}.png",
        "export_pool_size": 1, "export_queue_wait_s": 0.0, "export_basemap_wait_s": 1.0,
        "export_timeout_s": 20.0}))
    base, server, thread = serve(app)
    yield base, app
    server.should_exit = True
    thread.join(timeout=10)
    hanging.close()


def test_hanging_basemap_is_given_up_on(small_pool, projects_view) -> None:
    base, _ = small_pool
    bbox = ",".join(f"{v:.6f}" for v in projects_view["bbox"])
    t = time.monotonic()
    r = httpx.get(f"{base}/exports/map.png", timeout=60,
                  params={"bbox": bbox, "width": 640, "height": 480, "layers": "projects"})
    elapsed = time.monotonic() - t
    assert r.status_code == 200, r.text
    assert elapsed < 15, elapsed  # 1 s of grace for the tiles, not the request's 20 s timeout
    target = projects_view["target"]
    x, y = to_pixel(target.lon, target.lat, projects_view["bbox"], 640, 480)
    img = png(r.content)
    zoom = fit_zoom(projects_view["bbox"], 640, 480)
    assert np.abs(img[round(y), round(x)] - expected_fill(target.status, zoom)).max() < 14


def test_busy_pool_answers_503(small_pool, projects_view) -> None:
    base, app = small_pool
    params = {"bbox": ",".join(f"{v:.6f}" for v in projects_view["bbox"]), "width": 400,
              "height": 300, "layers": "projects"}
    pool = app.state.export_pool  # made by the previous requests
    with pool.slot():  # the only page is taken
        r = httpx.get(f"{base}/exports/map.png", params=params, timeout=30)
    assert r.status_code == 503
    body = r.json()
    assert "busy" in body["description_en"] and "bận" in body["description_vi"]
    # Several at once: one draws, the others are told to come back.
    barrier = threading.Barrier(3)

    def one(_: int) -> int:
        barrier.wait()
        return httpx.get(f"{base}/exports/map.png", params=params, timeout=30).status_code

    with ThreadPoolExecutor(3) as ex:
        codes = sorted(ex.map(one, range(3)))
    assert codes[0] == 200 and codes[-1] == 503, codes
    assert httpx.get(f"{base}/exports/map.png", params=params, timeout=30).status_code == 200


def test_a_render_that_overruns_its_timeout_gets_503(settings, projects_view) -> None:
    app = create_app(settings.model_copy(update={"export_timeout_s": 0.05}))
    base, server, thread = serve(app)
    try:
        t = time.monotonic()
        r = httpx.get(f"{base}/exports/map.png", timeout=30, params={
            "bbox": ",".join(f"{v:.6f}" for v in projects_view["bbox"]), "layers": "projects"})
        assert r.status_code == 503
        assert "did not finish drawing" in r.json()["description_en"]
        assert time.monotonic() - t < 5
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_export_control_downloads_the_view_and_an_a3_sheet(live_server, projects_view,
                                                           tmp_path) -> None:
    t = projects_view["target"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 900, "height": 650}, locale="vi-VN",
                                    accept_downloads=True)
            page.goto(f"{live_server}/map?layers=wards,projects&center={t.lat},{t.lon}&zoom=16"
                      "&lang=vi")
            page.wait_for_function("() => window.quyhoach && quyhoach.idle && quyhoach.idle()",
                                   timeout=15_000)
            page.get_by_role("button", name="Xuất bản đồ").click()
            with page.expect_download(timeout=30_000) as dl:
                page.get_by_role("button", name="Tải xuống").click()
            view = tmp_path / "view.png"
            dl.value.save_as(view)
            size = page.evaluate("[quyhoach.map.getSize().x, quyhoach.map.getSize().y]")
            assert Image.open(view).size == tuple(size)
            form = page.locator(".qh-export-form")
            form.get_by_role("radio", name="PDF in đúng tỷ lệ").check()
            form.locator("select[name=scale]").select_option("2000")
            form.locator("select[name=paper]").select_option("A3")
            form.get_by_role("textbox").fill("Trích lục bản đồ dự án")
            with page.expect_download(timeout=30_000) as dl:
                form.get_by_role("button", name="Tải xuống").click()
            sheet = tmp_path / "sheet.pdf"
            dl.value.save_as(sheet)
        finally:
            browser.close()
    info = subprocess.run(["pdfinfo", str(sheet)], capture_output=True, text=True).stdout
    assert "1190.55 x 841.89 pts (A3)" in info
    words = subprocess.run(["pdftotext", str(sheet), "-"], capture_output=True, text=True).stdout
    assert "Trích lục bản đồ dự án" in words and "1:2.000" in words
