"""Personal data kept from anonymous readers: staff attributes and staff layers, on every output."""

from __future__ import annotations

import dataclasses
import subprocess

import mapbox_vector_tile
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.app import create_app
from api.routes.tiles import tile_of
from layers.registry import LAYERS
from tests.accounts_helpers import make_account

FIELD = "compensation_vnd"


@pytest.fixture(scope="module")
def viewer(engine) -> dict[str, str]:
    """Bearer headers of a signed-in viewer: staff, though they write nothing."""
    return make_account(engine, "viewer")[1]


@pytest.fixture(scope="module")
def household(engine) -> dict:
    """An approved plan whose amount differs from every total a figure shows (so a report that
    carries it could only carry it as that household's own)."""
    with engine.connect() as c:
        row = c.execute(text("""
            WITH totals AS (
              SELECT sum(compensation_vnd) AS t FROM parcels GROUP BY project_id
              UNION SELECT sum(compensation_vnd) FROM parcels)
            SELECT pa.id, pa.code, pa.compensation_vnd::bigint AS amount, pr.district,
                   ST_X(ST_Transform(ST_PointOnSurface(pa.geom), 4326)) AS lon,
                   ST_Y(ST_Transform(ST_PointOnSurface(pa.geom), 4326)) AS lat
            FROM parcels pa JOIN projects pr ON pr.id = pa.project_id
            WHERE pa.approved_on IS NOT NULL AND pa.compensation_vnd > 10000000
              AND pa.compensation_vnd NOT IN (SELECT t FROM totals WHERE t IS NOT NULL)
            ORDER BY pa.approved_on, pa.id LIMIT 1""")).one()
    return dict(row._mapping)


def assert_hidden(body: bytes | str, amount: int, what: str) -> None:
    data = body.encode() if isinstance(body, str) else body
    assert FIELD.encode() not in data, what
    assert str(amount).encode() not in data, what


def test_staff_attributes_never_reach_anonymous_readers(client, viewer, household) -> None:
    pid, amount, code = household["id"], household["amount"], household["code"]
    # Items and one feature: the staff see the amount, nobody else.
    items = f"/collections/parcels/items?code={code}"
    staff = client.get(items, headers=viewer).json()["features"][0]["properties"]
    assert int(float(staff[FIELD])) == amount
    anonymous = client.get(items)
    assert anonymous.json()["numberReturned"] == 1
    assert_hidden(anonymous.content, amount, "items")
    assert_hidden(client.get(f"/collections/parcels/items/{pid}").content, amount, "feature")
    assert FIELD in client.get(f"/collections/parcels/items/{pid}", headers=viewer).text
    assert_hidden(client.get("/collections/parcels/items?limit=10000").content, amount, "page")
    # Vector tiles carry only what styles a feature, for everyone.
    for z in (14, 17):
        x, y = tile_of(household["lon"], household["lat"], z)
        tile = client.get(f"/collections/parcels/tiles/WebMercatorQuad/{z}/{y}/{x}").content
        assert_hidden(tile, amount, f"tile z{z}")
        feats = mapbox_vector_tile.decode(tile).get("parcels", {"features": []})["features"]
        assert z < 17 or any(f["id"] == pid for f in feats)
        assert all(FIELD not in f["properties"] for f in feats)
    # The report and its figures give totals only; the map and dashboard embed no feature.
    district = household["district"]
    period = "from=2011-01-01&to=2025-12-31"
    for path in (f"/reports/clearance?district={district}&{period}&format=json",
                 f"/reports/clearance?district={district}&{period}&format=md",
                 f"/stats/clearance?district={district}&{period}",
                 f"/map?district={district}", f"/dashboard?district={district}"):
        r = client.get(path)
        assert r.status_code == 200, (path, r.text)
        assert str(amount).encode() not in r.content, path
    # What the map's popups are filled from: the items of the area in view.
    lon, lat = household["lon"], household["lat"]
    bbox = f"{lon - 0.001},{lat - 0.001},{lon + 0.001},{lat + 0.001}"
    assert_hidden(client.get(f"/collections/parcels/items?bbox={bbox}").content, amount, "popup")


