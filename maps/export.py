"""Map exports shared by snapshots and prints, and PNG snapshots of the /map page.

A snapshot is the planner's own /map page rendered by headless Chromium, so what is exported is
what is seen. Chromium runs once per process, driven by async Playwright on an event loop of its
own; a bounded pool of warm pages serves the requests, and a request that finds every page busy
gets a 503 instead of waiting without end. Every render has a deadline; basemap tiles get a
short, configurable grace time and are then given up on (the vectors are drawn regardless).

Requests come typed (`SnapshotRequest`, `ContentRequest`): the API and the command line parse
their own strings. The figures in view (projects, plans approved / total, hectares recovered) are
those of layers.queries.clearance_stats restricted to the area shown, as of the day asked for.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import datetime as dt
import math
import threading
import time
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import orjson
from sqlalchemy import Connection

from core import i18n
from core.errors import InvalidParameterError, PlanningError, ServiceBusyError
from core.settings import Settings
from gis.srs import HANOI_LONLAT, VN2000, WGS84, in_hanoi, transformer
from layers import exports as E
from layers.admin_units import Unit
from layers.exports import PlanInfo
from layers.features import BBox
from layers.queries import Area, clearance_stats
from layers.units import DEFAULT_DISTRICT, default_period
from maps import styles
from maps import units as unit_views

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--hide-scrollbars", "--font-render-hinting=none"]
MIN_PX, MAX_PX = 200, 4096
DEFAULT_WIDTH = 1600
DEFAULT_OPACITY = 0.7
MAX_TITLE = 200
MIN_ZOOM, MAX_ZOOM = 10.0, 22.0
EARTH_RADIUS = 6378137.0  # Leaflet's spherical Mercator (EPSG:3857)
WORDS = i18n.EXPORT_WORDS


# --- what an export shows, beyond where -------------------------------------------------------


@dataclass(frozen=True)
class ContentRequest:
    """What an export asks to show beyond where, as typed values; None leaves the default."""

    layers: tuple[str, ...] | None = None  # None: every map layer
    district: str | None = None  # None: the district in view
    ward: str | None = None  # restricts the figures
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    as_of: dt.date | None = None  # the figures and the map as they stood that day
    plan: int | None = None  # id of a 1/2000 plan shown underneath
    opacity: float | None = None
    lang: str = "vi"
    title: str | None = None


@dataclass(frozen=True)
class ExportContent:
    """What an export shows, validated: layers, district, period, plan backdrop, language, title."""

    layers: tuple[str, ...]
    district: str
    date_from: dt.date
    date_to: dt.date
    ward: str | None = None
    as_of: dt.date | None = None
    lang: str = "vi"
    plan: PlanInfo | None = None
    opacity: float = DEFAULT_OPACITY
    title: str | None = None
    unit: Unit | None = None  # the unit the district slot (and ward) name, for its name

    def place(self) -> str:
        """The place shown, named for the period: quận Long Biên, phường Bồ Đề (từ 01/07/2025)."""
        return unit_views.place_name(self.unit, self.district, self.ward, self.date_from,
                                     self.date_to, self.lang)

    def heading(self) -> str:
        """The title of the export: the one asked for, or the map's own."""
        return self.title or i18n.phrase(i18n.UNIT_VIEW_WORDS, "map_title", self.lang,
                                         place=self.place())

    @property
    def shows_clearance(self) -> bool:
        """Whether the clearance layers are shown (their figures go into the caption)."""
        return "projects" in self.layers or "parcels" in self.layers


def map_layers(ids: tuple[str, ...] | None) -> tuple[str, ...]:
    """The map layers to show, in the order asked (None: all); unknown ids are refused."""
    if ids is None:
        return styles.MAP_LAYERS
    unknown = [v for v in ids if v not in styles.MAP_LAYERS]
    if unknown:
        known = ", ".join(styles.MAP_LAYERS)
        raise InvalidParameterError(
            f"Lớp không có trên bản đồ: {', '.join(unknown)}. Các lớp: {known}.",
            f"Unknown map layer: {', '.join(unknown)}. Layers: {known}.")
    return tuple(dict.fromkeys(ids))


