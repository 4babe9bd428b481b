"""The infrastructure report: the seeds' figures come out of the data, the targets out of a table.

Each test states the seed's figure; /stats/infrastructure, /reports/infrastructure and
`quyhoach report --topic infrastructure` compute it from the layers' geometry and attributes.
"""

from __future__ import annotations

import io
import subprocess
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import Connection, text

from cli.main import main

LB_2022_H1 = {"district": "long-bien", "from": "2022-01-01", "to": "2022-06-30"}
HBT_2006_2010 = {"district": "hai-ba-trung", "from": "2006-01-01", "to": "2010-12-31"}
HBT_2011_2015 = {"district": "hai-ba-trung", "from": "2011-01-01", "to": "2015-12-31"}


def _stats(client, params: dict[str, str], **more: str) -> dict[str, Any]:
    r = client.get("/stats/infrastructure", params={**params, **more})
    assert r.status_code == 200, r.text
    return r.json()


def _by(rows: list[dict[str, Any]], key: str) -> dict[Any, dict[str, Any]]:
    return {r[key]: r for r in rows}


def _targets(s: dict[str, Any]) -> dict[tuple[str, str | None], dict[str, Any]]:
    return {(t["indicator"], t["ward"]): t for t in s["targets"]}


def test_long_bien_2022_green_spaces_maintained_and_workshops_listed(client) -> None:
    s = _stats(client, LB_2022_H1)
    green = _by(s["green"]["by_kind"], "kind")
    # "45 vườn hoa, tiểu cảnh và 5 dải phân cách các tuyến đường được duy tu, duy trì"
    assert green["flower_garden"]["maintained"] + green["landscape_feature"]["maintained"] == 45
    assert green["median_strip"]["maintained"] == 5
    # "19 cơ sở sản xuất đồ mộc, 19 cơ sở giặt là, 169 cơ sở gia công cơ khí, sắt vụn"
    assert s["facilities"]["by_kind"] == {"woodworking": 19, "laundry": 19,
                                          "metalwork_scrap": 169}
    wards = s["facilities"]["by_ward"]
    assert len(wards) == 14 and sum(w["total"] for w in wards) == 207
    assert s["targets"] == [] and s["programmes"] == []


def test_hai_ba_trung_by_2010_streets_alleys_and_lighting(client) -> None:
    s = _stats(client, HBT_2006_2010)
    roads = _by(s["roads"], "surface")
    # "90 tuyến phố thảm nhựa và 821 đường, ngõ, xóm bê tông hóa"
    assert roads["asphalt"]["count"] == 90
    assert roads["concrete"]["count"] == 821
    # "tổng chiều dài 92km có chiều rộng ≥ 2m đã được lắp đặt 2.649 bóng"
    two_metres = _by(s["lighting"], "min_width_m")[2]
    assert two_metres["lit_km"] == pytest.approx(92.0, abs=0.001)
    assert two_metres["lamps"] == 2649


def test_hai_ba_trung_2006_2010_public_facilities_built(client) -> None:
    kinds = _by(_stats(client, HBT_2006_2010)["public_facilities"]["by_kind"], "kind")
    # "10 trạm y tế, 10 trường mầm non và mẫu giáo, 7 trường Tiểu học và THCS,
    #  8 trụ sở cơ quan hành chính, 18 nhà văn hóa"
    assert kinds["health_station"]["total"] == 10
    assert kinds["kindergarten"]["total"] == 10
    assert kinds["primary_school"]["total"] + kinds["lower_secondary_school"]["total"] == 7
    assert kinds["administrative_office"]["total"] == 8
    assert kinds["cultural_house"]["total"] == 18
    assert all(k["new"] + k["renovation"] == k["total"] for k in kinds.values())


@pytest.mark.parametrize(("year", "rate"), [("2006", 65.7), ("2010", 97.1)])
def test_permit_rate_of_a_year(client, year: str, rate: float) -> None:
    # "năm 2006 tỷ lệ xây dựng có phép là 65.70% đến năm 2010 là 97.1%"
    s = _stats(client, {"district": "hai-ba-trung", "from": f"{year}-01-01",
                        "to": f"{year}-12-31"})
    assert s["permits"]["total"]["permit_rate_pct"] == rate
    assert [r["year"] for r in s["permits"]["by_year"]] == [int(year)]


def test_2011_2015_results_against_the_programme_targets(client) -> None:
    s = _stats(client, HBT_2011_2015)
    assert [p["programme"] for p in s["programmes"]] == ["12-CTr/QU"]
    t = _targets(s)
    # "Tỷ lệ cấp giấy phép xây dựng đạt trên 98%, kiểm soát 100% các trường hợp vi phạm"
    assert t[("permit_rate_pct", None)]["min"] == 98
    assert t[("permit_rate_pct", None)]["actual"] >= 98 and t[("permit_rate_pct", None)]["met"]
    assert t[("violations_controlled_pct", None)]["actual"] == 100
    assert t[("violations_controlled_pct", None)]["met"] is True
    # The permit rate climbs year by year from 2010's 97.1%.
    rates = [r["permit_rate_pct"] for r in s["permits"]["by_year"]]
    assert rates == sorted(rates) and rates[0] > 97.1
    # "Phấn đấu tăng thêm từ 1 đến 3 ha diện tích ... mặt nước, vườn hoa cây xanh"
    green = t[("green_water_added_ha", None)]
    assert (green["min"], green["max"]) == (1, 3) and green["met"] is True
    assert 1 <= s["green"]["added_ha"] <= 3
    assert s["green"]["added_water_ha"] > 0 and s["green"]["added_green_ha"] > 0
    # "07 trường đạt chuẩn quốc gia ... xây dựng mới 08 trường học": planned, partly completed.
    assert t[("schools_national_standard", None)]["min"] == 7
    assert 0 < t[("schools_national_standard", None)]["actual"] < 7
    assert t[("new_schools", None)]["min"] == 8
    assert 0 < t[("new_schools", None)]["actual"] < 8
    planned = s["public_facilities"]["planned"]
    assert any(p["done"] for p in planned) and not all(p["done"] for p in planned)
    # "trạm y tế phường Quỳnh Mai, Phố Huế": one completed, one not yet.
    assert t[("health_stations", "Quỳnh Mai")]["met"] is True
    assert t[("health_stations", "Phố Huế")]["met"] is False
    # Lighting reaches alleys from 1.5 m wide; some of them are still unlit.
    lighting = _by(s["lighting"], "min_width_m")
    assert lighting[1.5]["lit_in_period_km"] > 0 and lighting[1.5]["unlit_km"] > 0
    assert t[("alleys_lit_pct", None)]["param"] == 1.5
    assert t[("alleys_lit_pct", None)]["met"] is False


