"""The project's own PostgreSQL + PostGIS cluster, used when DATABASE_URL is not set.

For an ordinary user the data directory lives inside the project (`.pgdata`, git-ignored).
When run as root the server runs as the `postgres` system user, since PostgreSQL refuses to
run as root, and its data directory lives in that user's home, one per checkout: a clone in
`/root` (mode 700) is out of the `postgres` user's reach.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

from core.settings import PROJECT_ROOT, Settings

APT_PACKAGES = "postgresql-15 postgresql-15-postgis-3"
SERVER_USER = "postgres"


class ClusterError(RuntimeError):
    """The local cluster cannot be set up or reached."""


@dataclass(frozen=True)
class Cluster:
    """A project-local PostgreSQL cluster."""

    data_dir: Path
    port: int
    database: str
    bindir: Path

    @property
    def admin_url(self) -> str:
        """URL of the maintenance database."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str | None = None) -> str:
        """URL of a database in this cluster."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database or self.database}"


def find_bindir(settings: Settings) -> Path:
    """Directory of initdb/pg_ctl, preferring the newest installed PostgreSQL."""
    if settings.pg_bindir:
        candidates = [settings.pg_bindir]
    else:
        found = sorted(
            Path("/usr/lib/postgresql").glob("*/bin/initdb"),
            key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
            reverse=True,
        )
        candidates = [p.parent for p in found]
        which = shutil.which("initdb")
        if which:
            candidates.append(Path(which).resolve().parent)
    for cand in candidates:
        if (cand / "initdb").exists() and (cand / "pg_ctl").exists():
            return cand
    raise ClusterError(
        "PostgreSQL server binaries (initdb, pg_ctl) were not found. Install them with:\n"
        f"  sudo apt-get install -y {APT_PACKAGES}"
    )


def check_postgis(bindir: Path) -> None:
    """Fail with the package to install when PostGIS is missing for this server version."""
    version = bindir.parent.name
    control = Path(f"/usr/share/postgresql/{version}/extension/postgis.control")
    if version.isdigit() and not control.exists():
        raise ClusterError(
            f"PostGIS is not installed for PostgreSQL {version}. Install it with:\n"
            f"  sudo apt-get install -y postgresql-{version}-postgis-3"
        )


def default_data_dir(project_root: Path = PROJECT_ROOT) -> Path:
    """Where the cluster keeps its data when QUYHOACH_PG_DATA is not set.

    As root: `~postgres/quyhoach/<checkout>-<digest of its path>`, owned by the server user,
    so that any checkout (in `/root` too) gets its own cluster the server can reach.
    """
    if os.geteuid() != 0:
        return project_root / ".pgdata"
    try:
        home = Path(pwd.getpwnam(SERVER_USER).pw_dir)
    except KeyError as exc:
        raise ClusterError(
            f"Running as root needs the '{SERVER_USER}' system user, created by the "
            f"postgresql package: sudo apt-get install -y {APT_PACKAGES}"
        ) from exc
    digest = hashlib.sha256(str(project_root.resolve()).encode()).hexdigest()[:10]
    return home / "quyhoach" / f"{project_root.name}-{digest}"


def cluster_from(settings: Settings) -> Cluster:
    """The cluster the settings describe."""
    bindir = find_bindir(settings)
    data_dir = settings.pg_data or default_data_dir()
    return Cluster(data_dir, settings.pg_port, settings.pg_database, bindir)


def _as_server_user() -> list[str]:
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError as exc:
        raise ClusterError(
            f"Running as root needs the '{SERVER_USER}' system user, created by the "
            f"postgresql package: sudo apt-get install -y {APT_PACKAGES}"
        ) from exc
    return ["runuser", "-u", SERVER_USER, "--"]


def _run(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(_as_server_user() + cmd, capture_output=True, text=True, **kw)  # type: ignore[call-overload]
    if proc.returncode != 0:
        raise ClusterError(f"{' '.join(cmd)} failed:\n{proc.stdout}{proc.stderr}")
    return proc


def _prepare_dir(path: Path) -> None:
    if os.geteuid() == 0:
        entry = pwd.getpwnam(SERVER_USER)
        missing = [p for p in (path, *path.parents) if not p.exists()]
        path.mkdir(parents=True, exist_ok=True)
        for created in missing:
            os.chown(created, entry.pw_uid, entry.pw_gid)
        probe = subprocess.run(["runuser", "-u", SERVER_USER, "--", "test", "-w", str(path)])
        if probe.returncode != 0:
            raise ClusterError(
                f"The '{SERVER_USER}' user cannot reach {path}; set QUYHOACH_PG_DATA to a "
                "directory it can write, or run as an ordinary user."
            )
    else:
        path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)


def is_running(cluster: Cluster) -> bool:
    """Whether the server of this cluster accepts connections.

    A server on the cluster's port that keeps its data elsewhere (another checkout's cluster) is
    not this one: a ClusterError says so, rather than letting commands use its databases.
    """
    try:
        with psycopg.connect(cluster.admin_url, connect_timeout=2) as conn:
            found = conn.execute("SHOW data_directory").fetchone()
    except psycopg.OperationalError:
        return False
    theirs = Path(found[0]) if found else None
    if theirs is not None and theirs.resolve() != cluster.data_dir.resolve():
        raise ClusterError(
            f"Port {cluster.port} is taken by another PostgreSQL cluster (data in {theirs}); "
            f"stop it (`quyhoach db down` in its checkout) or set QUYHOACH_PG_PORT.")
    return True


def up(cluster: Cluster) -> str:
    """Initialise (once) and start the cluster, create its database; return its URL."""
    check_postgis(cluster.bindir)
    data = cluster.data_dir
    if not (data / "PG_VERSION").exists():
        _prepare_dir(data)
        _run([str(cluster.bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
              "-E", "UTF8", "--locale=C.UTF-8"])
        conf = (
            "\n# quyhoach local cluster\n"
            "listen_addresses = '127.0.0.1'\n"
            f"port = {cluster.port}\n"
            "unix_socket_directories = ''\n"
            "jit = off\n"
            "synchronous_commit = off\n"
            "max_connections = 200\n"
            "shared_buffers = 256MB\n"
            "log_min_messages = warning\n"
        )
        with open(data / "postgresql.conf", "a", encoding="utf-8") as fh:
            fh.write(conf)
        if os.geteuid() == 0:
            entry = pwd.getpwnam(SERVER_USER)
            os.chown(data / "postgresql.conf", entry.pw_uid, entry.pw_gid)
    if not is_running(cluster):
        _run([str(cluster.bindir / "pg_ctl"), "-D", str(data), "-l", str(data / "server.log"),
              "-o", f"-p {cluster.port}", "-w", "-t", "60", "start"], cwd="/")
        deadline = time.monotonic() + 30
        while not is_running(cluster):
            if time.monotonic() > deadline:
                raise ClusterError(f"The server did not accept connections; see {data}/server.log")
            time.sleep(0.2)
    create_database(cluster, cluster.database)
    return cluster.url()


def down(cluster: Cluster) -> bool:
    """Stop the cluster if it runs; return whether it was running."""
    if not (cluster.data_dir / "postmaster.pid").exists():
        return False
    _run([str(cluster.bindir / "pg_ctl"), "-D", str(cluster.data_dir), "-m", "fast", "-w",
          "stop"], cwd="/")
    return True


def create_database(cluster: Cluster, name: str) -> None:
    """Create a database with PostGIS if it does not exist."""
    with psycopg.connect(cluster.admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(cluster: Cluster, name: str) -> None:
    """Drop a database of this cluster, closing its connections."""
    with psycopg.connect(cluster.admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