def resolve_content(conn: Connection, req: ContentRequest, at: tuple[float, float],
                    storage_srid: int) -> ExportContent:
    """Validate what an export shows; `at` (lon, lat) picks the district when none is asked."""
    layers = map_layers(req.layers)
    district = req.district or E.district_at(conn, at[0], at[1], storage_srid) or DEFAULT_DISTRICT
    default_from, default_to = default_period(district)
    start, end = req.date_from or default_from, req.date_to or default_to
    if end < start:
        raise InvalidParameterError("Ngày 'to' đứng trước ngày 'from'.", "'to' is before 'from'.")
    plan = None
    if req.plan is not None:
        plan = E.plan_info(conn, req.plan)
        if plan is None:
            raise InvalidParameterError(f"Không có quy hoạch số {req.plan} (xem /plans).",
                                        f"No plan {req.plan} (see /plans).")
    opacity = DEFAULT_OPACITY if req.opacity is None else req.opacity
    if not 0.0 <= opacity <= 1.0:  # NaN too
        raise InvalidParameterError(f"opacity '{req.opacity}' phải là số từ 0 đến 1.",
                                    f"opacity '{req.opacity}' must be a number from 0 to 1.")
    title = (req.title or "").strip() or None
    if title is not None and len(title) > MAX_TITLE:
        raise InvalidParameterError(f"Tiêu đề dài quá {MAX_TITLE} ký tự.",
                                    f"The title is longer than {MAX_TITLE} characters.")
    lang = req.lang if req.lang in i18n.LANGS else "vi"
    return ExportContent(layers, district, start, end, req.ward, req.as_of, lang, plan, opacity,
                         title, unit_views.selected_unit(conn, district, req.ward))


def hanoi_bbox(box: BBox) -> BBox:
    """The bbox (lon/lat, or VN-2000 metres), checked to lie within Hanoi and to have an area."""
    corners = [(box.xmin, box.ymin), (box.xmin, box.ymax), (box.xmax, box.ymin),
               (box.xmax, box.ymax)]
    if not all(in_hanoi(x, y, box.srid) for x, y in corners):
        w, s, e, n = HANOI_LONLAT
        shown = f"{box.xmin:g},{box.ymin:g},{box.xmax:g},{box.ymax:g}"
        raise InvalidParameterError(
            f"bbox {shown} nằm ngoài Hà Nội (kinh độ {w}–{e}, vĩ độ {s}–{n}). Nếu tọa độ là mét "
            "VN-2000, thêm bbox-crs=EPSG:5897.",
            f"bbox {shown} lies outside Hanoi (longitude {w}–{e}, latitude {s}–{n}). If the "
            "coordinates are VN-2000 metres, add bbox-crs=EPSG:5897.")
    if box.xmax <= box.xmin or box.ymax <= box.ymin:
        raise InvalidParameterError("bbox có diện tích bằng 0.", "The bbox has no area.")
    return box


def to_vn2000(box: BBox) -> tuple[float, float, float, float]:
    """The VN-2000 extent (xmin, ymin, xmax, ymax) of a bbox given in any CRS."""
    if box.srid == VN2000:
        return box.xmin, box.ymin, box.xmax, box.ymax
    t = transformer(box.srid, VN2000)
    steps = [i / 8 for i in range(9)]
    xs, ys = [], []
    for f in steps:  # along the edges: a lon/lat box is not a rectangle on the grid
        for lon, lat in ((box.xmin + f * (box.xmax - box.xmin), box.ymin),
                         (box.xmin + f * (box.xmax - box.xmin), box.ymax),
                         (box.xmin, box.ymin + f * (box.ymax - box.ymin)),
                         (box.xmax, box.ymin + f * (box.ymax - box.ymin))):
            x, y = t.transform(lon, lat)
            xs.append(x)
            ys.append(y)
    return min(xs), min(ys), max(xs), max(ys)


# --- figures in view ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """Clearance figures of the area an export shows."""

    projects: int
    plans_total: int
    plans_approved: int
    recovered_ha: float

    def line(self, lang: str) -> str:
        """The figures as one caption line."""
        return i18n.phrase(WORDS, "caption_figures", lang, projects=i18n.count(self.projects, lang),
                           approved=i18n.count(self.plans_approved, lang),
                           total=i18n.count(self.plans_total, lang),
                           ha=i18n.number(self.recovered_ha, 2, lang))


def figures_in_view(conn: Connection, box: BBox, content: ExportContent,
                    storage_srid: int) -> Figures:
    """Projects, plans approved / total and hectares recovered within a bbox, as /stats counts."""
    stats = orjson.loads(clearance_stats(
        conn, content.district, content.date_from, content.date_to, content.ward,
        as_of=content.as_of, area=Area(box.xmin, box.ymin, box.xmax, box.ymax, box.srid),
        storage_srid=storage_srid))
    return Figures(int(stats["projects"]), int(stats["plans_total"]),
                   int(stats["plans_approved"]), float(stats["recovered_ha"]))


