"""Map exports shared by snapshots and prints, and PNG snapshots of the /map page.

A snapshot is the planner's own /map page rendered by headless Chromium, so what is exported is
what is seen. Chromium runs once per process, driven by async Playwright on an event loop of its
own; a bounded pool of warm pages serves the requests, and a request that finds every page busy
gets a 503 instead of waiting without end. Every render has a deadline; basemap tiles get a
short, configurable grace time and are then given up on (the vectors are drawn regardless).

Figures in view (plans approved / total, hectares recovered) follow the definitions of
layers/sql/clearance_stats.sql, restricted to the area shown.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import datetime as dt
import math
import re
import threading
import time
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from sqlalchemy import Connection, text

from api import params as P
from core import i18n
from core.errors import InvalidParameterError, PlanningError, ServiceBusyError
from core.settings import Settings
from gis.srs import HANOI_LONLAT, VN2000, WGS84, in_hanoi, transformer
from layers.features import BBox
from maps.build import (
    DEFAULT_DISTRICT,
    DEFAULT_PERIODS,
    FALLBACK_PERIOD,
    parse_layers,
    tile_origin,
)

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--hide-scrollbars", "--font-render-hinting=none"]
MIN_PX, MAX_PX = 200, 4096
DEFAULT_WIDTH = 1600
MIN_ZOOM, MAX_ZOOM = 10.0, 22.0
EARTH_RADIUS = 6378137.0  # Leaflet's spherical Mercator (EPSG:3857)
_SLUG = re.compile(r"^[a-z][a-z0-9-]{0,62}$")

WORDS: dict[str, tuple[str, str]] = {
    "default_title": ("Bản đồ giải phóng mặt bằng — quận {district}",
                      "Site-clearance map — {district} district"),
    "in_view": ("Trong phạm vi bản đồ, từ {from} đến {to}", "Within the map, {from} to {to}"),
    "figures": ("{projects} dự án · phương án đã phê duyệt {approved}/{total} · "
                "đất đã thu hồi {ha} ha",
                "{projects} projects · plans approved {approved}/{total} · "
                "land recovered {ha} ha"),
    "plan": ("Nền quy hoạch: {name}", "Plan backdrop: {name}"),
    "decision": ("Quyết định {decision} ngày {date}", "Decision {decision} of {date}"),
    "data_date": ("Số liệu cập nhật đến {date}", "Data as of {date}"),
    "exported": ("Xuất ngày {date}", "Exported on {date}"),
}


def word(key: str, lang: str, **values: Any) -> str:
    """An export phrase in a language, its placeholders filled."""
    return i18n.phrase(WORDS, key, lang, **values)


def fmt_date(day: dt.date, lang: str) -> str:
    """A date as the reader writes it (dd/mm/yyyy in Vietnamese)."""
    return day.isoformat() if lang == "en" else day.strftime("%d/%m/%Y")


# --- parameters shared by snapshots and prints ------------------------------------------------


@dataclass(frozen=True)
class PlanInfo:
    """The 1/2000 plan shown as a backdrop."""

    id: int
    name: str
    decision: str | None
    approved_on: dt.date | None
    kind: str
    file_path: str | None


@dataclass(frozen=True)
class ExportContent:
    """What an export shows, beyond where: layers, period, plan backdrop, language and title."""

    layers: tuple[str, ...]
    district: str
    date_from: dt.date
    date_to: dt.date
    lang: str = "vi"
    plan: PlanInfo | None = None
    opacity: float = 0.7
    title: str | None = None

    def heading(self) -> str:
        """The title of the export: the one asked for, or the map's own."""
        return self.title or word("default_title", self.lang,
                                  district=i18n.district_name(self.district))

    @property
    def shows_clearance(self) -> bool:
        """Whether the clearance layers are shown (their figures go into the caption)."""
        return "projects" in self.layers or "parcels" in self.layers


