"""The clearance report rendered: plain text, Markdown, PDF (reportlab), PNG map figure, XLSX.

The content comes from layers.reports; this module only decides how it looks. The PDF is set
in DejaVu Sans (embedded, every Vietnamese letter), its tables repeat their header row on each
page and keep dates and codes whole, and the map figure is drawn as vector shapes.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Connection

from core import i18n
from layers.queries import clearance_stats
from layers.registry import LAYERS
from layers.reports import Figure, Report, Ring, Table, build_report
from maps import styles
from maps.fonts import FONT, FONT_BOLD, font_files, register_fonts

# ReportLab, openpyxl and Pillow load with the first report of their kind, not with every command.
if TYPE_CHECKING:
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate
    from reportlab.platypus import Table as PdfTable

FORMATS = ("text", "json", "md", "pdf", "xlsx")
MEDIA_TYPES = {
    "text": "text/plain; charset=utf-8",
    "json": "application/json",
    "md": "text/markdown; charset=utf-8",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
WARD_FILL, WARD_LINE, LABEL_COLOR = "#fafaf7", "#5a5a5a", "#3c3c3c"
HEADER_FILL = "#e8ecf1"


def render_text(stats: dict[str, Any], lang: str = "vi") -> str:
    """The clearance figures as a short text report."""
    counts = ("projects", "projects_budget", "projects_non_budget", "plans_approved",
              "plans_total", "projects_ahead_of_schedule", "projects_behind_schedule")
    values = {
        **stats,
        **{k: i18n.count(stats.get(k, 0), lang) for k in counts},
        "district": i18n.district_name(stats["district"]),
        "place": i18n.place_label(stats, lang),
        "from": i18n.day_text(stats["from"], lang),
        "to": i18n.day_text(stats["to"], lang),
        "recovered_ha": i18n.hectares(stats["recovered_ha"], lang),
        "compensation": i18n.amount(stats["compensation_vnd"], lang),
    }
    keys = ["title"] + (["ward"] if stats.get("ward") else []) + [
        "projects", "plans", "recovered", "compensation", "ahead", "behind"]
    return "\n".join(i18n.phrase(i18n.REPORT_LINES, k, lang, **values) for k in keys)


def cell_text(value: Any, kind: str, lang: str) -> str:
    """A table cell as text."""
    if value is None or value == "":
        return ""
    if kind == "int":
        return i18n.count(value, lang)
    if kind == "ha":
        return i18n.number(value, 2, lang)
    if kind == "bn":
        return i18n.billions(value, lang)
    if kind == "date":
        return i18n.day_text(value, lang)
    if kind == "ratio":
        return i18n.ratio(*value, lang)
    return str(value)


# ----------------------------------------------------------------------------- the map figure


@dataclass(frozen=True)
class Sketch:
    """The map figure laid out in figure units (x right, y down), with its legend and scale."""

    width: float
    height: float
    wards: list[Ring]
    projects: list[tuple[Ring, str, bool]]  # ring, fill colour, key project
    labels: list[tuple[float, float, str]]
    legend: list[tuple[str, str]]  # colour, label
    scale_m: float  # length of the scale bar in metres
    scale_units: float  # the same length in figure units
    title: str


def sketch(fig: Figure, lang: str, place: str | None = None) -> Sketch:
    """Lay out the figure 1000 units wide, north up, with room for the legend and the arrow.

    `place` names the figure's unit for its period (i18n.place_label); default: its district.
    """
    rings = [r for _, rs, _ in fig.wards for r in rs]
    xs = [x for r in rings for x, _ in r]
    ys = [y for r in rings for _, y in r]
    pad = 0.06 * (max(xs) - min(xs))
    x0, x1, y0, y1 = min(xs) - pad, max(xs) + pad, min(ys) - pad / 2, max(ys) + pad / 2
    width = 1000.0
    k = width / (x1 - x0)

    def at(x: float, y: float) -> tuple[float, float]:
        return (x - x0) * k, (y1 - y) * k

    style = styles.STYLES["projects"]
    present = {status for _, status, _ in fig.projects}
    scale_m = next(s for s in (5000, 2000, 1000, 500, 200, 100) if s * k <= width / 4)
    return Sketch(
        width, (y1 - y0) * k, [[at(x, y) for x, y in r] for r in rings],
        [([at(x, y) for x, y in ring], style.color(status), key)
         for rs, status, key in fig.projects for ring in rs],
        [(*at(*point), name) for name, _, point in fig.wards],
        [(color, LAYERS["projects"].value_label("status", status, lang))
         for status, color in style.colors.items() if status in present],
        float(scale_m), scale_m * k,
        i18n.phrase(i18n.PLACE_TITLE_WORDS, "report_figure", lang, place=place or i18n.phrase(
            i18n.UNIT_WORDS, "district", lang, name=i18n.district_name(fig.district))))


def _scale_label(sk: Sketch, lang: str) -> str:
    if sk.scale_m >= 1000:
        return f"{i18n.number(sk.scale_m / 1000, 0, lang)} km"
    return f"{i18n.number(sk.scale_m, 0, lang)} m"


def figure_drawing(sk: Sketch, width: float, lang: str) -> Drawing:
    """The map figure as vector shapes, `width` points wide."""
    from reportlab.graphics.shapes import Drawing, Line, Polygon, Rect, String
    from reportlab.lib import colors
    from reportlab.lib.units import mm

    k = width / sk.width
    height = sk.height * k
    d = Drawing(width, height, initialFontName=FONT, initialFontSize=6.5)

    def pts(ring: Ring) -> list[float]:
        return [c for u, v in ring for c in (u * k, height - v * k)]

    def text(x: float, y: float, s: str, size: float, anchor: str = "start",
             bold: bool = False, color: str = "#000000") -> None:
        d.add(String(x, y, s, fontName=FONT_BOLD if bold else FONT, fontSize=size,
                     fillColor=colors.HexColor(color), textAnchor=anchor))

    for ring in sk.wards:
        d.add(Polygon(pts(ring), fillColor=colors.HexColor(WARD_FILL),
                      strokeColor=colors.HexColor(WARD_LINE), strokeWidth=0.25 * mm))
    for ring, color, key in sk.projects:
        d.add(Polygon(pts(ring), fillColor=colors.HexColor(color),
                      strokeColor=colors.HexColor(styles.KEY_PROJECT_OUTLINE if key else color),
                      strokeWidth=(0.5 if key else 0.2) * mm))
    for u, v, name in sk.labels:
        text(u * k, height - v * k, name, 6.5, "middle", color=LABEL_COLOR)
    # Legend, top left.
    y = height - 3 * mm
    for color, label in sk.legend:
        d.add(Rect(2 * mm, y - 0.4 * mm, 3.5 * mm, 2.6 * mm, fillColor=colors.HexColor(color),
                   strokeColor=None))
        text(7 * mm, y, label, 6.5)
        y -= 3.6 * mm
    d.add(Rect(2 * mm, y - 0.4 * mm, 3.5 * mm, 2.6 * mm, fillColor=None,
               strokeColor=colors.HexColor(styles.KEY_PROJECT_OUTLINE), strokeWidth=0.5 * mm))
    text(7 * mm, y, i18n.report_word("is_key_project", lang), 6.5)
    # Scale bar, bottom left.
    bx, by, bar = 2 * mm, 4 * mm, sk.scale_units * k
    for x1, y1, x2, y2 in ((bx, by, bx + bar, by), (bx, by - 0.5 * mm, bx, by + 1 * mm),
                           (bx + bar, by - 0.5 * mm, bx + bar, by + 1 * mm)):
        d.add(Line(x1, y1, x2, y2, strokeColor=colors.black, strokeWidth=0.3 * mm))
    text(bx + bar + 1.5 * mm, by - 0.8 * mm, _scale_label(sk, lang), 6.5)
    # North arrow, top right.
    nx, ny = width - 6 * mm, height - 3 * mm
    d.add(Polygon([nx, ny, nx - 1.6 * mm, ny - 5 * mm, nx + 1.6 * mm, ny - 5 * mm],
                  fillColor=colors.black, strokeColor=None))
    text(nx, ny - 8.5 * mm, i18n.report_word("north", lang), 6.5, "middle")
    return d


def _rgb(color: str) -> tuple[int, int, int]:
    c = color.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def render_png(fig: Figure, width_px: int = 1400, lang: str = "vi",
               place: str | None = None) -> bytes:
    """The map figure as a PNG (for spreadsheets and Markdown), drawn at twice the size."""
    from PIL import Image, ImageDraw, ImageFont

    sk = sketch(fig, lang, place)
    regular, bold = font_files()
    ss = 2
    k = width_px * ss / sk.width
    w, h = width_px * ss, int(sk.height * k) + 1
    img = Image.new("RGB", (w, h), "white")
    draw = ImageDraw.Draw(img)

    def pts(ring: Ring) -> list[tuple[float, float]]:
        return [(u * k, v * k) for u, v in ring]

    for ring in sk.wards:
        draw.polygon(pts(ring), fill=_rgb(WARD_FILL), outline=_rgb(WARD_LINE), width=2 * ss)
    key_outline = _rgb(styles.KEY_PROJECT_OUTLINE)
    for ring, color, key in sk.projects:
        draw.polygon(pts(ring), fill=_rgb(color), outline=key_outline if key else _rgb(color),
                     width=(3 if key else 1) * ss)
    font = ImageFont.truetype(str(regular), 13 * ss)
    for u, v, name in sk.labels:
        draw.text((u * k, v * k), name, fill=_rgb(LABEL_COLOR), font=font, anchor="ms")
    legend_font = ImageFont.truetype(str(bold), 14 * ss)
    ly = 14 * ss
    for color, label in sk.legend:
        draw.rectangle([10 * ss, ly, 28 * ss, ly + 13 * ss], fill=_rgb(color))
        draw.text((34 * ss, ly + 11 * ss), label, fill=(0, 0, 0), font=legend_font, anchor="ls")
        ly += 20 * ss
    draw.rectangle([10 * ss, ly, 28 * ss, ly + 13 * ss], outline=key_outline, width=3 * ss)
    draw.text((34 * ss, ly + 11 * ss), i18n.report_word("is_key_project", lang), fill=(0, 0, 0),
              font=legend_font, anchor="ls")
    bar = sk.scale_units * k
    bx, by = 12 * ss, h - 16 * ss
    draw.line([(bx, by), (bx + bar, by)], fill=(0, 0, 0), width=2 * ss)
    for x in (bx, bx + bar):
        draw.line([(x, by - 6 * ss), (x, by + 2 * ss)], fill=(0, 0, 0), width=2 * ss)
    draw.text((bx + bar + 8 * ss, by + 5 * ss), _scale_label(sk, lang), fill=(0, 0, 0),
              font=font, anchor="ls")
    nx, ny = w - 30 * ss, 14 * ss
    draw.polygon([(nx, ny), (nx - 9 * ss, ny + 26 * ss), (nx + 9 * ss, ny + 26 * ss)],
                 fill=(0, 0, 0))
    draw.text((nx, ny + 46 * ss), i18n.report_word("north", lang), fill=(0, 0, 0),
              font=legend_font, anchor="ms")
    img = img.resize((width_px, max(1, h // ss)), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


# ----------------------------------------------------------------------------- Markdown


def render_markdown(report: Report, figure_url: str | None = None) -> str:
    """The report as Markdown; the map figure is linked when `figure_url` is given."""
    lang = report.lang
    out = [f"# {report.title}", "", *(f"**{s}**  " for s in report.subtitle), ""]
    for kind, body in report.blocks:
        if kind == "h2":
            out += [f"## {body}", ""]
        elif kind == "p":
            out += [body, ""]
        elif kind == "note":
            out += [f"*{body}*", ""]
        elif kind == "figure":
            if figure_url:
                out += [f"![{body}]({figure_url})", ""]
            out += [f"*{body}*", ""]
        elif kind == "table":
            t: Table = body
            align = ["---" if k == "text" else "---:" for k in t.kinds]
            rows = [*t.rows, *([t.total] if t.total else [])]
            out.append("| " + " | ".join(t.headers) + " |")
            out.append("| " + " | ".join(align) + " |")
            for i, r in enumerate(rows):
                cells = [cell_text(v, k, lang).replace("|", "\\|")
                         for v, k in zip(r, t.kinds, strict=True)]
                if t.total and i == len(rows) - 1:
                    cells = [f"**{c}**" if c else c for c in cells]
                out.append("| " + " | ".join(cells) + " |")
            out.append("")
    return "\n".join(out).rstrip() + "\n"


# ----------------------------------------------------------------------------- PDF

CELL_PAD = 2.5  # points left and right of a table cell's text
CELL_SIZE = 8.0


def _markup(s: str) -> str:
    """Text for a Paragraph, which reads its own markup."""
    return escape(s, quote=False)


def _pdf_styles() -> dict[str, ParagraphStyle]:
    from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle

    base = ParagraphStyle("base", fontName=FONT, fontSize=10, leading=14)

    def style(name: str, **kw: Any) -> ParagraphStyle:
        return ParagraphStyle(name, parent=base, **kw)

    # Table cells wrap at spaces only and never split a word: the columns are sized so that
    # the longest word (a date, a project code) fits.
    cell: dict[str, Any] = {"fontSize": CELL_SIZE, "leading": 10, "wordWrap": None,
                            "splitLongWords": 0, "hyphenationLang": ""}
    return {
        "title": style("title", fontName=FONT_BOLD, fontSize=14, leading=18,
                       alignment=TA_CENTER, spaceAfter=2),
        "subtitle": style("subtitle", fontSize=11, leading=15, alignment=TA_CENTER),
        # Headings are kept with what follows by _headed, not keepWithNext: keepWithNext would
        # push a table longer than the room left onto the next page whole.
        "h2": style("h2", fontName=FONT_BOLD, fontSize=11.5, leading=15, spaceBefore=9,
                    spaceAfter=4),
        "p": style("p", alignment=TA_JUSTIFY, spaceAfter=5),
        "note": style("note", fontSize=8, leading=11, alignment=TA_JUSTIFY, spaceAfter=4),
        "caption": style("caption", fontSize=8, leading=11, alignment=TA_CENTER, spaceBefore=4,
                         spaceAfter=6),
        "cell": style("cell", alignment=TA_LEFT, **cell),
        "cell_r": style("cell_r", alignment=TA_RIGHT, **cell),
        "head": style("head", fontName=FONT_BOLD, alignment=TA_LEFT, **cell),
        "head_r": style("head_r", fontName=FONT_BOLD, alignment=TA_RIGHT, **cell),
    }


def _text_width(s: str) -> float:
    """Width of table text, measured in bold: the total row is bold too."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return stringWidth(s, FONT_BOLD, CELL_SIZE)