def scope_line(content: ExportContent) -> str:
    """What the figures count: the period, the ward if one, and the day they stood on."""
    lang = content.lang
    parts = [i18n.phrase(WORDS, "in_view", lang, **{
        "from": i18n.day_text(content.date_from, lang),
        "to": i18n.day_text(content.date_to, lang)})]
    if content.ward:
        parts.append(i18n.phrase(WORDS, "in_ward", lang, ward=content.ward))
    if content.as_of:
        parts.append(i18n.phrase(WORDS, "as_of", lang, day=i18n.day_text(content.as_of, lang)))
    return ", ".join(parts)


def plan_line(plan: PlanInfo, lang: str) -> str:
    """The source note of a plan backdrop: name, decision and date."""
    line = i18n.phrase(WORDS, "plan", lang, name=plan.name)
    if plan.decision:
        day = i18n.day_text(plan.approved_on, lang) or "…"
        line += " — " + i18n.phrase(WORDS, "decision", lang, decision=plan.decision, date=day)
    return line


# --- snapshot geometry (Leaflet's spherical Mercator) -----------------------------------------


@dataclass(frozen=True)
class SnapshotView:
    """Where a snapshot looks: Leaflet centre and fractional zoom, and the lon/lat box it shows."""

    center: tuple[float, float]  # lat, lon
    zoom: float
    bounds: tuple[float, float, float, float]  # west, south, east, north

    def pixel(self, lon: float, lat: float, width: int, height: int) -> tuple[float, float]:
        """Where a lon/lat point falls in the image (column, row from the top-left)."""
        k = 256 * 2**self.zoom / (2 * math.pi * EARTH_RADIUS)
        cx, cy = _merc(self.center[1], self.center[0])
        x, y = _merc(lon, lat)
        return width / 2 + (x - cx) * k, height / 2 - (y - cy) * k


def _merc(lon: float, lat: float) -> tuple[float, float]:
    return (EARTH_RADIUS * math.radians(lon),
            EARTH_RADIUS * math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)))


def _lonlat(x: float, y: float) -> tuple[float, float]:
    return (math.degrees(x / EARTH_RADIUS),
            math.degrees(2 * math.atan(math.exp(y / EARTH_RADIUS)) - math.pi / 2))


def fit_view(box: tuple[float, float, float, float], width: int, height: int) -> SnapshotView:
    """The view that fits a lon/lat box into width × height pixels, centred on it."""
    x0, y0 = _merc(box[0], box[1])
    x1, y1 = _merc(box[2], box[3])
    k = min(width / (x1 - x0), height / (y1 - y0))  # pixels per Mercator metre
    zoom = math.log2(k * 2 * math.pi * EARTH_RADIUS / 256)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    lon, lat = _lonlat(cx, cy)
    w, s = _lonlat(cx - width / 2 / k, cy - height / 2 / k)
    e, n = _lonlat(cx + width / 2 / k, cy + height / 2 / k)
    return SnapshotView((lat, lon), zoom, (w, s, e, n))


# --- snapshots ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SnapshotRequest:
    """A PNG snapshot asked for: the area (any supported CRS), the image size, what it shows."""

    bbox: BBox
    width: int | None = None  # pixels; None: DEFAULT_WIDTH
    height: int | None = None  # pixels; None: the bbox's shape
    content: ContentRequest = field(default_factory=ContentRequest)


@dataclass(frozen=True)
class Snapshot:
    """A validated snapshot: the lon/lat box asked, the image size, the view fitted, the content."""

    box: BBox  # lon/lat
    width: int
    height: int
    view: SnapshotView
    content: ExportContent


def pixels(value: int | None, name: str) -> int | None:
    """An image side in pixels, checked to lie within MIN_PX..MAX_PX (None stays None)."""
    if value is not None and not MIN_PX <= value <= MAX_PX:
        raise InvalidParameterError(
            f"{name} '{value}' phải là số điểm ảnh nguyên từ {MIN_PX} đến {MAX_PX}.",
            f"{name} '{value}' must be a whole number of pixels from {MIN_PX} to {MAX_PX}.")
    return value