def hanoi_bbox(value: str | None, bbox_crs: str | None = None) -> BBox:
    """A bbox (lon/lat, or VN-2000 metres with bbox-crs=EPSG:5897) lying within Hanoi."""
    if not value:
        raise InvalidParameterError(
            "Thiếu bbox: tây,nam,đông,bắc theo kinh độ, vĩ độ (ví dụ 105.88,21.02,105.92,21.05).",
            "bbox is missing: west,south,east,north in longitude, latitude "
            "(for example 105.88,21.02,105.92,21.05).")
    box = P.bbox_param(value, bbox_crs)
    assert box is not None
    corners = [(box.xmin, box.ymin), (box.xmin, box.ymax), (box.xmax, box.ymin),
               (box.xmax, box.ymax)]
    if not all(in_hanoi(x, y, box.srid) for x, y in corners):
        w, s, e, n = HANOI_LONLAT
        raise InvalidParameterError(
            f"bbox {value} nằm ngoài Hà Nội (kinh độ {w}–{e}, vĩ độ {s}–{n}). Nếu tọa độ là mét "
            "VN-2000, thêm bbox-crs=EPSG:5897.",
            f"bbox {value} lies outside Hanoi (longitude {w}–{e}, latitude {s}–{n}). If the "
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


DISTRICT_AT_SQL = text("""
SELECT w.district FROM wards w
ORDER BY w.geom <-> ST_SetSRID(ST_MakePoint(:x, :y), 5897) LIMIT 1
""")

PLAN_SQL = text("""
SELECT id, name, decision, approved_on, kind, file_path FROM plans WHERE id = :id
""")


def parse_content(conn: Connection, *, at: tuple[float, float], layers: str | None,
                  district: str | None, date_from: str | None, date_to: str | None,
                  plan: str | None, opacity: str | None, lang: str,
                  title: str | None) -> ExportContent:
    """Validate what an export shows; `at` (VN-2000) picks the district when none is named."""
    ids = parse_layers(layers)
    if district:
        district = district.strip()
        if not _SLUG.match(district):
            raise InvalidParameterError(
                f"Mã quận '{district}' không hợp lệ (ví dụ long-bien, hai-ba-trung).",
                f"District '{district}' is not a valid slug (for example long-bien, hai-ba-trung).")
    else:
        district = conn.execute(DISTRICT_AT_SQL, {"x": at[0], "y": at[1]}).scalar() \
            or DEFAULT_DISTRICT
    default_from, default_to = DEFAULT_PERIODS.get(district, FALLBACK_PERIOD)
    start = P.date_param(date_from, "from") or default_from
    end = P.date_param(date_to, "to") or default_to
    if end < start:
        raise InvalidParameterError("Ngày 'to' đứng trước ngày 'from'.", "'to' is before 'from'.")
    info = None
    if plan not in (None, ""):
        if not plan.isdigit():
            raise InvalidParameterError(f"plan '{plan}' phải là số hiệu quy hoạch (số nguyên).",
                                        f"plan '{plan}' must be a plan id (an integer).")
        row = conn.execute(PLAN_SQL, {"id": int(plan)}).one_or_none()
        if row is None:
            raise InvalidParameterError(f"Không có quy hoạch số {plan} (xem /plans).",
                                        f"No plan {plan} (see /plans).")
        info = PlanInfo(row.id, row.name, row.decision, row.approved_on, row.kind, row.file_path)
    alpha = 0.7
    if opacity not in (None, ""):
        try:
            alpha = float(opacity)
        except ValueError:
            alpha = -1.0
        if not 0.0 <= alpha <= 1.0:
            raise InvalidParameterError(f"opacity '{opacity}' phải là số từ 0 đến 1.",
                                        f"opacity '{opacity}' must be a number from 0 to 1.")
    heading = (title or "").strip() or None
    if heading is not None and len(heading) > 200:
        raise InvalidParameterError("Tiêu đề dài quá 200 ký tự.",
                                    "The title is longer than 200 characters.")
    return ExportContent(ids, district, start, end, lang if lang in i18n.LANGS else "vi", info,
                         alpha, heading)


# --- figures in view ----------------------------------------------------------------------------

# The definitions of layers/sql/clearance_stats.sql, restricted to an area instead of a ward:
# projects carried out in the period that meet the area; the compensation plans of those projects
# whose parcel's point on surface lies in it; recovered = ground area of those approved in the period.
FIGURES_SQL = text("""
WITH area AS (
  SELECT ST_Transform(ST_Segmentize(ST_MakeEnvelope(:xmin, :ymin, :xmax, :ymax, :srid), :seg),
                      5897) AS g
),
p AS (
  SELECT pr.id FROM projects pr, area
  WHERE pr.district = :district
    AND pr.started_on <= :date_to
    AND (pr.completed_on IS NULL OR pr.completed_on >= :date_from)
    AND ST_Intersects(pr.geom, area.g)
),
pl AS (
  SELECT pa.area_m2, pa.approved_on BETWEEN :date_from AND :date_to AS approved_in_period
  FROM parcels pa JOIN p ON p.id = pa.project_id, area
  WHERE ST_Intersects(area.g, ST_PointOnSurface(pa.geom))
)
SELECT (SELECT count(*) FROM p) AS projects,
       (SELECT count(*) FROM pl) AS plans_total,
       (SELECT count(*) FROM pl WHERE approved_in_period) AS plans_approved,
       (SELECT round((coalesce(sum(area_m2), 0) / 10000)::numeric, 4)
        FROM pl WHERE approved_in_period) AS recovered_ha
""")

DATA_DATE_SQL = text("""
SELECT max(changed_at) FROM layer_versions WHERE layer = ANY(CAST(:layers AS text[]))
""")


@dataclass(frozen=True)
class Figures:
    """Clearance figures of the area an export shows."""

    projects: int
    plans_total: int
    plans_approved: int
    recovered_ha: float

    def line(self, lang: str) -> str:
        """The figures as one caption line."""
        return word("figures", lang, projects=self.projects, approved=self.plans_approved,
                    total=self.plans_total, ha=f"{self.recovered_ha:.2f}")


def figures_in_view(conn: Connection, box: BBox, content: ExportContent) -> Figures:
    """Projects, plans approved / total and hectares recovered within a bbox, for the period."""
    row = conn.execute(FIGURES_SQL, {
        "xmin": box.xmin, "ymin": box.ymin, "xmax": box.xmax, "ymax": box.ymax, "srid": box.srid,
        "seg": 0.0005 if box.srid == WGS84 else 50.0, "district": content.district,
        "date_from": content.date_from, "date_to": content.date_to}).one()
    return Figures(int(row.projects), int(row.plans_total), int(row.plans_approved),
                   float(row.recovered_ha))


def data_date(conn: Connection, layers: tuple[str, ...]) -> dt.date | None:
    """The day the shown layers last changed."""
    when = conn.execute(DATA_DATE_SQL, {"layers": list(layers)}).scalar()
    return when.date() if when is not None else None


def plan_line(plan: PlanInfo, lang: str) -> str:
    """The source note of a plan backdrop: name, decision and date."""
    line = word("plan", lang, name=plan.name)
    if plan.decision:
        day = fmt_date(plan.approved_on, lang) if plan.approved_on else "…"
        line += " — " + word("decision", lang, decision=plan.decision, date=day)
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


@dataclass(frozen=True)
class SnapshotRequest:
    """A validated PNG snapshot request."""

    box: BBox  # lon/lat
    width: int
    height: int
    view: SnapshotView
    content: ExportContent


def _size(value: str | None, name: str) -> int | None:
    if value in (None, ""):
        return None
    if not value.isdigit() or not MIN_PX <= int(value) <= MAX_PX:
        raise InvalidParameterError(
            f"{name} '{value}' phải là số điểm ảnh nguyên từ {MIN_PX} đến {MAX_PX}.",
            f"{name} '{value}' must be a whole number of pixels from {MIN_PX} to {MAX_PX}.")
    return int(value)


def parse_snapshot(conn: Connection, *, bbox: str | None, bbox_crs: str | None = None,
                   width: str | None = None, height: str | None = None,
                   layers: str | None = None, district: str | None = None,
                   date_from: str | None = None, date_to: str | None = None,
                   plan: str | None = None, opacity: str | None = None, lang: str = "vi",
                   title: str | None = None) -> SnapshotRequest:
    """Validate a snapshot's parameters (400 with a bilingual message otherwise)."""
    box = hanoi_bbox(bbox, bbox_crs)
    if box.srid != WGS84:
        w, s, e, n = box.xmin, box.ymin, box.xmax, box.ymax
        t = transformer(box.srid, WGS84)
        lons, lats = t.transform([w, w, e, e], [s, n, s, n])
        box = BBox(min(lons), min(lats), max(lons), max(lats), WGS84)
    lonlat = (box.xmin, box.ymin, box.xmax, box.ymax)
    px_w = _size(width, "width") or DEFAULT_WIDTH
    px_h = _size(height, "height")
    if px_h is None:
        x0, y0 = _merc(box.xmin, box.ymin)
        x1, y1 = _merc(box.xmax, box.ymax)
        px_h = max(MIN_PX, min(MAX_PX, round(px_w * (y1 - y0) / (x1 - x0))))
    view = fit_view(lonlat, px_w, px_h)
    if not MIN_ZOOM <= view.zoom <= MAX_ZOOM:
        raise InvalidParameterError(
            f"bbox quá {'nhỏ' if view.zoom > MAX_ZOOM else 'lớn'} cho ảnh {px_w}×{px_h} điểm ảnh "
            f"(mức thu phóng {view.zoom:.1f}, cho phép {MIN_ZOOM:.0f}–{MAX_ZOOM:.0f}).",
            f"The bbox is too {'small' if view.zoom > MAX_ZOOM else 'large'} for a {px_w}×{px_h} "
            f"image (zoom {view.zoom:.1f}; {MIN_ZOOM:.0f}–{MAX_ZOOM:.0f} allowed).")
    cx, cy = transformer(WGS84, VN2000).transform(view.center[1], view.center[0])
    content = parse_content(conn, at=(cx, cy), layers=layers, district=district,
                            date_from=date_from, date_to=date_to, plan=plan, opacity=opacity,
                            lang=lang, title=title)
    return SnapshotRequest(box, px_w, px_h, view, content)


def snapshot_caption(conn: Connection, req: SnapshotRequest, today: dt.date | None = None
                     ) -> list[str]:
    """The lines of a snapshot's caption: title, figures in view, plan, data and export dates."""
    c, lang = req.content, req.content.lang
    lines = [c.heading()]
    if c.shows_clearance:
        figures = figures_in_view(conn, BBox(*req.view.bounds, WGS84), c)
        period = word("in_view", lang, **{"from": fmt_date(c.date_from, lang),
                                          "to": fmt_date(c.date_to, lang)})
        lines.append(f"{period}: {figures.line(lang)}")
    if c.plan is not None:
        lines.append(plan_line(c.plan, lang))
    stamp = [word("exported", lang, date=fmt_date(today or dt.date.today(), lang))]
    changed = data_date(conn, c.layers)
    if changed is not None:
        stamp.insert(0, word("data_date", lang, date=fmt_date(changed, lang)))
    lines.append(" · ".join(stamp))
    return lines


def map_url(base_url: str, req: SnapshotRequest) -> str:
    """The /map page a snapshot renders."""
    c = req.content
    query = {"district": c.district, "from": c.date_from.isoformat(),
             "to": c.date_to.isoformat(), "layers": ",".join(c.layers), "lang": c.lang,
             "bbox": ",".join(f"{v:.7f}" for v in req.view.bounds)}
    return f"{base_url.rstrip('/')}/map?{urlencode(query)}"


def page_setup(req: SnapshotRequest, caption: list[str]) -> dict[str, Any]:
    """What the page's export hook stages before the screenshot."""
    return {"center": list(req.view.center), "zoom": req.view.zoom,
            "plan": req.content.plan.id if req.content.plan else None,
            "opacity": req.content.opacity, "caption": caption}


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
        from playwright.async_api import async_playwright

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


def render_snapshot(pool: SnapshotPool, req: SnapshotRequest, caption: list[str],
                    base_url: str) -> bytes:
    """The PNG of a snapshot request, rendered from the service at `base_url`."""
    return pool.render(map_url(base_url, req), req.width, req.height, page_setup(req, caption))
