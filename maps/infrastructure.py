"""The infrastructure report rendered: Markdown, PDF (reportlab) and XLSX (openpyxl).

The content comes from layers.infrastructure; the Markdown and PDF layouts are the clearance
report's (maps.report), so both reports look alike. The workbook holds the report sheet, then
one sheet per table with numbers kept as numbers.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import orjson
from sqlalchemy import Connection

from layers.infrastructure import build_infrastructure_report, infrastructure_stats, word
from layers.reports import Report
from maps import report as R

FORMATS = ("text", "json", "md", "pdf", "xlsx")
MEDIA_TYPES = R.MEDIA_TYPES


def render_xlsx(report: Report) -> bytes:
    """The report as a workbook: every heading, paragraph and table on the report sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor=R.HEADER_FILL.lstrip("#").upper())
    wb = Workbook()
    ws = wb.active
    ws.title = word("sheet_report", report.lang)
    ws.append([report.title])
    ws["A1"].font = Font(bold=True, size=14)
    for line in report.subtitle:
        ws.append([line])
    R.xlsx_blocks(ws, report.blocks, bold, fill)
    ws.column_dimensions["A"].width = 46
    for col in range(2, 9):
        ws.column_dimensions[get_column_letter(col)].width = 18
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def render(report: Report, fmt: str) -> bytes:
    """The report in one of FORMATS, as the bytes served or written."""
    if fmt == "pdf":
        return R.render_pdf(report)
    if fmt == "xlsx":
        return render_xlsx(report)
    if fmt in ("md", "text"):
        return R.render_markdown(report).encode()
    if fmt == "json":
        return orjson.dumps(report.stats)
    raise ValueError(f"unknown report format {fmt!r}; one of {', '.join(FORMATS)}")


def write_infrastructure_report(conn: Connection, district: str, date_from: dt.date,
                                date_to: dt.date, ward: str | None, as_of: dt.date | None,
                                fmt: str, lang: str = "vi", out: Path | None = None
                                ) -> tuple[str | None, Path | None]:
    """Produce the report for the command line: (text to print, or the file written)."""
    if fmt == "json":
        body = infrastructure_stats(conn, district, date_from, date_to, ward, as_of)
        if out is None:
            return body, None
        out.write_text(body + "\n", encoding="utf-8")
        return None, out
    report = build_infrastructure_report(conn, district, date_from, date_to, ward, as_of, lang)
    if fmt in ("md", "text") and out is None:
        return R.render_markdown(report), None
    path = out or Path(f"{report.file_stem}.{fmt}")
    path.write_bytes(render(report, fmt))
    return None, path

