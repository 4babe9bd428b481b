"""Map prints at an exact scale: a vector PDF sheet drawn on the VN-2000 grid (EPSG:5897).

The map frame maps VN-2000 metres straight onto the paper (1 m on the ground is 1000/scale mm),
so a ruler on the printed sheet measures true. Features come from the layers' own feature SQL
(as they stood on the day asked for), styled with the colours of maps.styles; a 1/2000 plan can
lie underneath (its stored COG read for the sheet's extent, or its vector zones). The sheet
carries a title block, a legend of what it shows, the figures in view (layers.queries
.clearance_stats on the sheet's extent), a scale bar, a north arrow, VN-2000 grid ticks with
coordinates and a source note. Text is set in DejaVu Sans, embedded, which has every Vietnamese
letter. Requests come typed (`SheetRequest`): the API and the command line parse their strings.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from sqlalchemy import Connection

from core import i18n
from core.errors import InvalidParameterError
from core.settings import Settings
from gis.raster import _quiet
from gis.srs import VN2000, WGS84, in_hanoi, transformer
from layers import exports as E
from layers import landuse
from layers.features import BBox
from layers.queries import map_extent
from layers.registry import LAYERS
from layers.units import DEFAULT_DISTRICT
from maps import styles
from maps import units as unit_views
from maps.export import (
    ContentRequest,
    ExportContent,
    Figures,
    figures_in_view,
    hanoi_bbox,
    plan_line,
    resolve_content,
    to_vn2000,
)
from maps.fonts import FONT, FONT_BOLD, register_fonts

if TYPE_CHECKING:
    from reportlab.pdfgen.canvas import Canvas

MM = 72 / 25.4  # PDF points per millimetre
PAPERS: dict[str, tuple[float, float]] = {"A4": (210, 297), "A3": (297, 420), "A2": (420, 594),
                                           "A1": (594, 841), "A0": (841, 1189)}
# The standard series of map scales; an area printed without a scale gets the largest that fits.
SCALES = (500, 1000, 2000, 5000, 10000, 25000, 50000)
ORIENTATIONS = ("landscape", "portrait")
PX = 0.6  # points per screen pixel of the map's line weights and dashes: thinner on paper
SHEET_SRID = VN2000  # the grid the sheet is drawn on, whatever the storage SRID
WORDS = i18n.EXPORT_WORDS


@dataclass(frozen=True)
class PaperSpec:
    """Margins (mm) and type size (pt) of a paper size."""

    margin: float
    gutter: float  # room for the grid labels around the map frame
    panel: float  # side panel width (landscape) or bottom panel height (portrait)
    font: float


PAPER_SPECS = {
    "A4": PaperSpec(8, 6, 66, 6.5),
    "A3": PaperSpec(10, 7, 86, 7.5),
    "A2": PaperSpec(12, 8, 112, 9.5),
    "A1": PaperSpec(15, 10, 140, 11.5),
    "A0": PaperSpec(20, 12, 190, 15),
}
PORTRAIT_PANEL = {"A4": 64, "A3": 82, "A2": 115, "A1": 150, "A0": 205}
# How the request's option names read in an error message.
OPTION_NAMES = {"paper": ("Khổ giấy", "paper"), "orientation": ("Hướng giấy", "orientation")}


# --- the request ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """Where things go on the page, in millimetres from the bottom-left corner."""

    paper: str
    orientation: str
    width: float
    height: float
    frame: tuple[float, float, float, float]  # x0, y0, x1, y1
    panel: tuple[float, float, float, float]
    border: tuple[float, float, float, float]
    font: float

    @property
    def frame_size(self) -> tuple[float, float]:
        """Width and height of the map frame (mm)."""
        return self.frame[2] - self.frame[0], self.frame[3] - self.frame[1]


def layout(paper: str, orientation: str) -> Layout:
    """The page layout of a paper size and orientation."""
    short, long_ = PAPERS[paper]
    spec = PAPER_SPECS[paper]
    m, g = spec.margin, spec.gutter
    if orientation == "landscape":
        w, h = long_, short
        panel = (w - m - spec.panel, m, w - m, h - m)
        frame = (m + g, m + g, panel[0] - g, h - m - g)
    else:
        w, h = short, long_
        ph = PORTRAIT_PANEL[paper]
        panel = (m, m, w - m, m + ph)
        frame = (m + g, panel[3] + g, w - m - g, h - m - g)
    return Layout(paper, orientation, w, h, frame, panel, (m, m, w - m, h - m), spec.font)


@dataclass(frozen=True)
class SheetRequest:
    """A print asked for, as typed values: a bbox, a center or neither, scale, paper, content.

    With a bbox, the sheet is centred on it at the scale asked (or the largest that fits); with a
    center (latitude, longitude), a scale is needed; with neither, the sheet shows the district
    (or the ward) of the content, at the scale asked or the largest that fits the paper.
    """

    bbox: BBox | None = None
    center: tuple[float, float] | None = None  # lat, lon
    scale: int | None = None  # the denominator: 2000 for 1:2000
    paper: str = "A3"
    orientation: str = "landscape"
    content: ContentRequest = field(default_factory=ContentRequest)


@dataclass(frozen=True)
class Sheet:
    """A validated print: the VN-2000 extent of the map frame, its scale and paper, its content."""

    extent: tuple[float, float, float, float]  # xmin, ymin, xmax, ymax (VN-2000 m)
    scale: int
    layout: Layout
    content: ExportContent
    auto_scale: bool = False  # the scale was chosen to fit the area on the paper
    label: str | None = None  # the sheet's number in an atlas

    def to_page(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Page points of VN-2000 coordinates: 1 m on the ground is 1000/scale mm."""
        k = 1000.0 / self.scale * MM
        fx, fy = self.layout.frame[0] * MM, self.layout.frame[1] * MM
        return fx + (x - self.extent[0]) * k, fy + (y - self.extent[1]) * k


