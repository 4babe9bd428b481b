"""User-supplied strings reach the browser as text, every page runs under a strict CSP, and the
export browser reaches nothing but the service."""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import httpx
import numpy as np
import pytest
from PIL import Image
from sqlalchemy import text

from core import i18n
from layers import plans
from layers.plans import SAMPLE_PLAN_DIR, SAMPLE_STEM
from maps import export as X

PNG = SAMPLE_PLAN_DIR / f"{SAMPLE_STEM}.png"
PGW = SAMPLE_PLAN_DIR / f"{SAMPLE_STEM}.pgw"

IMG = "<img src=x onerror=\"document.title='pwned';window.__xss=1\">"
SCRIPT = "<script>document.title='pwned';window.__xss=1</script>"
# Evaluated by a template engine, this becomes "1337x1337".
TEMPLATE = "{{ 7*191 }}x{{ 7*191 }}"
# Inverts the whole page if it ever runs: visible in a PNG export.
INVERT = "<img src=x onerror=\"document.documentElement.style.filter='invert(1)'\">"

MAP = "/map?district=hai-ba-trung&center=21.0025,105.8562&zoom=16&layers=wards"
MAP_READY = ("() => window.quyhoach && quyhoach.idle && quyhoach.idle()"
             " && quyhoach.state.statsStatus === 'loaded'")
DASHBOARD_READY = "() => window.qhDashboard && qhDashboard.state.status === 'loaded'"
# Collects the policy's violations; init scripts run outside the page's policy. (Conditions
# given to wait_for_function are functions: an expression would be eval'd in the page.)
WATCH_CSP = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""
REDOCLY_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)([^>]*)>", re.I)


def post_plan(client, headers: dict[str, str], name: str, decision: str | None = None) -> int:
    """Upload the sample sheet (image + world file) under a name; its id."""
    data = {"name": name, **({"decision": decision} if decision else {})}
    with open(PNG, "rb") as img, open(PGW, "rb") as wld:
        r = client.post("/plans", headers=headers, files={"file": (PNG.name, img, "image/png"),
                                         "world_file": (PGW.name, wld, "text/plain")}, data=data)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def delete_plans(engine, settings, ids: list[int]) -> None:
    """Remove the test's plans (the sample keeps the stored sheet they share)."""
    with engine.connect() as conn:
        for plan_id in ids:
            plans.delete_plan(conn, settings.plan_store, plan_id)
        conn.commit()


@pytest.fixture(scope="module")
def hostile_plans(client, engine, settings, editor_headers) -> Iterator[list[tuple[str, str]]]:
    """Two plans whose names and decisions are script and template injections."""
    named = [(f"{IMG} {TEMPLATE}", SCRIPT), (SCRIPT, f"{IMG} {TEMPLATE}")]
    ids: list[int] = []
    try:
        for name, decision in named:
            ids.append(post_plan(client, editor_headers, name, decision))
        yield named
    finally:
        delete_plans(engine, settings, ids)


def open_watched(browser, url: str, ready: str, *, block_remote: bool = False):
    """A page at `url` once `ready` holds, with its errors, dialogs, requests and blocked ones."""
    ctx = browser.new_context(viewport={"width": 1200, "height": 800}, locale="vi-VN")
    ctx.add_init_script(WATCH_CSP)
    own = "{0.scheme}://{0.netloc}".format(urlsplit(url))
    blocked: list[str] = []
    if block_remote:
        def route(r) -> None:
            if r.request.url.startswith((own + "/", "data:", "blob:")):
                r.continue_()
            else:
                blocked.append(r.request.url)
                r.abort()
        ctx.route("**/*", route)
    page = ctx.new_page()
    errors: list[str] = []
    dialogs: list[str] = []
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(url)
    page.wait_for_function(ready, timeout=20_000)
    return ctx, page, errors, dialogs, requested, blocked


def csp_errors(page, errors: list[str]) -> list[str]:
    """Violations the page reported, and console errors that name the policy."""
    return page.evaluate("window.__csp") + [e for e in errors if "Content Security Policy" in e]


def directives(policy: str) -> dict[str, list[str]]:
    parts = [p.split() for p in policy.split(";") if p.strip()]
    return {p[0]: p[1:] for p in parts}


