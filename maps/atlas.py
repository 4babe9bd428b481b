"""Atlases: a district, a ward or an area printed on a grid of sheets at one scale, with an index.

The grid is laid on the VN-2000 grid (EPSG:5897) over the area, each cell the map frame of one
sheet at the scale asked (1:2000 unless told), centred on the area; cells that do not touch the
unit are left out. The first page is the index map: the wards, the grid and each sheet's
number. Every sheet after it is a maps.pdf sheet (title block, legend, figures of the sheet,
grid, scale bar, north arrow), numbered as on the index.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import shapely
from sqlalchemy import Connection

from core import i18n
from core.errors import InvalidParameterError
from core.settings import Settings
from gis.srs import WGS84, transformer
from layers import exports as E
from maps import pdf
from maps.export import ExportContent, hanoi_bbox, resolve_content, to_vn2000
from maps.fonts import FONT, FONT_BOLD

if TYPE_CHECKING:
    from reportlab.pdfgen.canvas import Canvas

DEFAULT_SCALE = 2000
MAX_SHEETS = 300
WORDS = i18n.EXPORT_WORDS
Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Atlas:
    """A validated atlas: the unit's outline, the sheets' extents (VN-2000 m), scale and paper."""

    scale: int
    layout: pdf.Layout
    content: ExportContent
    unit: str
    outline: list[pdf.Feature]  # the wards shown on the index map
    cells: list[tuple[str, Box]]  # sheet number, map frame extent


def unit_name(content: ExportContent) -> str:
    """The unit an atlas covers, as a reader names it (a new ward by its own name and period)."""
    place = content.place()
    if content.ward:
        return i18n.phrase(i18n.PLACE_TITLE_WORDS, "atlas_ward", content.lang, ward=content.ward,
                           place=place)
    return place


def grid_cells(area: Box, cell_w: float, cell_h: float) -> list[Box]:
    """Cells of cell_w × cell_h metres covering an area, centred on it, north row first."""
    x0, y0, x1, y1 = area
    cols = max(1, math.ceil((x1 - x0) / cell_w - 1e-9))
    rows = max(1, math.ceil((y1 - y0) / cell_h - 1e-9))
    left = (x0 + x1) / 2 - cols * cell_w / 2
    top = (y0 + y1) / 2 + rows * cell_h / 2
    return [(left + c * cell_w, top - (r + 1) * cell_h, left + (c + 1) * cell_w, top - r * cell_h)
            for r in range(rows) for c in range(cols)]


def plan_atlas(conn: Connection, req: pdf.SheetRequest, storage_srid: int) -> Atlas:
    """Validate an atlas request and lay its grid over the area (400 with a bilingual message)."""
    paper = pdf.one_of(req.paper, pdf.PAPERS, "paper")
    orientation = pdf.one_of(req.orientation, pdf.ORIENTATIONS, "orientation")
    scale = pdf.supported_scale(req.scale) or DEFAULT_SCALE
    if req.center is not None:
        raise InvalidParameterError(
            "Tập bản đồ in theo bbox hoặc theo quận/phường, không theo tâm tờ bản đồ.",
            "An atlas covers a bbox or a district or ward, not a centre.")
    if req.bbox is not None:
        area = to_vn2000(hanoi_bbox(req.bbox))
    else:
        area = pdf.unit_extent(conn, req.content.district, req.content.ward)
    cx, cy = (area[0] + area[2]) / 2, (area[1] + area[3]) / 2
    lon, lat = transformer(pdf.SHEET_SRID, WGS84).transform(cx, cy)
    content = resolve_content(conn, req.content, (float(lon), float(lat)), storage_srid)
    page = pdf.layout(paper, orientation)
    fw, fh = page.frame_size
    cell_w, cell_h = fw * scale / 1000, fh * scale / 1000
    wards = pdf._features(E.sheet_features(conn, "wards", area, content.district, None,
                                           pdf.SHEET_SRID, storage_srid))
    if content.ward:
        wards = [w for w in wards if w.props.get("name") == content.ward]
    shape = shapely.union_all([w.geom for w in wards]) if wards and req.bbox is None else (
        shapely.box(*area))
    cells = [c for c in grid_cells(area, cell_w, cell_h) if shape.intersects(shapely.box(*c))]
    if len(cells) > MAX_SHEETS:
        raise InvalidParameterError(
            f"Tập bản đồ cần {i18n.count(len(cells))} tờ ở tỷ lệ {i18n.scale_text(scale)} khổ "
            f"{paper}, quá {i18n.count(MAX_SHEETS)} tờ; hãy chọn khổ giấy lớn hơn, tỷ lệ nhỏ hơn "
            "hoặc một phường.",
            f"The atlas needs {len(cells):,} sheets at {i18n.scale_text(scale, 'en')} on {paper} "
            f"paper, more than {MAX_SHEETS}; choose a larger paper, a smaller scale or one ward.")
    labels = [str(i) for i in range(1, len(cells) + 1)]
    return Atlas(scale, page, content, unit_name(content), wards, list(zip(labels, cells,
                                                                           strict=True)))


def sheets(atlas: Atlas) -> list[pdf.Sheet]:
    """The atlas's sheets, each numbered as on the index."""
    total = len(atlas.cells)
    return [pdf.Sheet(extent, atlas.scale, atlas.layout, atlas.content, label=i18n.phrase(
        WORDS, "atlas_sheet", atlas.content.lang, label=label, total=total))
        for label, extent in atlas.cells]


