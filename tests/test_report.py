"""The seed's figures come out of the data: the report and the sample."""

from __future__ import annotations

import orjson
import pytest
from click.testing import CliRunner
from sqlalchemy import text

from cli.main import main
from layers.sample import LAYER_TABLES, load_sample

LONG_BIEN_H1_2022 = ["--district", "long-bien", "--from", "2022-01-01", "--to", "2022-06-30"]


@pytest.fixture
def cli_env(database_url: str) -> dict[str, str]:
    return {"DATABASE_URL": database_url}


def test_report_json_gives_the_seed_figures(cli_env) -> None:
    result = CliRunner().invoke(main, ["report", *LONG_BIEN_H1_2022, "--format", "json"],
                                env=cli_env)
    assert result.exit_code == 0, result.output
    r = orjson.loads(result.output)
    assert r["projects"] == 64
    assert (r["projects_budget"], r["projects_non_budget"]) == (59, 5)
    assert (r["plans_total"], r["plans_approved"]) == (1315, 405)
    assert r["recovered_ha"] == pytest.approx(3.8, abs=0.05)
    assert r["compensation_vnd"] / 1e9 == pytest.approx(182.9, abs=0.1)
    assert r["projects_ahead_of_schedule"] == 2
    assert sum(w["plans_approved"] for w in r["by_ward"]) == 405
    assert sum(r["plans_by_status"].values()) == 1315


def test_report_text_in_vietnamese_and_english(cli_env) -> None:
    vi = CliRunner().invoke(main, ["report", *LONG_BIEN_H1_2022], env=cli_env)
    assert vi.exit_code == 0, vi.output
    assert "Phương án đã phê duyệt: 405/1.315" in vi.output
    assert "3,80 ha" in vi.output and "182,9 tỷ đồng" in vi.output
    en = CliRunner().invoke(main, ["report", *LONG_BIEN_H1_2022, "--lang", "en"], env=cli_env)
    assert "Compensation plans approved: 405 of 1,315" in en.output


def test_recovered_area_is_the_ground_area_of_approved_parcels(conn) -> None:
    ha = conn.execute(text(
        "SELECT sum(ST_Area(ST_Transform(pa.geom, 4326)::geography)) / 10000 FROM parcels pa "
        "JOIN projects p ON p.id = pa.project_id WHERE p.district = 'long-bien' "
        "AND pa.approved_on BETWEEN '2022-01-01' AND '2022-06-30'")).scalar_one()
    assert ha == pytest.approx(3.8, abs=0.05)


def test_other_periods_and_wards_differ(cli_env) -> None:
    result = CliRunner().invoke(main, ["report", "--district", "long-bien", "--from", "2022-01-01",
                                       "--to", "2022-12-31", "--format", "json"], env=cli_env)
    year = orjson.loads(result.output)
    assert year["plans_approved"] > 405 and year["recovered_ha"] > 3.8
    ward = CliRunner().invoke(main, ["report", *LONG_BIEN_H1_2022, "--ward", "Bồ Đề",
                                     "--format", "json"], env=cli_env)
    bo_de = orjson.loads(ward.output)
    assert 0 < bo_de["projects"] < 64 and bo_de["plans_approved"] < 405


def test_civilized_streets_of_long_bien(conn) -> None:
    rows = dict(conn.execute(text(
        "SELECT status = 'planned' AND year_recognised = 2022, count(*) FROM civilized_streets "
        "WHERE district = 'long-bien' AND kind = 'civilized' GROUP BY 1")).all())
    assert rows[True] == 14
    assert rows[False] == 50


def test_report_rejects_reversed_period(cli_env) -> None:
    result = CliRunner().invoke(main, ["report", "--district", "long-bien", "--from", "2022-06-30",
                                       "--to", "2022-01-01"], env=cli_env)
    assert result.exit_code == 2 and "before" in result.output


def _table_digest(conn) -> dict[str, str]:
    out = {}
    for t in LAYER_TABLES:
        rows = conn.execute(text(f"SELECT md5(string_agg(t::text, '|' ORDER BY id)) FROM {t} t"))
        out[t] = rows.scalar_one()
    return out


def test_load_sample_is_idempotent(engine, plan_store) -> None:
    with engine.connect() as conn:
        before = _table_digest(conn)
    load_sample(engine, plan_store=plan_store)
    with engine.connect() as conn:
        assert _table_digest(conn) == before
    assert load_sample(engine, if_empty=True, plan_store=plan_store) is None
