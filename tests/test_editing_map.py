"""Editing on the map: the page stays the same for everyone, the drawing library is local, and
in Chromium an editor draws a project, edits it, meets someone else's change and keeps their own."""

from __future__ import annotations

import json
import re
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from layers import accounts
from maps.build import ClearanceMapApp, MapView, build_map
from tests.accounts_helpers import PASSWORD, make_account, sign_in

MAPS = Path(__file__).resolve().parents[1] / "maps"
GEOMAN = "@geoman-io/leaflet-geoman-free"
MAP_READY = ("() => window.quyhoach && quyhoach.idle && quyhoach.idle()"
             " && quyhoach.state.statsStatus === 'loaded'")
# What differs between two renderings of one page: the nonce and folium's element names.
PER_RENDER = re.compile(r'nonce="[^"]*"|_[0-9a-f]{32}(?![0-9a-f])')


def _config(conn: Any, settings: Any, lang: str) -> dict[str, Any]:
    fmap = build_map(conn, settings, MapView(lang=lang))
    app = next(c for c in fmap._children.values() if isinstance(c, ClearanceMapApp))
    return orjson.loads(app.config)


def _fields(config: dict[str, Any], layer: str) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in config["edit"]["forms"][layer]["fields"]}


def test_the_map_page_is_the_same_for_everyone_and_shows_no_toolbar(app, engine) -> None:
    """Anonymous and signed-in readers get one page (no toolbar, no user); /me tells them apart."""
    name, _ = make_account(engine, "editor", ("long-bien.bo-de",))
    with TestClient(app) as anonymous, TestClient(app) as editor:
        assert anonymous.get("/me").status_code == 401
        sign_in(editor, name)
        assert editor.get("/me").json()["role"] == "editor"
        pages = [c.get("/map", params={"district": "long-bien"}) for c in (anonymous, editor)]
    assert all(r.status_code == 200 for r in pages)
    plain, signed = (PER_RENDER.sub("", r.text) for r in pages)
    assert plain == signed
    assert name not in plain and 'id="qh-edit"' not in plain and "qh-edit-bar" not in plain
    for url in ("/static/lib/geoman/leaflet-geoman.min.js", "/static/maps/quyhoach-edit.js",
                "/static/maps/quyhoach-edit.css"):
        assert url in plain, url
    # the editing script comes after the drawing library and after the map's own script
    assert plain.index("leaflet-geoman.min.js") < plain.index("quyhoach-edit.js")
    assert plain.index("quyhoach-map.js") < plain.index("quyhoach-edit.js")


def test_the_page_config_carries_the_form_declaration_in_both_languages(conn, settings) -> None:
    """Labels, vocabularies, dates, the plans' steps and the edit URLs, in Vietnamese and English."""
    vi, en = _config(conn, settings, "vi"), _config(conn, settings, "en")
    assert vi["edit"]["me"] == "/me"
    assert vi["edit"]["items"] == "/collections/{layer}/items"
    fields = _fields(vi, "projects")
    assert fields["name"]["label"] == "Tên dự án" and fields["name"]["required"]
    assert ["budget", "Vốn ngân sách"] in fields["funding"]["choices"]
    assert fields["started_on"]["type"] == "date"
    assert fields["completed_on"]["history"] is True
    assert "area_ha" not in fields and "id" not in fields  # generated, never written
    assert vi["edit"]["forms"]["parcels"]["steps"] == [
        "drafted", "published", "approved", "paid", "handed_over"]
    assert vi["edit"]["forms"]["projects"]["steps"] is None
    assert vi["edit"]["words"]["keep_mine"] == "Giữ bản của tôi"
    english = _fields(en, "projects")
    assert english["name"]["label"] == "Name"
    assert ["budget", "Budget-funded"] in english["funding"]["choices"]
    assert en["edit"]["words"]["keep_mine"] == "Keep mine"


