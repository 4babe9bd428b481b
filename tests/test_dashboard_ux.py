"""What a planner sees in Chromium: the dashboard's ward chart, search and links, the map's slider
and highlighted project, and the API documentation with no network beyond the service."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from PIL import Image
from playwright.sync_api import Browser, BrowserContext

pytestmark = pytest.mark.slow

SCREENSHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
DASHBOARD_READY = "() => window.qhDashboard && qhDashboard.state.status === 'loaded'"
MAP_READY = ("() => window.quyhoach && quyhoach.idle && quyhoach.idle()"
             " && quyhoach.state.statsStatus === 'loaded'")
HBT = {"district": "hai-ba-trung", "from": "2011-01-01", "to": "2015-12-31"}
H1 = {"district": "long-bien", "from": "2022-01-01", "to": "2022-06-30"}


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN")
    yield ctx
    ctx.close()


def _save_png(png: bytes, name: str, width: int = 1100) -> None:
    """A screenshot for docs/screenshots, scaled down and kept under 300 KB."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with Image.open(io.BytesIO(png)) as img:
        img = img.convert("RGB")
        if img.width > width:
            img = img.resize((width, round(img.height * width / img.width)), Image.LANCZOS)
        img = img.quantize(colors=128)
        img.save(SCREENSHOTS / f"{name}.png", optimize=True)
    assert (SCREENSHOTS / f"{name}.png").stat().st_size < 300_000


def test_ward_chart_labels_every_ward_and_its_axes(context, live_server) -> None:
    page = context.new_page()
    page.goto(f"{live_server}/dashboard?{urlencode(HBT)}")
    page.wait_for_function(DASHBOARD_READY, timeout=20_000)
    chart = page.evaluate("""() => {
      const c = qhDashboard.state.charts.ward, s = qhDashboard.state.stats;
      return {wards: s.by_ward.map(w => w.ward), labels: c.data.labels,
              ticks: c.scales.y.ticks.map(t => c.scales.y.getLabelForValue(t.value)),
              titles: ['y', 'ha', 'plans'].map(k => c.options.scales[k].title.display
                                                  ? c.options.scales[k].title.text : ''),
              month: ['x', 'plans', 'ha'].map(k => {
                const o = qhDashboard.state.charts.month.options.scales[k];
                return o.title.display ? o.title.text : ''; }),
              height: c.canvas.clientHeight};
    }""")
    assert len(chart["wards"]) == 20
    assert chart["ticks"] == chart["wards"]  # one label per ward, each beside its own bars
    assert chart["titles"] == ["Phường", "Diện tích thu hồi (ha)", "Phương án đã phê duyệt"]
    assert all(chart["month"])
    assert chart["height"] >= 20 * 22
    assert chart["wards"].index("Bạch Mai") < chart["wards"].index("Bùi Thị Xuân")
    # The schedule tables: late projects beside the ones ahead of schedule.
    late = page.locator("#qd-late tbody tr").count()
    assert late >= 1 and page.locator("[data-stat=behind]").inner_text() == str(late)
    page.locator("#qd-ward-box").scroll_into_view_if_needed()
    _save_png(page.screenshot(full_page=True), "dashboard-hai-ba-trung")


def test_search_ignores_accents_and_the_map_link_highlights_the_project(context, live_server
                                                                       ) -> None:
    page = context.new_page()
    page.goto(f"{live_server}/dashboard?{urlencode(H1)}")
    page.wait_for_function(DASHBOARD_READY, timeout=20_000)
    page.fill("#qd-search", "Ngọc Thụy")
    accented = page.evaluate("() => qhDashboard.state.rows")
    page.fill("#qd-search", "ngoc thuy")
    folded = page.evaluate("() => qhDashboard.state.rows")
    assert accented > 0 and folded == accented
    row = page.locator("#qd-projects tbody tr").first
    code = row.get_attribute("data-code")
    href = row.locator("a.qd-map").get_attribute("href")
    assert parse_qs(urlsplit(href).query)["project"] == [code]
    # Number formats: the compensation card in the reader's unit.
    assert page.locator("[data-stat=compensation]").inner_text() == "182,9 tỷ đồng"
    assert page.locator("[data-stat=plans]").inner_text() == "405/1.315"
    page.goto(live_server + href)
    page.wait_for_function("() => window.quyhoach && quyhoach.state.focus"
                           " && quyhoach.state.focus.status === 'shown'", timeout=20_000)
    label = page.locator(".qh-focus-label").inner_text()
    assert label.startswith(code)


def test_the_totals_name_their_day_and_the_slider_ends_on_todays_data(context, live_server
                                                                      ) -> None:
    page = context.new_page()
    page.goto(f"{live_server}/map?{urlencode({**H1, 'as_of': '2022-03-31'})}")
    page.wait_for_function(MAP_READY, timeout=20_000)
    period = page.locator("#qh-summary .qh-summary-period").inner_text()
    assert "đến 31/03/2022" in period and "tình trạng ngày 31/03/2022" in period
    assert page.locator("#qh-summary [data-stat=recovered]").inner_text().endswith(" ha")
    # Dragged to the right end: today's data, not the period's last day.
    page.evaluate("""() => { const r = document.getElementById('qh-asof-range');
                             r.value = r.max; r.dispatchEvent(new Event('change')); }""")
    page.wait_for_function(MAP_READY, timeout=20_000)
    assert "as_of" not in parse_qs(urlsplit(page.url).query)
    assert page.evaluate("() => quyhoach.cfg.asOf") is None
    period = page.locator("#qh-summary .qh-summary-period").inner_text()
    assert "đến 30/06/2022" in period and "theo số liệu hiện tại" in period


@pytest.mark.parametrize(("path", "rendered"), [
    ("/docs", ".swagger-ui .info .title"),
    ("/redoc", "redoc-wrap h1, .api-info h1"),
])
def test_api_docs_render_with_the_network_blocked(context, live_server, path, rendered) -> None:
    origin = live_server.rstrip("/")
    blocked: list[str] = []

    def guard(route) -> None:
        if route.request.url.startswith(origin) or route.request.url.startswith("data:"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server}{path}")
    page.wait_for_selector(rendered, timeout=20_000)
    assert "quyhoach" in page.locator(rendered).first.inner_text().lower() or page.locator(
        rendered).first.inner_text()
    assert not errors, errors
    assert not blocked, blocked


def test_dxf_plan_zones_are_labelled_where_they_fit(context, live_server) -> None:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server}/map?district=hai-ba-trung&center=21.0025,105.8562&zoom=17"
              "&layers=wards")
    page.locator(".qh-layers > .qh-fold-toggle").click()  # the layer control opens folded below 1500 px
    page.wait_for_selector(".leaflet-control-layers-overlays")
    overlay = page.locator(".leaflet-control-layers-overlays label", has_text="bản vẽ số (vector)")
    overlay.locator("input").check()
    page.wait_for_function("() => document.querySelectorAll('.qh-zone-label').length > 0",
                           timeout=15_000)
    labels = page.locator(".qh-zone-label").all_inner_texts()
    assert any("CX-01" in t for t in labels), labels
    assert any("MĐXD" in t and "%" in t for t in labels) or any("tầng" in t for t in labels)
    # Zoomed out, the zones are too small on screen for their labels.
    page.evaluate("() => Object.values(window).find(v => v instanceof L.Map).setZoom(11, "
                  "{animate: false})")
    page.wait_for_function("() => document.querySelectorAll('.qh-zone-label').length === 0",
                           timeout=10_000)
    assert not errors, errors
