"""The database on a CPU of its own: PostgreSQL on one core, the services and the load on the other.

On a production host the database does not share its cores with the web workers in front of it;
on this two-core machine every request's Python time is CPU taken from PostgreSQL, which the
floor (pgbench alone) never pays. `database_apart` pins the server's postmaster and every backend
(new ones inherit it) to the first CPU and this process (and so the servers, wrk and pgbench it
starts afterwards) to the rest, and puts everything back on leaving. It needs two CPUs and the
right to set the affinity of the server's processes (root, or the server's own user); otherwise
it says why and pins nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from cpu import children, postmaster_pid


def _set(pids: list[int], cpus: set[int]) -> None:
    for pid in pids:
        with suppress(ProcessLookupError):  # a backend that ended meanwhile
            os.sched_setaffinity(pid, cpus)


@contextmanager
def database_apart(url: str) -> Iterator[str | None]:
    """Pin the database to CPU 0 and this process to the others; yields None, or why not."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        yield f"one CPU only ({cpus})"
        return
    mine = set(cpus)
    db, rest = {cpus[0]}, set(cpus[1:])
    postmaster = postmaster_pid(url)
    try:
        before = os.sched_getaffinity(postmaster)
        _set(children(postmaster), db)
    except PermissionError:
        with suppress(PermissionError):
            _set(children(postmaster), before)
        yield "not allowed to set the database server's CPU affinity (run as root)"
        return
    try:
        os.sched_setaffinity(0, rest)
        yield None
    finally:
        os.sched_setaffinity(0, mine)
        _set(children(postmaster), before)