def test_the_drawing_library_is_pinned_and_served_locally(client) -> None:
    """Geoman comes from npm at an exact version and is served by the service itself."""
    wanted = json.loads((MAPS / "package.json").read_text())["dependencies"][GEOMAN]
    assert re.fullmatch(r"\d+\.\d+\.\d+", wanted)
    locked = json.loads((MAPS / "package-lock.json").read_text())
    assert locked["packages"][f"node_modules/{GEOMAN}"]["version"] == wanted
    js = client.get("/static/lib/geoman/leaflet-geoman.min.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert b"setOptIn" in js.content
    css = client.get("/static/maps/quyhoach-edit.css")
    assert css.status_code == 200 and b".marker-icon" in css.content  # the vertex handles
    own = client.get("/static/maps/quyhoach-edit.js")
    assert own.status_code == 200 and b"If-Match" in own.content


# --- in Chromium --------------------------------------------------------------------------------


def _inside(engine: Engine, unit: str) -> tuple[float, float]:
    """(lat, lon) of a point 150 m inside an administrative unit."""
    with engine.connect() as c:
        row = c.execute(text(
            "SELECT ST_Y(p), ST_X(p) FROM (SELECT ST_Transform(ST_PointOnSurface("
            "ST_Buffer(geom, -150)), 4326) AS p FROM admin_units WHERE id = :id) x"),
            {"id": unit}).one()
    return float(row[0]), float(row[1])


def _wait_state(page: Any, status: str, writes: int | None = None) -> dict[str, Any]:
    """The editor's state once it reaches `status` (or an error), after `writes` answers."""
    page.wait_for_function(
        "([status, writes]) => { const s = quyhoach.edit && quyhoach.edit.state;"
        " return s && [status, 'error'].includes(s.status)"
        " && (writes === null || s.statuses.length === writes); }",
        arg=[status, writes], timeout=15_000)
    state = page.evaluate("quyhoach.edit.state")
    assert state["status"] == status, state
    return state


@pytest.mark.slow
def test_an_editor_draws_edits_meets_a_conflict_and_keeps_their_own(browser, live_server,
                                                                   engine) -> None:
    """Sign in, draw a project, save (201), edit (200), another editor writes, the page shows
    both versions on 412, "keep mine" saves; the API and the audit log agree; then delete."""
    name = f"t-map-{secrets.token_hex(4)}"
    with engine.begin() as c:
        accounts.add_user(c, name, "editor", PASSWORD, units=("long-bien.bo-de",))
    other, other_headers = make_account(engine, "editor", ("long-bien.bo-de",))
    code = f"DA-MAP-{secrets.token_hex(3).upper()}"
    lat, lon = _inside(engine, "long-bien.bo-de")
    view = urlencode({"district": "long-bien", "layers": "projects", "center": f"{lat},{lon}",
                      "zoom": "17"})
    ctx = browser.new_context(viewport={"width": 1280, "height": 860}, locale="vi-VN")
    errors: list[str] = []
    api = httpx.Client(base_url=live_server, timeout=15)
    try:
        page = ctx.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{live_server}/login?{urlencode({'next': '/map?' + view})}")
        page.fill("input[name=name]", name)
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.click("button[type=submit]")
        page.wait_for_function(MAP_READY, timeout=20_000)
        state = _wait_state(page, "ready")
        assert state["user"]["name"] == name
        toolbar = page.locator("#qh-edit")
        assert toolbar.is_visible() and name in toolbar.inner_text()

        # Draw a square of 120 px around the point (about 130 m a side at zoom 17).
        page.click("#qh-edit .qh-edit-new")
        _wait_state(page, "drawing")
        box = page.locator(".folium-map").bounding_box()
        assert box is not None
        centre = page.evaluate(f"quyhoach.map.latLngToContainerPoint([{lat}, {lon}])")
        cx, cy = box["x"] + centre["x"], box["y"] + centre["y"]
        corners = [(cx - 60, cy - 60), (cx + 60, cy - 60), (cx + 60, cy + 60), (cx - 60, cy + 60)]
        for x, y in [*corners, corners[0]]:
            page.mouse.click(x, y)
            page.wait_for_timeout(150)
        _wait_state(page, "new")
        form = page.locator("#qh-edit-form form.qh-edit-form")
        assert form.locator("select[name=funding] option").all_inner_texts() == [
            "Vốn ngân sách", "Vốn ngoài ngân sách"]
        assert form.locator("input[name=started_on]").get_attribute("type") == "date"
        assert form.locator("select[name=district]").input_value() == "long-bien"
        form.locator("input[name=name]").fill("Dự án vẽ trên bản đồ")
        # Refused without its code: the service's message names the attribute, nothing written.
        form.locator("button.qh-edit-save").click()
        state = _wait_state(page, "error", 1)
        assert state["statuses"] == [422] and state["id"] is None
        assert "'code' (Mã dự án)" in page.locator("#qh-edit .qh-edit-message").inner_text()
        form.locator("input[name=code]").fill(code)
        form.locator("select[name=funding]").select_option("non_budget")
        form.locator("input[name=started_on]").fill("2024-03-01")
        form.locator("button.qh-edit-save").click()
        state = _wait_state(page, "saved", 2)
        assert state["statuses"] == [422, 201]
        fid = state["id"]
        got = api.get(f"/collections/projects/items/{fid}")
        assert got.status_code == 200 and got.headers["etag"] == state["etag"]
        props = got.json()["properties"]
        assert (props["code"], props["funding"], props["started_on"], props["status"]) == (
            code, "non_budget", "2024-03-01", "planned")
        assert 0.5 < props["area_ha"] < 3  # about 130 m × 130 m, snapped or not

        # An attribute edited and saved: a merge patch with the ETag read.
        form = page.locator("#qh-edit-form form.qh-edit-form")
        form.locator("input[name=name]").fill("Dự án vẽ trên bản đồ (đã sửa)")
        form.locator("button.qh-edit-save").click()
        state = _wait_state(page, "saved", 3)
        assert state["statuses"] == [422, 201, 200]

        # Meanwhile another editor changes the same feature through the API.
        current = api.get(f"/collections/projects/items/{fid}")
        r = api.patch(f"/collections/projects/items/{fid}", headers={
            **other_headers, "If-Match": current.headers["etag"],
            "Content-Type": "application/merge-patch+json"},
            content=orjson.dumps({"properties": {"name": "Tên do người khác đặt",
                                                 "target_date": "2031-12-31"}}))
        assert r.status_code == 200, r.text

        # The page saves with the ETag it read: 412, and both versions are shown.
        form = page.locator("#qh-edit-form form.qh-edit-form")
        form.locator("input[name=name]").fill("Tên của tôi")
        form.locator("button.qh-edit-save").click()
        state = _wait_state(page, "conflict", 4)
        assert state["statuses"] == [422, 201, 200, 412]
        compare = page.locator("#qh-edit-form .qh-edit-conflict table.qh-edit-compare")
        row = compare.locator('tr[data-field="name"]')
        assert row.get_attribute("class") == "qh-edit-differs"
        assert row.locator("td.qh-edit-mine-value").inner_text() == "Tên của tôi"
        assert row.locator("td.qh-edit-theirs-value").inner_text() == "Tên do người khác đặt"
        target = compare.locator('tr[data-field="target_date"]')
        assert target.get_attribute("class") == "qh-edit-differs"
        assert target.locator("td.qh-edit-theirs-value").inner_text() == "31/12/2031"
        assert compare.locator('tr[data-field="code"]').get_attribute("class") is None
        assert page.locator("path.qh-edit-theirs").count() == 1
        assert page.locator("path.qh-edit-mine").count() == 1
        assert api.get(f"/collections/projects/items/{fid}").json()["properties"]["name"] == (
            "Tên do người khác đặt")  # nothing overwritten before the choice

        page.locator("#qh-edit-form button.qh-edit-keep-mine").click()
        state = _wait_state(page, "saved", 5)
        assert state["statuses"] == [422, 201, 200, 412, 200]
        assert page.locator("path.qh-edit-theirs").count() == 0
        final = api.get(f"/collections/projects/items/{fid}")
        props = final.json()["properties"]
        assert props["name"] == "Tên của tôi" and props["target_date"] is None
        assert (props["code"], props["funding"], props["started_on"]) == (
            code, "non_budget", "2024-03-01")
        assert final.headers["etag"] == state["etag"]

        # The audit log shows every change with its account and how it came.
        log = api.get(f"/collections/projects/items/{fid}/history", headers=other_headers).json()
        entries = list(reversed(log["entries"]))
        assert [(e["user"], e["via"], e["operation"]) for e in entries] == [
            (name, "map", "insert"), (name, "map", "update"), (other, "api", "update"),
            (name, "map", "update")]
        assert entries[1]["after"]["properties"]["name"] == "Dự án vẽ trên bản đồ (đã sửa)"
        assert entries[2]["after"]["properties"]["name"] == "Tên do người khác đặt"
        assert entries[3]["after"]["properties"]["name"] == "Tên của tôi"

        # Delete, after a confirmation.
        page.locator("#qh-edit-form button.qh-edit-delete").click()
        confirm = page.locator("#qh-edit-form .qh-edit-confirm")
        assert code not in confirm.inner_text() and "Tên của tôi" in confirm.inner_text()
        assert api.get(f"/collections/projects/items/{fid}").status_code == 200
        confirm.locator("button.qh-edit-confirm-yes").click()
        _wait_state(page, "deleted", 6)
        assert api.get(f"/collections/projects/items/{fid}").status_code == 404
        assert errors == []
    finally:
        api.close()
        ctx.close()
        with engine.begin() as c:
            c.execute(text("DELETE FROM projects WHERE code = :code"), {"code": code})
