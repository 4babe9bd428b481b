"""Zoning plans on the clearance map: overlays, opacity sliders and click lookup."""

from __future__ import annotations

import json
import re

import folium
import pytest
from sqlalchemy import text

from gis.srs import to_wgs84
from layers import plans
from layers.plans import SAMPLE_PLAN_DIR, SAMPLE_STEM
from maps.build import MapView, render_map
from maps.build import build_map as build_clearance_map
from maps.overlays import add_plan_overlays

META = json.loads((SAMPLE_PLAN_DIR / f"{SAMPLE_STEM}.json").read_text("utf-8"))


def sample_plan_ids(conn) -> dict[str, int]:
    rows = conn.execute(text("SELECT source_format, id FROM plans WHERE is_sample")).all()
    return dict(rows)


def test_each_plan_is_an_overlay_with_local_urls(conn, settings) -> None:
    ids = sample_plan_ids(conn)
    view = MapView(district="hai-ba-trung")
    html = render_map(build_clearance_map(conn, settings, view))
    assert html.count("QH 1/2000 \\u00b7 ") == 3  # the layer control's names, as JSON
    for fmt in ("world_file", "gcps"):
        assert f'"/plans/{ids[fmt]}/tiles/{{z}}/{{x}}/{{y}}.png"' in html
    assert "/collections/plan_zones/items?plan_id=" in html
    assert "/plans/lookup?lon=" in html and "Quy hoạch phân khu 1/2000" in html
    script_srcs = re.findall(r'<script[^>]+src="([^"]+)"', html)
    assert script_srcs and not any(s.startswith(("http:", "https:", "//")) for s in script_srcs)


def test_no_plans_no_overlays(conn, settings) -> None:
    conn.execute(text("DELETE FROM plans"))
    fmap = folium.Map(tiles=None)
    add_plan_overlays(fmap, conn, settings, "en")
    html = fmap.get_root().render()
    assert "QH 1/2000" not in html and "PlanOverlays" not in html


def test_switch_on_slide_opacity_and_click_for_the_land_use(
        browser, live_server, engine, settings) -> None:
    # The sample's sheets, stored under their content names in this server's plan store.
    with engine.connect() as c:
        tx = c.begin()
        for req in plans.sample_requests()[1:]:
            plans.import_plan(c, settings.plan_store, req)
        tx.rollback()
        ids = sample_plan_ids(c)
    ctx = browser.new_context(viewport={"width": 1200, "height": 800}, locale="vi-VN")
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    tiles: list[int] = []
    page.on("response", lambda r: tiles.append(r.status) if "/plans/" in r.url
            and r.url.endswith(".png") else None)
    page.goto(f"{live_server}/map?district=hai-ba-trung&center=21.0025,105.8562&zoom=16"
              "&layers=wards")
    page.locator(".qh-layers > .qh-fold-toggle").click()  # the layer control opens folded below 1500 px
    page.wait_for_selector(".leaflet-control-layers-overlays")
    panel = page.locator(".qh-plans-control")
    assert not panel.is_visible()
    labels = page.locator(".leaflet-control-layers-overlays label", has_text="QH 1/2000")
    assert labels.count() == 3
    labels.filter(has_text="bản vẽ số (vector)").locator("input").check()
    labels.filter(has_text="ảnh có tệp tọa độ").locator("input").check()
    page.wait_for_function("() => document.querySelectorAll('path[fill=\"#4CAF50\"]').length > 0")
    assert panel.is_visible()
    rows = page.locator(".qh-plans-row:not(.qh-off)")
    assert rows.count() == 2
    rows.nth(0).locator("input").fill("30")
    rows.nth(1).locator("input").fill("50")
    fill_opacity = page.evaluate(
        "document.querySelector('path[fill=\"#4CAF50\"]').getAttribute('fill-opacity')")
    assert float(fill_opacity) == pytest.approx(0.3)
    page.wait_for_function("() => [...document.querySelectorAll('.leaflet-tile-container img')]"
                           ".some(i => i.src.includes('/plans/') && i.complete && i.naturalWidth)")
    opacity = page.evaluate(
        "[...document.querySelectorAll('.leaflet-layer')].map(l => l.style.opacity)"
        ".filter(o => o !== '')")
    assert "0.5" in opacity
    assert tiles and all(s == 200 for s in tiles)
    park = next(p for p in META["probes"] if p["label"] == "CX-01")
    lon, lat = to_wgs84(park["x"], park["y"])
    point = page.evaluate(
        "([lat, lon]) => { const m = Object.values(window).find(v => v instanceof L.Map);"
        " const p = m.latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }", [lat, lon])
    box = page.locator(".folium-map").bounding_box()
    page.mouse.click(box["x"] + point[0], box["y"] + point[1])
    info = page.wait_for_selector(".qh-plans-info:not([hidden]) .qh-zone", timeout=5000)
    text_ = page.locator(".qh-plans-info").inner_text()
    assert "CX — Đất cây xanh" in info.inner_text() and "CX-01" in text_
    assert "Chỉ giới đường đỏ gần nhất" in text_
    assert ids["dxf"] and not errors
    ctx.close()