def snapshot(conn: Connection, req: SnapshotRequest, storage_srid: int) -> Snapshot:
    """Validate a snapshot request (400 with a bilingual message otherwise)."""
    box = hanoi_bbox(req.bbox)
    if box.srid != WGS84:
        w, s, e, n = box.xmin, box.ymin, box.xmax, box.ymax
        lons, lats = transformer(box.srid, WGS84).transform([w, w, e, e], [s, n, s, n])
        box = BBox(min(lons), min(lats), max(lons), max(lats), WGS84)
    px_w = pixels(req.width, "width") or DEFAULT_WIDTH
    px_h = pixels(req.height, "height")
    if px_h is None:
        x0, y0 = _merc(box.xmin, box.ymin)
        x1, y1 = _merc(box.xmax, box.ymax)
        px_h = max(MIN_PX, min(MAX_PX, round(px_w * (y1 - y0) / (x1 - x0))))
    view = fit_view((box.xmin, box.ymin, box.xmax, box.ymax), px_w, px_h)
    if not MIN_ZOOM <= view.zoom <= MAX_ZOOM:
        raise InvalidParameterError(
            f"bbox quá {'nhỏ' if view.zoom > MAX_ZOOM else 'lớn'} cho ảnh {px_w}×{px_h} điểm ảnh "
            f"(mức thu phóng {view.zoom:.1f}, cho phép {MIN_ZOOM:.0f}–{MAX_ZOOM:.0f}).",
            f"The bbox is too {'small' if view.zoom > MAX_ZOOM else 'large'} for a {px_w}×{px_h} "
            f"image (zoom {view.zoom:.1f}; {MIN_ZOOM:.0f}–{MAX_ZOOM:.0f} allowed).")
    at = (view.center[1], view.center[0])
    content = resolve_content(conn, req.content, at, storage_srid)
    return Snapshot(box, px_w, px_h, view, content)


def caption_lines(snap: Snapshot, figures: Figures | None, changed: dt.date | None,
                  today: dt.date) -> list[str]:
    """The lines of a snapshot's caption: title, figures in view, plan, data and export dates."""
    c, lang = snap.content, snap.content.lang
    lines = [c.heading()]
    if figures is not None:
        lines.append(f"{scope_line(c)}: {figures.line(lang)}")
    if c.plan is not None:
        lines.append(plan_line(c.plan, lang))
    stamp = [i18n.phrase(WORDS, "exported", lang, date=i18n.day_text(today, lang))]
    if changed is not None:
        stamp.insert(0, i18n.phrase(WORDS, "data_date", lang, date=i18n.day_text(changed, lang)))
    lines.append(" · ".join(stamp))
    return lines


def snapshot_caption(conn: Connection, snap: Snapshot, storage_srid: int,
                     today: dt.date | None = None) -> list[str]:
    """The caption of a snapshot, its figures counted in the view it shows."""
    figures = None
    if snap.content.shows_clearance:
        figures = figures_in_view(conn, BBox(*snap.view.bounds, WGS84), snap.content,
                                  storage_srid)
    changed = E.data_date(conn, snap.content.layers)
    return caption_lines(snap, figures, changed, today or dt.date.today())


def prepare_snapshot(conn: Connection, req: SnapshotRequest, storage_srid: int
                     ) -> tuple[Snapshot, list[str]]:
    """A validated snapshot and its caption: all a render needs from the database."""
    snap = snapshot(conn, req, storage_srid)
    return snap, snapshot_caption(conn, snap, storage_srid)


def map_url(base_url: str, snap: Snapshot) -> str:
    """The /map page a snapshot renders, on the day asked for (its date slider reads as_of)."""
    c = snap.content
    query = {"district": c.district, "from": c.date_from.isoformat(),
             "to": c.date_to.isoformat(), "layers": ",".join(c.layers), "lang": c.lang,
             "bbox": ",".join(f"{v:.7f}" for v in snap.view.bounds)}
    if c.as_of is not None:
        query["as_of"] = c.as_of.isoformat()
    return f"{base_url.rstrip('/')}/map?{urlencode(query)}"


def page_setup(snap: Snapshot, caption: list[str]) -> dict[str, Any]:
    """What the page's export hook stages before the screenshot."""
    return {"center": list(snap.view.center), "zoom": snap.view.zoom,
            "plan": snap.content.plan.id if snap.content.plan else None,
            "opacity": snap.content.opacity, "caption": caption}


# --- the browser pool ---------------------------------------------------------------------------