def column_widths(t: Table, lang: str, avail: float) -> list[float]:
    """Column widths (points) from the content, filling `avail`; no word is ever cut."""
    pad = 2 * CELL_PAD + 1
    body = [[cell_text(v, k, lang) for v, k in zip(r, t.kinds, strict=True)]
            for r in [*t.rows, *([t.total] if t.total else [])]]
    # Ever wider wishes: every word fits; cells on one line; headers on two; headers on one.
    wishes: list[list[float]] = [[], [], [], []]
    for j, head in enumerate(t.headers):
        cells = [r[j] for r in body]
        lo = max((_text_width(word) for c in [head, *cells] for word in c.split()),
                 default=0) + pad
        line = max([lo, *(_text_width(c) + pad for c in cells)])
        words = head.split()
        two = min((max(_text_width(" ".join(words[:i])), _text_width(" ".join(words[i:])))
                   for i in range(1, len(words))), default=_text_width(head))
        for wish, width in zip(wishes, (lo, line, max(line, two + pad),
                                        max(line, _text_width(head) + pad)), strict=True):
            wish.append(width)
    if sum(wishes[-1]) <= avail:
        return [w * avail / sum(wishes[-1]) for w in wishes[-1]]
    # The widest wish that fits, and the room left shared towards the next one.
    i = max((i for i, wish in enumerate(wishes) if sum(wish) <= avail), default=0)
    base, want = wishes[i], wishes[i + 1]
    short = [b - a for a, b in zip(base, want, strict=True)]
    room = avail - sum(base)
    if room <= 0 or not sum(short):
        return [w * avail / sum(base) for w in base]
    return [a + room * s / sum(short) for a, s in zip(base, short, strict=True)]


