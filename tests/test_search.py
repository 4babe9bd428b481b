"""Search: accent- and case-insensitive, ranked, over every searched table, on trigram indexes."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from gis.db import load_sql
from layers.search import parse_ref, search


def _hits(client, q: str, **params) -> list[dict]:
    r = client.get("/search", params={"q": q, **params})
    assert r.status_code == 200, r.text
    return r.json()["hits"]


@pytest.mark.parametrize("q", ["bo de", "Bồ Đề", "BỒ ĐỀ", "  bồ   đề "])
def test_ward_bo_de_comes_first(client, q):
    first = _hits(client, q)[0]
    assert first["collection"] in ("admin_units", "wards")
    assert first["label"].endswith("Bồ Đề")
    assert first["label"].startswith("phường")
    w, s, e, n = first["extent"]
    assert 105.8 < w < e < 106.0 and 20.9 < s < n < 21.1  # CRS84 lon/lat, Long Biên


def test_current_unit_before_the_former_one(client):
    units = [h for h in _hits(client, "bo de", limit=20) if h["collection"] == "admin_units"]
    if len(units) < 2:
        pytest.skip("the units layer holds one Bồ Đề only")
    assert units[0]["properties"]["valid_to"] is None
    assert units[1]["properties"]["valid_to"] is not None


def test_project_code_exact_match_first(client, engine):
    with engine.connect() as c:
        pid, code = c.execute(text("SELECT id, code FROM projects ORDER BY code LIMIT 1 OFFSET 3")).one()
    for q in (code, code.lower()):
        first = _hits(client, q)[0]
        assert (first["collection"], first["id"]) == ("projects", str(pid))
        assert first["label"].startswith(code)


def test_ranking_exact_prefix_similar(client):
    hits = _hits(client, "bach mai", limit=50)
    scores = [h["score"] for h in hits]
    assert scores == sorted(scores, reverse=True)
    assert hits[0]["score"] == 4  # an exact name: ward or street Bạch Mai
    assert all(h["label"].endswith("Bạch Mai") for h in hits if h["score"] == 4)


def test_cadastral_reference_finds_its_parcel(client, engine):
    with engine.connect() as c:
        pid, sheet, no = c.execute(text(
            "SELECT id, map_sheet, parcel_no FROM parcels WHERE parcel_no > 9 "
            "ORDER BY map_sheet, parcel_no LIMIT 1")).one()
    for q in (f"to {sheet} thua {no}", f"tờ {sheet} thửa {no}", f"Tờ bản đồ số {sheet}, thửa đất số {no}",
              f"{sheet}-{no}"):
        first = _hits(client, q)[0]
        assert (first["collection"], first["id"]) == ("parcels", str(pid)), q
        assert first["properties"]["map_sheet"] == sheet
        assert first["properties"]["parcel_no"] == no


def test_streets_lakes_red_lines_and_zones_are_found(client):
    assert _hits(client, "ho quynh")[0]["label"] == "Hồ Quỳnh"
    assert _hits(client, "kim nguu")[0]["collection"] == "red_lines"
    assert _hits(client, "cx-01")[0]["collection"] == "plan_zones"
    assert any(h["collection"] == "civilized_streets" for h in _hits(client, "ba trieu"))


def test_parse_ref():
    assert parse_ref("tờ 12 thửa 345") == parse_ref("to 12 thua 345") == parse_ref("12/345")
    assert parse_ref("T12 TH345").map_sheet == 12
    assert parse_ref("Bồ Đề") is None
    assert parse_ref("HBT-2011-001") is None


def test_sample_parcels_carry_reference_and_address(engine):
    with engine.connect() as c:
        missing, dupes = c.execute(text(
            "SELECT count(*) FILTER (WHERE map_sheet IS NULL OR address IS NULL), "
            "count(*) - count(DISTINCT (map_sheet, parcel_no)) FROM parcels")).one()
    assert (missing, dupes) == (0, 0)


@pytest.mark.parametrize("q", ["", "   ", "x" * 201, "a" * 1000, "bo\x01de", "bo\x7fde"])
def test_bad_search_text_is_400(client, q):
    r = client.get("/search", params={"q": q})
    assert r.status_code == 400
    body = r.json()
    assert body["description_vi"] and body["description_en"]


def test_missing_q_and_bad_limit_are_400(client):
    assert client.get("/search").status_code == 400
    assert client.get("/search", params={"q": "bo de", "limit": 0}).status_code == 400
    assert client.get("/search", params={"q": "bo de", "limit": 51}).status_code == 400


@pytest.fixture
def parcel_statistics_restored(engine):
    """ANALYZE's statistics outlive a rollback: they are taken again once the test is undone."""
    yield
    with engine.connect() as c:
        c.execute(text("ANALYZE parcels"))
        c.commit()


# The fixture comes before `conn`, so it is torn down after the transaction is rolled back.
def test_parcel_search_uses_the_trigram_indexes_on_100000_parcels(parcel_statistics_restored,
                                                                  conn):
    # A hundred thousand parcels: the sample's, repeated 52 times 20 km apart.
    conn.execute(text("SELECT set_config('quyhoach.loading_history', 'on', true)"))
    # Setting up the data is no request: the service's statement timeout does not apply to it.
    conn.execute(text("SET LOCAL statement_timeout = 0"))
    conn.execute(text("""
        INSERT INTO parcels (code, project_id, land_user_kind, status, drafted_on, geom,
                             map_sheet, parcel_no, address)
        SELECT 'SYN-' || g || '-' || p.code, p.project_id, p.land_user_kind, 'drafted',
               p.drafted_on, ST_Translate(p.geom, 0, g * 20000), p.map_sheet + g * 1000,
               p.parcel_no, 'Số ' || g || ' ' || p.address
        FROM parcels p, generate_series(1, 52) g"""))
    conn.execute(text("ANALYZE parcels"))
    assert conn.execute(text("SELECT count(*) FROM parcels")).scalar_one() > 100_000
    params = {"q": "bach mai", "limit": 10, "sheet": None, "parcel_no": None,
              "levels": '{"ward": "phường", "ref": "Tờ {sheet}, thửa {parcel}"}'}
    sql = load_sql("search.sql").text
    plan = "\n".join(r[0] for r in conn.execute(text("EXPLAIN " + sql), params))
    assert "parcels_address_trgm" in plan and "parcels_code_trgm" in plan, plan
    assert "Seq Scan on parcels" not in plan
    for q, expected in (("HBT-2011-001-P001", '"HBT-2011-001-P001"'), ("bach mai", "Bạch Mai")):
        started = time.perf_counter()
        body = search(conn, q)
        assert time.perf_counter() - started < 2.0, q
        assert expected in body
