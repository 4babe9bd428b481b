"""What a planner sees on a laptop, in headless Chromium against the real server on the sample:
the map keeps most of the window, the layer control is grouped by theme and lists the plan
sheets in view, one popup opens (the most specific feature's), exports name the slider's day,
and the dashboard shows the infrastructure figures.

With QUYHOACH_SCREENSHOTS=DIR the tests also save the screenshots of docs/screenshots there.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import numpy as np
import pytest
from playwright.sync_api import Browser, BrowserContext, Page
from sqlalchemy import text

from core import i18n
from layers.registry import LAYERS
from maps import styles

pytestmark = pytest.mark.slow

LAPTOP = {"width": 1366, "height": 768}
READY = "() => window.quyhoach && quyhoach.idle && quyhoach.idle()"
ONE_POPUP = "() => document.querySelectorAll('.leaflet-popup').length === 1"
SHOTS = os.environ.get("QUYHOACH_SCREENSHOTS")
THEME_TITLES = [i18n.MAP_LAYOUT_WORDS[f"theme.{t}"][0]
                for t in ("clearance", "planning", "infrastructure", "administrative")]
# Every control drawn over the map, as boxes in the window.
CONTROL_BOXES = """() => [...document.querySelectorAll('.leaflet-control-container .leaflet-control')]
  .filter(el => el.offsetParent !== null)
  .map(el => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })"""
# Each legend row shown: the colour that carries its meaning (the fill, or the stroke of a line
# or of an outline) and its dash.
LEGEND_LOOKS = """() => [...document.querySelectorAll('#qh-legend section')]
  .filter(s => s.offsetParent !== null)
  .flatMap(s => [...s.querySelectorAll('.qh-legend-item')].map(item => {
    const shape = item.querySelector('svg > *');
    const fill = shape.getAttribute('fill'), stroke = shape.getAttribute('stroke');
    const main = shape.tagName === 'line' || !fill || fill === 'none' || fill === '#ffffff'
      ? stroke : fill;
    return [s.dataset.layer, item.textContent.trim(), main.toLowerCase(),
            shape.getAttribute('stroke-dasharray') || ''];
  }))"""


def _shot(page: Page, name: str, locator: str | None = None) -> None:
    """Save a screenshot for the docs when asked to (QUYHOACH_SCREENSHOTS)."""
    if not SHOTS:
        return
    path = Path(SHOTS) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    (page.locator(locator) if locator else page).screenshot(path=str(path))


@pytest.fixture
def laptop(browser: Browser) -> Iterator[tuple[BrowserContext, list[str]]]:
    """A 1366×768 Vietnamese browser context and the page errors it logged."""
    ctx = browser.new_context(viewport=LAPTOP, locale="vi-VN", accept_downloads=True)
    errors: list[str] = []
    ctx.on("weberror", lambda e: errors.append(str(e.error)))
    yield ctx, errors
    ctx.close()


def _open(ctx: BrowserContext, base: str, params: dict[str, str]) -> Page:
    page = ctx.new_page()
    page.goto(f"{base}/map?{urlencode(params)}")
    page.wait_for_function(READY, timeout=20_000)
    return page


def _uncovered_share(page: Page) -> float:
    """The share of the window where the map is seen, not covered by a control."""
    w, h = LAPTOP["width"], LAPTOP["height"]
    box = page.locator(".folium-map").bounding_box()
    assert box is not None
    seen = np.zeros((h, w), dtype=bool)
    x0, y0 = max(0, int(box["x"])), max(0, int(box["y"]))
    seen[y0:min(h, int(box["y"] + box["height"])), x0:min(w, int(box["x"] + box["width"]))] = True
    for left, top, right, bottom in page.evaluate(CONTROL_BOXES):
        seen[max(0, int(top)):max(0, int(bottom) + 1), max(0, int(left)):max(0, int(right) + 1)] = False
    return float(seen.sum()) / (w * h)


def test_laptop_map_leaves_room_and_its_legend_no_shared_colour(laptop, live_server) -> None:
    """At 1366×768 the panels open folded, the map keeps two thirds of the window, the legend
    of the layers on has no two rows of the same look, and the folding is remembered."""
    ctx, errors = laptop
    page = _open(ctx, live_server, {"district": "long-bien"})
    for panel in (".qh-layers", "#qh-legend", ".qh-tools", ".qh-search"):
        assert "qh-folded" in (page.locator(panel).get_attribute("class") or ""), panel
    assert not page.locator(".qh-units").evaluate("d => d.open")
    assert _uncovered_share(page) >= 2 / 3
    _shot(page, "map-long-bien-1366x768.png")

    # The legend: the layers on, each row a look of its own.
    page.locator("#qh-legend button.qh-panel-title").click()
    looks = page.evaluate(LEGEND_LOOKS)
    shown = {layer for layer, *_ in looks}
    assert shown == set(styles.OPENING_LAYERS)
    keys = [(colour, dash) for _, _, colour, dash in looks]
    assert len(keys) == len(set(keys)), sorted(keys)
    # Colour rows (the ones whose meaning is their colour) share no colour at all.
    plain = [colour for layer, _, colour, dash in looks if not styles.STYLES[layer].dash_by]
    assert len(plain) == len(set(plain)), sorted(plain)
    assert page.locator("#qh-legend").bounding_box()["width"] <= 300

    # The reader's choice is kept: the legend opens unfolded on the next visit.
    page.reload()
    page.wait_for_function(READY, timeout=20_000)
    assert "qh-folded" not in page.locator("#qh-legend").get_attribute("class")
    assert "qh-folded" in page.locator(".qh-layers").get_attribute("class")
    assert errors == []


def test_layer_control_grouped_by_theme_with_the_plans_in_view(browser, laptop, live_server,
                                                               engine) -> None:
    """Four theme groups in the catalogue's themes; plan sheets listed only where they lie,
    named in full on hover; a wide screen opens the control unfolded."""
    ctx, errors = laptop
    page = _open(ctx, live_server, {"district": "long-bien", "center": "21.045,105.875",
                                    "zoom": "15"})
    page.locator(".qh-layers > .qh-fold-toggle").click()
    groups = page.locator(".qh-layer-group")
    titles = groups.locator(".qh-layer-group-title").all_inner_texts()
    assert [t.casefold() for t in titles] == [t.casefold() for t in THEME_TITLES]
    for layer_id in styles.MAP_LAYERS:
        spec = LAYERS[layer_id]
        group = page.locator(f'.qh-layer-group[data-theme="{spec.catalog.map.theme}"]')
        name = re.compile(rf"^\s*{re.escape(spec.title_vi)}\s*$")
        assert group.locator(".qh-layer-name", has_text=name).count() == 1, layer_id
    _shot(page, "map-long-bien-1366x768-layers.png")

    plans = page.locator(".leaflet-control-layers-overlays label", has_text="QH 1/2000")
    with engine.connect() as c:
        names = c.execute(text("SELECT name FROM plans ORDER BY id")).scalars().all()
    assert plans.count() == len(names) > 0
    # In Long Biên, away from Hai Bà Trưng's sheets: none listed.
    assert [plans.nth(i).is_visible() for i in range(plans.count())] == [False] * len(names)
    page.evaluate("quyhoach.map.setView([21.0025, 105.8562], 15, {animate: false})")
    page.wait_for_function("() => [...document.querySelectorAll("
                           "'.leaflet-control-layers-overlays label')].some(l => !l.hidden"
                           " && l.textContent.includes('QH 1/2000'))")
    visible = [i for i in range(plans.count()) if plans.nth(i).is_visible()]
    assert visible
    hover = {plans.nth(i).locator(".qh-layer-name").get_attribute("title") for i in visible}
    assert all(t.startswith("QH 1/2000 · ") and "…" not in t for t in hover)
    assert {t.removeprefix("QH 1/2000 · ") for t in hover} <= set(names)
    # The control stays inside the window's right half and scrolls rather than overflow.
    box = page.locator(".qh-layers").bounding_box()
    assert box["width"] <= 320 and box["y"] + box["height"] <= LAPTOP["height"]
    assert errors == []

    wide = browser.new_context(viewport={"width": 1600, "height": 900}, locale="vi-VN")
    try:
        page = _open(wide, live_server, {"district": "long-bien"})
        assert "qh-folded" not in page.locator(".qh-layers").get_attribute("class")
        assert "qh-folded" not in page.locator("#qh-legend").get_attribute("class")
    finally:
        wide.close()


@pytest.fixture(scope="module")
def nested_point(engine) -> dict:
    """A point of a Long Biên parcel lying inside its project and a ward."""
    with engine.connect() as c:
        row = c.execute(text("""
            SELECT pa.id, pa.code, p.name AS project, w.name AS ward,
                   ST_Y(ST_Transform(pa.pt, 4326)) AS lat, ST_X(ST_Transform(pa.pt, 4326)) AS lon
            FROM (SELECT pa.*, ST_PointOnSurface(pa.geom) AS pt FROM parcels pa) pa
            JOIN projects p ON p.id = pa.project_id AND ST_Contains(p.geom, ST_Buffer(pa.pt, 3))
            JOIN wards w ON ST_Contains(w.geom, pa.pt)
            WHERE p.district = 'long-bien' AND ST_Area(pa.geom) > 300
              AND ST_Contains(pa.geom, ST_Buffer(pa.pt, 3))
            ORDER BY ST_Area(pa.geom) DESC LIMIT 1""")).one()
    return dict(row._mapping)


def _click_at(page: Page, lat: float, lon: float) -> None:
    box = page.locator(".folium-map").bounding_box()
    pt = page.evaluate(f"quyhoach.map.latLngToContainerPoint([{lat}, {lon}])")
    page.mouse.click(box["x"] + pt["x"], box["y"] + pt["y"])


def test_one_popup_the_parcel_first_the_rest_as_links(laptop, live_server, nested_point) -> None:
    """A click on a parcel inside a project inside a ward opens the parcel's popup alone; the
    project and the ward are links that replace it; with a plan on, no ward popup beside the
    plan's panel."""
    ctx, errors = laptop
    p = nested_point
    page = _open(ctx, live_server, {"district": "long-bien", "layers": "wards,projects,parcels",
                                    "center": f"{p['lat']},{p['lon']}", "zoom": "18"})
    page.wait_for_function("() => quyhoach.state.layers.parcels.status === 'loaded'")
    _click_at(page, p["lat"], p["lon"])
    popup = page.wait_for_selector(".leaflet-popup .qh-popup[data-layer=parcels]", timeout=8_000)
    assert page.locator(".leaflet-popup").count() == 1
    assert p["code"] in popup.inner_text()
    assert page.evaluate("quyhoach.state.hits") == ["parcels", "projects", "wards"]
    links = page.locator(".leaflet-popup .qh-also-link")
    assert links.all_inner_texts() == [f"{LAYERS['projects'].title_vi}: {p['project']}",
                                       f"{LAYERS['wards'].title_vi}: {p['ward']}"]
    links.nth(0).click()
    page.wait_for_selector(".leaflet-popup .qh-popup[data-layer=projects]")
    page.wait_for_function(ONE_POPUP)  # the parcel's fades out (Leaflet's 200 ms)
    assert p["project"] in page.locator(".leaflet-popup").inner_text()

    # A vector plan sheet on, in Hai Bà Trưng, wards only: the plan's panel, no ward popup.
    page = _open(ctx, live_server, {"district": "hai-ba-trung", "layers": "wards",
                                    "center": "21.0025,105.8562", "zoom": "16"})
    page.locator(".qh-layers > .qh-fold-toggle").click()
    page.locator(".leaflet-control-layers-overlays label", has_text="bản vẽ số (vector)") \
        .locator("input").check()
    page.wait_for_function("() => quyhoach.plans && quyhoach.plans.active()")
    _click_at(page, 21.0025, 105.8562)
    page.wait_for_selector(".qh-plans-info:not([hidden]) .qh-also-link", timeout=8_000)
    assert page.locator(".leaflet-popup").count() == 0
    assert page.evaluate("quyhoach.state.hits") == ["plan", "wards"]
    page.locator(".qh-plans-info .qh-also-link").first.click()
    page.wait_for_selector(".leaflet-popup .qh-popup[data-layer=wards]")
    assert page.locator(".qh-plans-info").is_hidden()
    assert errors == []


