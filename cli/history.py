"""`quyhoach status`: record and read the status history of projects and compensation plans."""

from __future__ import annotations

import datetime as dt
import sys

import click

from cli.users import NO_USER, USER_OPTION, fail
from core.errors import PlanningError
from core.settings import get_settings
from gis.db import make_engine
from layers import accounts, audit
from layers.access import require_feature_scope, require_writer
from layers.history import entity_id, events, record

LAYER_OF = {"project": "projects", "plan": "parcels"}


@click.group("status")
def status() -> None:
    """Status history of clearance projects and compensation plans (append-only)."""


def _engine():  # noqa: ANN202

    return make_engine(get_settings(), admin=True)


def _fail(exc: PlanningError, lang: str) -> None:
    click.echo(f"error: {exc.message_en if lang == 'en' else exc.message}", err=True)
    sys.exit(2)


@status.command("set")
@click.argument("entity", type=click.Choice(["project", "plan"]))
@click.argument("code")
@click.argument("to_status")
@click.option("--on", "effective_on", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="The day the change took effect (default: today).")
@USER_OPTION
@click.option("--by", "by_name", default=None, hidden=True, help="Former name of --user.")
@click.option("--note", default=None, help="A note, e.g. the decision number.")
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi")
def status_set(entity: str, code: str, to_status: str, effective_on: dt.datetime | None,
               user_name: str | None, by_name: str | None, note: str | None, lang: str) -> None:
    """Record that a project or plan (by code or id) moved to TO_STATUS, as the --user account.

    The account (an editor of the feature's units, or an admin) is the event's `recorded_by`
    and the author of its audit entry.
    """
    name = (by_name or user_name or "").strip()
    if not name:
        fail(lang, *NO_USER)
    engine = _engine()
    try:
        with engine.begin() as conn:
            actor = require_writer(accounts.get_user(conn, name))
            layer = LAYER_OF[entity]
            feature_id = entity_id(conn, entity, code)
            require_feature_scope(conn, actor, layer, feature_id)
            audit.act_as(conn, actor.name, "cli", note)  # the parcels' trigger logs the change
            ev = record(conn, entity, code, to_status,
                        effective_on.date() if effective_on else dt.date.today(), actor.name, note)
    except PlanningError as exc:
        _fail(exc, lang)
    finally:
        engine.dispose()
    click.echo(f"{entity} {code}: {ev['from_status'] or '—'} → {ev['to_status']} "
               f"({ev['effective_on']}, {ev['recorded_by']})")


@status.command("history")
@click.argument("entity", type=click.Choice(["project", "plan"]))
@click.argument("code")
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi")
def status_history(entity: str, code: str, lang: str) -> None:
    """Print the status history of a project or plan, oldest first."""
    engine = _engine()
    try:
        with engine.connect() as conn:
            rows = events(conn, entity, code)
    except PlanningError as exc:
        _fail(exc, lang)
    finally:
        engine.dispose()
    for e in rows:
        note = f" — {e['note']}" if e["note"] else ""
        click.echo(f"{e['effective_on']}  {e['from_status'] or '—'} → {e['to_status']}  "
                   f"[{e['recorded_by']}, {e['recorded_at']:%Y-%m-%d %H:%M}]{note}")
