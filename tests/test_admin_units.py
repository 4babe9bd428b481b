"""Administrative units with validity and succession, and every figure by any unit, old or new."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from cli.main import main

H1_2022 = {"from": "2022-01-01", "to": "2022-06-30"}
PROGRAMME = {"from": "2011-01-01", "to": "2015-12-31"}


def _stats(client, **params: str) -> dict[str, Any]:
    r = client.get("/stats/clearance", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def _new_wards_of(client, district: str) -> list[str]:
    """The new wards the succession says took (part of) an old district."""
    r = client.get(f"/units/{district}")
    assert r.status_code == 200, r.text
    ids = [s["id"] for s in r.json()["successors"]]
    assert ids
    return ids


@pytest.mark.parametrize(("district", "period", "expected"), [
    ("long-bien", H1_2022, (64, 3.80, 182_900_000_000)),
    ("hai-ba-trung", PROGRAMME, None),
])
def test_new_wards_add_up_to_the_old_district(client, district, period, expected):
    """Over the new wards covering an old district: the same projects, hectares and amounts."""
    old = _stats(client, district=district, **period)
    assert old["unit"]["id"] == district
    if expected is not None:
        assert (old["projects"], round(old["recovered_ha"], 2), old["compensation_vnd"]) == expected
    projects: set[str] = set()
    listed = ha = vnd = approved = 0
    for unit in _new_wards_of(client, district):
        s = _stats(client, unit=unit, **period)
        assert s["unit"]["id"] == unit and s["unit"]["valid_from"] == "2025-07-01"
        projects |= {p["code"] for p in s["project_list"]}
        listed += s["projects"]
        ha += s["recovered_ha"]
        vnd += s["compensation_vnd"]
        approved += s["plans_approved"]
    assert projects == {p["code"] for p in old["project_list"]}
    assert len(projects) == old["projects"]
    assert listed >= old["projects"]  # a project spanning two new wards is listed in both
    assert vnd == old["compensation_vnd"]
    assert approved == old["plans_approved"]  # a plan counts in one ward
    # each ward's hectares are rounded to 4 decimals
    assert abs(ha - old["recovered_ha"]) <= 0.0001 * len(_new_wards_of(client, district))
    assert round(ha, 2) == round(old["recovered_ha"], 2)


def test_units_on_a_day(client):
    """Today's units are the new wards; on a day of 2022 the old districts and wards."""
    now = client.get("/units", params={"on": "2026-01-01"}).json()["units"]
    then = client.get("/units", params={"on": "2022-01-01"}).json()["units"]
    now_ids, then_ids = {u["id"] for u in now}, {u["id"] for u in then}
    assert {"bo-de", "ha-noi"} <= now_ids
    assert not {"long-bien", "hai-ba-trung", "long-bien.bo-de"} & now_ids
    assert {"long-bien", "hai-ba-trung", "long-bien.bo-de", "ha-noi"} <= then_ids
    assert "bo-de" not in then_ids
    ward = next(u for u in now if u["id"] == "bo-de")
    assert ward["label"] == "phường Bồ Đề (từ 01/07/2025)"
    assert {"self", "stats"} <= {link["rel"] for link in ward["links"]}
    district = next(u for u in then if u["id"] == "long-bien")
    assert district["label"] == "quận Long Biên (đến 30/06/2025)"
    assert district["valid_to"] == "2025-06-30"
    # the last day of the old units still lists them (valid_to is inclusive)
    last = {u["id"] for u in client.get("/units", params={"on": "2025-06-30"}).json()["units"]}
    assert "long-bien" in last and "bo-de" not in last


def test_succession_shares_of_each_old_unit_sum_to_one(conn):
    """The shares computed from the boundaries of each old unit's successors add up to 1."""
    rows = conn.execute(text(
        "SELECT predecessor_id, sum(predecessor_share) AS total, "
        "bool_and(NOT whole OR abs(predecessor_share - 1) < 1e-6) AS whole_ok "
        "FROM unit_succession_shares GROUP BY predecessor_id")).all()
    assert len(rows) == 36  # 2 districts and their 34 wards
    for row in rows:
        assert abs(row.total - 1) < 1e-6, row
        assert row.whole_ok, row


