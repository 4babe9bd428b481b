"""Writing features (OGC API – Features Part 4): ETags, If-Match, scope, bad input, the audit log."""

from __future__ import annotations

import json
import random
import secrets
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, text

from layers.accounts import get_user
from layers.importer import import_file
from tests.accounts_helpers import make_account, sign_in

MERGE = {"Content-Type": "application/merge-patch+json"}
VN2000_CRS = {"Content-Crs": "<http://www.opengis.net/def/crs/EPSG/0/5897>"}


def square(lon: float, lat: float, d: float = 0.0005) -> dict[str, Any]:
    """A small CRS84 square polygon around a point."""
    ring = [[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d],
            [lon - d, lat - d]]
    return {"type": "Polygon", "coordinates": [ring]}


def unit_point(conn: Connection, unit: str) -> tuple[float, float]:
    """A point well inside an administrative unit, in CRS84."""
    row = conn.execute(text(
        "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform(ST_PointOnSurface("
        "ST_Buffer(geom, -150)), 4326) AS p FROM admin_units WHERE id = :id) x"), {"id": unit}
    ).one()
    return float(row[0]), float(row[1])


def project(code: str, geometry: dict[str, Any], **props: Any) -> dict[str, Any]:
    """A new project Feature."""
    return {"type": "Feature", "geometry": geometry, "properties": {
        "code": code, "name": f"Dự án {code}", "district": "long-bien", "funding": "budget",
        "status": "planned", **props}}


def checksum(conn: Connection, table: str) -> tuple[str, int]:
    """A digest of a table's rows and the audit log's length."""
    digest = conn.execute(text(
        f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) FROM {table} t")
    ).scalar_one()
    return digest, conn.execute(text("SELECT count(*) FROM audit_log")).scalar_one()


@pytest.fixture(scope="module")
def editor_bo_de(engine: Engine) -> dict[str, str]:
    """Bearer headers of an editor of the ward Bồ Đề (Long Biên) only."""
    return make_account(engine, "editor", ("long-bien.bo-de",))[1]


def test_create_read_update_with_etags_and_the_log(tx_client, conn, editor_headers) -> None:
    lon, lat = unit_point(conn, "long-bien.bo-de")
    r = tx_client.post("/collections/projects/items", headers=editor_headers,
                       content=orjson.dumps(project("DA-ED-1", square(lon, lat))))
    assert r.status_code == 201, r.text
    fid = r.json()["id"]
    assert r.headers["location"].endswith(f"/collections/projects/items/{fid}")
    tag = r.headers["etag"]
    assert tag.startswith('"') and tag.endswith('"')
    assert r.json()["properties"]["area_ha"] > 0

    got = tx_client.get(f"/collections/projects/items/{fid}")
    assert got.status_code == 200 and got.headers["etag"] == tag
    assert tx_client.get(f"/collections/projects/items/{fid}",
                         headers={"If-None-Match": tag}).status_code == 304

    r = tx_client.patch(f"/collections/projects/items/{fid}", headers={
        **editor_headers, **MERGE, "If-Match": tag},
        content=orjson.dumps({"properties": {"name": "Đổi tên", "target_date": "2023-06-30"}}))
    assert r.status_code == 200, r.text
    assert r.json()["properties"]["name"] == "Đổi tên"
    new_tag = r.headers["etag"]
    assert new_tag != tag
    assert tx_client.get(f"/collections/projects/items/{fid}",
                         headers={"If-None-Match": tag}).status_code == 200

    # The write is logged by the database, as the acting account, with before and after.
    rows = conn.execute(text("SELECT actor, via, operation, before, after FROM audit_log "
                             "WHERE layer = 'projects' AND feature_id = :id ORDER BY id"),
                        {"id": fid}).all()
    assert [(r.actor, r.via, r.operation) for r in rows] == [
        ("test-writer", "api", "insert"), ("test-writer", "api", "update")]
    assert rows[1].before["properties"]["name"] == "Dự án DA-ED-1"
    assert rows[1].after["properties"]["name"] == "Đổi tên"

    # A stale ETag: 412 with the current one; no If-Match: 428.
    r = tx_client.put(f"/collections/projects/items/{fid}", headers={
        **editor_headers, "If-Match": tag},
        content=orjson.dumps(project("DA-ED-1", square(lon, lat))))
    assert r.status_code == 412 and r.headers["etag"] == new_tag
    r = tx_client.delete(f"/collections/projects/items/{fid}", headers=editor_headers)
    assert r.status_code == 428
    r = tx_client.delete(f"/collections/projects/items/{fid}",
                         headers={**editor_headers, "If-Match": new_tag})
    assert r.status_code == 204
    assert tx_client.get(f"/collections/projects/items/{fid}").status_code == 404
    ops = conn.execute(text("SELECT operation FROM audit_log WHERE layer = 'projects' AND "
                            "feature_id = :id ORDER BY id"), {"id": fid}).scalars().all()
    assert ops == ["insert", "update", "delete"]


