"""Accounts: sign-in and sign-out, cookies, CSRF, tokens, throttling, roles and scope, the CLI."""

from __future__ import annotations

import secrets

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import text

from cli.main import main
from layers import access, accounts
from layers.accounts import User
from layers.plans import SAMPLE_PLAN_DIR, SAMPLE_STEM
from tests.accounts_helpers import PASSWORD, login_form, make_account, sign_in

PNG = SAMPLE_PLAN_DIR / f"{SAMPLE_STEM}.png"
PGW = SAMPLE_PLAN_DIR / f"{SAMPLE_STEM}.pgw"


def browser(app, **kwargs) -> TestClient:
    """A browser-like client of its own address, so that throttling counts it alone."""
    address = f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250)}"
    return TestClient(app, client=(address, 50000), **kwargs)


def set_cookie_headers(response) -> dict[str, str]:
    """Each Set-Cookie header of a response by cookie name."""
    return {v.split("=", 1)[0]: v for v in response.headers.get_list("set-cookie")}


def post_plan(client: TestClient, headers: dict[str, str] | None = None):
    with open(PNG, "rb") as img, open(PGW, "rb") as wld:
        return client.post("/plans?lang=en", headers=headers or {},
                           files={"file": (PNG.name, img, "image/png"),
                                  "world_file": (PGW.name, wld, "text/plain")})


def plan_count(engine) -> int:
    with engine.connect() as c:
        return c.execute(text("SELECT count(*) FROM plans")).scalar_one()


# --- browser sessions -------------------------------------------------------------------------


def test_sign_in_sets_safe_cookies_and_sign_out_ends_the_session(app, engine) -> None:
    name, _ = make_account(engine, "viewer")
    with browser(app) as c:
        page = c.get("/login?lang=en")
        assert page.status_code == 200 and "Account name" in page.text
        assert "Tên tài khoản" in c.get("/login?lang=vi").text
        token = login_form(c)
        r = c.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": token,
                                   "next": "/dashboard"}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/dashboard"
        cookies = set_cookie_headers(r)
        session = cookies["qh_session"].lower()
        assert "httponly" in session and "samesite=lax" in session and "secure" not in session
        assert "httponly" not in cookies["qh_csrf"].lower()
        me = c.get("/me")
        assert me.status_code == 200 and me.json()["name"] == name and me.json()["via"] == "map"
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT id_hash FROM sessions s JOIN users u "
                                       "ON u.id = s.user_id WHERE u.name = :n"), {"n": name}).all()
        assert len(stored) == 1 and c.cookies["qh_session"] not in stored[0][0]

        assert c.post("/logout", follow_redirects=False).status_code == 403  # no CSRF token
        r = c.post("/logout", data={"csrf_token": c.cookies["qh_csrf"]}, follow_redirects=False)
        assert r.status_code == 303
        assert c.get("/me").status_code == 401
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM sessions s JOIN users u "
                                 "ON u.id = s.user_id WHERE u.name = :n"), {"n": name}
                            ).scalar_one() == 0


def test_cookies_are_secure_over_https(app, engine, settings) -> None:
    name, _ = make_account(engine, "viewer")
    with browser(app, base_url="https://testserver") as c:
        token = login_form(c)
        r = c.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": token},
                   follow_redirects=False)
    assert r.status_code == 303
    for header in set_cookie_headers(r).values():
        assert "secure" in header.lower()


def test_sign_in_needs_the_forms_own_token_and_the_right_password(app, engine) -> None:
    name, _ = make_account(engine, "viewer")
    with browser(app) as c:
        r = c.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": "x.y"},
                   follow_redirects=False)
        assert r.status_code == 403 and "qh_session" not in c.cookies
        token = login_form(c)
        r = c.post("/login?lang=en", data={"name": name, "password": "wrong-password-1",
                                           "csrf_token": token}, follow_redirects=False)
        assert r.status_code == 401 and "Wrong account name or password" in r.text
        assert "qh_session" not in c.cookies
        assert c.get("/me").status_code == 401


