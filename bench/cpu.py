"""CPU time per request of each part of a run: the service, the database and the load generator.

Throughput on two shared cores drifts with the machine (the same run can be twice as fast an
hour later), and the ratios drift with it. CPU time per request drifts far less, and it says where
a request's time goes: the service's processes (read from /proc, children included), the
PostgreSQL server's processes (the postmaster, its backends, and the backends it has reaped) and
the load generator (wrk or pgbench, this process's reaped children).
"""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

_TICK = os.sysconf("SC_CLK_TCK")


def _ppid_and_seconds(pid: int) -> tuple[int, float] | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # gone meanwhile
        return None
    # After the command's closing parenthesis: state, ppid, ... utime(12) stime(13)
    # cutime(14) cstime(15), counted from the state as field 1.
    fields = stat.rsplit(")", 1)[1].split()
    return int(fields[1]), sum(int(f) for f in fields[11:15]) / _TICK


def postmaster_pid(url: str) -> int:
    """The process id of the PostgreSQL server behind `url` (the parent of a backend)."""
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        backend = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        # Read while the connection is open: the backend ends with it.
        status = Path(f"/proc/{backend}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines()
                    if line.startswith("PPid:")))


def _parents() -> dict[int, list[int]]:
    """Every process's children, by parent (one pass over /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            read = _ppid_and_seconds(int(entry.name))
            if read is not None:
                parents.setdefault(read[0], []).append(int(entry.name))
    return parents


def children(pid: int, parents: dict[int, list[int]] | None = None) -> list[int]:
    """`pid` and its direct children."""
    return [pid, *(parents if parents is not None else _parents()).get(pid, [])]


def tree(pid: int, parents: dict[int, list[int]] | None = None) -> list[int]:
    """`pid` and all its descendants."""
    parents = parents if parents is not None else _parents()
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo += parents.get(p, [])
    return found


def seconds(pids: list[int]) -> float:
    """CPU seconds the processes have used, with their reaped children's."""
    return sum(read[1] for read in map(_ppid_and_seconds, pids) if read is not None)


def _own_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Cpu:
    """Milliseconds of CPU per request: service, database, load generator."""

    service: float
    database: float
    client: float

    @property
    def total(self) -> float:
        """All three."""
        return self.service + self.database + self.client


class Meter:
    """Reads the three parts before and after one run."""

    def __init__(self, postmaster: int, service: int | None) -> None:
        self.postmaster = postmaster
        self.service = service

    def _read(self) -> tuple[float, float, float]:
        parents = _parents()
        svc = seconds(tree(self.service, parents)) if self.service is not None else 0.0
        return svc, seconds(children(self.postmaster, parents)), _own_children()

    def start(self) -> None:
        """Before the run."""
        self.before = self._read()

    def stop(self, requests: int) -> Cpu:
        """After a run of `requests` requests (backends of closed connections reaped first)."""
        deadline = time.monotonic() + 2.0
        after = self._read()
        while time.monotonic() < deadline:  # a client's backends end after it disconnects
            time.sleep(0.1)
            again = self._read()
            if again[1] == after[1]:
                break
            after = again
        n = max(1, requests)
        part = [1e3 * (a - b) / n for a, b in zip(after, self.before, strict=True)]
        return Cpu(service=part[0], database=part[1], client=part[2])