def _pdf_table(t: Table, lang: str, widths: list[float], st: dict[str, ParagraphStyle],
               rows: int | None = None) -> PdfTable:
    from reportlab.lib import colors
    from reportlab.platypus import Paragraph, TableStyle
    from reportlab.platypus import Table as PdfTable

    def para(s: str, kind: str, head: bool = False) -> Paragraph:
        name = ("head" if head else "cell") + ("" if kind == "text" else "_r")
        return Paragraph(_markup(s), st[name])

    body = [*t.rows, *([t.total] if t.total else [])]
    if rows is not None:
        body = body[:rows]
    data = [[para(h, k, True) for h, k in zip(t.headers, t.kinds, strict=True)]]
    for i, r in enumerate(body):
        is_total = t.total is not None and i == len(t.rows)
        data.append([para(cell_text(v, k, lang), k, is_total)
                     for v, k in zip(r, t.kinds, strict=True)])
    commands: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, -1), FONT, CELL_SIZE),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor(HEADER_FILL)),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#8c8c8c")),
        ("VALIGN", (0, 0), (-1, 0), "BOTTOM"),
        ("VALIGN", (0, 1), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PAD),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PAD),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
    ]
    if t.total and (rows is None or rows > len(t.rows)):
        commands.append(("LINEABOVE", (0, -1), (-1, -1), 0.9, colors.black))
    return PdfTable(data, colWidths=widths, repeatRows=1, style=TableStyle(commands),
                    hAlign="LEFT")