def test_a_browser_write_needs_the_csrf_token(app, engine) -> None:
    name, _ = make_account(engine, "admin")
    before = plan_count(engine)
    with browser(app) as c:
        csrf = sign_in(c, name)
        r = post_plan(c)
        assert r.status_code == 403 and "CSRF" in r.json()["description_en"]
        r = c.post("/plans", headers={"X-CSRF-Token": "not-the-token"}, files={"x": ("a", b"")})
        assert r.status_code == 403
        # With the token the write goes through to the form's own checks.
        r = c.post("/plans?lang=en", headers={"X-CSRF-Token": csrf}, files={"x": ("a", b"")})
        assert r.status_code == 400 and "'file'" in r.json()["description_en"]
        r = c.delete("/plans/2000000000", headers={"X-CSRF-Token": csrf})
        assert r.status_code == 404
    assert plan_count(engine) == before


# --- tokens -----------------------------------------------------------------------------------


def test_bearer_tokens_work_and_expired_or_revoked_ones_say_why(client, engine) -> None:
    name, headers = make_account(engine, "editor")
    r = client.get("/me", headers=headers)
    assert r.status_code == 200 and r.json() == {"name": name, "role": "editor", "units": [],
                                                 "via": "api"}
    with engine.begin() as c:
        expired = accounts.create_token(c, name, 1)
        revoked = accounts.create_token(c, name, 1)
        c.execute(text("UPDATE api_tokens SET expires_at = now() - interval '1 day' "
                       "WHERE id = :id"), {"id": expired.id})
        accounts.revoke_token(c, revoked.prefix)
    r = client.get("/me?lang=en", headers={"Authorization": f"Bearer {expired.secret}"})
    assert r.status_code == 401 and "expired" in r.json()["description_en"]
    assert "invalid_token" in r.headers["www-authenticate"]
    r = client.get("/me?lang=en", headers={"Authorization": f"Bearer {revoked.secret}"})
    assert r.status_code == 401 and "revoked" in r.json()["description_en"]
    r = client.get("/collections/parcels/items?limit=1&lang=en",
                   headers={"Authorization": f"Bearer {revoked.secret}"})
    assert r.status_code == 401
    r = client.get("/me", headers={"Authorization": "Bearer qh_nothing_like_it"})
    assert r.status_code == 401 and r.json()["description_vi"] != r.json()["description_en"]
    with engine.begin() as c:
        stored = c.execute(text("SELECT token_hash, last_used_at FROM api_tokens t JOIN users u "
                                "ON u.id = t.user_id WHERE u.name = :n ORDER BY t.id"),
                           {"n": name}).all()
    assert all(len(h) == 64 for h, _ in stored) and stored[0].last_used_at is not None


def test_failed_sign_ins_slow_the_account_down(app, engine) -> None:
    name, _ = make_account(engine, "viewer")
    with browser(app) as c:
        for _ in range(accounts.ACCOUNT_FREE):
            token = login_form(c)
            r = c.post("/login", data={"name": name, "password": "wrong-password-1",
                                       "csrf_token": token}, follow_redirects=False)
            assert r.status_code == 401
        token = login_form(c)
        # Even the right password waits now: guessing goes no faster.
        r = c.post("/login?lang=en", data={"name": name, "password": PASSWORD,
                                           "csrf_token": token}, follow_redirects=False)
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        assert "Too many failed sign-ins" in r.text and "qh_session" not in c.cookies
    with engine.connect() as conn:
        wait = accounts.wait_before_sign_in(conn, name, "elsewhere")
    assert 0 < wait <= accounts.THROTTLE_BASE_S
    other, _ = make_account(engine, "viewer")
    with browser(app) as c:  # another account is not slowed by it
        sign_in(c, other)


def test_the_address_is_slowed_across_accounts(conn) -> None:
    address = f"192.0.2.{secrets.randbelow(250)}"
    for i in range(accounts.ADDRESS_FREE):
        conn.execute(text("INSERT INTO login_attempts (name, address, ok) VALUES (:n, :a, false)"),
                     {"n": f"guess-{i}", "a": address})
    assert accounts.wait_before_sign_in(conn, "someone-new", address) > 0
    assert accounts.wait_before_sign_in(conn, "someone-new", "192.0.2.254") == 0