class _Chromium:
    """One headless Chromium, driven by async Playwright on an event loop of its own thread."""

    def __init__(self, executable: Path):
        self.executable = executable
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="quyhoach-chromium",
                                       daemon=True)
        self.thread.start()
        self._playwright: Any = None
        self._browser: Any = None
        self._lock: asyncio.Lock | None = None
        self.generation = 0  # bumped on every (re)launch; pages of older ones are stale

    def call(self, coro: Coroutine[Any, Any, Any], timeout: float) -> Any:
        """Run a coroutine on the browser's loop and wait for it at most `timeout` seconds."""
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise

    async def browser(self) -> Any:
        """The running browser, launched (again) when needed."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._browser is None or not self._browser.is_connected():
                if not self.executable.exists():
                    raise PlanningError(
                        "Máy chủ chưa cài trình duyệt Chromium để xuất ảnh bản đồ.",
                        "Chromium, which renders map snapshots, is not installed on the server.",
                        detail=f"missing {self.executable}")
                if self._playwright is None:
                    # Playwright is loaded by the first snapshot, not by every command.
                    from playwright.async_api import async_playwright

                    self._playwright = await async_playwright().start()
                self._browser = await self._playwright.chromium.launch(
                    executable_path=str(self.executable), args=CHROMIUM_ARGS)
                self.generation += 1
            return self._browser

    async def close(self) -> None:
        """Close the browser and Playwright."""
        if self._browser is not None:
            await self._browser.close()
            self._browser = None
        if self._playwright is not None:
            await self._playwright.stop()
            self._playwright = None


_CHROMIUMS: dict[Path, _Chromium] = {}
_CHROMIUMS_LOCK = threading.Lock()


def chromium(executable: Path) -> _Chromium:
    """The process's Chromium at that path (one browser serves every pool)."""
    with _CHROMIUMS_LOCK:
        if executable not in _CHROMIUMS:
            _CHROMIUMS[executable] = _Chromium(executable)
        return _CHROMIUMS[executable]


@atexit.register
def _close_browsers() -> None:
    for c in list(_CHROMIUMS.values()):
        with suppress(Exception):  # the process is ending: nothing left to report to
            c.call(c.close(), timeout=5)


READY_JS = "() => !!(window.quyhoach && quyhoach.exportSetup && quyhoach.map)"
# Schemes of URLs a page makes itself (no network behind them).
LOCAL_SCHEMES = ("data", "blob", "about")


def tile_origin(template: str) -> str | None:
    """The CSP source of a tile URL template's origin; None for the service's own (relative)."""
    parts = urlsplit(template.replace("{s}", "*"))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    host = parts.netloc.lower()
    if "{" in host or "@" in host or "*" in host.removeprefix("*."):
        return f"{parts.scheme}:"  # a host only known per tile: any host of that scheme
    return f"{parts.scheme}://{host}"


def export_origins(page_url: str, basemap_url: str) -> tuple[str, ...]:
    """Where the export browser may send requests: the service at `page_url`, and the basemap."""
    parts = urlsplit(page_url)
    basemap = tile_origin(basemap_url)
    own = f"{parts.scheme}://{parts.netloc}".lower()
    return (own, basemap) if basemap else (own,)


def request_allowed(url: str, origins: tuple[str, ...]) -> bool:
    """Whether a request goes to one of `origins` (CSP sources: origin, *.host or scheme:)."""
    parts = urlsplit(url)
    if parts.scheme in LOCAL_SCHEMES:
        return True
    host = parts.netloc.lower()
    for source in origins:
        scheme, _, allowed = source.partition("://")
        if scheme.rstrip(":") != parts.scheme:
            continue
        if not allowed or allowed == host:  # "https:" allows any host of the scheme
            return True
        if allowed.startswith("*.") and host.endswith(allowed[1:]):
            return True
    return False


