"""The dashboard and the map's date slider in headless Chromium against the real server."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlencode

import httpx
import pytest
from playwright.sync_api import Browser, Page

from maps import styles

UNREACHABLE_TILES = "127.0.0.1:9/"  # the tests' basemap: its failed loads are expected
H1 = {"district": "long-bien", "from": "2022-01-01", "to": "2022-06-30"}
DASHBOARD_READY = "() => window.qhDashboard && qhDashboard.state.status === 'loaded'"
MAP_READY = ("() => window.quyhoach && quyhoach.idle && quyhoach.idle()"
             " && quyhoach.state.statsStatus === 'loaded'")
# Whether a canvas holds painted pixels (not all transparent or white).
PAINTED = """id => {
  const c = document.getElementById(id), ctx = c.getContext('2d');
  const d = ctx.getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 4) {
    if (d[i + 3] > 0 && (d[i] < 240 || d[i + 1] < 240 || d[i + 2] < 240)) { n++; }
  }
  return n;
}"""


@dataclass
class Opened:
    """A page with what it logged and requested."""

    page: Page
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


@pytest.fixture
def open_page(browser: Browser, live_server: str) -> Iterator[Callable[..., Opened]]:
    contexts = []

    def open_(path: str, params: dict[str, str], ready: str) -> Opened:
        ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
        contexts.append(ctx)
        o = Opened(ctx.new_page())

        def on_console(msg) -> None:
            if msg.type == "error" and UNREACHABLE_TILES not in (msg.location.get("url") or ""):
                o.errors.append(f"{msg.text} at {msg.location}")

        o.page.on("console", on_console)
        o.page.on("pageerror", lambda exc: o.errors.append(f"page error: {exc}"))
        o.page.on("request", lambda req: o.requests.append(req.url))
        o.page.goto(f"{live_server}{path}?{urlencode(params)}")
        o.page.wait_for_function(ready, timeout=15_000)
        return o

    yield open_
    for ctx in contexts:
        ctx.close()


@pytest.fixture(scope="module")
def api(live_server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server, timeout=10) as c:
        yield c


def _vi(n: float, digits: int = 0) -> str:
    s = f"{n:,.{digits}f}"
    return s.replace(",", " ").replace(".", ",").replace(" ", ".")


def test_dashboard_draws_its_charts_and_table(open_page, api) -> None:
    d = open_page("/dashboard", H1, DASHBOARD_READY)
    s = api.get("/stats/clearance", params=H1).json()
    page = d.page
    charts = page.evaluate("Object.values(Chart.instances).map(c => [c.canvas.id, c.config.type,"
                           " c.data.datasets.map(ds => ds.data.length)])")
    assert sorted(c[0] for c in charts) == ["qd-chart-funding", "qd-chart-month", "qd-chart-ward"]
    by_id = {c[0]: c for c in charts}
    assert by_id["qd-chart-ward"][2] == [14, 14]
    assert by_id["qd-chart-month"][2][0] == len(s["by_month"]) == 6
    for canvas in ("qd-chart-month", "qd-chart-ward", "qd-chart-funding"):
        assert page.evaluate(PAINTED, canvas) > 500, canvas
    month = page.evaluate("qhDashboard.state.charts.month.data.datasets[0].data")
    assert month[-1] == s["plans_approved"] == 405
    assert page.locator('[data-stat="plans"]').inner_text() == "405/1.315"
    assert page.locator('[data-stat="recovered"]').inner_text() == "3,80 ha"
    assert page.locator('[data-stat="compensation"]').inner_text() == "182,9 tỷ đồng"
    assert page.locator('[data-stat="projects"]').inner_text() == "64"
    assert page.locator('[data-stat="ahead"]').inner_text() == "2"
    assert page.locator("#qd-projects tbody tr").count() == 64
    assert d.errors == []
    # Only local files: no CDN.
    assert all(u.startswith(str(api.base_url).rstrip("/")) or u.startswith("data:")
               for u in d.requests)


def test_table_sorts_filters_and_links_to_the_map(open_page, api) -> None:
    d = open_page("/dashboard", H1, DASHBOARD_READY)
    page = d.page
    projects = api.get("/stats/clearance", params=H1).json()["project_list"]
    header = page.locator('#qd-projects th[data-key="recovered_ha"]')
    header.click()
    header.click()
    assert header.get_attribute("aria-sort") == "descending"
    first = page.locator("#qd-projects tbody tr").first
    top = max(projects, key=lambda p: (p["recovered_ha"], p["code"]))
    assert first.get_attribute("data-code") == top["code"]
    page.locator("#qd-filter-key").check()
    assert page.locator("#qd-projects tbody tr").count() == sum(p["is_key"] for p in projects)
    page.locator("#qd-filter-key").uncheck()
    page.locator("#qd-search").fill("Bồ Đề")
    in_bo_de = [p for p in projects if "Bồ Đề" in p["wards"] or "Bồ Đề" in p["name"]]
    assert page.locator("#qd-projects tbody tr").count() == len(in_bo_de) >= 8
    page.locator("#qd-search").fill("")
    page.locator("#qd-filter-status").select_option("completed")
    rows = page.locator("#qd-projects tbody tr")
    assert rows.count() == sum(p["status"] == "completed" for p in projects) == 3
    link = rows.first.locator("a.qd-map").get_attribute("href")
    assert link.startswith("/map?") and "center=" in link and "zoom=17" in link
    r = api.get(link)
    assert r.status_code == 200 and "quyhoach.init" in r.text
    assert d.errors == []


def test_dashboard_as_of_slider_shows_that_day(open_page, api) -> None:
    d = open_page("/dashboard", H1, DASHBOARD_READY)
    page = d.page
    march = api.get("/stats/clearance", params={**H1, "as_of": "2022-03-31"}).json()
    days = (31 + 28 + 31) - 1  # 2022-01-01 → 2022-03-31
    page.evaluate(f"""() => {{
        const r = document.getElementById('qd-asof');
        r.value = '{days}';
        r.dispatchEvent(new Event('change'));
    }}""")
    page.wait_for_function(DASHBOARD_READY + " && qhDashboard.state.loads >= 2")
    assert page.locator("#qd-asof-value").inner_text() == "31/03/2022"
    plans = f"{_vi(march['plans_approved'])}/{_vi(march['plans_total'])}"
    assert page.locator('[data-stat="plans"]').inner_text() == plans
    assert page.locator('[data-stat="recovered"]').inner_text() == (
        f"{_vi(march['recovered_ha'], 2)} ha")
    assert page.locator("#qd-projects tbody tr").count() == march["projects"] < 64
    assert "as_of=2022-03-31" in page.url
    assert "as_of=2022-03-31" in page.locator("#qd-map-link").get_attribute("href")
    pdf = page.locator('.qd-report[data-format="pdf"]').get_attribute("href")
    assert "as_of=2022-03-31" in pdf and "format=pdf" in pdf
    page.locator("#qd-today").click()
    page.wait_for_function(DASHBOARD_READY + " && qhDashboard.state.loads >= 3")
    assert page.locator('[data-stat="plans"]').inner_text() == "405/1.315"
    assert d.errors == []


def test_dashboard_charts_take_the_map_colours_from_the_page(api) -> None:
    page = api.get("/dashboard", params=H1).text
    config = re.search(r'<script type="application/json" id="qd-config">(.*?)</script>', page, re.S)
    assert config and json.loads(config.group(1))["colors"] == styles.chart_colors()
    assert styles.chart_colors()["recovered"] == styles.STYLES["projects"].colors["in_progress"]
    script = api.get("/static/maps/dashboard.js").text
    assert not re.search(r"#[0-9a-fA-F]{6}\b|rgba?\(\s*\d", script)


def test_dashboard_refuses_an_unknown_ward(api) -> None:
    r = api.get("/dashboard", params={**H1, "ward": "Không có"})
    assert r.status_code == 404 and "Bồ Đề" in r.json()["description"]


def test_map_date_slider_shows_the_district_on_a_day(open_page, api) -> None:
    params = {**H1, "layers": "wards,projects", "as_of": "2022-03-31"}
    m = open_page("/map", params, MAP_READY)
    page = m.page
    march = api.get("/stats/clearance", params={**H1, "as_of": "2022-03-31"}).json()
    now = api.get("/stats/clearance", params=H1).json()
    plans = page.locator('[data-stat="plans"]')
    assert plans.inner_text() == f"{_vi(march['plans_approved'])}/{_vi(march['plans_total'])}"
    assert page.locator("#qh-asof .qh-asof-value").inner_text() == "31/03/2022"
    items = [u for u in m.requests if "/collections/projects/items" in u]
    assert items and all("as_of=2022-03-31" in u for u in items)
    drawn = page.evaluate("quyhoach.state.layers.projects.drawn")
    fc = api.get("/collections/projects/items", params={
        "bbox": page.evaluate("quyhoach.state.layers.projects.bbox"), "district": "long-bien",
        "as_of": "2022-03-31", "limit": 10000}).json()
    assert drawn == fc["numberMatched"]
    # Back to today with the button, then to 29 June with the slider (its right end is today).
    page.locator("#qh-asof .qh-asof-today").click()
    page.wait_for_function(f"{MAP_READY} && quyhoach.state.stats.as_of === null")
    assert plans.inner_text() == f"{_vi(now['plans_approved'])}/{_vi(now['plans_total'])}"
    assert "as_of" not in page.url
    page.evaluate("""() => {
        const r = document.getElementById('qh-asof-range');
        r.value = '179';
        r.dispatchEvent(new Event('change'));
    }""")
    page.wait_for_function(f"{MAP_READY} && quyhoach.state.stats.as_of === '2022-06-29'")
    assert "as_of=2022-06-29" in page.url
    assert m.errors == []
