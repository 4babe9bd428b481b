"""The append-only audit log: written with every write, refused any change, read, restored from."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from cli.main import main
from core.settings import Settings
from gis.db import make_engine
from layers import audit
from layers.accounts import User
from layers.migrate import upgrade
from layers.plans import SAMPLE_PLAN_DIR, SAMPLE_STEM
from tests.accounts_helpers import PASSWORD, make_account

PNG = SAMPLE_PLAN_DIR / f"{SAMPLE_STEM}.png"
PGW = SAMPLE_PLAN_DIR / f"{SAMPLE_STEM}.pgw"


def writer(conn, editor_headers: dict[str, str]) -> User:
    """The account behind the session's writing token."""
    row = conn.execute(text("SELECT u.id, u.name, u.role FROM users u WHERE u.name = "
                            "'test-writer'")).one()
    return User(row.id, row.name, row.role)


def refused(conn, sql: str) -> str:
    """The database's message refusing a statement (run in a savepoint)."""
    with pytest.raises(DBAPIError) as caught, conn.begin_nested():
        conn.execute(text(sql))
    return str(caught.value.orig)


def test_the_log_refuses_update_delete_and_truncate_even_to_the_app_role(
        conn, editor_headers) -> None:
    user = writer(conn, editor_headers)
    entry = audit.record(conn, user, "api", "lakes", 1, "update", '{"a": 1}', '{"a": 2}')
    # The service connects as this role (a superuser in development): the trigger refuses.
    for sql in (f"UPDATE audit_log SET note = 'x' WHERE id = {entry}",
                f"DELETE FROM audit_log WHERE id = {entry}",
                "DELETE FROM audit_log WHERE false",
                "TRUNCATE audit_log"):
        assert "append-only" in refused(conn, sql), sql
    conn.execute(text("SET LOCAL session_replication_role = replica"))
    assert "append-only" in refused(conn, f"DELETE FROM audit_log WHERE id = {entry}")
    conn.execute(text("SET LOCAL session_replication_role = origin"))
    # An ordinary application role: no privilege to change it, and the trigger even if granted.
    role = f"qh_app_{os.getpid()}"
    conn.execute(text(f"CREATE ROLE {role} NOLOGIN"))
    conn.execute(text(f"GRANT SELECT, INSERT ON audit_log TO {role}"))
    conn.execute(text(f"SET LOCAL ROLE {role}"))
    assert "permission denied" in refused(conn, f"UPDATE audit_log SET note = 'x' WHERE id = {entry}")
    assert "permission denied" in refused(conn, f"DELETE FROM audit_log WHERE id = {entry}")
    assert conn.execute(text(f"SELECT count(*) FROM audit_log WHERE id = {entry}")).scalar() == 1
    conn.execute(text("RESET ROLE"))
    conn.execute(text(f"GRANT UPDATE, DELETE, TRUNCATE ON audit_log TO {role}"))
    conn.execute(text(f"SET LOCAL ROLE {role}"))
    assert "append-only" in refused(conn, f"UPDATE audit_log SET note = 'x' WHERE id = {entry}")
    conn.execute(text("RESET ROLE"))
    assert conn.execute(text(f"SELECT note FROM audit_log WHERE id = {entry}")).scalar() is None


def post_plan(client, headers):
    with open(PNG, "rb") as img, open(PGW, "rb") as wld:
        return client.post("/plans", headers=headers, files={
            "file": (PNG.name, img, "image/png"), "world_file": (PGW.name, wld, "text/plain")},
            data={"name": "Nhật ký"})


