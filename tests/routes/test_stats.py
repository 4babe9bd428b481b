"""Clearance statistics: one implementation for the API and the report."""

from __future__ import annotations

import orjson
from click.testing import CliRunner

from cli.main import main

PERIOD = {"district": "long-bien", "from": "2022-01-01", "to": "2022-06-30"}


def test_stats_equal_the_report(client, database_url) -> None:
    api = client.get("/stats/clearance", params=PERIOD).json()
    cli = CliRunner().invoke(main, ["report", "--district", "long-bien", "--from", "2022-01-01",
                                    "--to", "2022-06-30", "--format", "json"],
                             env={"DATABASE_URL": database_url})
    assert api == orjson.loads(cli.output)
    assert (api["projects"], api["plans_approved"], api["plans_total"]) == (64, 405, 1315)


def test_stats_by_ward_add_up(client) -> None:
    s = client.get("/stats/clearance", params=PERIOD).json()
    assert len(s["by_ward"]) == 14
    assert sum(w["plans_total"] for w in s["by_ward"]) == s["plans_total"]
    assert abs(sum(w["recovered_ha"] for w in s["by_ward"]) - s["recovered_ha"]) < 0.001
    one = client.get("/stats/clearance", params={**PERIOD, "ward": "Bồ Đề"}).json()
    bo_de = next(w for w in s["by_ward"] if w["ward"] == "Bồ Đề")
    assert one["plans_approved"] == bo_de["plans_approved"]


def test_stats_bad_dates(client) -> None:
    assert client.get("/stats/clearance", params={**PERIOD, "from": "2022-02-30"}).status_code == 400
    r = client.get("/stats/clearance", params={**PERIOD, "from": "2022-07-01"})
    assert r.status_code == 400 and "before" in r.json()["description_en"]