def one_of(value: str, options: tuple[str, ...] | dict[str, Any], name: str) -> str:
    """The option a value names (any letter case), or a 400 listing the options."""
    found = {o.lower(): o for o in options}.get(value.strip().lower())
    if found is None:
        listed = ", ".join(options)
        vi, en = OPTION_NAMES.get(name, (name, name))
        raise InvalidParameterError(f"{vi} '{value}' không hợp lệ; chọn một trong: {listed}.",
                                    f"The {en} '{value}' is not valid; choose one of: {listed}.")
    return found


def supported_scale(scale: int | None) -> int | None:
    """The scale denominator, checked to be one the prints support (None stays None)."""
    if scale is not None and scale not in SCALES:
        listed = ", ".join(i18n.scale_text(s) for s in SCALES)
        raise InvalidParameterError(f"Tỷ lệ '{scale}' không được hỗ trợ; chọn: {listed}.",
                                    f"Scale '{scale}' is not supported; choose: {listed}.")
    return scale


def _center(lat: float, lon: float) -> tuple[float, float]:
    shown = f"{lat:g},{lon:g}"
    if not (math.isfinite(lat) and math.isfinite(lon)):
        raise InvalidParameterError(
            f"center '{shown}' phải là vĩ độ,kinh độ (ví dụ 21.04,105.89).",
            f"center '{shown}' must be latitude,longitude (for example 21.04,105.89).")
    if not in_hanoi(lon, lat, WGS84):
        raise InvalidParameterError(f"Tâm {shown} nằm ngoài Hà Nội.",
                                    f"The centre {shown} lies outside Hanoi.")
    x, y = transformer(WGS84, SHEET_SRID).transform(lon, lat)
    return float(x), float(y)


def fitting_scales(width_m: float, height_m: float, page: Layout) -> list[int]:
    """The standard scales at which an area (VN-2000 metres) fits in a layout's map frame."""
    fw, fh = page.frame_size
    return [s for s in SCALES if width_m <= fw * s / 1000 and height_m <= fh * s / 1000]


def _paper_that_fits(width_m: float, height_m: float, orientation: str,
                     scale: int | None) -> str | None:
    """The smallest paper on which an area fits (at `scale`, or at any standard scale)."""
    for paper in PAPERS:
        fits = fitting_scales(width_m, height_m, layout(paper, orientation))
        if fits and (scale is None or scale in fits):
            return paper
    return None


def _does_not_fit(width_m: float, height_m: float, paper: str, orientation: str,
                  scale: int | None) -> InvalidParameterError:
    """A 400 that says what would print the area: a scale, a paper, or an atlas of sheets."""
    size = f"{i18n.count(round(width_m))} × {i18n.count(round(height_m))} m"
    size_en = f"{i18n.count(round(width_m), 'en')} × {i18n.count(round(height_m), 'en')} m"
    at = scale or SCALES[-1]
    fits = fitting_scales(width_m, height_m, layout(paper, orientation))
    bigger = _paper_that_fits(width_m, height_m, orientation, scale)
    hints_vi, hints_en = [], []
    if fits:
        hints_vi.append(f"tỷ lệ {i18n.scale_text(fits[0])}")
        hints_en.append(f"scale {i18n.scale_text(fits[0], 'en')}")
    if bigger is not None and PAPERS[bigger] > PAPERS[paper]:
        hints_vi.append(f"khổ {bigger}")
        hints_en.append(f"{bigger} paper")
    hints_vi.append("in thành nhiều tờ (/exports/atlas.pdf)")
    hints_en.append("an atlas of several sheets (/exports/atlas.pdf)")
    return InvalidParameterError(
        f"Phạm vi {size} không vừa khổ {paper} ở tỷ lệ {i18n.scale_text(at)}; hãy chọn "
        f"{', '.join(hints_vi[:-1]) + ' hoặc ' if len(hints_vi) > 1 else ''}{hints_vi[-1]}.",
        f"The area {size_en} does not fit on {paper} paper at {i18n.scale_text(at, 'en')}; "
        f"choose {', '.join(hints_en[:-1]) + ' or ' if len(hints_en) > 1 else ''}{hints_en[-1]}.")


def unit_extent(conn: Connection, district: str | None,
                ward: str | None) -> tuple[float, float, float, float]:
    """The VN-2000 extent of a district's wards, or of one ward (400 when the data has none)."""
    found = map_extent(conn, district or DEFAULT_DISTRICT, ward, ()).bbox
    if found is None:
        raise InvalidParameterError(
            "Cho phạm vi in: bbox, center (tâm tờ bản đồ) hoặc quận/phường có trong dữ liệu.",
            "Give the area to print: bbox, center (the sheet's centre) or a district or ward "
            "the data holds.")
    return to_vn2000(BBox(*found, WGS84))


def plan_sheet(conn: Connection, req: SheetRequest, storage_srid: int) -> Sheet:
    """Validate a print request and lay out its sheet (400 with a bilingual message otherwise)."""
    paper = one_of(req.paper, PAPERS, "paper")
    orientation = one_of(req.orientation, ORIENTATIONS, "orientation")
    denominator = supported_scale(req.scale)
    page = layout(paper, orientation)
    fw, fh = page.frame_size
    if req.bbox is not None and req.center is not None:
        raise InvalidParameterError(
            "Cho nhiều nhất một trong hai: bbox (phạm vi) hoặc center (tâm tờ bản đồ, vĩ độ,kinh "
            "độ); không cho cả hai thì in cả quận hoặc phường.",
            "Give exactly one of bbox (the area) or center (the sheet's centre, latitude,longitude),"
            " or neither to print the whole district or ward.")
    auto = False
    if req.center is not None:
        if denominator is None:
            raise InvalidParameterError("Cần tỷ lệ (scale) khi in theo tâm tờ bản đồ.",
                                        "A scale is needed when printing around a centre.")
        cx, cy = _center(*req.center)
    else:
        if req.bbox is not None:
            xmin, ymin, xmax, ymax = to_vn2000(hanoi_bbox(req.bbox))
        else:
            xmin, ymin, xmax, ymax = unit_extent(conn, req.content.district, req.content.ward)
        cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
        fits = fitting_scales(xmax - xmin, ymax - ymin, page)
        if denominator is None:
            if not fits:
                raise _does_not_fit(xmax - xmin, ymax - ymin, paper, orientation, None)
            denominator, auto = fits[0], True
        elif denominator not in fits:
            raise _does_not_fit(xmax - xmin, ymax - ymin, paper, orientation, denominator)
    half_w, half_h = fw * denominator / 2000, fh * denominator / 2000
    extent = (cx - half_w, cy - half_h, cx + half_w, cy + half_h)
    lon, lat = transformer(SHEET_SRID, WGS84).transform(cx, cy)
    content = resolve_content(conn, req.content, (float(lon), float(lat)), storage_srid)
    return Sheet(extent, denominator, page, content, auto)


