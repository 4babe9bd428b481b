"""The map's tools in headless Chromium: the swipe divider clips two layers at the point it is
dragged to; measured distances and areas are the ellipsoid's (as PostGIS `geography` gives
them); the QGIS button links to the project; labels in the reader's language."""

from __future__ import annotations

import math
import re
from urllib.parse import urlencode

import httpx
import pytest
from pyproj import Geod
from sqlalchemy import text

from core.i18n import MAP_TOOL_WORDS
from layers.registry import LAYERS

READY = "() => window.quyhoach && quyhoach.idle && quyhoach.idle() && quyhoach.tools"
GEOD = Geod(ellps="WGS84")
CLIP = re.compile(r"rect\(([-\d.]+)px,\s*([-\d.]+)px,\s*([-\d.]+)px,\s*([-\d.]+)px\)")

pytestmark = pytest.mark.slow


def _open(browser, live_server, params, locale="vi-VN"):
    ctx = browser.new_context(viewport={"width": 1200, "height": 800}, locale=locale)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server}/map?{urlencode(params)}")
    page.wait_for_function(READY, timeout=20_000)
    page.locator(".qh-tools > .qh-fold-toggle").click()  # the tools open folded to a button
    return ctx, page, errors


def _map_box(page):
    box = page.locator(".folium-map").bounding_box()
    assert box is not None
    return box


def test_swipe_clips_two_layers_at_the_divider(browser, live_server):
    """Dragging the divider moves the edge between the left and the right layer's panes."""
    ctx, page, errors = _open(browser, live_server, {
        "district": "long-bien", "layers": "wards,projects", "bbox": "105.88,21.02,105.94,21.06"})
    try:
        toggle = page.locator(".qh-swipe-toggle")
        assert toggle.inner_text() == MAP_TOOL_WORDS["swipe"][0]
        toggle.click()
        page.locator(".qh-swipe-left").select_option(label=LAYERS["projects"].title_vi)
        page.locator(".qh-swipe-right").select_option(label=LAYERS["wards"].title_vi)
        box = _map_box(page)
        handle = page.locator(".qh-swipe-divider").bounding_box()
        assert handle is not None
        assert abs(handle["x"] + handle["width"] / 2 - (box["x"] + box["width"] / 2)) < 4
        # Below the layer control, which lies over the divider's top.
        y = box["y"] + box["height"] - 250
        page.mouse.move(handle["x"] + 3, y)
        page.mouse.down()
        page.mouse.move(box["x"] + 300, y + 20, steps=8)
        page.mouse.up()
        edge = page.evaluate("quyhoach.tools.map.containerPointToLayerPoint([300, 0]).x")
        left = CLIP.match(page.evaluate("quyhoach.tools.map.getPane('qh-projects').style.clip"))
        right = CLIP.match(page.evaluate("quyhoach.tools.map.getPane('qh-wards').style.clip"))
        assert left and right
        assert float(left.group(2)) == pytest.approx(edge, abs=1)   # projects end at the divider
        assert float(right.group(4)) == pytest.approx(edge, abs=1)  # wards start there
        assert page.evaluate("quyhoach.tools.swipe.position") == pytest.approx(0.25, abs=0.01)
        # Panning keeps the edge under the divider.
        page.evaluate("quyhoach.tools.map.panBy([120, 0], {animate: false})")
        edge = page.evaluate("quyhoach.tools.map.containerPointToLayerPoint([300, 0]).x")
        left = CLIP.match(page.evaluate("quyhoach.tools.map.getPane('qh-projects').style.clip"))
        assert float(left.group(2)) == pytest.approx(edge, abs=1)
        toggle.click()
        assert page.evaluate("quyhoach.tools.map.getPane('qh-projects').style.clip") == ""
        assert not errors
    finally:
        ctx.close()


def test_measures_a_square_on_the_ellipsoid(browser, live_server, engine):
    """Four clicks of a ~100 m square: the area PostGIS's geography gives, within 1 %."""
    ctx, page, errors = _open(browser, live_server, {
        "district": "long-bien", "layers": "", "center": "21.045,105.89", "zoom": "17",
        "lang": "en"}, locale="en-US")
    try:
        box = _map_box(page)
        assert page.locator(".qh-qgis").inner_text() == MAP_TOOL_WORDS["qgis"][1]
        href = page.locator(".qh-qgis").get_attribute("href")
        assert href.endswith("/qgis/project.qgz?lang=en")
        assert httpx.get(live_server + href).status_code == 200
        page.locator(".qh-measure-area").click()
        lat0, lon0 = page.evaluate("[quyhoach.tools.map.getCenter().lat,"
                                   " quyhoach.tools.map.getCenter().lng]")
        dlat = 100 / 110_700
        dlon = 100 / (111_320 * math.cos(math.radians(lat0)))
        # South-west of the centre: the layer control covers the map's upper right.
        corners = [(lat0, lon0), (lat0, lon0 - dlon), (lat0 - dlat, lon0 - dlon), (lat0 - dlat, lon0)]
        for lat, lon in corners:
            pt = page.evaluate(f"quyhoach.tools.map.latLngToContainerPoint([{lat}, {lon}])")
            page.mouse.click(box["x"] + pt["x"], box["y"] + pt["y"])
            page.wait_for_timeout(350)  # apart enough not to be a double click
        state = page.evaluate("quyhoach.tools.measure")
        assert len(state["points"]) == 4
        ring = state["points"] + state["points"][:1]
        wkt = "POLYGON((" + ", ".join(f"{lon} {lat}" for lat, lon in ring) + "))"
        with engine.connect() as c:
            postgis = c.execute(text("SELECT ST_Area(ST_GeogFromText(:w))"), {"w": wkt}).scalar()
        assert state["squareMeters"] == pytest.approx(postgis, rel=0.01)
        assert state["squareMeters"] == pytest.approx(10_000, rel=0.05)
        assert "Area:" in page.locator(".qh-measure-result").inner_text()
        page.locator(".qh-measure-distance").click()
        for lat, lon in corners[:2]:
            pt = page.evaluate(f"quyhoach.tools.map.latLngToContainerPoint([{lat}, {lon}])")
            page.mouse.click(box["x"] + pt["x"], box["y"] + pt["y"])
            page.wait_for_timeout(350)
        state = page.evaluate("quyhoach.tools.measure")
        (la1, lo1), (la2, lo2) = state["points"]
        assert state["meters"] == pytest.approx(GEOD.inv(lo1, la1, lo2, la2)[2], rel=1e-6)
        assert state["meters"] == pytest.approx(100, rel=0.05)
        assert not errors
    finally:
        ctx.close()