@dataclass
class SnapshotPool:
    """At most `size` snapshots at once, each on a warm page of its own; more get a 503."""

    settings: Settings
    pages: list[tuple[int, Any]] = field(default_factory=list)  # (browser generation, page)

    def __post_init__(self) -> None:
        self.size = max(1, self.settings.export_pool_size)
        self.slots = threading.BoundedSemaphore(self.size)
        self.chromium = chromium(self.settings.export_chromium)

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one of the pool's pages, or raise ServiceBusyError when none frees in time."""
        if not self.slots.acquire(timeout=max(0.0, self.settings.export_queue_wait_s)):
            raise ServiceBusyError(
                f"Máy xuất bản đồ đang bận ({self.size} yêu cầu đang chạy). "
                "Vui lòng thử lại sau ít giây.",
                f"The map exporter is busy ({self.size} exports running). "
                "Please try again in a few seconds.")
        try:
            yield
        finally:
            self.slots.release()

    def render(self, url: str, width: int, height: int, setup: dict[str, Any]) -> bytes:
        """A PNG screenshot of the /map page at `url` once its layers have drawn."""
        timeout = self.settings.export_timeout_s
        with self.slot():
            try:
                return self.chromium.call(self._render(url, width, height, setup, timeout),
                                          timeout + 10)
            except (TimeoutError, concurrent.futures.TimeoutError):
                raise self._too_slow(timeout) from None
            except PlanningError:
                raise
            except Exception as exc:  # a browser error, e.g. the page's address is unreachable
                raise PlanningError("Không dựng được ảnh bản đồ.",
                                    "The map snapshot could not be rendered.",
                                    detail=f"{url}: {exc}") from exc

    @staticmethod
    def _too_slow(timeout: float) -> ServiceBusyError:
        return ServiceBusyError(
            f"Bản đồ không vẽ xong trong {timeout:g} giây; hãy thu nhỏ phạm vi hoặc bớt lớp.",
            f"The map did not finish drawing within {timeout:g} s; show a smaller area or "
            "fewer layers.")

    async def _page(self) -> Any:
        browser = await self.chromium.browser()
        while self.pages:
            generation, page = self.pages.pop()
            if generation == self.chromium.generation and not page.is_closed():
                return page
        # Service workers would fetch past the page's request interception.
        return await browser.new_page(service_workers="block")

    async def _confine(self, page: Any, url: str) -> None:
        """Let the page reach the service at `url` and the basemap, and nothing else."""
        origins = export_origins(url, self.settings.basemap_url)

        async def guard(route: Any) -> None:
            with suppress(Exception):  # the page may close while a request is held
                if request_allowed(route.request.url, origins):
                    await route.continue_()
                else:
                    await route.abort("blockedbyclient")

        await page.unroute_all()
        await page.route("**/*", guard)

    async def _discard(self, page: Any) -> None:
        with suppress(Exception):  # a crashed page is already gone
            await page.context.close()

    async def _render(self, url: str, width: int, height: int, setup: dict[str, Any],
                      timeout: float) -> bytes:
        page = await self._page()
        try:
            png = await asyncio.wait_for(self._draw(page, url, width, height, setup), timeout)
        except TimeoutError:
            await self._discard(page)
            raise self._too_slow(timeout) from None
        except BaseException:
            await self._discard(page)
            raise
        if len(self.pages) < self.size:
            self.pages.append((self.chromium.generation, page))
        else:
            await self._discard(page)
        return png

    async def _draw(self, page: Any, url: str, width: int, height: int,
                    setup: dict[str, Any]) -> bytes:
        from playwright.async_api import TimeoutError as PlaywrightTimeout

        start = time.monotonic()
        await self._confine(page, url)
        await page.set_viewport_size({"width": width, "height": height})
        # Not "load": that waits for every basemap tile, which may never come.
        response = await page.goto(url, wait_until="domcontentloaded", timeout=0)
        if response is None or not response.ok:
            status = response.status if response is not None else "none"
            raise PlanningError("Không mở được trang bản đồ để xuất.",
                                "The map page could not be opened for export.",
                                detail=f"{url}: HTTP {status}")
        await page.wait_for_function(READY_JS, polling=50, timeout=0)
        await page.evaluate("o => quyhoach.exportSetup(o)", setup)
        await page.wait_for_function("() => quyhoach.exportReady()", polling=50, timeout=0)
        grace = self.settings.export_basemap_wait_s - (time.monotonic() - start)
        if grace > 0:
            # The basemap is a backdrop: past its grace the snapshot goes out without the tiles.
            with suppress(PlaywrightTimeout):
                await page.wait_for_function("() => quyhoach.basemapReady()", polling=100,
                                             timeout=grace * 1000)
        await page.evaluate(
            "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        return await page.screenshot(type="png", animations="disabled", caret="hide",
                                     timeout=0)


_POOLS_LOCK = threading.Lock()


def pool_for(state: Any, settings: Settings) -> SnapshotPool:
    """The snapshot pool kept on an app's state (created on first use)."""
    with _POOLS_LOCK:
        pool = getattr(state, "export_pool", None)
        if pool is None:
            pool = SnapshotPool(settings)
            state.export_pool = pool
        return pool


def render_snapshot(pool: SnapshotPool, snap: Snapshot, caption: list[str],
                    base_url: str) -> bytes:
    """The PNG of a snapshot, rendered from the service at `base_url`."""
    return pool.render(map_url(base_url, snap), snap.width, snap.height, page_setup(snap, caption))