# --- reading what the sheet shows ------------------------------------------------------------------


@dataclass
class Feature:
    """One feature to draw: its properties and its geometry on the VN-2000 grid."""

    props: dict[str, Any]
    geom: Any


def _padded(sheet: Sheet, pad: float) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = sheet.extent
    d = max(x1 - x0, y1 - y0) * pad
    return x0 - d, y0 - d, x1 + d, y1 + d


def _features(found: list[E.SheetFeature]) -> list[Feature]:
    out = []
    for f in found:
        geom = shapely.from_wkb(f.wkb)
        if not geom.is_empty:
            out.append(Feature(f.props, geom))
    return out


def layer_features(conn: Connection, layer_id: str, sheet: Sheet,
                   storage_srid: int) -> list[Feature]:
    """Features of a layer on the sheet (clipped a little beyond the frame), of its district."""
    c = sheet.content
    return _features(E.sheet_features(conn, layer_id, _padded(sheet, 0.02), c.district, c.as_of,
                                      SHEET_SRID, storage_srid))


def plan_zones(conn: Connection, sheet: Sheet, storage_srid: int) -> list[Feature]:
    """The zones of a vector plan on the sheet."""
    assert sheet.content.plan is not None
    return _features(E.sheet_zones(conn, sheet.content.plan.id, _padded(sheet, 0.02), SHEET_SRID,
                                   storage_srid))


def plan_image(store: Path, sheet: Sheet, dpi: float = 200) -> Any | None:
    """The raster plan under the frame as an RGBA image (None when it does not reach it)."""
    # Raster plans are the rare case of a print: their libraries load with the first one.
    from PIL import Image
    from rasterio.crs import CRS
    from rio_tiler.errors import TileOutsideBounds
    from rio_tiler.io import Reader

    plan = sheet.content.plan
    assert plan is not None and plan.file_path
    fw, fh = sheet.layout.frame_size
    with _quiet(), Reader(str(store / plan.file_path)) as src:
        res = abs(src.dataset.res[0])
        x0, y0, x1, y1 = sheet.extent
        # Never finer than the sheet's own pixels nor than the print needs.
        width = max(1, min(round(fw / 25.4 * dpi), round((x1 - x0) / res)))
        height = max(1, round(width * fh / fw))
        crs = CRS.from_epsg(SHEET_SRID)
        try:
            img = src.part(sheet.extent, dst_crs=crs, bounds_crs=crs, width=width, height=height,
                           resampling_method="bilinear")
        except TileOutsideBounds:
            return None
    if not img.mask.any():
        return None
    rgb = np.moveaxis(img.data[:3], 0, -1).astype(np.uint8)
    alpha = (img.mask.astype(np.float32) * sheet.content.opacity).astype(np.uint8)
    return Image.fromarray(np.dstack([rgb, alpha]), "RGBA")


# --- drawing -------------------------------------------------------------------------------------


def _rgb(color: str) -> tuple[float, float, float]:
    c = color.lstrip("#")
    return int(c[0:2], 16) / 255, int(c[2:4], 16) / 255, int(c[4:6], 16) / 255


def _dash(pattern: str | None) -> list[float]:
    return [float(v) * PX for v in pattern.split()] if pattern else []


def _parts(geom: Any, kinds: tuple[str, ...]) -> list[Any]:
    if geom.geom_type in kinds:
        return [geom]
    return [part for sub in getattr(geom, "geoms", []) for part in _parts(sub, kinds)]


