"""Numbers, amounts, areas, dates and names as a reader writes them, on the server and in the page."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import text

from core import i18n

FORMAT_JS = Path(__file__).resolve().parents[1] / "maps" / "static" / "quyhoach-format.js"


@pytest.mark.parametrize(("value", "digits", "vi", "en"), [
    (1315, 0, "1.315", "1,315"),
    (3.8, 2, "3,80", "3.80"),
    (182_900_000_000, 0, "182.900.000.000", "182,900,000,000"),
    (0, 0, "0", "0"),
    (2.5, 0, "3", "3"),
    (-1234.567, 1, "-1.234,6", "-1,234.6"),
    (-0.001, 2, "0,00", "0.00"),
    (None, 2, "", ""),
])
def test_numbers_in_both_languages(value, digits, vi, en) -> None:
    assert i18n.number(value, digits, "vi") == vi
    assert i18n.number(value, digits, "en") == en


@pytest.mark.parametrize(("vnd", "vi", "en"), [
    (182_900_000_000, "182,9 tỷ đồng", "182.9 billion VND"),
    (260_000_000, "260 triệu đồng", "260 million VND"),  # a household's payment, not "0.260 tỷ"
    (1_250_000_000, "1,25 tỷ đồng", "1.25 billion VND"),
    (12_500_000, "12,5 triệu đồng", "12.5 million VND"),
    (999_960_000, "1,00 tỷ đồng", "1.00 billion VND"),
    (850_000, "850.000 đồng", "850,000 VND"),
    (0, "0 đồng", "0 VND"),
])
def test_amounts_in_the_unit_a_reader_expects(vnd, vi, en) -> None:
    assert i18n.amount(vnd, "vi") == vi
    assert i18n.amount(vnd, "en") == en


def test_counts_areas_dates_and_scales() -> None:
    assert i18n.count(0) == "0" and i18n.count(2) == "2"  # never "00"
    assert i18n.ratio(405, 1315) == "405/1.315"
    assert i18n.ratio(405, 1315, "en") == "405/1,315"
    assert i18n.hectares(3.8) == "3,80 ha" and i18n.hectares(3.8, "en") == "3.80 ha"
    assert i18n.percent(45.46) == "45,5%"
    assert i18n.billions(182_900_000_000) == "182,9"
    assert i18n.day_text(dt.date(2021, 12, 17)) == "17/12/2021"
    assert i18n.day_text("2021-12-17", "en") == "2021-12-17"
    assert i18n.scale_text(25000) == "1:25.000" and i18n.scale_text(25000, "en") == "1:25,000"


WARDS = ["Đức Giang", "Bồ Đề", "Bạch Mai", "Bùi Thị Xuân", "Long Biên", "Đồng Tâm", "Cự Khối",
         "Gia Thụy", "Ngô Thì Nhậm", "Ngọc Lâm", "Ngọc Thụy", "Phúc Đồng", "Phúc Lợi", "Thạch Bàn",
         "Thượng Thanh", "Lê Đại Hành", "Đống Mác", "Quỳnh Lôi", "Quỳnh Mai", "Phố Huế",
         "Phạm Đình Hổ", "Bạch Đằng", "Bách Khoa", "Cầu Dền", "Vĩnh Tuy", "Thanh Lương",
         "Thanh Nhàn", "Ân Thi", "An Dương", "Ấp Bắc", "Ơn Dương", "Ông Ích Khiêm"]


def test_vietnamese_collation_agrees_with_postgresql(conn) -> None:
    ordered = i18n.sorted_names(WARDS)
    assert ordered.index("Bạch Mai") < ordered.index("Bùi Thị Xuân")
    assert ordered.index("Đức Giang") < ordered.index("Gia Thụy")  # đ follows d, not z
    assert ordered[:5] == ["An Dương", "Ân Thi", "Ấp Bắc", "Bạch Đằng", "Bách Khoa"]
    db = conn.execute(text('SELECT n FROM unnest(CAST(:names AS text[])) n '
                           'ORDER BY n COLLATE "vi-x-icu"'), {"names": WARDS}).scalars().all()
    assert ordered == db


def test_the_databases_lists_of_wards_are_in_vietnamese_order(client) -> None:
    stats = client.get("/stats/clearance", params={"district": "hai-ba-trung"}).json()
    wards = [w["ward"] for w in stats["by_ward"]]
    assert wards == i18n.sorted_names(wards)
    assert wards.index("Bạch Mai") < wards.index("Bùi Thị Xuân")
    assert wards[-1] != "Đống Mác" and wards.index("Đống Mác") < wards.index("Lê Đại Hành")


def _node(calls: list[list]) -> list[str]:
    """Run quyhoach-format.js in Node on [function, *arguments] calls; their results."""
    node = shutil.which("node") or shutil.which("nodejs")
    assert node, "Node.js is installed by the Makefile with the map's libraries"
    script = ("const f = require(process.argv[1]);"
              "const calls = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
              "process.stdout.write(JSON.stringify(calls.map(([fn, ...a]) => f[fn](...a))));")
    out = subprocess.run([node, "-e", script, str(FORMAT_JS)], input=json.dumps(calls),
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def test_the_browser_writes_what_the_server_writes() -> None:
    values = [0, 1, 2.5, 0.125, 1.005, 3.8, 405, 1315, 12_345.675, -0.004, -1234.5,
              182_900_000_000, 260_000_000, 999_960_000, 999_999.4, 999_999.6, 99_960_000,
              12_500_000, 850_000, 1e10, 9_999_999_999, None, ""]
    calls: list[list] = []
    expected: list[str] = []
    for lang in ("vi", "en"):
        for v in values:
            for digits in (0, 1, 2, 4):
                calls.append(["number", v, digits, lang])
                expected.append(i18n.number(v, digits, lang))
            for fn, py in (("amount", i18n.amount), ("count", i18n.count),
                           ("hectares", i18n.hectares), ("percent", i18n.percent),
                           ("billions", i18n.billions)):
                calls.append([fn, v, lang])
                expected.append(py(v, lang))
        for day in ("2021-12-17", "2022-06-30T00:00:00", None):
            calls.append(["day", day, lang])
            expected.append(i18n.day_text(day, lang))
        for s in (500, 2000, 25000):
            calls.append(["scale", s, lang])
            expected.append(i18n.scale_text(s, lang))
        calls.append(["ratio", 405, 1315, lang])
        expected.append(i18n.ratio(405, 1315, lang))
    for name in WARDS:
        calls.append(["fold", name])
        expected.append(i18n.ascii_fold(name))
    got = _node(calls)
    mismatches = [(c, e, g) for c, e, g in zip(calls, expected, got, strict=True) if e != g]
    assert not mismatches, mismatches[:10]


def test_the_browser_sorts_names_as_the_server_does() -> None:
    node = shutil.which("node") or shutil.which("nodejs")
    assert node
    script = ("const f = require(process.argv[1]);"
              "const names = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
              "process.stdout.write(JSON.stringify(names.slice().sort(f.compare)));")
    out = subprocess.run([node, "-e", script, str(FORMAT_JS)], input=json.dumps(WARDS),
                         capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == i18n.sorted_names(WARDS)