def test_unit_document_names_its_predecessors_with_shares(client):
    """A new ward lists the old units it came from, whole or in part, with the share taken."""
    body = client.get("/units/bo-de").json()
    preds = {p["id"]: p for p in body["predecessors"]}
    assert preds["long-bien.bo-de"]["whole"] is True
    assert abs(preds["long-bien.bo-de"]["share"] - 1) < 1e-6
    assert "long-bien" in preds and 0 < preds["long-bien"]["share"] < 1
    assert any(not p["whole"] and 0 < p["share"] < 1 for p in body["predecessors"])
    old = client.get("/units/long-bien.gia-thuy").json()
    assert abs(sum(s["share"] for s in old["successors"]) - 1) < 1e-6


def test_bad_units(client):
    """Unknown id: 404 saying where units are listed; an old ward for 2026: named successors."""
    r = client.get("/stats/clearance", params={"unit": "khong-co"})
    assert r.status_code == 404
    assert "/units?on=" in r.text
    assert client.get("/units/khong-co").status_code == 404
    r = client.get("/stats/clearance", params={"unit": "long-bien.bo-de", "from": "2026-01-01",
                                               "to": "2026-06-30"})
    assert 400 <= r.status_code < 500
    assert "phường Bồ Đề" in r.text and "bo-de" in r.text
    r = client.get("/reports/clearance", params={"unit": "long-bien", "from": "2026-01-01",
                                                 "to": "2026-06-30", "format": "json"})
    assert 400 <= r.status_code < 500 and "viet-hung" in r.text
    # a new ward for 2022 is fine: its area is known
    assert client.get("/stats/clearance", params={"unit": "bo-de", **H1_2022}).status_code == 200
    assert client.get("/units", params={"on": "2026-13-01"}).status_code == 400


def test_unit_everywhere(client):
    """unit= is taken by the report, the map and the dashboard, which name it for its period."""
    md = client.get("/reports/clearance", params={"unit": "bo-de", **H1_2022, "format": "md"})
    assert md.status_code == 200, md.text
    assert "Phường Bồ Đề (từ 01/07/2025) — 6 tháng đầu năm 2022" in md.text
    legacy = client.get("/reports/clearance", params={"district": "long-bien", **H1_2022})
    assert "Quận Long Biên — 6 tháng đầu năm 2022" in legacy.text
    png = client.get("/reports/clearance/map.png", params={"unit": "bo-de", **H1_2022})
    assert png.status_code == 200 and png.content[:4] == b"\x89PNG"
    assert client.get("/map", params={"unit": "bo-de"}).status_code == 200
    assert client.get("/dashboard", params={"unit": "bo-de"}).status_code == 200
    # the district slot takes a unit id too, and an old ward is its district's ward
    assert _stats(client, district="bo-de", **H1_2022)["unit"]["id"] == "bo-de"
    ward = _stats(client, unit="long-bien.bo-de", **H1_2022)
    alias = _stats(client, district="long-bien", ward="Bồ Đề", **H1_2022)
    assert ward == alias and ward["unit"]["id"] == "long-bien.bo-de"


def test_cli_report_by_unit(database_url, monkeypatch):
    """`quyhoach report --unit` names the unit with the period it holds for."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    out = CliRunner().invoke(main, ["report", "--unit", "bo-de", "--from", "2022-01-01",
                                    "--to", "2022-06-30"])
    assert out.exit_code == 0, out.output
    assert "phường Bồ Đề (từ 01/07/2025)" in out.output
    bad = CliRunner().invoke(main, ["report", "--unit", "khong-co", "--from", "2022-01-01",
                                    "--to", "2022-06-30"])
    assert bad.exit_code != 0 and "/units?on=" in bad.output
