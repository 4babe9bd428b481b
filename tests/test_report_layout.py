"""The report as printed: pages rendered to PNG, whole tokens in cells, the late projects listed."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from layers.reports import Report, Table, build_report
from maps.report import render_markdown, render_pdf, render_text

SCREENSHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
# What is left of a date or a project code cut inside a cell: "30/06/202", "HBT-2011-00".
CUT = re.compile(r"\b\d{2}/\d{2}/\d{1,3}(?![\d/])|\b[A-Z]{2,3}-\d{4}-\d{1,2}(?![\d])")


def _pdf_text(pdf: Path) -> list[str]:
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                         capture_output=True, text=True).stdout
    return out.split("\f")[:-1]


@pytest.fixture
def h1(conn) -> Report:
    """Long Biên, first half of 2022: the sample's reporting period."""
    return build_report(conn, "long-bien", dt.date(2022, 1, 1), dt.date(2022, 6, 30))


def _late(report: Report) -> Table:
    heads = [body for kind, body in report.blocks if kind == "h2"]
    late_head = next(h for h in heads if "chậm tiến độ" in h)
    i = report.blocks.index(("h2", late_head))
    kind, table = report.blocks[i + 1]
    assert kind == "table"
    return table


def test_a_project_past_its_target_date_is_listed_as_late(h1) -> None:
    table = _late(h1)
    rows = {r[0]: r for r in table.rows}
    # Due 17/12/2021, still in progress at the end of June 2022: 195 days late.
    assert rows["LB-2020-022"][4] == "2021-12-17" and rows["LB-2020-022"][5] == 195
    assert all(r[2] != "Đã hoàn thành" for r in table.rows)
    days = [r[5] for r in table.rows]
    assert days == sorted(days, reverse=True)
    assert h1.stats["projects_behind_schedule"] == len(table.rows)
    md = render_markdown(h1)
    assert "| LB-2020-022 | Cải tạo, mở rộng đường Lý Sơn | Đang thực hiện | 6/42 | 17/12/2021 | 195 |" in md
    assert f"{len(table.rows)} dự án chậm tiến độ" in md


def test_late_projects_as_of_a_day(conn) -> None:
    """As the history stood on 10/01/2022 the project was already late, by 24 days."""
    report = build_report(conn, "long-bien", dt.date(2022, 1, 1), dt.date(2022, 6, 30),
                          as_of=dt.date(2022, 1, 10), with_figure=False)
    rows = {r[0]: r for r in _late(report).rows}
    assert rows["LB-2020-022"][5] == 24  # 17/12/2021 to 10/01/2022
    assert "LB-2019-002" not in rows  # due 11/03/2022: not yet late on 10/01/2022


def test_counts_amounts_and_dates_are_written_the_vietnamese_way(h1) -> None:
    text = render_text(h1.stats)
    assert "từ 01/01/2022 đến 30/06/2022" in text
    assert "405/1.315" in text and "3,80 ha" in text and "182,9 tỷ đồng" in text
    md = render_markdown(h1)
    assert "đối với 2 dự án vượt tiến độ" in md and "00 dự án" not in md
    en = render_text(h1.stats, "en")
    assert "405 of 1,315" in en and "182.9 billion VND" in en


def test_report_pages_render_with_whole_tokens(h1, conn, tmp_path) -> None:
    hbt = build_report(conn, "hai-ba-trung", dt.date(2011, 1, 1), dt.date(2015, 12, 31))
    for name, report in (("long-bien", h1), ("hai-ba-trung", hbt)):
        pdf = tmp_path / f"{name}.pdf"
        pdf.write_bytes(render_pdf(report))
        pages = _pdf_text(pdf)
        assert not CUT.findall("\n".join(pages)), CUT.findall("\n".join(pages))[:5]
        # Every page rendered to a picture in the test's folder, to look at.
        subprocess.run(["pdftoppm", "-r", "50", "-png", str(pdf), str(tmp_path / name)],
                       check=True)
        pngs = sorted(tmp_path.glob(f"{name}-*.png"))
        assert len(pngs) == len(pages) >= 2
        for png in pngs:
            with Image.open(png) as img:
                grey = img.convert("L")
                ink = sum(grey.histogram()[:200])
                assert ink > 0.005 * img.size[0] * img.size[1], png.name  # no blank page
        # The late table on the page it starts: header and first row come with its heading.
        late_page = next(p for p in pages if "chậm tiến độ (quá thời hạn" in p)
        after = late_page.split("chậm tiến độ (quá thời hạn", 1)[1]
        assert "Quá" in after and "(ngày)" in after and re.search(r"[A-Z]{2,3}-\d{4}-\d{3}", after)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-singlefile", "-f", "2", "-l", "2",
                    str(tmp_path / "long-bien.pdf"), str(SCREENSHOTS / "report-page")], check=True)
    assert (SCREENSHOTS / "report-page.png").stat().st_size < 300_000