class SheetCanvas:
    """A reportlab canvas that draws VN-2000 geometries at the request's scale."""

    def __init__(self, c: Canvas, sheet: Sheet):
        self.c = c
        self.sheet = sheet

    def _ring(self, path: Any, coords: np.ndarray) -> None:
        xs, ys = self.sheet.to_page(coords[:, 0], coords[:, 1])
        path.moveTo(float(xs[0]), float(ys[0]))
        for x, y in zip(xs[1:].tolist(), ys[1:].tolist(), strict=True):
            path.lineTo(x, y)

    def polygon(self, geom: Any, fill: str | None, fill_alpha: float, stroke: str | None,
                stroke_alpha: float, width: float, dash: list[float]) -> None:
        """Draw the polygons of a geometry (holes cut out)."""
        polys = _parts(geom, ("Polygon",))
        if not polys:
            return
        c = self.c
        path = c.beginPath()
        for poly in polys:
            for ring in (poly.exterior, *poly.interiors):
                self._ring(path, np.asarray(ring.coords))
                path.close()
        c.saveState()
        if fill:
            c.setFillColorRGB(*_rgb(fill), alpha=fill_alpha)
        if stroke:
            c.setStrokeColorRGB(*_rgb(stroke), alpha=stroke_alpha)
            c.setLineWidth(width)
            c.setDash(dash or [])
            c.setLineJoin(1)
        c.drawPath(path, stroke=1 if stroke and width > 0 else 0, fill=1 if fill else 0,
                   fillMode=0)  # even-odd: holes stay empty
        c.restoreState()

    def line(self, geom: Any, color: str, alpha: float, width: float, dash: list[float]) -> None:
        """Draw the lines of a geometry."""
        lines = _parts(geom, ("LineString", "LinearRing"))
        if not lines:
            return
        c = self.c
        path = c.beginPath()
        for ln in lines:
            self._ring(path, np.asarray(ln.coords))
        c.saveState()
        c.setStrokeColorRGB(*_rgb(color), alpha=alpha)
        c.setLineWidth(width)
        c.setLineCap(1)
        c.setLineJoin(1)
        c.setDash(dash or [])
        c.drawPath(path, stroke=1, fill=0)
        c.restoreState()

    def point(self, geom: Any, fill: str, stroke: str, radius: float, width: float) -> None:
        """Draw the points of a geometry as circles."""
        c = self.c
        for pt in _parts(geom, ("Point",)):
            xs, ys = self.sheet.to_page(np.array([pt.x]), np.array([pt.y]))
            c.saveState()
            c.setFillColorRGB(*_rgb(fill))
            c.setStrokeColorRGB(*_rgb(stroke))
            c.setLineWidth(width)
            c.circle(float(xs[0]), float(ys[0]), radius, stroke=1, fill=1)
            c.restoreState()

    def label(self, geom: Any, value: str, size: float, color: str = "#333333",
              bold: bool = False) -> None:
        """A label inside the frame at the geometry's point on surface, with a white halo."""
        from reportlab.pdfbase import pdfmetrics

        if geom.geom_type != "Point":
            geom = shapely.clip_by_rect(geom, *self.sheet.extent)
            if geom.is_empty:
                return
            geom = geom.point_on_surface()
        xs, ys = self.sheet.to_page(np.array([geom.x]), np.array([geom.y]))
        x, y = float(xs[0]), float(ys[0])
        f = self.sheet.layout.frame
        if not (f[0] * MM < x < f[2] * MM and f[1] * MM < y < f[3] * MM):
            return
        c = self.c
        font = FONT_BOLD if bold else FONT
        w = pdfmetrics.stringWidth(value, font, size)
        for halo in (True, False):
            c.saveState()  # the text render mode is graphics state: restored after the halo
            t = c.beginText()
            t.setFont(font, size)
            t.setTextOrigin(x - w / 2, y - size / 3)
            if halo:
                t.setTextRenderMode(1)
                c.setStrokeColorRGB(1, 1, 1, alpha=0.85)
                c.setLineWidth(size / 4)
                c.setLineJoin(1)
            else:
                c.setFillColorRGB(*_rgb(color))
            t.textOut(value)
            c.drawText(t)
            c.restoreState()


LABELS = {"wards": ("name", True), "lakes": ("name", False), "projects": ("code", False)}


def draw_layer(sc: SheetCanvas, layer_id: str, features: list[Feature], font: float) -> None:
    """Draw one layer's features in its map style."""
    style = styles.STYLES[layer_id]
    for f in features:
        color = style.color(f.props.get(style.color_by)) if style.color_by else style.default
        dash = style.dashes.get(f.props.get(style.dash_by) or "") if style.dash_by else style.dash
        stroke = style.stroke or color
        if style.kind == "polygon":
            sc.polygon(f.geom, color, style.fill_opacity, stroke, style.opacity,
                       style.weight * PX, _dash(dash))
        elif style.kind == "line":
            sc.line(f.geom, color, style.opacity, style.weight * PX, _dash(dash))
        else:
            sc.point(f.geom, color, stroke, style.radius * PX, style.weight * PX)


def draw_labels(sc: SheetCanvas, layer_id: str, features: list[Feature], font: float) -> None:
    """Names of wards and lakes, codes of projects."""
    key = LABELS.get(layer_id)
    if key is None:
        return
    prop, major = key
    for f in features:
        value = f.props.get(prop)
        if value:
            text_ = str(value).upper() if major else str(value)
            sc.label(f.geom, text_, font * (1.15 if major else 0.85),
                     "#3a3a3a" if major else "#222222", major)


def draw_zones(sc: SheetCanvas, zones: list[Feature], opacity: float, font: float) -> None:
    """Draw a vector plan's land-use zones, coloured by land use, labelled with their codes."""
    for z in zones:
        use = landuse.BY_CODE.get(z.props["code"])
        sc.polygon(z.geom, use.color if use else "#cccccc", opacity, "#555555",
                   min(1.0, opacity + 0.2), 0.35, [])
    for z in zones:
        sc.label(z.geom, z.props["code"], font * 0.8, "#444444")


def grid_interval(scale: int) -> int:
    """The VN-2000 grid spacing of a scale: 100 mm on paper."""
    return scale // 10


def _group(n: float) -> str:
    return f"{round(n):,}".replace(",", " ")


def draw_grid(c: Canvas, sheet: Sheet) -> None:
    """Grid crosses inside the frame, ticks on its edges, coordinates in the gutter."""
    step = grid_interval(sheet.scale)
    x0, y0, x1, y1 = sheet.extent
    xs = np.arange(math.ceil(x0 / step) * step, x1 + 1e-6, step)
    ys = np.arange(math.ceil(y0 / step) * step, y1 + 1e-6, step)
    px, _ = sheet.to_page(xs, np.zeros_like(xs))
    _, py = sheet.to_page(np.zeros_like(ys), ys)
    f = [v * MM for v in sheet.layout.frame]
    tick, arm = 1.8 * MM, 2.5 * MM
    size = sheet.layout.font * 0.85
    c.saveState()
    c.setStrokeColorRGB(0.15, 0.15, 0.15)
    c.setLineWidth(0.4)
    for x in px.tolist():
        c.line(x, f[1], x, f[1] - tick)
        c.line(x, f[3], x, f[3] + tick)
        for y in py.tolist():
            c.line(x - arm, y, x + arm, y)
            c.line(x, y - arm, x, y + arm)
    for y in py.tolist():
        c.line(f[0], y, f[0] - tick, y)
        c.line(f[2], y, f[2] + tick, y)
    c.setFillColorRGB(0.1, 0.1, 0.1)
    c.setFont(FONT, size)
    for x, value in zip(px.tolist(), xs.tolist(), strict=True):
        c.drawCentredString(x, f[1] - tick - size * 1.05, _group(value))
        c.drawCentredString(x, f[3] + tick + size * 0.35, _group(value))
    for y, value in zip(py.tolist(), ys.tolist(), strict=True):
        for edge, sign in ((f[0], -1), (f[2], 1)):
            c.saveState()
            c.translate(edge + sign * (tick + size * 0.35), y)
            c.rotate(90)
            c.drawCentredString(0, -size * 0.75 if sign > 0 else 0, _group(value))
            c.restoreState()
    c.restoreState()


