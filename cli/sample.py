"""`quyhoach load-sample`: the Long Biên and Hai Bà Trưng sample."""

from __future__ import annotations

import click

from core.settings import get_settings
from gis.db import make_engine
from layers.sample import load_sample


@click.command("load-sample")
@click.option("--if-empty", is_flag=True, help="Load only when the layers hold no data yet.")
def load_sample_cmd(if_empty: bool) -> None:
    """Load the Long Biên and Hai Bà Trưng sample (replaces the layers' contents)."""
    engine = make_engine(get_settings(), admin=True)
    counts = load_sample(engine, if_empty=if_empty, plan_store=get_settings().plan_store)
    if counts is None:
        click.echo("Layers already hold data; sample not loaded.")
    else:
        click.echo("Sample loaded: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    engine.dispose()