# --- served HTML -------------------------------------------------------------------------------


def test_map_html_carries_plan_names_as_text_not_markup_or_template(client, hostile_plans) -> None:
    r = client.get(MAP)
    assert r.status_code == 200, r.text
    page = r.text
    assert "1337x1337" not in page  # no template evaluated the plan's words on the server
    assert "<img src=x" not in page and "<script>document.title" not in page
    assert page.count("{{ 7*191 }}") == 0 and "7*191" in page  # present, defused


def test_every_response_carries_the_security_headers(client) -> None:
    html_pages = {"/": {"accept": "text/html"}, "/map": {}, "/dashboard": {}, "/docs": {},
                  "/redoc": {}}
    for path, headers in html_pages.items():
        r = client.get(path, headers=headers)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), path
        csp = directives(r.headers["content-security-policy"])
        assert csp["script-src"][0] == "'self'" and "'unsafe-inline'" not in csp["script-src"]
        assert all(s == "'self'" or s.startswith("'nonce-") for s in csp["script-src"]), path
        assert csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'self'"]
        assert csp["frame-ancestors"] == ["'self'"] and csp["connect-src"] == ["'self'"]
        assert csp["img-src"] == ["'self'", "data:", "blob:", "http://127.0.0.1:9"], path
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "strict-origin-when-cross-origin"
        # Every inline script is one the page's builder stamped with this response's nonce.
        nonces = [s[len("'nonce-"):-1] for s in csp["script-src"] if s.startswith("'nonce-")]
        for attrs in INLINE_SCRIPT.findall(r.text):
            if "application/json" in attrs:
                continue  # data, never run
            assert nonces and f'nonce="{nonces[0]}"' in attrs, (path, attrs)
    for path in ("/", "/collections", "/health", "/plans", "/static/maps/quyhoach-map.js"):
        r = client.get(path)
        assert r.status_code == 200, path
        assert r.headers["x-content-type-options"] == "nosniff", path
        assert r.headers["referrer-policy"] == "strict-origin-when-cross-origin", path
        assert "frame-ancestors 'self'" in r.headers["content-security-policy"], path


def test_api_docs_load_only_local_files(client) -> None:
    for path in ("/docs", "/redoc"):
        page = client.get(path).text
        urls = re.findall(r'(?:src|href)="([^"]+)"', page)
        assert urls, path
        for url in urls:
            assert url.startswith("/static/lib/"), (path, url)
            assert client.get(url).status_code == 200, url
        assert "cdn." not in page and "fonts.googleapis" not in page


# --- in Chromium -------------------------------------------------------------------------------


def test_payloads_are_literal_text_in_the_map_and_never_run(browser, live_server,
                                                            hostile_plans) -> None:
    ctx, page, errors, dialogs, requested, _ = open_watched(browser, live_server + MAP,
                                                            MAP_READY)
    try:
        title = page.title()
        assert title == i18n.text("page_title", "vi", district="Hai Bà Trưng")
        labels = page.locator(".leaflet-control-layers-overlays label")
        texts = labels.all_inner_texts()
        for name, _ in hostile_plans:
            assert any(name in t for t in texts), (name, texts)
        # Switching the plans on shows their decisions as the attribution and in the panel.
        page.locator(".qh-layers > .qh-fold-toggle").click()  # folded below 1500 px wide
        for name, _ in hostile_plans:
            labels.filter(has_text=name).first.locator("input").check()
        page.wait_for_selector(".qh-plans-row:not(.qh-off)")
        page.wait_for_load_state("networkidle")
        attribution = page.locator(".leaflet-control-attribution").inner_text()
        for _, decision in hostile_plans:
            assert decision in attribution
        rows = page.locator(".qh-plans-row:not(.qh-off) label").all_inner_texts()
        assert sorted(rows) == sorted(name for name, _ in hostile_plans)
        assert page.evaluate("typeof window.__xss") == "undefined"
        assert page.title() == title and dialogs == []
        assert not [u for u in requested if u.endswith("/x")]  # no <img src=x> was ever made
        assert csp_errors(page, errors) == []
    finally:
        ctx.close()


