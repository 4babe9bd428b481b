"""Private PostgreSQL clusters for tests that need servers of their own: a primary and a standby.

The primary is started by the project's own code (`gis.cluster.up`); the hot standby is a
`pg_basebackup -R` of it, streaming from it. Neither touches the shared cluster the other tests
use. As root, the servers and `pg_basebackup` run as the `postgres` user, as `gis.cluster` does.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

from core.settings import Settings
from gis import cluster as pgcluster

REPLICATION_LINE = "host replication all 127.0.0.1/32 trust"


def free_port() -> int:
    """A TCP port free on the loopback interface now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_user() -> list[str]:
    return ["runuser", "-u", pgcluster.SERVER_USER, "--"] if os.geteuid() == 0 else []


def _run(cmd: list[str]) -> None:
    proc = subprocess.run(_server_user() + cmd, capture_output=True, text=True, cwd="/")
    if proc.returncode != 0:
        raise pgcluster.ClusterError(f"{' '.join(cmd)} failed:\n{proc.stdout}{proc.stderr}")


def private_root() -> Path:
    """A fresh directory under /var/tmp the server user owns (pytest's tmp dirs are root's)."""
    root = Path(tempfile.mkdtemp(prefix="quyhoach-clusters-", dir="/var/tmp"))
    if os.geteuid() == 0:
        entry = pwd.getpwnam(pgcluster.SERVER_USER)
        os.chown(root, entry.pw_uid, entry.pw_gid)
    return root


def start_primary(root: Path, database: str = "quyhoach") -> pgcluster.Cluster:
    """Initialise and start a primary under `root` that accepts replication over 127.0.0.1."""
    bindir = pgcluster.find_bindir(Settings())
    primary = pgcluster.Cluster(root / "primary", free_port(), database, bindir)
    pgcluster.up(primary)
    hba = primary.data_dir / "pg_hba.conf"
    rules = [line.split() for line in hba.read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    if REPLICATION_LINE.split() not in rules:
        with open(hba, "a", encoding="utf-8") as fh:
            fh.write(REPLICATION_LINE + "\n")
        with psycopg.connect(primary.admin_url, autocommit=True) as conn:
            conn.execute("SELECT pg_reload_conf()")
    return primary


def start_standby(primary: pgcluster.Cluster, root: Path) -> pgcluster.Cluster:
    """A hot standby of `primary` under `root`, streaming from it, started on a port of its own."""
    standby = pgcluster.Cluster(root / "standby", free_port(), primary.database, primary.bindir)
    _run([str(primary.bindir / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port),
          "-U", "postgres", "-D", str(standby.data_dir), "-R", "-X", "stream", "-c", "fast"])
    _run([str(standby.bindir / "pg_ctl"), "-D", str(standby.data_dir), "-l",
          str(standby.data_dir / "server.log"), "-o", f"-p {standby.port}", "-w", "-t", "60",
          "start"])
    deadline = time.monotonic() + 30
    while not pgcluster.is_running(standby):
        if time.monotonic() > deadline:
            raise pgcluster.ClusterError(f"the standby did not start; see {standby.data_dir}")
        time.sleep(0.1)
    return standby


def wait_for_replay(primary: pgcluster.Cluster, standby: pgcluster.Cluster,
                    timeout: float = 30.0) -> str:
    """Wait until the standby has replayed everything the primary wrote so far; return the LSN."""
    with psycopg.connect(primary.admin_url, autocommit=True) as p:
        target = p.execute("SELECT pg_current_wal_lsn()::text").fetchone()[0]
    deadline = time.monotonic() + timeout
    with psycopg.connect(standby.admin_url, autocommit=True) as s:
        while True:
            done = s.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn",
                             (target,)).fetchone()[0]
            if done:
                return target
            if time.monotonic() > deadline:
                raise pgcluster.ClusterError(f"the standby did not replay up to {target}")
            time.sleep(0.05)


def remove(root: Path, *clusters: pgcluster.Cluster) -> None:
    """Stop the clusters (standbys first) and delete everything under `root`."""
    try:
        for cl in clusters:
            try:
                pgcluster.down(cl)
            except pgcluster.ClusterError:
                # A server that will not stop cleanly must not keep the others running.
                subprocess.run(_server_user() + [str(cl.bindir / "pg_ctl"), "-D",
                                                 str(cl.data_dir), "-m", "immediate", "stop"],
                               capture_output=True, cwd="/")
    finally:
        shutil.rmtree(root, ignore_errors=True)