def test_exports_name_the_day_the_slider_shows(laptop, live_server, tmp_path) -> None:
    """Dragged back, the slider's day is the day of the PNG export's request and of the PDF's
    caption, as the totals panel names it."""
    ctx, errors = laptop
    page = _open(ctx, live_server, {"district": "long-bien", "from": "2022-01-01",
                                    "to": "2022-06-30", "layers": "wards,projects",
                                    "center": "21.04,105.89", "zoom": "15"})
    page.wait_for_function("() => quyhoach.state.statsStatus === 'loaded'", timeout=20_000)
    rng = page.locator("#qh-asof-range").bounding_box()
    y = rng["y"] + rng["height"] / 2
    page.mouse.move(rng["x"] + rng["width"] - 4, y)
    page.mouse.down()
    page.mouse.move(rng["x"] + rng["width"] * 0.4, y, steps=8)
    page.mouse.up()
    page.wait_for_function("() => quyhoach.cfg.asOf && quyhoach.idle() &&"
                           " quyhoach.state.statsStatus === 'loaded'", timeout=20_000)
    day = page.evaluate("quyhoach.cfg.asOf")
    assert "2022-02-01" <= day <= "2022-04-30"
    shown = i18n.day_text(day)
    assert shown in page.locator("#qh-summary .qh-summary-period").inner_text()

    page.get_by_role("button", name="Xuất bản đồ").click()
    form = page.locator(".qh-export-form")
    url = page.evaluate("quyhoach.exportUrl(quyhoach.map, quyhoach.cfg,"
                        " document.querySelector('.qh-export-form'))")
    assert parse_qs(urlsplit(url).query)["as_of"] == [day]
    with page.expect_download(timeout=60_000) as dl:
        form.get_by_role("button", name="Tải xuống").click()
    png = tmp_path / "view.png"
    dl.value.save_as(png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    today = httpx.get(live_server + url.replace(f"&as_of={day}", ""), timeout=60)
    assert today.status_code == 200 and today.content != png.read_bytes()

    form.get_by_role("radio", name="PDF in đúng tỷ lệ").check()
    form.locator("select[name=scale]").select_option("5000")
    with page.expect_download(timeout=60_000) as dl:
        form.get_by_role("button", name="Tải xuống").click()
    sheet = tmp_path / "sheet.pdf"
    dl.value.save_as(sheet)
    words = subprocess.run(["pdftotext", str(sheet), "-"], capture_output=True, text=True,
                           check=True).stdout
    assert shown in words
    assert errors == []


def test_dashboard_shows_the_infrastructure_figures(laptop, live_server) -> None:
    """Hai Bà Trưng 2011–2015: lit alleys' km and lamps, surfaced streets, permits and
    violations against their targets, public facilities by kind, in Vietnamese formats."""
    ctx, errors = laptop
    params = {"district": "hai-ba-trung", "from": "2011-01-01", "to": "2015-12-31"}
    s = httpx.get(f"{live_server}/stats/infrastructure", params=params, timeout=30).json()
    page = ctx.new_page()
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{live_server}/dashboard?{urlencode(params)}")
    page.wait_for_function("() => window.qhDashboard && qhDashboard.state.infraStatus === 'loaded'",
                           timeout=20_000)
    section = page.locator("#qd-infra")
    assert section.is_visible()
    lit = next(r for r in s["lighting"] if r["min_width_m"] is None)
    card = section.locator('[data-infra="lit"]').inner_text()
    assert f"{i18n.number(lit['lit_km'], 2)} km" in card and i18n.count(lit["lamps"]) in card
    assert lit["lit_km"] > 90 and "," in i18n.number(lit["lit_km"], 2)
    wide = next(r for r in s["lighting"] if r["min_width_m"] == 2)
    assert f"{i18n.number(wide['lit_km'], 2)} km" in card
    roads = {r["surface"]: r for r in s["roads"]}
    assert section.locator('[data-infra="asphalt"] [data-value]').inner_text() == i18n.count(
        roads["asphalt"]["count"])
    assert section.locator('[data-infra="concrete"] [data-value]').inner_text() == i18n.count(
        roads["concrete"]["count"])
    permits = section.locator('[data-infra="permits"]').inner_text()
    assert i18n.percent(s["permits"]["total"]["permit_rate_pct"]) in permits
    assert "Mục tiêu từ 98,0% trở lên" in permits
    green = section.locator('[data-infra="green"]').inner_text()
    assert i18n.hectares(s["green"]["added_ha"]) in green
    assert section.locator("#qd-targets tbody tr").count() == len(s["targets"])
    kinds = section.locator("#qd-public tbody tr[data-kind]")
    assert kinds.count() == len(s["public_facilities"]["by_kind"])
    assert section.locator("#qd-public tr.qd-total").inner_text().split()[-3:] == [
        str(sum(k[c] for k in s["public_facilities"]["by_kind"]))
        for c in ("new", "renovation", "national_standard")]
    report = section.locator("#qd-infra-report").get_attribute("href")
    assert report.startswith("/reports/infrastructure?") and "format=pdf" in report
    section.scroll_into_view_if_needed()
    _shot(page, "dashboard-hai-ba-trung-infrastructure.png", "#qd-infra")
    assert errors == []
