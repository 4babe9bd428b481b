"""The report's PDF: Vietnamese text, headers on every page, whole dates, headings kept."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image

from core import i18n
from layers.reports import Report, Table, build_report, report_from_stats
from maps.report import cell_text, render, render_markdown, render_pdf

H1 = {"district": "long-bien", "from": "2022-01-01", "to": "2022-06-30"}
DATE = re.compile(r"\b\d{2}/\d{2}/\d{4}\b")
CODE = re.compile(r"\b[A-Z]{2,3}-\d{4}-\d{3}\b")
# What is left of a date or a project code cut at the end of a line.
CUT = re.compile(r"\b\d{2}/\d{2}/\d{0,3}(?!\d)|\b\d{2}/\d{0,1}$|\b[A-Z]{2,3}-\d{4}-\d{0,2}(?!\d)",
                 re.MULTILINE)


def _pages(pdf: Path) -> list[str]:
    """The text of each page, laid out as printed."""
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                         capture_output=True, text=True).stdout
    return out.split("\f")[:-1]


def _write(tmp_path: Path, report: Report, name: str = "report.pdf") -> Path:
    pdf = tmp_path / name
    pdf.write_bytes(render_pdf(report))
    return pdf


def _tables(report: Report) -> list[Table]:
    return [body for kind, body in report.blocks if kind == "table"]


def _headings(report: Report) -> set[str]:
    return {report.title, *report.subtitle, *(b for k, b in report.blocks if k == "h2")}


def _squash(s: str) -> str:
    return " ".join(s.split())


@pytest.fixture
def hbt(conn) -> Report:
    """Hai Bà Trưng over five years: 58 months, 20 wards, tables longer than a page."""
    return build_report(conn, "hai-ba-trung", dt.date(2011, 1, 1), dt.date(2015, 12, 31))


def test_pdf_opens_and_speaks_vietnamese(client, tmp_path) -> None:
    r = client.get("/reports/clearance", params={**H1, "format": "pdf"})
    assert r.status_code == 200 and r.content[:5] == b"%PDF-"
    pdf = tmp_path / "h1.pdf"
    pdf.write_bytes(r.content)
    text = _squash(" ".join(_pages(pdf)))
    for phrase in ("BÁO CÁO KẾT QUẢ CÔNG TÁC GIẢI PHÓNG MẶT BẰNG",
                   "Quận Long Biên — 6 tháng đầu năm 2022", "Tiến độ lũy kế theo tháng",
                   "Dự án hoàn thành GPMB vượt tiến độ", "đã phê duyệt 405 phương án",
                   "thu hồi diện tích 3,80 ha", "Phúc Đồng", "Đường Hồng Tiến kéo dài",
                   "Dự án trọng điểm (viền)"):
        assert phrase in text, phrase
    info = dict(line.split(":", 1) for line in subprocess.run(
        ["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout.splitlines())
    assert info["Page size"].strip() == "595.276 x 841.89 pts (A4)"
    assert info["Title"].strip() == ("BÁO CÁO KẾT QUẢ CÔNG TÁC GIẢI PHÓNG MẶT BẰNG — "
                                     "Quận Long Biên — 6 tháng đầu năm 2022")
    # One page rendered to a picture, to look at: an A4 page at 60 dpi, mostly white paper.
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", str(pdf),
                    str(tmp_path / "page")], check=True)
    png = next(tmp_path.glob("page*.png"))
    with Image.open(png) as img:
        assert img.size == (pytest.approx(496, abs=2), pytest.approx(702, abs=2))
        white = sum(img.convert("L").histogram()[241:])
        assert 0.75 < white / (img.size[0] * img.size[1]) < 0.99


def test_tables_repeat_their_header_on_every_page(hbt, tmp_path) -> None:
    pages = _pages(_write(tmp_path, hbt))
    months = next(t for t in _tables(hbt) if t.kinds == ["text", "int", "int", "ha", "bn"]
                  and str(t.rows[0][0]).startswith("20"))
    row = re.compile(r"^\s*(20\d\d-\d\d)\s", re.MULTILINE)
    spanned = [p for p in pages if row.search(p)]
    assert len(spanned) >= 2, "the month table should be longer than a page"
    header = Counter(" ".join(months.headers).split())  # a header cell may wrap
    for page in spanned:
        above = Counter(page[:row.search(page).start()].split())
        assert not header - above, page[:row.search(page).start()]
    assert sorted(m for p in spanned for m in row.findall(p)) == [r[0] for r in months.rows]


@pytest.mark.parametrize("case", ["long-bien H1 2022", "hai-ba-trung 2011-2015"])
def test_dates_and_codes_stay_whole(conn, tmp_path, case) -> None:
    district, period = case.split(" ", 1)
    if period == "H1 2022":
        start, end = dt.date(2022, 1, 1), dt.date(2022, 6, 30)
    else:
        start, end = dt.date(2011, 1, 1), dt.date(2015, 12, 31)
    report = build_report(conn, district, start, end)
    text = "\n".join(_pages(_write(tmp_path, report)))
    assert not CUT.findall(text)
    dates: Counter[str] = Counter()
    codes: Counter[str] = Counter()
    for t in _tables(report):
        for r in t.rows:
            for v, kind, head in zip(r, t.kinds, t.headers, strict=True):
                if kind == "date" and v:
                    dates[cell_text(v, kind, "vi")] += 1
                elif head == "Mã":
                    codes[v] += 1
    assert dates and codes
    found_dates, found_codes = Counter(DATE.findall(text)), Counter(CODE.findall(text))
    for token, n in [*dates.items(), *codes.items()]:
        assert (found_dates | found_codes)[token] >= n, token


def test_a_heading_is_never_the_last_line_of_a_page(conn, hbt, tmp_path) -> None:
    """Reports of every length (a table cut row by row) keep each heading with what follows."""
    long_bien = build_report(conn, "long-bien", dt.date(2022, 1, 1), dt.date(2022, 6, 30))
    reports = [hbt, long_bien]
    for n in range(1, 21):  # slide the headings that follow the ward table down the page
        stats = {**hbt.stats, "by_ward": hbt.stats["by_ward"][:n]}
        reports.append(report_from_stats(stats, "vi", hbt.figure))
    pushed = 0
    for i, report in enumerate(reports):
        headings = {_squash(h) for h in _headings(report)}
        pages = _pages(_write(tmp_path, report, f"r{i}.pdf"))
        for page in pages[:-1]:
            lines = [_squash(s) for s in page.splitlines() if s.strip()]
            assert lines[-1] not in headings, (i, lines[-3:])
        # A heading that did not fit with its first lines opened the next page instead.
        tops = [[_squash(s) for s in p.splitlines() if s.strip()][:2] for p in pages[1:]]
        pushed += sum(any(s in headings for s in top) for top in tops)
    assert pushed


def test_render_gives_every_format(hbt) -> None:
    assert render(hbt, "pdf")[:5] == b"%PDF-"
    assert render(hbt, "xlsx")[:2] == b"PK"
    assert render(hbt, "md").decode() == render_markdown(hbt)
    assert render(hbt, "text").decode().startswith(
        "Tiến độ giải phóng mặt bằng — quận Hai Bà Trưng, từ 01/01/2011 đến 31/12/2015")
    with pytest.raises(ValueError):
        render(hbt, "doc")


def test_formats_of_numbers_and_days() -> None:
    assert i18n.number(1315) == "1.315" and i18n.number(3.8, 2, "en") == "3.80"
    assert i18n.day_text("2022-06-30") == "30/06/2022" and i18n.day_text(None) == ""
    assert i18n.period_text(dt.date(2022, 7, 1), dt.date(2022, 12, 31)) == "6 tháng cuối năm 2022"
