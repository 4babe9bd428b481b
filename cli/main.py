"""The `quyhoach` command line.

Each command lives in its own module, loaded when the command runs (Click's lazily loaded
subcommands): `quyhoach import` reads no map, report, DXF or raster code, and a command starts
in the time its own work needs.
"""

from __future__ import annotations

import atexit
import gc
import importlib
from typing import Any

import click

# Command name → "module:attribute" of its Click command or group.
COMMANDS = {
    "db": "cli.db:db",
    "export": "cli.download:export_layer_cmd",
    "export-map": "cli.export:export_map_cmd",
    "import": "cli.import_:import_cmd",
    "layer": "cli.layer:layer",
    "load-sample": "cli.sample:load_sample_cmd",
    "plan": "cli.plans:plan",
    "report": "cli.report:report_cmd",
    "serve": "cli.serve:serve_cmd",
    "status": "cli.history:status",
    "token": "cli.users:token",
    "units": "cli.units:units",
    "user": "cli.users:user",
}


class CommandGroup(click.Group):
    """A group whose commands are imported from COMMANDS when they are asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command's name, sorted."""
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The named command, its module imported now; None for an unknown name."""
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, _, attribute = target.partition(":")
        command: Any = getattr(importlib.import_module(module), attribute)
        if not isinstance(command, click.Command) or command.name != cmd_name:
            raise RuntimeError(f"{target} is not the command {cmd_name!r}")
        return command


@click.group(cls=CommandGroup)
@click.pass_context
def main(ctx: click.Context) -> None:
    """Quyhoach: spatial planning service for Hanoi's districts."""
    # What the imports built lives as long as the command, so the collector need not scan it
    # while the command runs; it is unfrozen at the end for a caller that goes on (a test runner).
    gc.freeze()
    ctx.call_on_close(gc.unfreeze)


# Nor need the interpreter walk it at exit, which took 0.2 s of every command.
atexit.register(gc.freeze)


if __name__ == "__main__":
    main()