def test_the_lost_update_is_refused(client, engine, editor_headers) -> None:
    """Two clients read the same version and both write: one succeeds, the other gets 412."""
    with engine.connect() as c:
        lake = c.execute(text("SELECT id, name FROM lakes ORDER BY id LIMIT 1")).one()
        log_before = c.execute(text("SELECT coalesce(max(id), 0) FROM audit_log")).scalar_one()
    _, second = make_account(engine, "admin")
    url = f"/collections/lakes/items/{lake.id}"
    tag_a = client.get(url).headers["etag"]
    tag_b = client.get(url).headers["etag"]
    assert tag_a == tag_b
    first = client.patch(url, headers={**editor_headers, **MERGE, "If-Match": tag_a},
                         content=orjson.dumps({"properties": {"name": lake.name + " (A)"}}))
    late = client.patch(url, headers={**second, **MERGE, "If-Match": tag_b},
                        content=orjson.dumps({"properties": {"name": lake.name + " (B)"}}))
    assert (first.status_code, late.status_code) == (200, 412)
    assert late.headers["etag"].removeprefix("W/") == first.headers["etag"].removeprefix("W/")
    with engine.connect() as c:
        changes = c.execute(text("SELECT actor, before, after FROM audit_log WHERE id > :since "
                                 "AND layer = 'lakes' AND feature_id = :id"),
                            {"since": log_before, "id": lake.id}).all()
        assert len(changes) == 1
        assert changes[0].after["properties"]["name"] == lake.name + " (A)"
    back = client.patch(url, headers={**editor_headers, **MERGE,
                                      "If-Match": first.headers["etag"]},
                        content=orjson.dumps({"properties": {"name": lake.name}}))
    assert back.status_code == 200


def test_an_editor_writes_in_their_ward_only(tx_client, conn, editor_bo_de) -> None:
    here = unit_point(conn, "long-bien.bo-de")
    next_door = unit_point(conn, "long-bien.ngoc-lam")
    r = tx_client.post("/collections/projects/items", headers=editor_bo_de,
                       content=orjson.dumps(project("DA-ED-2", square(*here))))
    assert r.status_code == 201, r.text
    fid, tag = r.json()["id"], r.headers["etag"]
    before = checksum(conn, "projects")
    # Not in the next ward: neither a new feature there, nor moving this one there.
    r = tx_client.post("/collections/projects/items?lang=en", headers=editor_bo_de,
                       content=orjson.dumps(project("DA-ED-3", square(*next_door))))
    assert r.status_code == 403 and "outside" in r.json()["description_en"]
    r = tx_client.patch(f"/collections/projects/items/{fid}", headers={
        **editor_bo_de, **MERGE, "If-Match": tag},
        content=orjson.dumps({"geometry": square(*next_door)}))
    assert r.status_code == 403
    # Nor a feature that lies there now.
    admin = make_account(conn.engine, "admin")[1]
    r = tx_client.post("/collections/projects/items", headers=admin,
                       content=orjson.dumps(project("DA-ED-4", square(*next_door))))
    assert r.status_code == 201
    other, other_tag = r.json()["id"], r.headers["etag"]
    before = checksum(conn, "projects")
    r = tx_client.patch(f"/collections/projects/items/{other}", headers={
        **editor_bo_de, **MERGE, "If-Match": other_tag},
        content=orjson.dumps({"properties": {"name": "x"}}))
    assert r.status_code == 403
    r = tx_client.delete(f"/collections/projects/items/{other}",
                         headers={**editor_bo_de, "If-Match": other_tag})
    assert r.status_code == 403
    assert checksum(conn, "projects") == before