def _height(f: Flowable, width: float) -> float:
    return f.wrap(width, 10_000)[1]


def _headed(head: Paragraph, body: list[Flowable], width: float, frame_h: float,
            first_rows: Callable[[], Flowable] | None) -> list[Flowable]:
    """A heading with what follows it, never left alone at the foot of a page."""
    from reportlab.platypus import CondPageBreak, KeepTogether

    # What fits in half a page stays together; a longer table may start low on a page as long
    # as its header row and first rows come with the heading.
    total = _height(head, width) + sum(_height(f, width) for f in body) + 20
    if first_rows is None or total <= frame_h / 2:
        return [KeepTogether([head, *body])]
    st = head.style
    need = st.spaceBefore + _height(head, width) + st.spaceAfter + _height(first_rows(), width)
    return [CondPageBreak(need + 6), head, *body]


def _page_number(canvas: Canvas, doc: SimpleDocTemplate) -> None:
    """Page numbers from the second page, centred at the top, as in administrative documents."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm

    canvas.saveState()
    canvas.setFont(FONT, 9)
    canvas.drawCentredString(A4[0] / 2, A4[1] - 9 * mm, str(doc.page))
    canvas.restoreState()


def render_pdf(report: Report) -> bytes:
    """The report as a vector PDF (A4), DejaVu Sans embedded so diacritics print."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    register_fonts()
    lang = report.lang
    st = _pdf_styles()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf, pagesize=A4, leftMargin=18 * mm, rightMargin=15 * mm, topMargin=15 * mm,
        bottomMargin=15 * mm, title=f"{report.title} — {report.subtitle[0]}",
        subject=report.subtitle[0], author="quyhoach", creator="quyhoach", lang=lang,
        initialFontName=FONT)
    width, frame_h = doc.width, doc.height
    story: list[Flowable] = [Paragraph(_markup(report.title), st["title"])]
    story += [Paragraph(_markup(line), st["subtitle"]) for line in report.subtitle]
    story.append(Spacer(1, 3 * mm))

    def flowables(kind: str, body: Any) -> tuple[list[Flowable], Callable[[], Flowable] | None]:
        if kind in ("p", "note"):
            return [Paragraph(_markup(body), st[kind])], None
        if kind == "table":
            widths = column_widths(body, lang, width)
            return ([_pdf_table(body, lang, widths, st), Spacer(1, 2 * mm)],
                    partial(_pdf_table, body, lang, widths, st, 3))
        if kind == "figure" and report.figure is not None:
            sk = sketch(report.figure, lang, i18n.place_label(report.stats, lang))
            caption = Paragraph(_markup(body), st["caption"])
            room = frame_h - 30 * mm  # the heading and the caption share the page
            w = min(width, room * sk.width / sk.height)
            drawing = figure_drawing(sk, w, lang)
            drawing.hAlign = "CENTER"
            return [drawing, caption], None
        return [], None

    blocks = report.blocks
    i = 0
    while i < len(blocks):
        kind, body = blocks[i]
        if kind == "h2":
            head = Paragraph(_markup(body), st["h2"])
            nxt, first_rows = flowables(*blocks[i + 1]) if i + 1 < len(blocks) else ([], None)
            story += _headed(head, nxt, width, frame_h, first_rows)
            i += 2
        else:
            story += flowables(kind, body)[0]
            i += 1
    doc.build(story, onLaterPages=_page_number)
    return buf.getvalue()