def test_pages_work_under_the_policy_with_every_other_origin_blocked(browser,
                                                                     live_server) -> None:
    cases = [
        ("/docs", "() => document.querySelectorAll('.swagger-ui .opblock').length > 5"),
        ("/redoc", "() => document.querySelectorAll('redoc [data-section-id*=\"operation/\"]')"
                   ".length > 5"),
        ("/dashboard", DASHBOARD_READY),
        (MAP, MAP_READY),
    ]
    for path, ready in cases:
        ctx, page, errors, _, _, blocked = open_watched(browser, live_server + path, ready,
                                                     block_remote=True)
        try:
            violations = csp_errors(page, errors)
            if path == "/redoc":  # Redoc's footer logo, remote by design; it hides when refused
                violations = [v for v in violations if REDOCLY_LOGO not in v]
            assert violations == [], path
            assert not [e for e in errors if e.startswith("page error")], (path, errors)
            if path in ("/docs", "/redoc"):
                assert blocked == [], path  # they need nothing from elsewhere
                assert "quyhoach" in page.locator("h1, h2").first.inner_text()
        finally:
            ctx.close()


# --- the export browser ------------------------------------------------------------------------


def _png(content: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(content)).convert("RGB")).astype(int)


def test_export_page_runs_no_injected_script(client, live_server, engine, settings,
                                             editor_headers) -> None:
    # The layer control (hidden in exports) holds the name: were it markup, the page would invert.
    plan_id = post_plan(client, editor_headers, INVERT)
    try:
        with engine.connect() as c:
            box = c.execute(text(
                "SELECT ST_XMin(b) w, ST_YMin(b) s, ST_XMax(b) e, ST_YMax(b) n FROM (SELECT "
                "ST_Transform(footprint, 4326) b FROM plans WHERE id = :id) t"),
                {"id": plan_id}).one()
        params = {"bbox": f"{box.w},{box.s},{box.e},{box.n}", "width": 400, "height": 300,
                  "layers": "wards", "district": "hai-ba-trung"}
        hostile = httpx.get(f"{live_server}/exports/map.png", params=params, timeout=60)
        assert hostile.status_code == 200, hostile.text
        with engine.begin() as c:
            c.execute(text("UPDATE plans SET name = :n WHERE id = :id"),
                      {"n": "x" * len(INVERT), "id": plan_id})
        plain = httpx.get(f"{live_server}/exports/map.png", params=params, timeout=60)
        assert plain.status_code == 200, plain.text
    finally:
        delete_plans(engine, settings, [plan_id])
    a, b = _png(hostile.content), _png(plain.content)
    assert a.shape == b.shape == (300, 400, 3)
    # An injected script would invert the whole picture; the caption's clock may move a few pixels.
    assert (np.abs(a - b).max(axis=2) > 24).mean() < 0.02


class _Counting(ThreadingHTTPServer):
    """A loopback HTTP server answering `body` to every GET and counting the requests."""

    def __init__(self, body: bytes, content_type: str) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                server.hits.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.hits: list[str] = []
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        threading.Thread(target=self.serve_forever, daemon=True).start()


def test_export_browser_reaches_only_the_service_and_the_basemap(settings) -> None:
    elsewhere = _Counting(b"", "image/png")
    basemap = _Counting(b"", "image/png")
    page = (
        "<!doctype html><title>stub</title>"
        f"<img id=a src='{elsewhere.url}/image.png'><img id=b src='{basemap.url}/1/2/3.png'>"
        f"<img id=c src='/own.png'><script>fetch('{elsewhere.url}/fetch').catch(() => 0);"
        "window.quyhoach = {map: {}, exportSetup: function () {}, basemapReady: () => true,"
        " exportReady: () => [...document.images].every(i => i.complete)};</script>"
    ).encode()
    service = _Counting(page, "text/html")
    pool = X.SnapshotPool(settings.model_copy(update={
        "basemap_url": f"{basemap.url}/{{z}}/{{x}}/{{y}}.png", "export_basemap_wait_s": 0.0}))
    try:
        png = pool.render(f"{service.url}/map", 300, 200, {})
        assert png.startswith(b"\x89PNG")
        assert "/map" in service.hits and "/own.png" in service.hits
        assert basemap.hits == ["/1/2/3.png"]
        assert elsewhere.hits == []
    finally:
        for s in (elsewhere, basemap, service):
            s.shutdown()
            s.server_close()