def test_land_users_names_are_staff_only(client, viewer, household) -> None:
    """The land user's name: staff see it on the plan, anonymous readers nowhere."""
    pid, code = household["id"], household["code"]
    staff = client.get(f"/collections/parcels/items/{pid}", headers=viewer).json()["properties"]
    name = staff["land_user_name"]
    assert name and len(name.split()) >= 3
    for path in (f"/collections/parcels/items/{pid}", f"/collections/parcels/items?code={code}",
                 f"/collections/parcels/items?code={code}&f=csv",
                 f"/collections/parcels/items?code={code}&f=kml",
                 f"/parcels/{pid}/planning", "/collections/parcels/queryables"):
        r = client.get(path)
        assert r.status_code == 200, (path, r.text)
        assert name.encode() not in r.content, path
        # The planning sheet says which fields it leaves out; nothing else names the field.
        assert b"land_user_name" not in r.content or "planning" in path, path
    r = client.get(f"/collections/parcels/items?filter=land_user_name = '{name}'")
    assert r.status_code == 400  # not even to filter on
    sheet = client.get(f"/parcels/{pid}/planning", headers=viewer).json()
    assert [p["land_user_name"] for p in sheet["clearance"]["plans"] if p["id"] == pid] == [name]
    assert "compensation_vnd" in sheet["clearance"]["plans"][0]
    assert client.get(f"/collections/parcels/items?code={code}&f=csv",
                      headers=viewer).content.decode("utf-8-sig").count(name) == 1


def test_a_printed_sheet_shows_no_household_amount(client, household, tmp_path) -> None:
    r = client.get("/exports/map.pdf", params={
        "center": f"{household['lat']},{household['lon']}", "scale": "500", "paper": "A4"})
    assert r.status_code == 200, r.text
    path = tmp_path / "sheet.pdf"
    path.write_bytes(r.content)
    words = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True,
                           text=True, check=True).stdout
    assert household["code"] in words or words  # the sheet was drawn
    digits = words.replace(".", "").replace(",", "").replace(" ", "")
    assert str(household["amount"]) not in digits


def test_tile_columns_hold_no_staff_attribute() -> None:
    for spec in LAYERS.values():
        assert not set(spec.tile_columns) & set(spec.staff_attributes), spec.id


def test_a_staff_layer_does_not_exist_for_anonymous_readers(client, viewer, monkeypatch) -> None:
    monkeypatch.setitem(LAYERS, "lakes", dataclasses.replace(LAYERS["lakes"],
                                                             read_access="staff"))
    listed = [c["id"] for c in client.get("/collections").json()["collections"]]
    assert "lakes" not in listed and "parcels" in listed
    for path in ("/collections/lakes", "/collections/lakes/items", "/collections/lakes/items/1",
                 "/collections/lakes/queryables",
                 "/collections/lakes/tiles/WebMercatorQuad/14/7222/13029"):
        r = client.get(path + "?lang=en")
        assert r.status_code == 404, path
        assert "lakes" not in r.json()["description_en"].split("Collections:")[1]
    assert "lakes" in [c["id"] for c in client.get("/collections", headers=viewer)
                       .json()["collections"]]
    assert client.get("/collections/lakes/items", headers=viewer).status_code == 200


def test_sign_in_can_be_required_everywhere(settings, viewer) -> None:
    closed = settings.model_copy(update={"require_sign_in": True})
    with TestClient(create_app(closed)) as c:
        assert c.get("/collections").status_code == 401
        assert c.get("/collections/parcels/items?limit=1").status_code == 401
        r = c.get("/map?district=long-bien", headers={"Accept": "text/html"},
                  follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"] == "/login?next=%2Fmap%3Fdistrict%3Dlong-bien"
        assert c.get("/health").status_code == 200
        assert c.get("/login").status_code == 200
        assert c.get("/static/maps/quyhoach-map.js").status_code == 200
        assert c.get("/collections", headers=viewer).status_code == 200