def test_plan_writes_are_logged_and_read_by_admins(tx_client, conn, engine,
                                                   editor_headers) -> None:
    r = post_plan(tx_client, editor_headers)
    assert r.status_code == 201, r.text
    plan_id = r.json()["id"]
    assert tx_client.delete(f"/plans/{plan_id}", headers=editor_headers).status_code == 204
    log = tx_client.get(f"/audit?layer=plans&feature={plan_id}", headers=editor_headers)
    assert log.status_code == 200, log.text
    entries = log.json()["entries"]
    assert [e["operation"] for e in entries] == ["delete", "insert"]
    assert {e["user"] for e in entries} == {"test-writer"} and entries[0]["via"] == "api"
    assert entries[1]["after"]["properties"]["name"] == "Nhật ký"
    assert entries[0]["before"]["geometry"]["type"] == "MultiPolygon"
    assert entries[0]["after"] is None
    assert tx_client.get("/audit?user=test-writer&limit=1", headers=editor_headers
                         ).json()["numberReturned"] == 1
    assert tx_client.get("/audit?from=2000-01-01&to=2000-01-02", headers=editor_headers
                         ).json()["entries"] == []
    _, editor = make_account(engine, "editor")
    assert tx_client.get("/audit", headers=editor).status_code == 403
    assert tx_client.get("/audit").status_code == 401


def test_a_refused_write_leaves_no_entry(client, engine) -> None:
    with engine.connect() as c:
        before = c.execute(text("SELECT count(*) FROM audit_log")).scalar_one()
    _, viewer = make_account(engine, "viewer")
    assert post_plan(client, viewer).status_code == 403
    r = client.post("/plans", headers=make_account(engine, "admin")[1], files={"x": ("a", b"")})
    assert r.status_code == 400
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM audit_log")).scalar_one() == before


def test_a_deleted_feature_is_restored_from_the_log(tx_client, conn, editor_headers,
                                                    engine) -> None:
    user = writer(conn, editor_headers)
    pid = conn.execute(text("SELECT id FROM parcels WHERE approved_on IS NOT NULL "
                            "ORDER BY id LIMIT 1")).scalar_one()
    original = tx_client.get(f"/collections/parcels/items/{pid}?crs=EPSG:5897",
                             headers=editor_headers).json()
    events = "SELECT count(*) FROM status_events WHERE entity = 'plan' AND entity_id = :id"
    events_before = conn.execute(text(events), {"id": pid}).scalar_one()
    # A deletion as a write through the API records it.
    with audit.audited(conn, user, "api", "parcels", pid, "delete"):
        conn.execute(text("DELETE FROM parcels WHERE id = :id"), {"id": pid})
    entry = conn.execute(text("SELECT max(id) FROM audit_log")).scalar_one()
    assert tx_client.get(f"/collections/parcels/items/{pid}").status_code == 404
    _, editor = make_account(engine, "editor")
    assert tx_client.post(f"/audit/{entry}/restore", headers=editor).status_code == 403
    assert tx_client.post(f"/audit/{entry}/restore").status_code == 401

    r = tx_client.post(f"/audit/{entry}/restore", headers=editor_headers)
    assert r.status_code == 201, r.text
    assert r.headers["location"].endswith(f"/collections/parcels/items/{pid}")
    back = tx_client.get(f"/collections/parcels/items/{pid}?crs=EPSG:5897",
                         headers=editor_headers).json()
    assert back["properties"] == original["properties"]
    assert back["geometry"] == original["geometry"]
    # Its status history was kept, not doubled.
    assert conn.execute(text(events), {"id": pid}).scalar_one() == events_before > 0
    history = tx_client.get(f"/collections/parcels/items/{pid}/history",
                            headers=editor_headers).json()["entries"]
    assert [e["operation"] for e in history[:2]] == ["restore", "delete"]
    assert history[0]["restores"] == entry
    assert tx_client.get(f"/collections/parcels/items/{pid}/history").status_code == 401
    again = tx_client.post(f"/audit/{entry}/restore?lang=en", headers=editor_headers)
    assert again.status_code == 409 and "exists" in again.json()["description_en"]
    not_a_deletion = history[0]["id"]
    r = tx_client.post(f"/audit/{not_a_deletion}/restore", headers=editor_headers)
    assert r.status_code == 409
    assert tx_client.post("/audit/999999999/restore", headers=editor_headers).status_code == 404


# --- the command line records its acting user -------------------------------------------------


