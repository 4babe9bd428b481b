"""The two services under test on loopback ports: quyhoach (uvicorn) and tipg (its own venv)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
TIPG_VENV = BENCH / ".venv-tipg"
TIPG_VERSION = "1.6.1"
UVICORN_VERSION = "0.54.0"
LAYER_TABLES = ("parcels", "projects", "wards", "red_lines", "red_line_markers", "lakes",
                "civilized_streets")
TILE_BUFFER = 64  # quyhoach's MVT buffer; tipg is given the same so both build the same tile


@dataclass
class Server:
    """A running service: its name, base URL, worker count and process."""

    name: str
    base: str
    workers: int
    proc: subprocess.Popen

    def stop(self) -> None:
        """Stop the server and its workers (its own process group)."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_tipg() -> Path:
    """tipg from PyPI in its own virtual environment (created once); return its python."""
    py = TIPG_VENV / "bin" / "python"
    marker = TIPG_VENV / f".installed-{TIPG_VERSION}"
    if marker.exists():
        return py
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(TIPG_VENV)], check=True)
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                    f"tipg=={TIPG_VERSION}", f"uvicorn[standard]=={UVICORN_VERSION}"],
                   check=True)
    marker.touch()
    return py


def tipg_version() -> str:
    """The installed tipg's version."""
    out = subprocess.run([str(TIPG_VENV / "bin" / "python"), "-c",
                          "import tipg; print(tipg.__version__)"],
                         capture_output=True, text=True, check=False)
    return out.stdout.strip() or TIPG_VERSION


def _wait(proc: subprocess.Popen, url: str, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited ({proc.returncode}); see {log}:\n"
                               + log.read_text(errors="replace")[-3000:])
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server did not answer {url} within {timeout} s; see {log}")


def _spawn(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    log.parent.mkdir(parents=True, exist_ok=True)
    fh = open(log, "w")  # noqa: SIM115 - the server writes here for its whole life
    return subprocess.Popen(cmd, env=env, stdout=fh, stderr=subprocess.STDOUT, cwd=str(ROOT),
                            start_new_session=True)


def _start(name: str, uvicorn: Path, app: list[str], env: dict[str, str], workers: int,
           log: Path, ready: str, timeout: float = 60) -> Server:
    """uvicorn serving `app` on a free loopback port, once `ready` answers."""
    port = free_port()
    cmd = [str(uvicorn), *app, "--host", "127.0.0.1", "--port", str(port), "--workers",
           str(workers), "--log-level", "warning", "--no-access-log"]
    proc = _spawn(cmd, env, log)
    base = f"http://127.0.0.1:{port}"
    server = Server(name, base, workers, proc)
    try:
        _wait(proc, base + ready, log, timeout=timeout)
    except Exception:
        server.stop()
        raise
    return server


def start_quyhoach(database_url: str, workers: int, work: Path) -> Server:
    """quyhoach as `make run` serves it (uvicorn, the app factory), on a free loopback port."""
    env = {**os.environ, "DATABASE_URL": database_url,
           "QUYHOACH_BASEMAP_URL": "http://127.0.0.1:9/{z}/{x}/{y}.png"}
    return _start("quyhoach", Path(sys.executable).parent / "uvicorn",
                  ["api.app:create_app", "--factory"], env, workers,
                  work / f"quyhoach-{workers}w.log", "/conformance")


def start_bare(database_url: str, work: Path) -> Server:
    """`bench/bare.py` (no framework, quyhoach's statements and read pool), 1 uvicorn worker."""
    env = {**os.environ, "DATABASE_URL": database_url}
    return _start("bare", Path(sys.executable).parent / "uvicorn",
                  ["bare:app", "--app-dir", str(BENCH)], env, 1, work / "bare.log",
                  "/conformance")


def start_tipg(database_url: str, workers: int, work: Path) -> Server:
    """tipg serving only the layer tables of the same database, on a free loopback port."""
    ensure_tipg()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TIPG_", "QUYHOACH_"))}
    env.update({
        "DATABASE_URL": database_url,
        "TIPG_DB_SCHEMAS": json.dumps(["public"]),
        "TIPG_DB_TABLES": json.dumps([f"public.{t}" for t in LAYER_TABLES]),
        "TIPG_DB_EXCLUDE_FUNCTION_SCHEMAS": json.dumps(["public", "pg_temp"]),
        "TIPG_CATALOG_TTL": "0",
        "TIPG_TILE_BUFFER": str(TILE_BUFFER),
        "TIPG_DEBUG": "FALSE",
    })
    return _start("tipg", TIPG_VENV / "bin" / "uvicorn", ["tipg.main:app"], env, workers,
                  work / f"tipg-{workers}w.log", "/collections/public.parcels", timeout=120)