def test_a_plan_never_moves_backwards_and_statuses_go_through_the_history(
        tx_client, conn, editor_headers) -> None:
    pid = conn.execute(text("SELECT id FROM parcels WHERE status = 'approved' ORDER BY id "
                            "LIMIT 1")).scalar_one()
    url = f"/collections/parcels/items/{pid}"
    tag = tx_client.get(url, headers=editor_headers).headers["etag"]
    before = checksum(conn, "parcels")
    r = tx_client.patch(url + "?lang=en", headers={**editor_headers, **MERGE, "If-Match": tag},
                        content=orjson.dumps({"properties": {"status": "drafted"}}))
    assert r.status_code == 409, r.text
    assert "forward" in r.json()["description_en"]
    assert checksum(conn, "parcels") == before
    r = tx_client.patch(url, headers={**editor_headers, **MERGE, "If-Match": tag},
                        content=orjson.dumps({"properties": {"status": "paid",
                                                             "paid_on": "2022-06-01"}}))
    assert r.status_code == 200, r.text
    assert r.json()["properties"]["status"] == "paid"
    event = conn.execute(text("SELECT from_status, to_status, effective_on::text, recorded_by "
                              "FROM status_events WHERE entity = 'plan' AND entity_id = :id "
                              "ORDER BY id DESC LIMIT 1"), {"id": pid}).one()
    assert tuple(event) == ("approved", "paid", "2022-06-01", "test-writer")
    op = conn.execute(text("SELECT operation FROM audit_log WHERE layer = 'parcels' AND "
                           "feature_id = :id ORDER BY id DESC LIMIT 1"), {"id": pid}).scalar()
    assert op == "status"


def _post(geometry: Any) -> dict[str, Any]:
    body = project("DA-BAD", geometry)
    if geometry is None:
        body.pop("geometry")
    return body


SELF_CROSSING = {"type": "Polygon", "coordinates": [[
    [105.880, 21.040], [105.882, 21.042], [105.882, 21.040], [105.880, 21.042], [105.880, 21.040]]]}
METRES = {"type": "Polygon", "coordinates": [[[593000, 2327000], [593050, 2327000],
                                              [593050, 2327050], [593000, 2327000]]]}
# (case, how it is sent, the body, the status, a phrase of the English message)
BAD_INPUT = [
    ("malformed JSON", "post", b'{"type": "Feature", "geometry": ', 400, "JSON"),
    ("no geometry", "post", _post(None), 422, "no geometry"),
    ("wrong type", "post", _post({"type": "LineString", "coordinates": [
        [105.88, 21.04], [105.89, 21.05]]}), 422, "takes"),
    ("self-intersecting", "post", _post(SELF_CROSSING), 422, "Self-intersection"),
    ("empty", "post", _post({"type": "Polygon", "coordinates": []}), 422, "empty"),
    ("outside Hanoi", "post", _post(square(106.7, 10.8)), 422, "outside Hanoi"),
    ("VN-2000 metres as degrees", "post", _post(METRES), 422, "Content-Crs"),
    ("not a feature", "post", {"type": "FeatureCollection", "features": []}, 422, "Feature"),
    ("unknown attribute", "patch", {"properties": {"colour": "red"}}, 422, "colour"),
    ("outside the vocabulary", "patch", {"properties": {"funding": "gift"}}, 422, "funding"),
    ("a generated column", "patch", {"properties": {"area_ha": 3}}, 422, "area_ha"),
    ("a computed figure", "patch", {"properties": {"recovered_ha": 3}}, 422, "recovered_ha"),
    ("a wrong type of value", "patch", {"properties": {"is_key": "yes"}}, 422, "is_key"),
    ("a bad date", "patch", {"properties": {"target_date": "30/06/2023"}}, 422, "target_date"),
    ("a required value cleared", "patch", {"properties": {"name": None}}, 422, "name"),
    ("a stale If-Match", "stale", {"properties": {"name": "x"}}, 412, "changed"),
    ("no If-Match", "unconditional", {"properties": {"name": "x"}}, 428, "If-Match"),
]


@pytest.mark.parametrize(("case", "how", "body", "status", "says"), BAD_INPUT,
                         ids=[c[0] for c in BAD_INPUT])