def draw_index(c: Canvas, atlas: Atlas) -> None:
    """The index page: the unit's wards, the grid of sheets and their numbers."""
    lay, lang = atlas.layout, atlas.content.lang
    mm = pdf.MM
    m = pdf.PAPER_SPECS[lay.paper].margin
    fs = lay.font * 1.4
    xs = [v for _, b in atlas.cells for v in (b[0], b[2])]
    ys = [v for _, b in atlas.cells for v in (b[1], b[3])]
    gx0, gy0, gx1, gy1 = min(xs), min(ys), max(xs), max(ys)
    box_x0, box_y0 = m * mm, m * mm
    box_x1, box_y1 = (lay.width - m) * mm, (lay.height - m) * mm - fs * 5
    k = min((box_x1 - box_x0) / (gx1 - gx0), (box_y1 - box_y0) / (gy1 - gy0))
    ox = box_x0 + ((box_x1 - box_x0) - (gx1 - gx0) * k) / 2
    oy = box_y0 + ((box_y1 - box_y0) - (gy1 - gy0) * k) / 2

    def at(x: float, y: float) -> tuple[float, float]:
        return ox + (x - gx0) * k, oy + (y - gy0) * k

    c.setFont(FONT_BOLD, fs * 1.1)
    c.drawCentredString(lay.width * mm / 2, lay.height * mm - m * mm - fs * 1.4,
                        i18n.phrase(WORDS, "atlas_index", lang))
    cell = atlas.cells[0][1]
    c.setFont(FONT, fs * 0.8)
    c.drawCentredString(lay.width * mm / 2, lay.height * mm - m * mm - fs * 2.8, i18n.phrase(
        WORDS, "atlas_title", lang, unit=atlas.unit, scale=i18n.scale_text(atlas.scale, lang),
        paper=lay.paper))
    c.drawCentredString(lay.width * mm / 2, lay.height * mm - m * mm - fs * 4, i18n.phrase(
        WORDS, "atlas_count", lang, n=i18n.count(len(atlas.cells), lang),
        w=i18n.count(round(cell[2] - cell[0]), lang), h=i18n.count(round(cell[3] - cell[1]), lang)))
    c.saveState()
    c.setLineWidth(0.6)
    c.setStrokeColorRGB(0.35, 0.35, 0.35)
    c.setFillColorRGB(0.96, 0.96, 0.93)
    for w in atlas.outline:
        for poly in pdf._parts(w.geom, ("Polygon",)):
            path = c.beginPath()
            pts = [at(x, y) for x, y in poly.exterior.coords]
            path.moveTo(*pts[0])
            for p in pts[1:]:
                path.lineTo(*p)
            path.close()
            c.drawPath(path, stroke=1, fill=1)
    c.setFillColorRGB(0.35, 0.35, 0.35)
    c.setFont(FONT, fs * 0.7)
    for w in atlas.outline:
        pt = w.geom.point_on_surface()
        x, y = at(pt.x, pt.y)
        c.drawCentredString(x, y, str(w.props.get("name", "")))
    c.setStrokeColorRGB(0.75, 0.1, 0.1)
    c.setFillColorRGB(0.75, 0.1, 0.1)
    c.setLineWidth(0.8)
    size = max(5.0, min(fs, (cell[2] - cell[0]) * k / 3))
    c.setFont(FONT_BOLD, size)
    for label, (x0, y0, x1, y1) in atlas.cells:
        a, b = at(x0, y0)
        d, e = at(x1, y1)
        c.rect(a, b, d - a, e - b, stroke=1, fill=0)
        c.drawString(a + size * 0.3, e - size * 1.1, label)
    c.restoreState()
    c.showPage()


def render_atlas(conn: Connection, settings: Settings, atlas: Atlas,
                 today: dt.date | None = None) -> bytes:
    """The atlas as one PDF: the index page, then one page per sheet."""
    pages = sheets(atlas)
    buf = io.BytesIO()
    c = pdf.new_canvas(buf, settings, replace(pages[0], label=None))
    c.setTitle(f"{atlas.content.heading()} — {atlas.unit}")
    draw_index(c, atlas)
    for sheet in pages:
        pdf.draw_sheet(c, conn, settings, sheet, today)
    c.save()
    return buf.getvalue()
