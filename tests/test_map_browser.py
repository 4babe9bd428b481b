"""The clearance map in headless Chromium against the real server on the sample."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlencode

import httpx
import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy import text

from core import i18n

UNREACHABLE_TILES = "127.0.0.1:9/"  # the tests' basemap: its failed loads are expected
READY = ("() => window.quyhoach && quyhoach.idle && quyhoach.idle()"
         " && quyhoach.state.statsStatus === 'loaded'")


@dataclass
class MapPage:
    """A loaded /map page with what it logged and requested."""

    page: Page
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def state(self, layer: str) -> dict:
        return self.page.evaluate(f"quyhoach.state.layers[{layer!r}]")

    def wait_ready(self) -> None:
        self.page.wait_for_function(READY, timeout=15_000)

    def click_centre(self) -> str:
        box = self.page.locator(".folium-map").bounding_box()
        assert box is not None
        self.page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        popup = self.page.wait_for_selector(".leaflet-popup-content .qh-popup", timeout=5_000)
        assert popup is not None
        return popup.inner_text()


@pytest.fixture
def open_map(browser: Browser, live_server: str) -> Iterator[Callable[..., MapPage]]:
    contexts = []

    def open_(params: dict[str, str], locale: str = "vi-VN") -> MapPage:
        ctx = browser.new_context(viewport={"width": 1200, "height": 800}, locale=locale)
        contexts.append(ctx)
        m = MapPage(ctx.new_page())

        def on_console(msg) -> None:
            if msg.type == "error" and UNREACHABLE_TILES not in (msg.location.get("url") or ""):
                m.errors.append(f"{msg.text} at {msg.location}")

        m.page.on("console", on_console)
        m.page.on("pageerror", lambda exc: m.errors.append(f"page error: {exc}"))
        m.page.on("request", lambda req: m.requests.append(req.url))
        m.page.goto(f"{live_server}/map?{urlencode(params)}")
        m.wait_ready()
        return m

    yield open_
    for ctx in contexts:
        ctx.close()


@pytest.fixture(scope="module")
def api(live_server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server, timeout=10) as c:
        yield c


def test_draws_as_many_projects_as_the_api_returns_for_the_view(open_map, api) -> None:
    m = open_map({"district": "long-bien", "layers": "wards,projects",
                  "bbox": "105.88,21.02,105.94,21.06"})
    for layer in ("projects", "wards"):
        st = m.state(layer)
        assert st["status"] == "loaded" and st["source"] == "geojson"
        fc = api.get("/collections/" + layer + "/items",
                     params={"bbox": st["bbox"], "district": "long-bien", "limit": 10000}).json()
        drawn = m.page.locator(f"path.qh-{layer}").count()
        assert drawn == st["drawn"] == fc["numberMatched"] == len(fc["features"]), layer
    assert m.state("projects")["drawn"] >= 5
    # Parcels are off and below their zoom: never fetched.
    assert not [u for u in m.requests if "/collections/parcels" in u]
    assert m.page.locator(".leaflet-tile-pane img").count() > 0  # basemap tried, failed quietly
    assert m.errors == []


@pytest.fixture(scope="module")
def clickable_project(engine) -> dict:
    """A Long Biên project and a point inside it that no other project covers."""
    with engine.connect() as c:
        row = c.execute(text("""
            SELECT p.id, p.name, ST_Y(pt) AS lat, ST_X(pt) AS lon FROM (
              SELECT p.*, ST_Transform(ST_PointOnSurface(p.geom), 4326) AS pt,
                     ST_PointOnSurface(p.geom) AS pt_grid
              FROM projects p WHERE p.district = 'long-bien') p
            WHERE NOT EXISTS (SELECT 1 FROM projects q
                              WHERE q.id <> p.id AND ST_DWithin(q.geom, p.pt_grid, 5))
              AND EXISTS (SELECT 1 FROM parcels pa WHERE pa.project_id = p.id
                          AND pa.approved_on IS NOT NULL)
            ORDER BY p.area_m2 DESC LIMIT 1""")).one()
    return dict(row._mapping)


def test_project_popup_shows_name_and_plan_figures(open_map, api, clickable_project) -> None:
    p = clickable_project
    m = open_map({"layers": "projects", "center": f"{p['lat']},{p['lon']}", "zoom": "17"})
    popup = m.click_centre()
    props = api.get(f"/collections/projects/items/{p['id']}").json()["properties"]
    assert p["name"] in popup
    assert "Phương án đã phê duyệt / tổng số" in popup
    assert f"{props['plans_approved']}/{props['plans_total']}" in popup
    assert props["plans_approved"] > 0
    assert (i18n.hectares(props['recovered_ha']) in popup
            or i18n.hectares(props['recovered_ha'], digits=4) in popup)
    assert f"{i18n.percent(props['recovered_pct'])} diện tích dự án" in popup
    assert "tỷ đồng" in popup and "Kinh phí bồi thường, hỗ trợ đã chi trả" in popup
    assert m.errors == []


def test_popup_in_english(open_map, clickable_project) -> None:
    p = clickable_project
    m = open_map({"layers": "projects", "center": f"{p['lat']},{p['lon']}", "zoom": "17",
                  "lang": "en"})
    popup = m.click_centre()
    assert "Plans approved / total" in popup and "billion VND" in popup
    assert "Phương án" not in popup
    assert m.errors == []


def test_summary_panel_shows_the_period_totals(open_map, api) -> None:
    params = {"district": "long-bien", "from": "2022-01-01", "to": "2022-06-30"}
    m = open_map({**params, "layers": "wards"})
    s = api.get("/stats/clearance", params=params).json()
    cell = m.page.locator
    assert cell('[data-stat="plans"]').inner_text() == i18n.ratio(s['plans_approved'],
                                                                  s['plans_total'])
    assert cell('[data-stat="projects"]').inner_text().startswith(str(s["projects"]))
    assert f"{s['projects_budget']} vốn ngân sách" in cell('[data-stat="projects"]').inner_text()
    assert cell('[data-stat="recovered"]').inner_text() == i18n.hectares(s['recovered_ha'])
    assert cell('[data-stat="compensation"]').inner_text() == i18n.amount(s['compensation_vnd'])
    assert cell('[data-stat="ahead"]').inner_text() == str(s["projects_ahead_of_schedule"])
    assert s["plans_total"] > s["plans_approved"] > 0
    assert m.errors == []


def test_summary_panel_of_one_ward(open_map, api) -> None:
    params = {"district": "long-bien", "ward": "Bồ Đề", "from": "2022-01-01", "to": "2022-06-30"}
    m = open_map({**params, "layers": "wards,projects"})
    s = api.get("/stats/clearance", params=params).json()
    district = api.get("/stats/clearance", params={**params, "ward": ""}).json()
    panel = m.page.locator("#qh-summary").inner_text()
    assert "Phường Bồ Đề" in panel
    plans = m.page.locator('[data-stat="plans"]').inner_text()
    assert plans == f"{s['plans_approved']}/{s['plans_total']}"
    assert s["plans_total"] < district["plans_total"]
    assert m.errors == []


def test_parcels_come_as_vector_tiles_from_zoom_14(open_map, clickable_project) -> None:
    p = clickable_project
    m = open_map({"layers": "parcels", "center": f"{p['lat']},{p['lon']}", "zoom": "13"})
    assert m.state("parcels")["status"] == "hidden"
    assert not [u for u in m.requests if "/collections/parcels/tiles/WebMercatorQuad/" in u]
    m.page.evaluate(f"quyhoach.map.setView([{p['lat']}, {p['lon']}], 17, {{animate: false}})")
    m.page.wait_for_function("() => quyhoach.state.layers.parcels.status === 'loaded'", timeout=10_000)
    st = m.state("parcels")
    assert st["source"] == "tiles" and "?v=" in st["url"]
    tiles = [u for u in m.requests if "/collections/parcels/tiles/WebMercatorQuad/17/" in u]
    assert tiles and all("?v=" in u for u in tiles)
    assert not [u for u in m.requests if "/collections/parcels/items" in u]
    # Drawn on canvas, one per tile, not as an SVG path per parcel.
    assert m.page.locator(".leaflet-qh-parcels-pane canvas").count() > 0
    assert m.page.locator(".leaflet-qh-parcels-pane path").count() == 0
    popup = m.click_centre()
    assert "thửa đất thu hồi" in popup.lower() and p["name"] in popup
    assert [u for u in m.requests if "/collections/parcels/items/" in u]  # the popup's details
    assert m.errors == []


def test_layer_control_toggles_and_link_keeps_the_view(open_map) -> None:
    m = open_map({"layers": "wards"})
    assert m.state("projects")["status"] == "idle"
    m.page.locator(".qh-layers > .qh-fold-toggle").click()  # the layer control opens folded below 1500 px
    m.page.get_by_role("checkbox", name="Dự án giải phóng mặt bằng").check()
    m.page.wait_for_function("() => quyhoach.state.layers.projects.status === 'loaded'")
    assert m.page.locator("path.qh-projects").count() == m.state("projects")["drawn"] > 0
    assert "layers=wards%2Cprojects" in m.page.url and "zoom=" in m.page.url
    assert "lang=vi" in m.page.url
    assert m.errors == []