# --- roles and scope --------------------------------------------------------------------------


def test_anonymous_writes_are_401_and_viewers_403(client, engine) -> None:
    before = plan_count(engine)
    r = post_plan(client)
    assert r.status_code == 401 and r.json()["code"] == "Unauthorized"
    assert client.delete("/plans/1").status_code == 401
    _, viewer = make_account(engine, "viewer")
    r = post_plan(client, viewer)
    assert r.status_code == 403 and "needs the role editor or admin" in r.json()["description_en"]
    assert client.delete("/plans/1", headers=viewer).status_code == 403
    assert plan_count(engine) == before


UNITS = """
INSERT INTO admin_units (id, level, name, valid_from, geom) VALUES
 (:a, 'ward', 'Thử nghiệm A', '2025-07-01',
  ST_Multi(ST_MakeEnvelope(580000, 2315000, 600000, 2335000, 5897))),
 (:b, 'ward', 'Thử nghiệm B', '2025-07-01',
  ST_Multi(ST_MakeEnvelope(610000, 2345000, 611000, 2346000, 5897)))
"""


@pytest.fixture
def units(conn) -> tuple[str, str]:
    """Two administrative units in the test's transaction: A holds the sample sheet, B not."""
    if conn.execute(text("SELECT to_regclass('admin_units')")).scalar() is None:
        conn.execute(text("CREATE TEMP TABLE admin_units (id text PRIMARY KEY, level text, "
                          "name text, parent_id text, valid_from date, valid_to date, "
                          "geom geometry(MultiPolygon, 5897))"))
    ids = (f"test-a-{secrets.token_hex(3)}", f"test-b-{secrets.token_hex(3)}")
    conn.execute(text(UNITS), {"a": ids[0], "b": ids[1]})
    return ids


def test_an_editor_writes_plans_in_scope_only(tx_client, conn, engine, settings, units) -> None:
    unit_a, unit_b = units
    _, outside = make_account(engine, "editor", (unit_b,))
    plans_before = conn.execute(text("SELECT count(*) FROM plans")).scalar_one()
    store_before = sorted(p.name for p in settings.plan_store.iterdir())
    r = post_plan(tx_client, outside)
    assert r.status_code == 403 and "outside the units" in r.json()["description_en"]
    assert conn.execute(text("SELECT count(*) FROM plans")).scalar_one() == plans_before
    assert sorted(p.name for p in settings.plan_store.iterdir()) == store_before
    _, inside = make_account(engine, "editor", (unit_a,))
    r = post_plan(tx_client, inside)
    assert r.status_code == 201, r.text
    plan_id = r.json()["id"]
    assert tx_client.delete(f"/plans/{plan_id}", headers=outside).status_code == 403
    assert tx_client.delete(f"/plans/{plan_id}", headers=inside).status_code == 204
    assert tx_client.get(f"/plans/{plan_id}").status_code == 404


