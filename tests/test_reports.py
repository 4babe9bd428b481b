"""The semi-annual report: Markdown, PDF and XLSX carry the same figures as /stats/clearance."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from cli.main import main
from core.i18n import number

H1 = {"district": "long-bien", "from": "2022-01-01", "to": "2022-06-30"}
H1_ARGS = ["--district", "long-bien", "--from", "2022-01-01", "--to", "2022-06-30"]


@pytest.fixture
def cli_env(database_url: str) -> dict[str, str]:
    return {"DATABASE_URL": database_url}


def _stats(client, **params) -> dict:
    return client.get("/stats/clearance", params={**H1, **params}).json()


def _headline(s: dict) -> list[str]:
    """The summary's figures, as the Vietnamese report writes them."""
    return [f"tại {s['projects']} dự án", f"({s['projects_budget']} dự án vốn ngân sách",
            f"{s['projects_non_budget']} dự án vốn ngoài ngân sách)",
            f"với {number(s['plans_total'])} phương án cần phê duyệt",
            f"đã phê duyệt {number(s['plans_approved'])} phương án",
            f"thu hồi diện tích {number(s['recovered_ha'], 2)} ha",
            f"số tiền bồi thường, hỗ trợ {number(s['compensation_vnd'] / 1e9, 1)} tỷ đồng",
            f"đối với {s['projects_ahead_of_schedule']} dự án vượt tiến độ"]