# --- the side panel --------------------------------------------------------------------------------


@dataclass
class Row:
    """A line (or wrapped lines) of panel text, or a legend row with a swatch."""

    text: str
    size: float = 1.0  # times the base font size
    bold: bool = False
    gap: float = 0.0  # space before, in base font sizes
    swatch: Callable[[Canvas, float, float, float, float], None] | None = None
    color: tuple[float, float, float] = (0.1, 0.1, 0.1)
    indent: float = 0.0


@dataclass
class Block:
    """A section of the panel: rows of text, or a drawing of fixed height."""

    rows: list[Row] = field(default_factory=list)
    drawing: Callable[[Canvas, float, float, float, float], float] | None = None
    fixed_height: float = 0.0  # in base font sizes
    rule: bool = True  # a line above the block

    def lines(self, width: float, fs: float) -> list[tuple[Row, list[str]]]:
        """Rows wrapped to a width (points) at a base font size."""
        from reportlab.lib.utils import simpleSplit

        out = []
        for r in self.rows:
            avail = width - r.indent * fs - (2.6 * fs if r.swatch else 0)
            out.append((r, simpleSplit(r.text, FONT_BOLD if r.bold else FONT, r.size * fs,
                                       avail) or [""]))
        return out

    def height(self, width: float, fs: float) -> float:
        """Height of the block in points."""
        h = self.fixed_height * fs + (0.9 * fs if self.rule else 0)
        for r, lines in self.lines(width, fs):
            h += r.gap * fs + len(lines) * r.size * fs * 1.3
        return h

    def draw(self, c: Canvas, x: float, top: float, width: float, fs: float) -> float:
        """Draw the block from `top` down; return the new top."""
        y = top
        if self.rule:
            c.saveState()
            c.setStrokeColorRGB(0.3, 0.3, 0.3)
            c.setLineWidth(0.4)
            c.line(x, y - 0.3 * fs, x + width, y - 0.3 * fs)
            c.restoreState()
            y -= 0.9 * fs
        for r, lines in self.lines(width, fs):
            y -= r.gap * fs
            lead = r.size * fs * 1.3
            if r.swatch is not None:
                r.swatch(c, x + r.indent * fs, y - lead * 0.9, 2.2 * fs, lead * 0.75)
            for ln in lines:
                y -= lead
                c.setFillColorRGB(*r.color)
                c.setFont(FONT_BOLD if r.bold else FONT, r.size * fs)
                tx = x + r.indent * fs + (2.6 * fs if r.swatch else 0)
                c.drawString(tx, y + lead * 0.25, ln)
        if self.drawing is not None:
            h = self.fixed_height * fs
            self.drawing(c, x, y - h, width, h)
            y -= h
        return y


def _swatch(style: styles.LayerStyle, color: str, dash: str | None = None
            ) -> Callable[[Canvas, float, float, float, float], None]:
    def draw(c: Canvas, x: float, y: float, w: float, h: float) -> None:
        c.saveState()
        stroke = style.stroke or color
        if style.kind == "line":
            c.setStrokeColorRGB(*_rgb(color), alpha=style.opacity)
            c.setLineWidth(min(style.weight, 5) * PX)
            c.setDash(_dash(dash))
            c.line(x, y + h / 2, x + w, y + h / 2)
        elif style.kind == "point":
            c.setFillColorRGB(*_rgb(color))
            c.setStrokeColorRGB(*_rgb("#555555" if stroke == "#ffffff" else stroke))
            c.setLineWidth(0.5)
            c.circle(x + w / 2, y + h / 2, min(h / 2, style.radius * PX), stroke=1, fill=1)
        else:
            c.setFillColorRGB(*_rgb(color), alpha=max(style.fill_opacity, 0.25))
            c.setStrokeColorRGB(*_rgb(stroke), alpha=style.opacity)
            c.setLineWidth(0.8)
            c.setDash(_dash(style.dash))
            c.rect(x, y, w, h, stroke=1, fill=1)
        c.restoreState()
    return draw


def _fill_swatch(color: str, alpha: float) -> Callable[[Canvas, float, float, float, float], None]:
    def draw(c: Canvas, x: float, y: float, w: float, h: float) -> None:
        c.saveState()
        c.setFillColorRGB(*_rgb(color), alpha=alpha)
        c.setStrokeColorRGB(0.33, 0.33, 0.33)
        c.setLineWidth(0.35)
        c.rect(x, y, w, h, stroke=1, fill=1)
        c.restoreState()
    return draw