# ----------------------------------------------------------------------------- XLSX

XLSX_FORMATS = {"int": "#,##0", "ha": "#,##0.00", "bn": "#,##0.0", "date": "dd/mm/yyyy"}


def _xlsx_value(value: Any, kind: str) -> Any:
    if value is None or value == "":
        return None
    if kind == "int":
        return int(value)
    if kind == "ha":
        return float(value)
    if kind == "bn":
        return float(value) / 1e9
    if kind == "date":
        return dt.date.fromisoformat(str(value)[:10])
    if kind == "ratio":
        return f"{value[0]}/{value[1]}"
    return value


def xlsx_blocks(ws: Any, blocks: list[tuple[str, Any]], bold: Any, fill: Any) -> None:
    """A report's headings, paragraphs and tables appended to a worksheet, in order."""
    from openpyxl.styles import Alignment, Font

    for kind, body in blocks:
        if kind == "h2":
            ws.append([])
            ws.append([body])
            ws.cell(ws.max_row, 1).font = Font(bold=True, size=12)
        elif kind in ("p", "note", "figure"):
            ws.append([body])
            ws.cell(ws.max_row, 1).alignment = Alignment(wrap_text=True, vertical="top")
            ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row,
                           end_column=7)
            ws.row_dimensions[ws.max_row].height = 15 * max(1, len(body) // 95 + 1)
        elif kind == "table":
            _xlsx_table(ws, body, bold, fill)


def _xlsx_table(ws: Any, t: Table, bold: Any, fill: Any) -> None:
    """Append a table to a sheet, numbers as numbers with their formats."""
    ws.append(t.headers)
    for c in ws[ws.max_row]:
        c.font, c.fill = bold, fill
    for i, r in enumerate([*t.rows, *([t.total] if t.total else [])]):
        ws.append([_xlsx_value(v, k) for v, k in zip(r, t.kinds, strict=True)])
        for j, k in enumerate(t.kinds, start=1):
            if k in XLSX_FORMATS:
                ws.cell(ws.max_row, j).number_format = XLSX_FORMATS[k]
            if t.total and i == len(t.rows):
                ws.cell(ws.max_row, j).font = bold


def render_xlsx(report: Report) -> bytes:
    """The report as a workbook: the report sheet, then projects, wards, months and the map."""
    from openpyxl import Workbook
    from openpyxl.drawing.image import Image as XLImage
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    lang = report.lang
    s = report.stats
    w = partial(i18n.report_word, lang=lang)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor=HEADER_FILL.lstrip("#").upper())
    wb = Workbook()
    ws = wb.active
    ws.title = w("sheet_report")
    ws.append([report.title])
    ws["A1"].font = Font(bold=True, size=14)
    for line in report.subtitle:
        ws.append([line])
    ws.append([])
    ws.append([w("figure"), w("value")])
    for c in ws[ws.max_row]:
        c.font, c.fill = bold, fill
    streets = s.get("civilized_streets") or {}
    figures = [("f_projects", s["projects"], "int"), ("f_budget", s["projects_budget"], "int"),
               ("f_non_budget", s["projects_non_budget"], "int"),
               ("f_plans_total", s["plans_total"], "int"),
               ("f_plans_approved", s["plans_approved"], "int"),
               ("f_recovered", s["recovered_ha"], "ha"),
               ("f_compensation", s["compensation_vnd"], "int"),
               ("f_ahead", s["projects_ahead_of_schedule"], "int"),
               ("f_behind", s.get("projects_behind_schedule", 0), "int"),
               ("f_streets_planned", streets.get("planned", 0), "int"),
               ("f_streets_recognised", streets.get("recognised", 0), "int")]
    for key, value, kind in figures:
        ws.append([w(key), _xlsx_value(value, kind)])
        ws.cell(ws.max_row, 2).number_format = XLSX_FORMATS[kind]
    xlsx_blocks(ws, report.blocks, bold, fill)
    ws.column_dimensions["A"].width = 42
    for col in range(2, 9):
        ws.column_dimensions[get_column_letter(col)].width = 16

    pl = wb.create_sheet(w("sheet_projects"))
    cols = [("code", "text"), ("name", "text"), ("funding", "text"), ("status", "text"),
            ("is_key", "text"), ("has_complaints", "text"), ("wards", "text"),
            ("started_on", "date"), ("target_date", "date"), ("completed_on", "date"),
            ("plans_total", "int"), ("plans_approved", "int"), ("recovered_ha", "ha"),
            ("compensation_bn", "int")]
    yes = i18n.text("yes", lang)
    rows = []
    for p in s.get("project_list") or []:
        rows.append([p["code"], p["name"],
                     LAYERS["projects"].value_label("funding", p["funding"], lang),
                     LAYERS["projects"].value_label("status", p["status"], lang),
                     yes if p["is_key"] else "", yes if p["has_complaints"] else "",
                     ", ".join(p["wards"]), p["started_on"], p["target_date"], p["completed_on"],
                     p["plans_total"], p["plans_approved"], p["recovered_ha"],
                     p["compensation_vnd"]])
    headers = [w(c) for c, _ in cols]
    headers[-1] = w("f_compensation")
    _xlsx_table(pl, Table(headers, rows, [k for _, k in cols]), bold, fill)
    pl.column_dimensions["B"].width = 48
    wd = wb.create_sheet(w("sheet_wards"))
    _xlsx_table(wd, Table(
        [w("ward"), w("projects"), w("plans_total"), w("plans_approved"), w("recovered_ha"),
         w("f_compensation")],
        [[r["ward"], r["projects"], r["plans_total"], r["plans_approved"], r["recovered_ha"],
          r["compensation_vnd"]] for r in s["by_ward"]],
        ["text", "int", "int", "int", "ha", "int"],
        [w("total"), s["projects"], s["plans_total"], s["plans_approved"], s["recovered_ha"],
         s["compensation_vnd"]]), bold, fill)
    mo = wb.create_sheet(w("sheet_months"))
    _xlsx_table(mo, Table(
        [w("month"), w("approved_in_month"), w("approved_cumulative"), w("ha_cumulative"),
         w("f_compensation")],
        [[m["month"], m["plans_approved"], m["plans_approved_cumulative"],
          m["recovered_ha_cumulative"], m["compensation_vnd_cumulative"]]
         for m in s.get("by_month") or []],
        ["text", "int", "int", "ha", "int"]), bold, fill)
    for sheet in (wd, mo):
        sheet.column_dimensions["A"].width = 22
        for col in range(2, 7):
            sheet.column_dimensions[get_column_letter(col)].width = 20
    if report.figure is not None:
        mp = wb.create_sheet(w("sheet_map"))
        mp.append([sketch(report.figure, lang, i18n.place_label(report.stats, lang)).title])
        mp["A1"].font = Font(bold=True, size=12)
        mp.add_image(XLImage(io.BytesIO(render_png(report.figure, 900, lang, i18n.place_label(report.stats, lang)))), "A3")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# ----------------------------------------------------------------------------- one entry


