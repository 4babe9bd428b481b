"""Prints of any area: scales up to 1:25,000 and beyond, A4 to A0, a scale chosen to fit a unit,
atlases of sheets with an index, and refusals that suggest what would print."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from core.errors import InvalidParameterError
from maps import atlas, pdf
from maps.export import ContentRequest

SCREENSHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


def _pdf(client, tmp_path: Path, path: str, name: str, **params: str) -> Path:
    r = client.get(path, params=params)
    assert r.status_code == 200, r.text
    assert r.content[:5] == b"%PDF-"
    out = tmp_path / name
    out.write_bytes(r.content)
    return out


def _info(pdf_path: Path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", str(pdf_path)], check=True, capture_output=True,
                         text=True).stdout
    return {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in out.splitlines())}


def _text(pdf_path: Path, first: int = 1, last: int = 1) -> str:
    out = subprocess.run(["pdftotext", "-f", str(first), "-l", str(last), str(pdf_path), "-"],
                         check=True, capture_output=True, text=True).stdout
    return " ".join(out.split())


def test_a0_at_1_25000_is_accepted(client, tmp_path) -> None:
    path = _pdf(client, tmp_path, "/exports/map.pdf", "a0.pdf", center="21.04,105.89",
                scale="1:25000", paper="A0", layers="wards,projects")
    assert _info(path)["Page size"].startswith("3370.39 x 2383.94 pts")  # A0 landscape
    text = _text(path)
    assert "TỶ LỆ 1:25.000" in text and "khổ A0" in text


def test_the_scale_chosen_for_long_bien_on_a3_is_standard_and_printed(client, tmp_path) -> None:
    path = _pdf(client, tmp_path, "/exports/map.pdf", "long-bien-a3.pdf", district="long-bien",
                paper="A3")
    text = _text(path)
    found = [s for s in pdf.SCALES if f"TỶ LỆ 1:{s:,}".replace(",", ".") in text]
    assert found == [50000]  # 10 × 9 km on a 30 × 26 cm frame
    assert "Tỷ lệ tự chọn để vừa khổ A3" in text
    # A ward fits a larger scale, and a bigger paper a larger one too.
    ward = _text(_pdf(client, tmp_path, "/exports/map.pdf", "bo-de.pdf", district="long-bien",
                      ward="Bồ Đề", paper="A3"))
    assert "TỶ LỆ 1:10.000" in ward and "Phường Bồ Đề" in ward
    a1 = _text(_pdf(client, tmp_path, "/exports/map.pdf", "lb-a1.pdf", district="long-bien",
                    paper="A1", lang="en"))
    assert "SCALE 1:25,000" in a1 and "Scale chosen to fit A1 paper" in a1


def test_an_area_too_big_suggests_what_would_print_it(client) -> None:
    r = client.get("/exports/map.pdf", params={"district": "long-bien", "paper": "A4"})
    assert r.status_code == 400
    body = r.json()
    assert "khổ A3" in str(body) and "atlas" in str(body)
    # Larger than any paper at 1:500: no paper is suggested, the scale and the atlas are.
    r = client.get("/exports/map.pdf", params={"district": "long-bien", "paper": "A0",
                                                "scale": "500"})
    assert r.status_code == 400
    text = str(r.json())
    assert "larger paper" not in text and "khổ giấy lớn hơn" not in text
    assert "1:25.000" in text and "atlas.pdf" in text
    r = client.get("/exports/map.pdf", params={"center": "21.04,105.89", "scale": "2000",
                                                "paper": "A5"})
    assert r.status_code == 400 and "Khổ giấy 'A5' không hợp lệ" in str(r.json())
    assert "center" not in str(r.json()).split("không hợp lệ")[0]


def test_an_atlas_has_an_index_and_one_page_per_sheet(client, tmp_path) -> None:
    path = _pdf(client, tmp_path, "/exports/atlas.pdf", "atlas.pdf", district="long-bien",
                ward="Bồ Đề", scale="2000", paper="A3")
    pages = int(_info(path)["Pages"])
    index = _text(path, 1, 1)
    assert "SƠ ĐỒ PHÂN MẢNH" in index and "tỷ lệ 1:2.000, khổ A3" in index
    sheets = pages - 1
    assert sheets >= 4 and f"{sheets} tờ" in index
    for n in range(1, sheets + 1):
        assert str(n) in index.split()
    first, last = _text(path, 2, 2), _text(path, pages, pages)
    assert f"Tờ số 1/{sheets}" in first and f"Tờ số {sheets}/{sheets}" in last
    assert "TỶ LỆ 1:2.000" in first
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for page, name in ((1, "atlas-index"), (2, "atlas-sheet")):
        subprocess.run(["pdftoppm", "-r", "45", "-png", "-singlefile", "-f", str(page), "-l",
                        str(page), str(path), str(SCREENSHOTS / name)], check=True)
        assert (SCREENSHOTS / f"{name}.png").stat().st_size < 300_000


def test_a_whole_district_atlas_at_1_2000_is_laid_out(conn, settings) -> None:
    req = pdf.SheetRequest(paper="A1", scale=2000, content=ContentRequest(district="long-bien"))
    plan = atlas.plan_atlas(conn, req, settings.storage_srid)
    assert 30 <= len(plan.cells) <= 80  # 10 × 9 km on 1.3 × 1.1 km sheets, empty corners left out
    too_many = pdf.SheetRequest(paper="A4", scale=500, content=ContentRequest(district="long-bien"))
    with pytest.raises(InvalidParameterError) as err:
        atlas.plan_atlas(conn, too_many, settings.storage_srid)
    assert "quá 300 tờ" in err.value.message and "one ward" in err.value.message_en