def legend_block(sheet: Sheet, drawn: dict[str, list[Feature]],
                 zones: list[Feature]) -> Block:
    """The legend: each shown layer and the categories that appear on the sheet."""
    lang = sheet.content.lang
    rows = [Row(i18n.phrase(WORDS, "sheet_legend", lang), 1.15, True)]
    plan = sheet.content.plan
    if plan is not None and plan.kind == "vector":
        rows.append(Row(i18n.phrase(WORDS, "land_use", lang), bold=True, gap=0.3))
        codes = dict.fromkeys(z.props["code"] for z in zones)
        for use in landuse.LAND_USES:
            if use.code in codes:
                rows.append(Row(f"{use.code} — {use.name(lang)}",
                                swatch=_fill_swatch(use.color, sheet.content.opacity)))
    elif plan is not None:
        rows.append(Row(i18n.phrase(WORDS, "plan_sheet", lang), bold=True, gap=0.3))
    for layer_id in reversed(styles.MAP_LAYERS):  # top layer first, as read on the map
        if layer_id not in sheet.content.layers:
            continue
        style = styles.STYLES[layer_id]
        rows.append(Row(LAYERS[layer_id].title(lang), bold=True, gap=0.3))
        feats = drawn.get(layer_id, [])
        before = len(rows)
        if style.color_by:
            present = {f.props.get(style.color_by) for f in feats}
            for value, color in style.colors.items():
                if value in present:
                    rows.append(Row(LAYERS[layer_id].value_label(style.color_by, value, lang),
                                    swatch=_swatch(style, color)))
            if any(v not in style.colors for v in present):
                rows.append(Row("…", swatch=_swatch(style, style.default)))
        elif feats:
            label = LAYERS[layer_id].catalog.style.label
            rows.append(Row(label.pick(lang) if label else LAYERS[layer_id].title(lang),
                            swatch=_swatch(style, style.default)))
        if style.dash_by and feats:
            present = {f.props.get(style.dash_by) for f in feats}
            for value in LAYERS[layer_id].values(style.dash_by):
                if value in present:
                    rows.append(Row(LAYERS[layer_id].value_label(style.dash_by, value, lang),
                                    swatch=_swatch(style, "#555555", style.dashes.get(value))))
        if len(rows) == before:
            rows.append(Row(f"({i18n.phrase(WORDS, 'none_here', lang)})", 0.9, color=(0.4, 0.4, 0.4),
                            indent=1.0))
    return Block(rows)


def title_block(sheet: Sheet, settings: Settings, today: dt.date) -> Block:
    """Issuing office, title, place, scale and paper, date."""
    c, lang = sheet.content, sheet.content.lang
    return Block([
        Row(unit_views.committee_name(c.unit, c.district, c.ward, lang), 0.95, True),
        Row(settings.export_office.upper(), 0.95, True),
        Row(c.heading(), 1.7, True, gap=0.8),
        Row(i18n.phrase(i18n.UNIT_VIEW_WORDS, "sheet_place", lang,
                        place=i18n.capitalised(c.place())), 1.0, gap=0.4),
        Row(i18n.phrase(WORDS, "scale_paper", lang, scale=i18n.count(sheet.scale, lang),
                        paper=sheet.layout.paper), 1.0),
        *([Row(i18n.phrase(WORDS, "scale_auto", lang, paper=sheet.layout.paper), 0.9)]
          if sheet.auto_scale else []),
        *([Row(sheet.label, 1.0, True)] if sheet.label else []),
        Row(i18n.phrase(WORDS, "made_on", lang, date=i18n.day_text(today, lang)), 1.0),
    ], rule=False)


def figures_block(sheet: Sheet, figures: Figures) -> Block:
    """The clearance figures of the area on the sheet, as of the day asked for."""
    c, lang = sheet.content, sheet.content.lang
    rows = [
        Row(i18n.phrase(WORDS, "sheet_figures", lang), 1.0, True),
        Row(i18n.phrase(WORDS, "period", lang, **{"from": i18n.day_text(c.date_from, lang),
                                                  "to": i18n.day_text(c.date_to, lang)}), 0.95),
    ]
    if c.ward:
        rows.append(Row(i18n.phrase(WORDS, "ward", lang, ward=c.ward), 0.95))
    if c.as_of:
        rows.append(Row(i18n.phrase(WORDS, "as_of_line", lang,
                                    day=i18n.day_text(c.as_of, lang)), 0.95))
    rows += [
        Row(f"{i18n.text('stat_projects', lang)}: {i18n.count(figures.projects, lang)}", 1.0),
        Row(f"{i18n.text('stat_plans', lang)}: "
            f"{i18n.ratio(figures.plans_approved, figures.plans_total, lang)}"),
        Row(f"{i18n.text('stat_recovered', lang)}: {i18n.hectares(figures.recovered_ha, lang)}",
            1.0, True),
    ]
    return Block(rows)


def _nice_length(scale: int, max_mm: float) -> float:
    """The longest round ground length (m) whose bar fits in max_mm."""
    best = 1.0
    for exp in range(0, 5):
        for m in (1, 2, 2.5, 5):
            length = m * 10**exp
            if length * 1000 / scale <= max_mm:
                best = length
    return best


def scale_bar_length(sheet: Sheet, width_pt: float) -> float:
    """The ground length (m) the sheet's scale bar shows."""
    return _nice_length(sheet.scale, width_pt / MM * 0.8)


def _north_angle(sheet: Sheet) -> float:
    """Angle (degrees, counter-clockwise from grid north) of true north at the sheet's centre."""
    x0, y0, x1, y1 = sheet.extent
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    to_ll, to_vn = transformer(VN2000, WGS84), transformer(WGS84, VN2000)
    lon, lat = to_ll.transform(cx, cy)
    nx, ny = to_vn.transform(lon, lat + 0.01)
    return math.degrees(math.atan2(-(nx - cx), ny - cy))


def _dms(angle: float) -> str:
    a = abs(angle)
    d, m = int(a), round((a - int(a)) * 60)
    if m == 60:
        d, m = d + 1, 0
    return f"{'-' if angle < 0 else ''}{d}°{m:02d}′"