def test_the_targets_are_read_from_the_table(tx_client, conn: Connection) -> None:
    before = _targets(_stats(tx_client, HBT_2011_2015))[("green_water_added_ha", None)]
    conn.execute(text("UPDATE programme_targets SET target_min = 5, target_max = NULL "
                      "WHERE indicator = 'green_water_added_ha'"))
    after = _targets(_stats(tx_client, HBT_2011_2015))[("green_water_added_ha", None)]
    assert (before["met"], after["met"]) == (True, False)
    assert (after["min"], after["max"]) == (5, None) and after["actual"] == before["actual"]


def test_as_of_ends_the_period_on_that_day(client) -> None:
    whole = _stats(client, HBT_2006_2010)
    early = _stats(client, HBT_2006_2010, as_of="2008-12-31")
    assert early["as_of"] == "2008-12-31"
    assert [r["year"] for r in early["permits"]["by_year"]] == [2006, 2007, 2008]
    assert _by(early["roads"], "surface")["asphalt"]["count"] < 90
    lit = [_by(d["lighting"], "min_width_m")[2]["lit_km"] for d in (early, whole)]
    assert lit[0] < lit[1] == pytest.approx(92.0, abs=0.001)


def test_a_ward_report_holds_that_ward_only(client) -> None:
    district = _stats(client, LB_2022_H1)
    bo_de = _stats(client, LB_2022_H1, ward="Bồ Đề")
    row = _by(district["facilities"]["by_ward"], "ward")["Bồ Đề"]
    assert bo_de["facilities"]["by_ward"] == [row]
    assert bo_de["facilities"]["total"] == row["total"] < 207
    quynh_mai = _stats(client, HBT_2011_2015, ward="Quỳnh Mai")
    assert [(t["indicator"], t["ward"]) for t in quynh_mai["targets"]] == [
        ("health_stations", "Quỳnh Mai")]


def test_bad_parameters_are_refused_in_both_languages(client) -> None:
    r = client.get("/reports/infrastructure", params={**HBT_2011_2015, "format": "docx"})
    assert r.status_code == 400
    assert "không hỗ trợ" in r.json()["description_vi"]
    assert "Unsupported format" in r.json()["description_en"]
    r = client.get("/stats/infrastructure", params={**HBT_2011_2015, "district": "atlantis"})
    assert r.status_code == 404


def test_report_formats_carry_the_same_figures(client, tmp_path: Path) -> None:
    q = {**HBT_2006_2010, "lang": "vi"}
    s = client.get("/reports/infrastructure", params={**q, "format": "json"}).json()
    assert s == _stats(client, HBT_2006_2010)
    md = client.get("/reports/infrastructure", params={**q, "format": "md"})
    assert md.status_code == 200 and md.headers["content-type"].startswith("text/markdown")
    assert "90 tuyến phố thảm nhựa và 821 đường, ngõ, xóm bê tông hóa" in md.text
    assert "92,00 km đã được chiếu sáng với 2.649 bóng" in md.text
    en = client.get("/reports/infrastructure", params={**q, "format": "md", "lang": "en"}).text
    assert "92.00 km lit with 2,649 lamps" in en
    pdf = client.get("/reports/infrastructure", params={**q, "format": "pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    path = tmp_path / "r.pdf"
    path.write_bytes(pdf.content)
    words = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                           check=True).stdout
    assert "2.649 bóng" in words and "65,7%" in words and "97,1%" in words
    xlsx = client.get("/reports/infrastructure", params={**q, "format": "xlsx"})
    assert xlsx.status_code == 200
    values = [c for row in load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(
        values_only=True) for c in row if c is not None]
    assert 2649 in values and 821 in values and 18 in values


def test_the_command_line_writes_the_same_report(database_url: str, client) -> None:
    args = ["report", "--topic", "infrastructure", "--district", "hai-ba-trung",
            "--from", "2006-01-01", "--to", "2010-12-31"]
    env = {"DATABASE_URL": database_url}
    res = CliRunner().invoke(main, [*args, "--format", "json"], env=env)
    assert res.exit_code == 0, res.output
    assert orjson.loads(res.stdout) == _stats(client, HBT_2006_2010)
    res = CliRunner().invoke(main, [*args, "--format", "md", "--lang", "en"], env=env)
    assert res.exit_code == 0, res.output
    assert "90 streets were asphalted and 821 streets and alleys concreted" in res.stdout
    clearance = CliRunner().invoke(main, ["report", "--district", "long-bien", "--from",
                                          "2022-01-01", "--to", "2022-06-30"], env=env)
    assert clearance.exit_code == 0 and "405/1315" in clearance.stdout.replace(".", "")