def test_bad_input_is_refused_and_nothing_changes(tx_client, conn, editor_headers, case, how,
                                                  body, status, says) -> None:
    fid = conn.execute(text("SELECT min(id) FROM projects")).scalar_one()
    url = f"/collections/projects/items/{fid}?lang=en"
    tag = tx_client.get(url).headers["etag"]
    before = checksum(conn, "projects")
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    if how == "post":
        r = tx_client.post("/collections/projects/items?lang=en", headers=editor_headers,
                           content=raw)
    else:
        match = {"patch": {"If-Match": tag}, "stale": {"If-Match": '"stale"'},
                 "unconditional": {}}[how]
        r = tx_client.patch(url, headers={**editor_headers, **MERGE, **match}, content=raw)
    assert r.status_code == status, (case, r.text)
    assert says in r.json()["description_en"], (case, r.json())
    assert checksum(conn, "projects") == before
    if how == "stale":
        assert r.headers["etag"] == tag


def test_vn2000_bodies_with_content_crs_and_a_red_line_marker(tx_client, conn,
                                                             editor_headers) -> None:
    x, y = conn.execute(text("SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_PointOnSurface(geom) c "
                             "FROM admin_units WHERE id = 'long-bien.bo-de') s")).one()
    r = tx_client.post("/collections/red_line_markers/items", headers={
        **editor_headers, **VN2000_CRS}, content=orjson.dumps({
            "type": "Feature", "geometry": {"type": "Point", "coordinates": [x, y]},
            "properties": {"code": "M-ED-1", "district": "long-bien", "road": "Nguyễn Văn Cừ",
                           "status": "planted"}}))
    assert r.status_code == 201, r.text
    stored = conn.execute(text("SELECT easting_m, northing_m FROM red_line_markers WHERE id = :i"),
                          {"i": r.json()["id"]}).one()
    assert (float(stored[0]), float(stored[1])) == (round(x, 3), round(y, 3))
    r = tx_client.post("/collections/red_line_markers/items?lang=en", headers={
        **editor_headers, **VN2000_CRS}, content=orjson.dumps({
            "type": "Feature", "geometry": {"type": "Point", "coordinates": [x, y]},
            "properties": {"code": "M-ED-2", "district": "long-bien", "road": "x",
                           "status": "planted", "easting_m": 1}}))
    assert r.status_code == 422 and "easting_m" in r.json()["description_en"]


def test_who_may_write(tx_client, conn, engine, editor_headers) -> None:
    lon, lat = unit_point(conn, "long-bien.bo-de")
    body = orjson.dumps(project("DA-ED-5", square(lon, lat)))
    before = checksum(conn, "projects")
    assert tx_client.post("/collections/projects/items", content=body).status_code == 401
    _, viewer = make_account(engine, "viewer")
    assert tx_client.post("/collections/projects/items", headers=viewer,
                          content=body).status_code == 403
    assert tx_client.post("/collections/projects/items", content=body, headers={
        "Authorization": "Bearer qh_" + secrets.token_urlsafe(24)}).status_code == 401
    assert tx_client.post("/collections/plan_zones/items", headers=editor_headers,
                          content=body).status_code == 400
    big = orjson.dumps(project("DA-ED-6", square(lon, lat), name="x" * (3 * 1024 * 1024)))
    r = tx_client.post("/collections/projects/items", headers=editor_headers, content=big)
    assert r.status_code == 413
    assert checksum(conn, "projects") == before