@pytest.fixture(scope="module")
def cli_db(fresh_database) -> Iterator[tuple[Engine, str]]:
    """A migrated database of its own with one project, one plan and an admin."""
    url = fresh_database("audit_cli")
    engine = make_engine(Settings(database_url=url), url)
    upgrade(engine)
    with engine.begin() as c:
        c.execute(text(
            "INSERT INTO projects (code, name, district, funding, status, started_on, geom) "
            "VALUES ('DA-A', 'Dự án A', 'long-bien', 'budget', 'in_progress', '2022-01-03', "
            "ST_Multi(ST_MakeEnvelope(591000, 2326000, 596000, 2331000, 5897)))"))
        c.execute(text(
            "INSERT INTO parcels (code, project_id, land_user_kind, status, drafted_on, geom) "
            "SELECT 'PA-A', id, 'household', 'drafted', '2022-01-05', "
            "ST_Multi(ST_MakeEnvelope(592000, 2327000, 592050, 2327050, 5897)) FROM projects"))
    yield engine, url
    engine.dispose()


def cli(url: str, *args: str, **env: str):
    return CliRunner().invoke(main, list(args), input=PASSWORD + "\n",
                              env={"DATABASE_URL": url, "QUYHOACH_USER": "", **env})


def test_status_set_and_import_record_the_acting_user(cli_db, tmp_path: Path) -> None:
    engine, url = cli_db
    assert cli(url, "user", "add", "chi.nguyen", "--role", "admin", "--password-stdin"
               ).exit_code == 0
    assert cli(url, "user", "add", "xem", "--role", "viewer", "--password-stdin").exit_code == 0

    r = cli(url, "status", "set", "plan", "PA-A", "published", "--on", "2022-02-01",
            "--lang", "en")
    assert r.exit_code == 2 and "QUYHOACH_USER" in r.output
    r = cli(url, "status", "set", "plan", "PA-A", "published", "--user", "xem", "--lang", "en")
    assert r.exit_code == 2 and "may read but not write" in r.output
    r = cli(url, "status", "set", "plan", "PA-A", "published", "--user", "ai-do", "--lang", "en")
    assert r.exit_code == 2 and "No account" in r.output
    r = cli(url, "status", "set", "plan", "PA-A", "published", "--on", "2022-02-01",
            QUYHOACH_USER="chi.nguyen")
    assert r.exit_code == 0, r.output
    with engine.connect() as c:
        assert c.execute(text("SELECT recorded_by FROM status_events WHERE to_status = "
                              "'published'")).scalar_one() == "chi.nguyen"
        e = c.execute(text("SELECT actor, via, layer, operation, before, after FROM audit_log"
                           " WHERE actor <> 'system'")).one()
    assert (e.actor, e.via, e.layer, e.operation) == ("chi.nguyen", "cli", "parcels", "status")
    assert (e.before["properties"]["status"], e.after["properties"]["status"]) == (
        "drafted", "published")

    lakes = tmp_path / "lakes.geojson"
    ring = [[105.90, 21.04], [105.901, 21.04], [105.901, 21.041], [105.90, 21.04]]
    lakes.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": f"Hồ {i}", "district": "long-bien",
                                           "works": "dredging", "status": "planned"},
         "geometry": {"type": "Polygon", "coordinates": [[[x + i * 0.002, y] for x, y in ring]]}}
        for i in range(3)]}), encoding="utf-8")
    r = cli(url, "import", str(lakes), "--layer", "lakes", "--lang", "en")
    assert r.exit_code == 2 and "QUYHOACH_USER" in r.output
    assert cli(url, "import", str(lakes), "--layer", "lakes", "--dry-run").exit_code == 0
    r = cli(url, "import", str(lakes), "--layer", "lakes", "--user", "chi.nguyen")
    assert r.exit_code == 0, r.output
    with engine.connect() as c:
        rows = c.execute(text("SELECT feature_id, actor, via, operation, after, note "
                              "FROM audit_log WHERE layer = 'lakes' ORDER BY feature_id")).all()
        ids = c.execute(text("SELECT id FROM lakes ORDER BY id")).scalars().all()
    assert [r.feature_id for r in rows] == ids and len(ids) == 3
    assert {(r.actor, r.via, r.operation, r.note) for r in rows} == {
        ("chi.nguyen", "import", "insert", "lakes.geojson")}
    assert orjson.loads(orjson.dumps(rows[0].after))["properties"]["name"] == "Hồ 0"