def test_scope_follows_the_rule_of_the_figures(conn, units) -> None:
    unit_a, _ = units
    editor = User(conn.execute(text(
        "INSERT INTO users (name, password_hash, role) VALUES (:n, '$argon2id$x', 'editor') "
        "RETURNING id"), {"n": f"scope-{secrets.token_hex(3)}"}).scalar_one(), "e", "editor",
        (unit_a,))
    conn.execute(text("INSERT INTO user_scopes VALUES (:u, :a)"), {"u": editor.id, "a": unit_a})
    # A parcel straddling the edge x = 600000: in scope when its point on surface is inside.
    mostly_in = "SRID=5897;MULTIPOLYGON(((599000 2320000,600100 2320000,600100 2320100,599000 2320100,599000 2320000)))"
    mostly_out = "SRID=5897;MULTIPOLYGON(((599900 2320000,601000 2320000,601000 2320100,599900 2320100,599900 2320000)))"

    def ok(layer: str, wkt: str) -> bool:
        hexed = conn.execute(text("SELECT encode(ST_AsEWKB(CAST(:w AS geometry)), 'hex')"),
                             {"w": wkt}).scalar_one()
        return access.may_write(conn, editor, layer, hexed)

    inside = "SRID=5897;MULTIPOLYGON(((590000 2320000,590100 2320000,590100 2320100,590000 2320000)))"
    far = "SRID=5897;MULTIPOLYGON(((650000 2320000,650100 2320000,650100 2320100,650000 2320000)))"
    assert ok("parcels", mostly_in) and not ok("parcels", mostly_out)
    assert ok("projects", mostly_out)  # interiors intersect
    assert ok("lakes", mostly_out) and not ok("lakes", far)
    assert ok("plans", inside) and not ok("plans", mostly_in)  # a sheet must be covered
    viewer = User(editor.id, "v", "viewer", (unit_a,))
    assert not access.may_write(conn, viewer, "lakes", inside)
    assert access.may_write(conn, User(0, "root", "admin"), "lakes", far)


# --- the command line -------------------------------------------------------------------------


def run(settings, *args: str, stdin: str | None = None):
    return CliRunner().invoke(main, list(args), input=stdin,
                              env={"DATABASE_URL": settings.database_url})


def test_cli_manages_accounts_and_tokens(settings, engine, client) -> None:
    name = f"cli-{secrets.token_hex(3)}"
    r = run(settings, "user", "add", name, "--role", "editor", "--password-stdin",
            stdin=PASSWORD + "\n")
    assert r.exit_code == 0, r.output
    r = run(settings, "user", "add", name, "--role", "viewer", "--password-stdin",
            stdin=PASSWORD + "\n")
    assert r.exit_code == 2 and "exists" in r.output
    r = run(settings, "user", "add", f"{name}-2", "--role", "viewer", "--password-stdin",
            stdin="short\n")
    assert r.exit_code == 2 and "at least" in r.output
    r = run(settings, "user", "add", f"{name}-3", "--role", "viewer",
            stdin=f"{PASSWORD}\n{PASSWORD}-typo\n{PASSWORD}\n{PASSWORD}\n")
    assert r.exit_code == 0, r.output  # asked twice, and again after a mismatch
    r = run(settings, "user", "add", f"{name}-4", "--role", "editor", "--unit", "no-such-unit",
            "--password-stdin", stdin=PASSWORD + "\n")
    assert r.exit_code == 2 and "no-such-unit" in r.output
    r = run(settings, "user", "scope", name, "--unit", "no-such-unit")
    assert r.exit_code == 2 and "no-such-unit" in r.output

    r = run(settings, "token", "create", name, "--days", "7")
    assert r.exit_code == 0, r.output
    secret = r.output.strip().splitlines()[-1]
    assert secret.startswith("qh_") and " " not in secret
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/me", headers=headers).json()["name"] == name

    r = run(settings, "user", "list")
    line = next(x for x in r.output.splitlines() if x.startswith(name + "\t"))
    assert "\teditor\tactive\t" in line and "tokens=1" in line

    prefix = secret.split("_")[1]
    assert run(settings, "token", "revoke", prefix).exit_code == 0
    assert client.get("/me", headers=headers).status_code == 401
    assert run(settings, "token", "revoke", "nope").exit_code == 2

    second = run(settings, "token", "create", name).output.strip().splitlines()[-1]
    assert run(settings, "user", "disable", name).exit_code == 0
    assert client.get("/me", headers={"Authorization": f"Bearer {second}"}).status_code == 401
    assert "\tdisabled\t" in next(x for x in run(settings, "user", "list").output.splitlines()
                                  if x.startswith(name + "\t"))
    assert run(settings, "token", "create", name).exit_code == 2
    with engine.connect() as c:
        stored = c.execute(text("SELECT password_hash FROM users WHERE name = :n"),
                           {"n": name}).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
