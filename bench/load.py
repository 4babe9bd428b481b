"""Load on loopback: wrk against the services, pgbench for the PostGIS floor.

The floor runs the very statements quyhoach sends for a request, captured from the app itself,
as prepared statements with the same parameter types (psycopg binds floats as float8, ints as
the smallest integer type that holds them), at the same connection count, with JIT off and a
custom plan for every execution: PostgreSQL's generic plan for these statements (chosen after
five executions of a prepared statement) is several times slower, and the floor is PostGIS at
its best.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cpu import Cpu

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}
PARAM = re.compile(r"%\((\w+)\)s")


@dataclass
class Run:
    """One measured run: throughput, latency percentiles (ms), requests and failures."""

    rps: float
    p50: float
    p99: float
    requests: int
    errors: int = 0
    note: str = ""
    cpu: Cpu | None = None  # CPU per request of each part, when the run was metered


@dataclass
class Measure:
    """The runs of one peer in one scenario, summarised by medians."""

    runs: list[Run] = field(default_factory=list)
    bytes: int | None = None  # of the body as sent (compressed when the answer is)
    features: int | None = None
    encoding: str | None = None  # the answer's Content-Encoding, when it has one

    @property
    def rps(self) -> float:
        """Median requests per second."""
        return statistics.median(r.rps for r in self.runs) if self.runs else 0.0

    @property
    def p50(self) -> float:
        """Median of the runs' p50 latencies (ms)."""
        return statistics.median(r.p50 for r in self.runs) if self.runs else 0.0

    @property
    def p99(self) -> float:
        """Median of the runs' p99 latencies (ms)."""
        return statistics.median(r.p99 for r in self.runs) if self.runs else 0.0

    @property
    def cpu(self) -> Cpu | None:
        """Median CPU per request of each part over the metered runs (each part on its own)."""
        metered = [r.cpu for r in self.runs if r.cpu is not None]
        if not metered:
            return None
        return Cpu(*(statistics.median(getattr(c, part) for c in metered)
                     for part in ("service", "database", "client")))

    @property
    def errors(self) -> int:
        """Failed requests over all runs."""
        return sum(r.errors for r in self.runs)


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not m:
        raise ValueError(f"unreadable wrk latency {text!r}")
    return float(m.group(1)) * UNITS[m.group(2)]


def parse_wrk(out: str) -> Run:
    """Requests/s, p50, p99 and failures from wrk's --latency report."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    dist = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.M))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(bad.group(1)) if bad else 0) + (sum(map(int, sock.groups())) if sock else 0)
    if total == 0 or "50" not in dist:
        return Run(rps, float("nan"), float("nan"), total, errors + 1, "no request completed")
    return Run(rps, _ms(dist["50"]), _ms(dist["99"]), total, errors)


def wrk(url: str, conns: int, seconds: int, headers: dict[str, str] | None = None) -> Run:
    """Drive one URL with wrk: `conns` connections for `seconds` seconds."""
    threads = max(1, min(2, conns))
    cmd = ["wrk", "-t", str(threads), "-c", str(conns), "-d", f"{seconds}s", "--latency",
           "--timeout", "30s"]
    for k, v in (headers or {}).items():
        cmd += ["-H", f"{k}: {v}"]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, timeout=seconds + 60,
                         check=True).stdout
    return parse_wrk(out)


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, dict[str, str]]:
    """One GET, uncompressed unless `headers` ask otherwise: (status, body as sent, headers)."""
    req = urllib.request.Request(url, headers={"Accept-Encoding": "identity", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


# --- the floor ------------------------------------------------------------------------------


@dataclass
class Statement:
    """A statement as the driver sent it (pyformat) and its parameters."""

    sql: str
    params: dict[str, Any]
    # The planning mode of the connection the app ran it on (its libpq options' setting).
    plan_cache_mode: str = "force_custom_plan"


def capture(app: Any, path: str) -> list[Statement]:
    """The statements quyhoach runs for one request (the second of two, so caches are warm).

    They are taken from psycopg's cursors, which see every statement: those SQLAlchemy sends and
    those the app runs on the driver's connection itself (tiles, COPY).
    """
    import psycopg
    from fastapi.testclient import TestClient

    seen: list[Statement] = []
    execute = psycopg.Cursor.execute

    def listen(cur: Any, query: Any, params: Any = None, record_only: bool = False,
               **kwargs: Any) -> Any:
        if isinstance(query, bytes):
            query = query.decode()
        if isinstance(query, str):
            mode = re.search(r"plan_cache_mode=(\w+)", cur.connection.info.options or "")
            seen.append(Statement(query, dict(params or {}) if isinstance(params, dict)
                                  else {}, mode.group(1) if mode else "force_custom_plan"))
        return None if record_only else execute(cur, query, params, **kwargs)

    aexecute = psycopg.AsyncCursor.execute

    async def alisten(cur: Any, query: Any, params: Any = None, **kwargs: Any) -> Any:
        listen(cur, query, params, record_only=True)  # the hot routes' async read pool
        return await aexecute(cur, query, params, **kwargs)

    with TestClient(app) as client:
        client.get(path)
        psycopg.Cursor.execute = listen  # type: ignore[method-assign]
        psycopg.AsyncCursor.execute = alisten  # type: ignore[method-assign]
        try:
            r = client.get(path)
        finally:
            psycopg.Cursor.execute = execute  # type: ignore[method-assign]
            psycopg.AsyncCursor.execute = aexecute  # type: ignore[method-assign]
    if r.status_code != 200 or not seen:
        raise RuntimeError(f"capturing {path}: HTTP {r.status_code}, {len(seen)} statements")
    return seen


def _pg_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int2" if -(2**15) <= value < 2**15 else "int4" if -(2**31) <= value < 2**31 \
            else "int8"
    if isinstance(value, float):
        return "float8"
    if isinstance(value, dt.date):
        return "date"
    return "text"


def pgbench_script(statements: list[Statement]) -> tuple[str, dict[str, str]]:
    """A pgbench script of the statements (`:name::type` parameters) and its -D variables."""
    variables: dict[str, str] = {}
    parts = []
    for i, st in enumerate(statements):
        def sub(m: re.Match[str], st: Statement = st, i: int = i) -> str:
            name, value = m.group(1), st.params[m.group(1)]
            if value is None:
                return "NULL"
            var = f"s{i}_{name}"
            variables[var] = str(value).lower() if isinstance(value, bool) else str(value)
            return f":{var}::{_pg_type(value)}"

        sql = PARAM.sub(sub, st.sql).replace("%%", "%").strip().rstrip(";")
        parts.append(sql + ";\n")
    return "".join(parts), variables


def plan_cache_mode(statements: list[Statement]) -> str:
    """The planning mode the app ran a request's statements with (one mode per request)."""
    modes = {st.plan_cache_mode for st in statements}
    if len(modes) != 1:
        raise RuntimeError(f"the request's statements ran with several planning modes: {modes}")
    return modes.pop()


