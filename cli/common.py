"""What every command shares."""

from __future__ import annotations

import sys
from typing import NoReturn

import click


def fail(message: str) -> NoReturn:
    """Print an error and end the command with status 2 (a usage or set-up error)."""
    click.echo(f"error: {message}", err=True)
    sys.exit(2)