def render(report: Report, fmt: str) -> bytes:
    """The report in one of FORMATS, as the bytes served or written."""
    if fmt == "pdf":
        return render_pdf(report)
    if fmt == "xlsx":
        return render_xlsx(report)
    if fmt == "md":
        return render_markdown(report).encode()
    if fmt == "json":
        return orjson.dumps(report.stats)
    if fmt == "text":
        return render_text(report.stats, report.lang).encode()
    raise ValueError(f"unknown report format {fmt!r}; one of {', '.join(FORMATS)}")


def write_report(conn: Connection, district: str, date_from: dt.date, date_to: dt.date,
                 ward: str | None, as_of: dt.date | None, fmt: str, lang: str = "vi",
                 out: Path | None = None) -> tuple[str | None, Path | None]:
    """Produce a report for the command line: (text to print, or the file written).

    PDF and XLSX go to `out`, or to a file named after the district and period in the current
    folder; Markdown written to a file gets its map figure as a PNG beside it.
    """
    if fmt in ("text", "json"):
        body = clearance_stats(conn, district, date_from, date_to, ward, as_of)
        if fmt == "text":
            body = render_text(orjson.loads(body), lang)
        if out is None:
            return body, None
        out.write_text(body + "\n", encoding="utf-8")
        return None, out
    report = build_report(conn, district, date_from, date_to, ward, as_of, lang,
                          with_figure=fmt != "md" or out is not None)
    if fmt == "md":
        if out is None:
            return render_markdown(report), None
        figure = None
        if report.figure is not None:
            figure = out.with_suffix(".png")
            figure.write_bytes(render_png(report.figure, lang=lang,
                                          place=i18n.place_label(report.stats, lang)))
        out.write_text(render_markdown(report, figure.name if figure else None), encoding="utf-8")
        return None, out
    path = out or Path(f"{report.file_stem}.{fmt}")
    path.write_bytes(render(report, fmt))
    return None, path
