"""The command line loads each command's module when that command runs, and only then."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
from click.testing import CliRunner

from cli.main import COMMANDS, main

ROOT = Path(__file__).resolve().parents[1]


def test_every_command_loads_under_its_name() -> None:
    for name, target in COMMANDS.items():
        assert target.startswith("cli."), target  # the command line's own modules only
        command = main.get_command(click.Context(main), name)
        assert command is not None and command.name == name, (name, target)
    assert main.get_command(click.Context(main), "no-such-command") is None


def test_help_lists_every_command_and_an_unknown_one_is_refused() -> None:
    runner = CliRunner()
    out = runner.invoke(main, ["--help"])
    assert out.exit_code == 0
    for name in COMMANDS:
        assert f"  {name} " in out.output, name
    bad = runner.invoke(main, ["no-such-command"])
    assert bad.exit_code == 2 and "No such command" in bad.output


def test_import_reads_no_map_service_or_drawing_code() -> None:
    code = ("import json, sys\nfrom cli.main import main\nmain.get_command(None, 'import')\n"
            "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    loaded = set(json.loads(out.stdout))
    assert "cli" in loaded and "layers" in loaded
    assert loaded.isdisjoint({"maps", "api", "fastapi", "folium", "ezdxf", "reportlab",
                              "openpyxl", "playwright", "alembic"}), loaded