def test_expired_and_revoked_tokens_and_csrf(client, engine) -> None:
    name, headers = make_account(engine, "admin")
    with engine.begin() as c:
        c.execute(text("UPDATE api_tokens SET revoked_at = now() WHERE user_id = "
                       "(SELECT id FROM users WHERE name = :n)"), {"n": name})
    with engine.connect() as c:
        before = checksum(c, "lakes")
    body = orjson.dumps({"type": "Feature", "geometry": square(105.90, 21.04),
                         "properties": {"name": "Hồ", "district": "long-bien",
                                        "works": "dredging", "status": "planned"}})
    assert client.post("/collections/lakes/items", headers=headers,
                       content=body).status_code == 401
    name2, headers2 = make_account(engine, "admin")
    with engine.begin() as c:
        c.execute(text("UPDATE api_tokens SET expires_at = now() - interval '1 day' WHERE "
                       "user_id = (SELECT id FROM users WHERE name = :n)"), {"n": name2})
    assert client.post("/collections/lakes/items", headers=headers2,
                       content=body).status_code == 401
    # A browser session: a cross-site form post carries the cookie but not the CSRF token.
    with TestClient(client.app) as browser:
        sign_in(browser, make_account(engine, "admin")[0])
        r = browser.post("/collections/lakes/items", content=b"type=Feature",
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert r.status_code == 403
    with engine.connect() as c:
        assert checksum(c, "lakes") == before


def test_conformance_and_openapi_declare_part_4(client) -> None:
    conforms = client.get("/conformance").json()["conformsTo"]
    for cls in ("create-replace-delete", "update", "optimistic-locking-etags"):
        assert f"http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/{cls}" in conforms
    paths = client.get("/openapi.json").json()["paths"]
    one = paths["/collections/{collection_id}/items/{feature_id}"]
    assert {"get", "put", "patch", "delete"} <= set(one)
    assert "post" in paths["/collections/{collection_id}/items"]
    assert "application/merge-patch+json" in one["patch"]["requestBody"]["content"]
    assert "412" in one["put"]["responses"] and "428" in one["delete"]["responses"]


def test_an_import_is_logged_by_the_trigger_with_its_actor(engine, tmp_path) -> None:
    name, _ = make_account(engine, "editor", ("long-bien.bo-de",))
    with engine.connect() as c:
        user = get_user(c, name)
    path = tmp_path / "lakes-import.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": square(105.90 + i * 0.003, 21.04),
         "properties": {"name": f"Hồ nhập {i}", "district": "long-bien", "works": "dredging",
                        "status": "planned"}} for i in range(2)]}), encoding="utf-8")
    result = import_file(engine, path, "lakes", actor=user, analyze=False)
    assert result.written == 2
    with engine.begin() as c:
        rows = c.execute(text("SELECT feature_id, via, operation, note FROM audit_log "
                              "WHERE actor = :n ORDER BY id"), {"n": name}).all()
        assert {(r.via, r.operation, r.note) for r in rows} == {
            ("import", "insert", "lakes-import.geojson")}
        assert len(rows) == 2
        c.execute(text("DELETE FROM lakes WHERE id = ANY(:ids)"),
                  {"ids": [r.feature_id for r in rows]})


@pytest.mark.slow
def test_random_write_bodies_never_get_a_5xx(tx_client, conn, editor_headers) -> None:
    """A property-style loop over the write endpoints with random bodies and headers."""
    rng = random.Random(15)
    fid = conn.execute(text("SELECT min(id) FROM green_spaces")).scalar_one()
    tag = tx_client.get(f"/collections/green_spaces/items/{fid}").headers["etag"]
    values: list[Any] = [None, True, 0, -1, 1.5, 1e308, "", "x", "2022-02-30", "\u0000", [], {},
                         "𝔘" * 50, 2**40]
    names = ["name", "kind", "ward", "area_ha", "id", "geom", "district", "zz", "status"]
    geometries: list[Any] = [None, {}, {"type": "Point", "coordinates": [105.9, 21.04]},
                             square(105.9, 21.04), {"type": "Polygon", "coordinates": [[[0, 0]]]},
                             {"type": "Polygon", "coordinates": "x"},
                             {"type": "MultiPolygon", "coordinates": [[[[1e300, 1e300]]]]}]
    crs = [None, "EPSG:5897", "EPSG:3857", "EPSG:4326", "nonsense"]
    for _ in range(150):
        body: Any = {"type": rng.choice(["Feature", "Feature", "FeatureCollection", 3])}
        if rng.random() < 0.8:
            body["geometry"] = rng.choice(geometries)
        body["properties"] = {rng.choice(names): rng.choice(values)
                              for _ in range(rng.randint(0, 4))}
        headers = {**editor_headers}
        if (c := rng.choice(crs)) is not None:
            headers["Content-Crs"] = c
        if rng.random() < 0.7:
            headers["If-Match"] = rng.choice([tag, '"x"', "*"])
        method = rng.choice(["POST", "PUT", "PATCH", "DELETE"])
        url = "/collections/green_spaces/items" + ("" if method == "POST" else f"/{fid}")
        raw = orjson.dumps(body) if rng.random() < 0.9 else b"{" + bytes([rng.randint(0, 255)])
        r = tx_client.request(method, url, headers=headers, content=raw)
        assert r.status_code < 500, (method, body, headers, r.text)
        if r.status_code in (200, 201) and "etag" in r.headers and method != "POST":
            tag = r.headers["etag"]
        if method == "DELETE" and r.status_code == 204:
            break