def scale_block(sheet: Sheet) -> Block:
    """Scale in words, the scale bar and the north arrow."""
    lang = sheet.content.lang
    angle = _north_angle(sheet)

    def drawing(c: Canvas, x: float, y: float, w: float, h: float) -> None:
        fs = h / 5.2
        arrow_w = 3.2 * fs
        bar_w = w - arrow_w - 2 * fs
        length = scale_bar_length(sheet, bar_w)
        bar_pt = length * 1000 / sheet.scale * MM
        parts = next((n for n in (5, 4, 2) if (length / n) == int(length / n)), 4)
        seg = bar_pt / parts
        by = y + 2.0 * fs
        bh = 0.55 * fs
        c.saveState()
        c.setLineWidth(0.5)
        c.setStrokeColorRGB(0, 0, 0)
        for i in range(parts):
            c.setFillColorRGB(*((0, 0, 0) if i % 2 == 0 else (1, 1, 1)))
            c.rect(x + i * seg, by, seg, bh, stroke=1, fill=1)
        c.setFillColorRGB(0.1, 0.1, 0.1)
        c.setFont(FONT, 0.8 * fs)
        roomy = seg >= 3.2 * fs
        for i in range(parts + 1):
            if roomy or i in (0, parts) or (parts % 2 == 0 and i == parts // 2):
                value = length * i / parts
                label = i18n.number(value, 0 if value == int(value) else 1, lang) + (
                    " m" if i == parts else "")
                c.drawCentredString(x + i * seg, by + bh + 0.35 * fs, label)
        c.setFont(FONT, 0.85 * fs)
        per_cm = sheet.scale / 100
        c.drawString(x, y + 0.6 * fs, i18n.phrase(
            WORDS, "cm", lang, m=i18n.number(per_cm, 0 if per_cm == int(per_cm) else 1, lang)))
        # North arrow, pointing to true north.
        ax, ay = x + w - arrow_w / 2, y + 2.3 * fs
        c.translate(ax, ay)
        c.rotate(angle)
        c.setLineWidth(0.5)
        c.setFillColorRGB(0, 0, 0)
        p = c.beginPath()
        p.moveTo(0, 1.8 * fs)
        p.lineTo(-0.75 * fs, -1.2 * fs)
        p.lineTo(0, -0.6 * fs)
        p.close()
        c.drawPath(p, stroke=1, fill=1)
        c.setFillColorRGB(1, 1, 1)
        p = c.beginPath()
        p.moveTo(0, 1.8 * fs)
        p.lineTo(0.75 * fs, -1.2 * fs)
        p.lineTo(0, -0.6 * fs)
        p.close()
        c.drawPath(p, stroke=1, fill=1)
        c.setFillColorRGB(0, 0, 0)
        c.setFont(FONT_BOLD, 1.1 * fs)
        c.drawCentredString(0, 2.1 * fs, i18n.phrase(WORDS, "north", lang))
        c.restoreState()

    return Block([
        Row(i18n.phrase(WORDS, "scale", lang, scale=i18n.count(sheet.scale, lang)), 1.35, True),
        Row(i18n.phrase(WORDS, "true_north", lang, angle=_dms(angle)), 0.85),
    ], drawing=drawing, fixed_height=5.2)


def source_block(sheet: Sheet, changed: dt.date | None) -> Block:
    """Where the data comes from: its date, the plan and its decision, the grid."""
    lang = sheet.content.lang
    data = (i18n.phrase(WORDS, "data_date", lang, date=i18n.day_text(changed, lang)) + "."
            if changed else "")
    rows = [Row(i18n.phrase(WORDS, "sources", lang), 1.0, True),
            Row(i18n.phrase(WORDS, "source", lang, data=data).strip(), 0.85)]
    if sheet.content.plan is not None:
        rows.append(Row(plan_line(sheet.content.plan, lang) + ".", 0.85))
    rows.append(Row(i18n.phrase(WORDS, "grid", lang,
                                interval=i18n.count(grid_interval(sheet.scale), lang)), 0.85))
    return Block(rows)


def split_block(block: Block, parts: int) -> list[Block]:
    """A legend cut into `parts` blocks at layer headings, of about equal length."""
    if parts <= 1:
        return [block]
    groups: list[list[Row]] = []
    for r in block.rows:
        if not groups or (r.bold and r.gap > 0 and len(groups[-1]) > 1):
            groups.append([])
        groups[-1].append(r)
    total = sum(len(g) for g in groups)
    out: list[list[Row]] = [[]]
    for g in groups:
        if out[-1] and len(out) < parts and sum(len(o) for o in out) + len(g) / 2 > total * len(out) / parts:
            out.append([])
        out[-1].extend(g)
    return [Block(rows, rule=block.rule) for rows in out]


@dataclass
class Region:
    """A box of the panel: blocks from its top, side-by-side blocks below them, blocks at its foot."""

    box: tuple[float, float, float, float]  # points
    top: list[Block]
    middle: list[Block] = field(default_factory=list)
    bottom: list[Block] = field(default_factory=list)

    def fits(self, fs: float) -> bool:
        """Whether everything fits at base type size `fs`."""
        pad = fs * 0.9
        width = self.box[2] - self.box[0] - 2 * pad
        need = _stack(self.top, width, fs) + _stack(self.bottom, width, fs)
        if self.middle:
            sub = (width - pad * (len(self.middle) - 1)) / len(self.middle)
            need += max(b.height(sub, fs) + 0.5 * fs for b in self.middle)
        return need <= self.box[3] - self.box[1] - 2 * pad

    def draw(self, c: Canvas, fs: float) -> None:
        """Draw the region's blocks."""
        pad = fs * 0.9
        x, width = self.box[0] + pad, self.box[2] - self.box[0] - 2 * pad
        y = self.box[3] - pad
        for b in self.top:
            y = b.draw(c, x, y, width, fs) - 0.5 * fs
        if self.middle:
            sub = (width - pad * (len(self.middle) - 1)) / len(self.middle)
            for i, b in enumerate(self.middle):
                b.draw(c, x + i * (sub + pad), y, sub, fs)
        y = self.box[1] + pad + _stack(self.bottom, width, fs)
        for b in self.bottom:
            y = b.draw(c, x, y, width, fs) - 0.5 * fs


def _stack(blocks: list[Block], width: float, fs: float) -> float:
    return sum(b.height(width, fs) + 0.5 * fs for b in blocks)


def _fit(regions: list[Region], base: float) -> float:
    """The largest type size (at most `base`, at least 40% of it) at which every region fits."""
    fs = base
    while fs > base * 0.4 and not all(r.fits(fs) for r in regions):
        fs *= 0.95
    return fs


def draw_panel(c: Canvas, sheet: Sheet, top: list[Block], legend: Block,
               bottom: list[Block]) -> None:
    """The panel: title block and figures, legend (in one or two columns), scale and sources."""
    lay = sheet.layout
    p = [v * MM for v in lay.panel]
    best: tuple[float, list[Region]] | None = None
    for parts in (1, 2):
        halves = split_block(legend, parts)
        if lay.orientation == "landscape":
            regions = [Region((p[0], p[1], p[2], p[3]), top, halves, bottom)]
        else:
            w = p[2] - p[0]
            a, b = p[0] + w * 0.3, p[0] + w * 0.74
            regions = [Region((p[0], p[1], a, p[3]), top), Region((a, p[1], b, p[3]), [], halves),
                       Region((b, p[1], p[2], p[3]), bottom)]
        fs = _fit(regions, lay.font)
        if best is None or fs > best[0] * 1.01:
            best = (fs, regions)
    assert best is not None
    fs, regions = best
    for r in regions:
        r.draw(c, fs)
    c.saveState()
    c.setLineWidth(0.4)
    for r in regions[1:]:
        c.line(r.box[0], p[1], r.box[0], p[3])
    c.restoreState()


# --- the sheet ---------------------------------------------------------------------------------


def sheet_figures(conn: Connection, sheet: Sheet, storage_srid: int) -> Figures:
    """The clearance figures of the sheet's map frame, as /stats/clearance counts them."""
    return figures_in_view(conn, BBox(*sheet.extent, SHEET_SRID), sheet.content, storage_srid)


def _nfc(s: str) -> str:
    return unicodedata.normalize("NFC", s)


def new_canvas(buf: io.BytesIO, settings: Settings, sheet: Sheet) -> Canvas:
    """A PDF canvas of the sheet's paper, with the document's title, author and subject."""
    from reportlab.pdfgen.canvas import Canvas

    register_fonts()
    lay = sheet.layout
    c = Canvas(buf, pagesize=(lay.width * MM, lay.height * MM), pageCompression=1)
    c.setTitle(_nfc(sheet.content.heading()))
    c.setAuthor(_nfc(settings.export_office))
    c.setSubject(f"1:{sheet.scale} {lay.paper} VN-2000 / EPSG:5897")
    c.setCreator("quyhoach")
    return c


def render_sheet(conn: Connection, settings: Settings, sheet: Sheet,
                 today: dt.date | None = None) -> bytes:
    """The PDF of a sheet: its map as it stood on the day asked for, its panel and figures."""
    buf = io.BytesIO()
    c = new_canvas(buf, settings, sheet)
    draw_sheet(c, conn, settings, sheet, today)
    c.save()
    return buf.getvalue()


def draw_sheet(c: Canvas, conn: Connection, settings: Settings, sheet: Sheet,
               today: dt.date | None = None) -> None:
    """Draw a sheet as one page of a canvas: map, frame, grid and panel."""
    from reportlab.lib.utils import ImageReader

    srid = settings.storage_srid
    today = today or dt.date.today()
    content = sheet.content
    lay = sheet.layout
    f = [v * MM for v in lay.frame]
    sc = SheetCanvas(c, sheet)
    c.saveState()
    clip = c.beginPath()
    clip.rect(f[0], f[1], f[2] - f[0], f[3] - f[1])
    c.clipPath(clip, stroke=0, fill=0)
    zones: list[Feature] = []
    if content.plan is not None:
        if content.plan.kind == "raster" and content.plan.file_path:
            image = plan_image(settings.plan_store, sheet)
            if image is not None:
                c.drawImage(ImageReader(image), f[0], f[1], f[2] - f[0], f[3] - f[1],
                            mask="auto")
        else:
            zones = plan_zones(conn, sheet, srid)
            draw_zones(sc, zones, content.opacity, lay.font)
    drawn: dict[str, list[Feature]] = {}
    for layer_id in styles.MAP_LAYERS:
        if layer_id in content.layers:
            drawn[layer_id] = layer_features(conn, layer_id, sheet, srid)
            draw_layer(sc, layer_id, drawn[layer_id], lay.font)
    for layer_id, features in drawn.items():
        draw_labels(sc, layer_id, features, lay.font)
    c.restoreState()

    c.saveState()
    c.setStrokeColorRGB(0, 0, 0)
    c.setLineWidth(1.0)
    c.rect(f[0], f[1], f[2] - f[0], f[3] - f[1], stroke=1, fill=0)
    b = [v * MM for v in lay.border]
    c.setLineWidth(0.6)
    c.rect(b[0], b[1], b[2] - b[0], b[3] - b[1], stroke=1, fill=0)
    p = [v * MM for v in lay.panel]
    if lay.orientation == "landscape":
        c.line(p[0], p[1], p[0], p[3])
    else:
        c.line(p[0], p[3], p[2], p[3])
    c.restoreState()
    draw_grid(c, sheet)

    blocks_top = [title_block(sheet, settings, today)]
    if content.shows_clearance:
        blocks_top.append(figures_block(sheet, sheet_figures(conn, sheet, srid)))
    legend = legend_block(sheet, drawn, zones)
    bottom = [scale_block(sheet), source_block(sheet, E.data_date(conn, content.layers))]
    draw_panel(c, sheet, blocks_top, legend, bottom)
    c.showPage()
