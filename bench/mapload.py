"""`/map` in headless Chromium: the time until every visible layer has drawn, and the HTML size.

The page's script keeps each layer's state in `window.quyhoach.state`; the map is drawn when
no layer is loading (GeoJSON layers drawn, tile layers' tiles loaded and rendered) and the
clearance summary has arrived. The time is the page's own clock from navigation start.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
READY = """() => {
  const q = window.quyhoach;
  if (!q || !q.idle || !q.map) return false;
  // Layers the map opens without (turned off in the layer control) stay idle.
  const shown = (q.entries || []).filter(e => q.map.hasLayer(e.group));
  return shown.length > 0 && q.state.statsStatus === 'loaded' && q.idle()
    && shown.every(e => e.state.status === 'loaded' || e.state.status === 'hidden');
}"""
SUMMARY = """() => {
  const q = window.quyhoach, out = {zoom: q.map.getZoom(), layers: {}};
  for (const [k, s] of Object.entries(q.state.layers)) {
    out.layers[k] = {status: s.status, source: s.source, drawn: s.drawn ?? null,
                     matched: s.matched ?? null};
  }
  return out;
}"""


@dataclass
class MapResult:
    """Times until drawn (ms), HTML bytes, requests per load and the drawn state."""

    drawn_ms: list[float] = field(default_factory=list)
    html_bytes: int = 0
    requests: int = 0
    transfer_bytes: int = 0
    state: dict = field(default_factory=dict)
    tile_requests: int = 0

    @property
    def median_ms(self) -> float:
        """Median time until drawn."""
        return statistics.median(self.drawn_ms) if self.drawn_ms else float("nan")


def measure(base: str, path: str = "/map", rounds: int = 3, timeout_ms: int = 60_000) -> MapResult:
    """Load the map `rounds` times, each in a fresh browser context (empty cache)."""
    from playwright.sync_api import sync_playwright

    out = MapResult()
    with sync_playwright() as pw:
        # Playwright gives the browser a fresh temporary profile of its own.
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            for _ in range(rounds):
                ctx = browser.new_context(viewport={"width": 1280, "height": 800})
                page = ctx.new_page()
                sizes: list[int] = []
                tiles = [0]

                def on_response(resp, sizes=sizes, tiles=tiles):  # noqa: ANN001
                    if resp.url.startswith(base):
                        sizes.append(int(resp.headers.get("content-length") or 0))
                        if "/tiles/WebMercatorQuad/" in resp.url and resp.url.count("/") > 8:
                            tiles[0] += 1

                page.on("response", on_response)
                resp = page.goto(base + path, wait_until="commit")
                if resp is None or resp.status != 200:
                    raise RuntimeError(f"/map answered {resp.status if resp else 'nothing'}")
                page.wait_for_function(READY, polling="raf", timeout=timeout_ms)
                out.drawn_ms.append(page.evaluate("performance.now()"))
                out.state = page.evaluate(SUMMARY)
                out.html_bytes = len(resp.body())
                out.requests = len(sizes)
                out.transfer_bytes = sum(sizes)
                out.tile_requests = tiles[0]
                ctx.close()
        finally:
            browser.close()
    return out
