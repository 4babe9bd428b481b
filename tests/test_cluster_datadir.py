"""The local cluster's data directory is reachable by the server user from any checkout."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from core.settings import Settings
from gis import cluster as pgcluster

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the server user differs only as root")


def _can(user: str, test: str, path: Path) -> bool:
    return subprocess.run(["runuser", "-u", user, "--", "test", test, str(path)]).returncode == 0


def test_default_data_dir_of_a_checkout_in_a_private_home(tmp_path: Path) -> None:
    home = tmp_path / "root-home"
    checkout = home / "quyhoach"
    checkout.mkdir(parents=True)
    home.chmod(0o700)
    assert not _can(pgcluster.SERVER_USER, "-x", checkout)
    data = pgcluster.default_data_dir(checkout)
    assert not data.is_relative_to(home)
    assert data != pgcluster.default_data_dir(tmp_path / "another" / "quyhoach")
    pgcluster._prepare_dir(data)
    try:
        assert _can(pgcluster.SERVER_USER, "-w", data)
        assert data.stat().st_mode & 0o777 == 0o700
        assert data.stat().st_uid == pgcluster.pwd.getpwnam(pgcluster.SERVER_USER).pw_uid
    finally:
        data.rmdir()


def test_an_explicit_data_dir_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from core.settings import Settings

    settings = Settings(pg_data=tmp_path / "pg")
    assert pgcluster.cluster_from(settings).data_dir == tmp_path / "pg"


def test_another_checkouts_server_on_the_port_is_not_taken_for_ours(server_url, tmp_path) -> None:
    """A server on our port with its data elsewhere: a clear error, not its databases."""
    ours = pgcluster.cluster_from(Settings())
    if not pgcluster.is_running(ours):
        pytest.skip("the tests run against DATABASE_URL's server, not the project's cluster")
    other = pgcluster.Cluster(tmp_path / "elsewhere", ours.port, ours.database, ours.bindir)
    with pytest.raises(pgcluster.ClusterError, match=f"Port {ours.port} is taken by another"):
        pgcluster.is_running(other)