@pytest.mark.parametrize("as_of", [None, "2022-03-31"])
def test_markdown_report_says_what_the_stats_say(client, as_of) -> None:
    extra = {"as_of": as_of} if as_of else {}
    s = _stats(client, **extra)
    r = client.get("/reports/clearance", params={**H1, **extra, "format": "md"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/markdown")
    md = r.text
    assert md.startswith("# BÁO CÁO KẾT QUẢ CÔNG TÁC GIẢI PHÓNG MẶT BẰNG")
    assert "Quận Long Biên — 6 tháng đầu năm 2022" in md
    for phrase in _headline(s):
        assert phrase in md, phrase
    for w in s["by_ward"]:
        row = (f"| {w['ward']} | {w['projects']} | {number(w['plans_total'])} | "
               f"{number(w['plans_approved'])} | {number(w['recovered_ha'], 2)} | "
               f"{number(w['compensation_vnd'] / 1e9, 1)} |")
        assert row in md, row
    for p in s["project_list"]:
        if p["is_key"] or p["has_complaints"]:
            assert f"| {p['code']} | {p['name']} |" in md
    streets = s["civilized_streets"]
    assert f"Thực hiện {streets['planned']} tuyến đường" in md
    assert "map.png?" in md
    if as_of:
        assert "đến hết ngày 31/03/2022" in md
        assert s["plans_approved"] == 205
    else:
        assert s["plans_approved"] == 405 and "182,9 tỷ đồng" in md and "3,80 ha" in md


def test_report_json_is_the_stats(client, cli_env) -> None:
    api = client.get("/reports/clearance", params={**H1, "format": "json"}).json()
    assert api == _stats(client)
    cli = CliRunner().invoke(main, ["report", *H1_ARGS, "--format", "json", "--as-of",
                                    "2022-03-31"], env=cli_env)
    assert cli.exit_code == 0, cli.output
    assert orjson.loads(cli.output) == _stats(client, as_of="2022-03-31")


def test_xlsx_opens_and_holds_the_figures(client) -> None:
    s = _stats(client)
    r = client.get("/reports/clearance", params={**H1, "format": "xlsx"})
    assert r.status_code == 200
    assert "attachment" in r.headers["content-disposition"]
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["Báo cáo", "Dự án", "Theo phường", "Theo tháng", "Bản đồ"]
    report = wb["Báo cáo"]
    figures = {row[0]: row[1] for row in report.iter_rows(min_row=1, max_col=2, values_only=True)
               if isinstance(row[0], str)}
    assert figures["Số dự án triển khai"] == s["projects"] == 64
    assert figures["Dự án vốn ngân sách"] == s["projects_budget"]
    assert figures["Phương án cần phê duyệt"] == s["plans_total"]
    assert figures["Phương án đã phê duyệt"] == s["plans_approved"] == 405
    assert figures["Diện tích đất đã thu hồi (ha)"] == pytest.approx(s["recovered_ha"])
    assert figures["Kinh phí bồi thường, hỗ trợ (đồng)"] == s["compensation_vnd"]
    assert figures["Dự án hoàn thành vượt tiến độ"] == s["projects_ahead_of_schedule"]
    assert figures["Tuyến phố văn minh thực hiện trong năm"] == 14
    wards = list(wb["Theo phường"].iter_rows(min_row=2, values_only=True))
    assert [w[0] for w in wards[:-1]] == [w["ward"] for w in s["by_ward"]]
    assert [w[3] for w in wards[:-1]] == [w["plans_approved"] for w in s["by_ward"]]
    assert wards[-1][3] == s["plans_approved"]
    projects = list(wb["Dự án"].iter_rows(min_row=2, values_only=True))
    assert len(projects) == s["projects"]
    assert sum(p[11] for p in projects) == s["plans_approved"]
    months = list(wb["Theo tháng"].iter_rows(min_row=2, values_only=True))
    assert months[-1][2] == s["plans_approved"]
    assert len(wb["Bản đồ"]._images) == 1


def _pdftotext(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout


def test_pdf_opens_and_holds_the_figures(client, cli_env, tmp_path, monkeypatch) -> None:
    s = _stats(client)
    monkeypatch.chdir(tmp_path)  # without --out the report lands in the current folder
    result = CliRunner().invoke(main, ["report", *H1_ARGS, "--format", "pdf"], env=cli_env)
    assert result.exit_code == 0, result.output
    pdf = tmp_path / "bao-cao-gpmb-long-bien-2022-01-01-2022-06-30.pdf"
    assert pdf.name in result.output and pdf.read_bytes()[:5] == b"%PDF-"
    body = " ".join(_pdftotext(pdf).split())
    fonts = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True,
                           text=True).stdout
    images = subprocess.run(["pdfimages", "-list", str(pdf)], check=True,
                            capture_output=True, text=True).stdout
    assert "BÁO CÁO KẾT QUẢ CÔNG TÁC GIẢI PHÓNG MẶT BẰNG" in body
    for phrase in _headline(s):
        assert " ".join(phrase.split()) in body, phrase
    assert "405 phương án" in body and "3,80 ha" in body and "182,9 tỷ đồng" in body
    for w in s["by_ward"]:
        assert w["ward"] in body
    assert "Bồ Đề" in body and "Dự án trọng điểm" in body
    # The font is embedded and the map is vector paths, not a picture.
    assert "DejaVuSans" in fonts and all(
        line.split()[-5] == "yes" for line in fonts.splitlines()[2:] if line.strip())
    assert len(images.splitlines()) == 2  # header lines only


def test_markdown_and_english_from_the_command_line(cli_env, tmp_path) -> None:
    out = tmp_path / "bao-cao.md"
    r = CliRunner().invoke(main, ["report", *H1_ARGS, "--format", "md", "--out", str(out)],
                           env=cli_env)
    assert r.exit_code == 0, r.output
    md = out.read_text(encoding="utf-8")
    assert "![" in md and "(bao-cao.png)" in md
    assert (tmp_path / "bao-cao.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    en = CliRunner().invoke(main, ["report", *H1_ARGS, "--format", "md", "--lang", "en"],
                            env=cli_env)
    assert "In the first half of 2022" in en.output and "405 plans were approved" in en.output
    assert "182.9 billion" in en.output and "Phương án" not in en.output


def test_map_figure_and_bad_requests(client) -> None:
    png = client.get("/reports/clearance/map.png", params=H1)
    assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert client.get("/reports/clearance", params={**H1, "format": "doc"}).status_code == 400
    reversed_ = client.get("/reports/clearance", params={**H1, "from": "2022-07-01"})
    assert reversed_.status_code == 400 and "before" in reversed_.json()["description_en"]
    assert client.get("/reports/clearance", params={**H1, "to": ""}).status_code == 400
    nowhere = client.get("/reports/clearance", params={**H1, "district": "nowhere",
                                                       "format": "pdf"})
    assert nowhere.status_code == 404