def _libpq_env(url: str, mode: str = "force_custom_plan") -> dict[str, str]:
    u = urlsplit(url.replace("postgresql+psycopg://", "postgresql://"))
    env = {**os.environ, "PGHOST": u.hostname or "127.0.0.1", "PGPORT": str(u.port or 5432),
           "PGDATABASE": u.path.lstrip("/"),
           "PGOPTIONS": f"-c jit=off -c plan_cache_mode={mode}"}
    if u.username:
        env["PGUSER"] = u.username
    if u.password:
        env["PGPASSWORD"] = u.password
    return env


def floor_bytes(url: str, statements: list[Statement]) -> int:
    """Size of the largest value PostgreSQL returns for the statements (document or tile)."""
    import psycopg

    size = 0
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as c:
        c.execute("SET jit = off")
        c.execute(f"SET plan_cache_mode = {plan_cache_mode(statements)}")
        for st in statements:
            for row in c.execute(st.sql.replace("%%", "%") if not st.params else st.sql,
                                 st.params or None).fetchall():
                for v in row:
                    if isinstance(v, (bytes, bytearray, memoryview)):
                        size = max(size, len(bytes(v)))
                    elif v is not None:
                        size = max(size, len(str(v).encode()))
    return size


def pgbench(url: str, statements: list[Statement], conns: int, seconds: int) -> Run:
    """The floor: the statements as prepared statements in pgbench, `conns` clients."""
    script, variables = pgbench_script(statements)
    with tempfile.TemporaryDirectory(prefix="qh-floor-") as tmp:
        f = Path(tmp) / "floor.sql"
        f.write_text(script, encoding="utf-8")
        cmd = [shutil.which("pgbench") or "pgbench", "-n", "-M", "prepared", "-c", str(conns),
               "-j", str(min(conns, 2)), "-T", str(seconds), "-f", str(f), "-l",
               f"--log-prefix={tmp}/tx"]
        for k, v in variables.items():
            cmd += ["-D", f"{k}={v}"]
        proc = subprocess.run(cmd, capture_output=True, text=True,
                              env=_libpq_env(url, plan_cache_mode(statements)),
                              cwd=tmp, timeout=seconds + 120)
        out = proc.stdout + proc.stderr
        if proc.returncode != 0 or "aborted" in out:
            raise RuntimeError(f"pgbench failed:\n{out[-3000:]}")
        tps = float(re.search(r"tps = ([\d.]+)", out).group(1))
        lat = []
        for log in Path(tmp).glob("tx.*"):
            for line in log.read_text().splitlines():
                cols = line.split()
                if len(cols) >= 6:
                    lat.append(int(cols[2]) / 1000)
    lat.sort()
    if not lat:
        raise RuntimeError("pgbench logged no transactions")
    return Run(tps, _pct(lat, 50), _pct(lat, 99), len(lat))


def _pct(sorted_values: list[float], p: float) -> float:
    k = (len(sorted_values) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)
