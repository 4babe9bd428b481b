"""Status history: append-only events, the state they give on any day, and "as of" views."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from core.errors import InvalidDataError, NotFoundError
from layers import history
from layers.sample import load_sample

H1 = {"district": "long-bien", "from": "2022-01-01", "to": "2022-06-30"}
SEED = {"projects": 64, "projects_budget": 59, "projects_non_budget": 5, "plans_total": 1315,
        "plans_approved": 405, "projects_ahead_of_schedule": 2}
CUMULATIVE = ["projects", "plans_total", "plans_approved", "recovered_ha", "compensation_vnd",
              "projects_ahead_of_schedule"]


def _refused(conn, sql: str) -> str:
    with pytest.raises(DBAPIError) as exc, conn.begin_nested():
        conn.execute(text(sql))
    return str(exc.value)


def test_events_cannot_be_updated_or_deleted(conn) -> None:
    before = conn.execute(text(
        "SELECT count(*), md5(string_agg(e::text, '|' ORDER BY id)) FROM status_events e")).one()
    assert before[0] > 5000
    assert "append-only" in _refused(conn, "UPDATE status_events SET note = 'sửa' WHERE id = 1")
    assert "append-only" in _refused(
        conn, "UPDATE status_events SET effective_on = effective_on - 1")
    assert "append-only" in _refused(conn, "DELETE FROM status_events WHERE id = 1")
    assert "append-only" in _refused(conn, "TRUNCATE status_events")
    after = conn.execute(text(
        "SELECT count(*), md5(string_agg(e::text, '|' ORDER BY id)) FROM status_events e")).one()
    assert after == before


def _stored_vs_derived(conn, day: dt.date) -> tuple[int, int, int]:
    """(plans compared, plans differing, projects differing) on a day."""
    row = conn.execute(text("""
        WITH stored AS (
          SELECT pa.id,
                 CASE WHEN pa.handed_over_on <= :d THEN 'handed_over'
                      WHEN pa.paid_on <= :d THEN 'paid'
                      WHEN pa.approved_on <= :d THEN 'approved'
                      WHEN pa.published_on <= :d THEN 'published'
                      WHEN pa.drafted_on <= :d THEN 'drafted' END AS status,
                 CASE WHEN pa.approved_on <= :d THEN pa.approved_on END AS approved_on
          FROM parcels pa
        ),
        projects_stored AS (
          SELECT p.id, CASE WHEN p.completed_on <= :d THEN 'completed'
                            WHEN p.started_on <= :d THEN 'started' ELSE 'planned' END AS status
          FROM projects p
        )
        SELECT (SELECT count(*) FROM stored WHERE status IS NOT NULL),
               (SELECT count(*) FROM stored s LEFT JOIN plan_states(:d) h ON h.parcel_id = s.id
                WHERE (s.status, s.approved_on) IS DISTINCT FROM (h.status, h.approved_on)),
               (SELECT count(*) FROM projects_stored s JOIN project_states(:d) h
                  ON h.project_id = s.id
                WHERE CASE WHEN h.status IN ('in_progress', 'suspended') THEN 'started'
                           ELSE h.status END <> s.status)
    """), {"d": day}).one()
    return int(row[0]), int(row[1]), int(row[2])


@pytest.mark.parametrize("day", ["2012-06-30", "2015-12-31", "2021-06-30", "2022-01-31",
                                 "2022-03-31", "2022-06-30", "2022-09-30", "2022-12-31"])
def test_status_derived_from_events_equals_the_stored_history(conn, day: str) -> None:
    compared, plans, projects = _stored_vs_derived(conn, dt.date.fromisoformat(day))
    assert compared > 50
    assert (plans, projects) == (0, 0)


def test_current_status_is_the_latest_event(conn) -> None:
    assert not history.mismatches(conn)
    statuses = dict(conn.execute(text(
        "SELECT status, count(*) FROM plan_states('infinity') GROUP BY 1")).all())
    assert set(statuses) == {"drafted", "published", "approved", "paid", "handed_over"}


def test_recording_a_change_updates_the_status_and_the_layer_versions(conn) -> None:
    code, published_on = conn.execute(text(
        "SELECT code, published_on FROM parcels WHERE status = 'published' ORDER BY code LIMIT 1"
    )).one()
    versions = dict(conn.execute(text("SELECT layer, version FROM layer_versions")).all())
    day = published_on + dt.timedelta(days=30)
    ev = history.record(conn, "plan", code, "approved", day, "Trung tâm PTQĐ",
                        "QĐ 12/QĐ-UBND (thử)")
    assert (ev["from_status"], ev["to_status"], ev["effective_on"]) == ("published", "approved", day)
    status, approved_on = conn.execute(
        text("SELECT status, approved_on FROM parcels WHERE code = :c"), {"c": code}).one()
    assert (status, approved_on) == ("approved", day)
    after = dict(conn.execute(text("SELECT layer, version FROM layer_versions")).all())
    assert after["parcels"] > versions["parcels"] and after["projects"] > versions["projects"]
    assert history.state_on(conn, "plan", code, day - dt.timedelta(days=1))["status"] == "published"
    assert history.state_on(conn, "plan", code, day)["approved_on"] == day
    assert [e["to_status"] for e in history.events(conn, "plan", code)][-2:] == [
        "published", "approved"]
    assert not history.mismatches(conn)


def test_project_completion_is_recorded_and_derived(conn) -> None:
    code, started = conn.execute(text(
        "SELECT code, started_on FROM projects WHERE status = 'in_progress' "
        "AND district = 'hai-ba-trung' ORDER BY code LIMIT 1")).one()
    history.record(conn, "project", code, "completed", dt.date(2016, 3, 1), "UBND quận")
    row = conn.execute(text("SELECT status, completed_on FROM projects WHERE code = :c"),
                       {"c": code}).one()
    assert tuple(row) == ("completed", dt.date(2016, 3, 1))
    assert history.state_on(conn, "project", code, dt.date(2016, 2, 29))["status"] == "in_progress"
    assert started < dt.date(2016, 3, 1)


def test_events_must_continue_the_history(conn) -> None:
    count = conn.execute(text("SELECT count(*) FROM status_events")).scalar_one()
    code, approved_on = conn.execute(text(
        "SELECT code, approved_on FROM parcels WHERE status = 'approved' ORDER BY code LIMIT 1"
    )).one()
    def refused(to: str, day: dt.date) -> InvalidDataError:
        with pytest.raises(InvalidDataError) as exc:
            history.record(conn, "plan", code, to, day, "x")
        return exc.value

    assert "only moves forward" in refused("published", approved_on).message_en
    err = refused("paid", approved_on - dt.timedelta(days=1))
    assert "before the latest event" in err.message_en
    assert "trước sự kiện gần nhất" in err.message
    assert "in the future" in refused("paid", dt.date.today() + dt.timedelta(days=3)).message_en
    assert "Unknown status" in refused("accepted", approved_on).message_en
    with pytest.raises(NotFoundError):
        history.record(conn, "project", "LB-1999-999", "completed", approved_on, "x")
    assert conn.execute(text("SELECT count(*) FROM status_events")).scalar_one() == count
    assert conn.execute(text("SELECT status FROM parcels WHERE code = :c"),
                        {"c": code}).scalar_one() == "approved"


def test_direct_writes_become_events_or_are_refused(conn) -> None:
    pid = conn.execute(text(
        "SELECT min(id) FROM parcels WHERE status = 'approved'")).scalar_one()
    conn.execute(text("UPDATE parcels SET status = 'paid', paid_on = approved_on + 3 "
                      "WHERE id = :id"), {"id": pid})
    last = conn.execute(text(
        "SELECT from_status, to_status FROM status_events WHERE entity = 'plan' "
        "AND entity_id = :id ORDER BY id DESC LIMIT 1"), {"id": pid}).one()
    assert tuple(last) == ("approved", "paid")
    assert "rewritten" in _refused(
        conn, f"UPDATE parcels SET approved_on = approved_on - 1 WHERE id = {pid}")
    assert "rewritten" in _refused(
        conn, f"UPDATE parcels SET status = 'approved', paid_on = NULL WHERE id = {pid}")
    # New rows bring their history along.
    conn.execute(text("""
        INSERT INTO parcels (code, project_id, land_user_kind, status, drafted_on, published_on,
                             approved_on, compensation_vnd, geom)
        SELECT 'T-NEW-1', project_id, land_user_kind, 'approved', '2022-02-01', '2022-03-01',
               '2022-04-01', 1000000, ST_Translate(geom, 0, 0)
        FROM parcels WHERE id = :id"""), {"id": pid})
    steps = conn.execute(text(
        "SELECT to_status, effective_on FROM status_events e JOIN parcels p "
        "ON e.entity = 'plan' AND e.entity_id = p.id WHERE p.code = 'T-NEW-1' ORDER BY e.id"
    )).all()
    assert [s for s, _ in steps] == ["drafted", "published", "approved"]
    assert steps[-1][1] == dt.date(2022, 4, 1)
    assert not history.mismatches(conn)


def _stats(client, **params) -> dict:
    r = client.get("/stats/clearance", params={**H1, **params})
    assert r.status_code == 200, r.text
    return r.json()


def test_as_of_end_of_june_reproduces_the_seed_figures(client) -> None:
    s = _stats(client, as_of="2022-06-30")
    assert {k: s[k] for k in SEED} == SEED
    assert s["recovered_ha"] == pytest.approx(3.8, abs=0.05)
    assert s["compensation_vnd"] / 1e9 == pytest.approx(182.9, abs=0.1)
    assert (s["civilized_streets"]["planned"], s["civilized_streets"]["recognised"]) == (14, 50)
    assert s["as_of"] == "2022-06-30"
    # Statuses are those of that day: the projects suspended later were still in progress.
    assert s["projects_by_status"] == {"in_progress": 61, "completed": 3}
    assert _stats(client)["projects_by_status"].get("suspended", 0) > 0
    march = _stats(client, as_of="2022-03-31")
    for k in CUMULATIVE:
        assert march[k] <= s[k], k
    assert march["plans_approved"] < s["plans_approved"]
    assert march["recovered_ha"] < s["recovered_ha"]


def test_cumulative_figures_never_decrease(client) -> None:
    year = {"district": "long-bien", "from": "2022-01-01", "to": "2022-12-31"}
    days = ["2021-12-31"] + [f"2022-{m:02d}-{d}" for m, d in
                             [(1, 31), (2, 28), (3, 31), (4, 30), (5, 31), (6, 30), (7, 31),
                              (8, 31), (9, 30), (10, 31), (11, 30), (12, 31)]]
    series = [client.get("/stats/clearance", params={**year, "as_of": d}).json() for d in days]
    assert series[0]["plans_approved"] == 0 and series[0]["projects"] == 0
    for earlier, later in zip(series, series[1:], strict=False):
        for k in CUMULATIVE:
            assert earlier[k] <= later[k], (later["as_of"], k)
    today = client.get("/stats/clearance", params=year).json()
    assert {k: series[-1][k] for k in CUMULATIVE} == {k: today[k] for k in CUMULATIVE}
    assert series[6]["plans_approved"] == 405 and series[-1]["plans_approved"] > 405
    months = today["by_month"]
    assert [m["month"] for m in months][:1] == ["2022-01"] and months[-1]["month"] == "2022-12"
    cum = [m["plans_approved_cumulative"] for m in months]
    assert cum == sorted(cum) and cum[-1] == today["plans_approved"]
    assert sum(m["plans_approved"] for m in months) == today["plans_approved"]


def test_items_as_of_a_day(client, editor_headers) -> None:
    def items(layer: str, **params) -> dict:  # as staff: the amounts are staff-only
        r = client.get(f"/collections/{layer}/items", headers=editor_headers,
                       params={"district": "long-bien", "limit": 10000, **params})
        assert r.status_code == 200, r.text
        return r.json()

    approved_h1 = {"datetime": "2022-01-01/2022-06-30"}
    assert items("parcels", **approved_h1)["numberMatched"] == 405
    assert items("parcels", as_of="2022-06-30", **approved_h1)["numberMatched"] == 405
    assert items("parcels", as_of="2022-03-31", **approved_h1)["numberMatched"] == 205
    march = {f["properties"]["code"]: f["properties"]
             for f in items("parcels", as_of="2022-03-31")["features"]}
    now = {f["properties"]["code"]: f["properties"] for f in items("parcels")["features"]}
    assert len(march) < len(now)
    later = [c for c, p in now.items() if p["approved_on"] and p["approved_on"] >= "2022-04-01"
             and c in march]
    assert later
    for c in later:
        assert march[c]["approved_on"] is None and march[c]["compensation_vnd"] == 0
        assert march[c]["status"] in ("drafted", "published")
    done = {f["properties"]["code"]: f["properties"] for f in items("projects")["features"]}
    early = [c for c, p in done.items() if p["completed_on"] == "2022-04-22"]
    assert len(early) == 1
    p_march = items("projects", as_of="2022-03-31", code=early[0])["features"][0]["properties"]
    p_june = items("projects", as_of="2022-06-30", code=early[0])["features"][0]["properties"]
    assert (p_march["status"], p_march["completed_on"]) == ("in_progress", None)
    assert (p_june["status"], p_june["completed_on"]) == ("completed", "2022-04-22")
    assert p_march["plans_approved"] <= p_june["plans_approved"] == p_june["plans_total"]
    june = items("projects", as_of="2022-06-30", status="completed")
    assert {f["properties"]["code"] for f in june["features"]} >= {early[0]}
    assert client.get("/collections/projects/items",
                      params={"as_of": "2022-02-30"}).status_code == 400
    assert client.get("/stats/clearance", params={**H1, "as_of": "soon"}).status_code == 400


def test_sample_history_reloads_identically(engine, plan_store) -> None:
    def digest() -> str:
        with engine.connect() as c:
            return c.execute(text(
                "SELECT md5(string_agg(e::text, '|' ORDER BY id)) FROM status_events e"
            )).scalar_one()

    # Loaded twice from the files (whatever other tests committed before), the same history.
    load_sample(engine, plan_store=plan_store)
    before = digest()
    load_sample(engine, plan_store=plan_store)
    assert digest() == before


def test_emptying_the_layers_restarts_the_history(conn) -> None:
    conn.execute(text("TRUNCATE projects RESTART IDENTITY CASCADE"))
    assert conn.execute(text("SELECT count(*) FROM status_events")).scalar_one() == 0
    conn.execute(text(
        "INSERT INTO projects (code, name, district, funding, status, started_on, geom) "
        "VALUES ('T-1', 'Thử', 'test', 'budget', 'in_progress', '2022-01-10', "
        "ST_Multi(ST_Buffer(ST_SetSRID(ST_MakePoint(586000, 2326000), 5897), 50)))"))
    events = conn.execute(text(
        "SELECT entity_id, from_status, to_status, effective_on FROM status_events")).all()
    assert [tuple(e) for e in events] == [(1, None, "in_progress", dt.date(2022, 1, 10))]
    assert not history.mismatches(conn)
