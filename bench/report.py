"""The results table: figures, ratios and goals, with the machine's description."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import platform
import re
import statistics as st
import subprocess
from dataclasses import dataclass, field
from typing import Any

import psycopg
from load import Measure
from scenarios import GOAL_ORDER, IMPORT_GOAL, MAP_GOAL_MS, Goal, Scenario


@dataclass
class Row:
    """One scenario's measures: quyhoach, tipg and the floor."""

    scenario: Scenario
    workers: int
    quyhoach: Measure
    tipg: Measure | None = None
    floor: Measure | None = None


@dataclass
class Results:
    """Everything the benchmark measured."""

    rows: list[Row] = field(default_factory=list)
    extra_rows: list[Row] = field(default_factory=list)
    bare_rows: list[Row] = field(default_factory=list)  # `tipg` holds the bare app's measure
    apart_rows: list[Row] = field(default_factory=list)  # the same, the database on its own CPU
    gzip_rows: list[Row] = field(default_factory=list)
    scenarios: list[Scenario] = field(default_factory=list)
    imports: Any = None
    map: Any = None
    picks: Any = None
    parcels: int = 0
    settings: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def machine(url: str) -> dict[str, str]:
    """nproc, memory, CPU model, OS, PostgreSQL/PostGIS/GDAL versions and the date."""
    cpu = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            m = re.search(r"^model name\s*:\s*(.+)$", fh.read(), re.M)
            cpu = m.group(1).strip() if m else platform.processor()
    except OSError:
        cpu = platform.processor()
    mem = ""
    try:
        with open("/proc/meminfo", encoding="utf-8") as fh:
            kb = int(re.search(r"MemTotal:\s+(\d+)", fh.read()).group(1))
            mem = f"{kb / 1024**2:.1f} GiB"
    except (OSError, AttributeError):
        pass
    with psycopg.connect(url) as c:
        pg = c.execute("SHOW server_version").fetchone()[0]
        postgis = c.execute("SELECT postgis_lib_version()").fetchone()[0]
        geos = c.execute("SELECT postgis_geos_version()").fetchone()[0]
        conf = {k: c.execute(f"SHOW {k}").fetchone()[0]
                for k in ("jit", "shared_buffers", "work_mem", "max_parallel_workers_per_gather")}
    gdal = subprocess.run(["ogr2ogr", "--version"], capture_output=True, text=True).stdout.strip()
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    os_name = ""
    try:
        with open("/etc/os-release", encoding="utf-8") as fh:
            m = re.search(r'^PRETTY_NAME="?([^"\n]+)', fh.read(), re.M)
            os_name = m.group(1) if m else ""
    except OSError:
        pass
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(os.cpu_count()),
        "memory": mem,
        "cpu": cpu,
        "os": os_name or platform.platform(),
        "python": platform.python_version(),
        "postgresql": pg,
        "postgis": f"{postgis} (GEOS {geos})",
        "postgresql settings": ", ".join(f"{k}={v}" for k, v in conf.items()),
        "gdal": gdal,
        "wrk": (wrk.stdout + wrk.stderr).splitlines()[0] if (wrk.stdout + wrk.stderr) else "",
    }


def goal_status(goal: Goal, row: Row) -> tuple[str, float | None]:
    """('met'|'missed: …'|'n/a', achieved ratio) of one goal on one row."""
    q = row.quyhoach.rps
    if goal.vs == "tipg-bytes":
        qb, tb = row.quyhoach.bytes, row.tipg.bytes if row.tipg else None
        if not qb or not tb:
            return "n/a", None
        ratio = qb / tb
        if ratio <= goal.ratio:
            return "met", ratio
        return f"missed: {ratio / goal.ratio:.2f}× too large", ratio
    if goal.vs == "tipg":
        if not row.tipg or not row.tipg.rps or not q:
            return "n/a", None
        ratio = q / row.tipg.rps
        if ratio >= goal.ratio:
            return "met", ratio
        return f"missed: needs {goal.ratio / ratio:.2f}× more throughput", ratio
    if not row.floor or not row.floor.rps or not q:
        return "n/a", None
    ratio = row.floor.rps / q
    if ratio <= goal.ratio:
        return "met", ratio
    return f"missed: {ratio / goal.ratio:.2f}× too slow", ratio


def _f(v: float | None, digits: int = 1) -> str:
    if v is None or v != v:
        return "—"
    if v >= 1000:
        return f"{v:,.0f}"
    return f"{v:.{digits}f}"


def _b(n: int | None) -> str:
    if n is None:
        return "—"
    return f"{n / 1024:,.1f} KB" if n >= 1024 else f"{n} B"


def _peer(m: Measure | None) -> str:
    if m is None or not m.runs:
        return "—"
    err = f" ⚠ {m.errors} errors" if m.errors else ""
    return f"{_f(m.rps)} req/s · p50 {_f(m.p50)} · p99 {_f(m.p99)} ms{err}"


def _features(m: Measure | None) -> str:
    return "—" if m is None or m.features is None else f"{m.features:,}"


def parcels_label(n: int) -> str:
    """100,000 → 100k, 1,000,000 → 1M, 300 → 300."""
    if n >= 1_000_000 and n % 100_000 == 0:
        return f"{n / 1_000_000:g}M"
    if n >= 1000 and n % 1000 == 0:
        return f"{n // 1000}k"
    return f"{n:,}"


def goals(res: Results) -> list[tuple[str, str, str]]:
    """Every goal of the project, in order: (goal, achieved, status); unmeasured ones say so."""
    rows = {r.scenario.key: r for r in res.rows if r.workers == 1}
    known = {sc.key: sc for sc in res.scenarios} or {k: r.scenario for k, r in rows.items()}
    out = []
    for key, vs in GOAL_ORDER:
        sc = known.get(key)
        goal = next((g for g in sc.goals if g.vs == vs), None) if sc else None
        if sc is None or goal is None:
            continue
        name = f"{sc.goal_name}: {goal.text()}"
        row = rows.get(key)
        if row is None:
            out.append((name, "—", "not measured"))
            continue
        status, ratio = goal_status(goal, row)
        out.append((name, "—" if ratio is None else f"{ratio:.2f}×", status))
    n = res.imports.rows if res.imports is not None else res.parcels
    name = f"import {parcels_label(n)} parcels (command wall clock) ≤ {IMPORT_GOAL:g}× ogr2ogr"
    im = res.imports
    if im is None or not im.quyhoach_cli or not im.ogr2ogr:
        out.append((name, "—", "not measured"))
    else:
        val = st.median(im.quyhoach_cli) / st.median(im.ogr2ogr)
        out.append((name, f"{val:.2f}×", "met" if val <= IMPORT_GOAL else
                    f"missed: {val / IMPORT_GOAL:.2f}× too slow"))
    name = f"`/map` drawn with {parcels_label(res.parcels)} parcels ≤ {MAP_GOAL_MS / 1000:g} s"
    mp = res.map
    if mp is None or not mp.drawn_ms:
        out.append((name, "—", "not measured"))
    else:
        out.append((name, f"{mp.median_ms / 1000:.2f} s", "met" if mp.median_ms <= MAP_GOAL_MS
                    else f"missed: {mp.median_ms / MAP_GOAL_MS:.2f}× too slow"))
    return out


def compressed_table(gzip_rows: list[Row], plain_rows: list[Row]) -> list[str]:
    """The compressed requests beside the same requests uncompressed, peer by peer."""
    plain = {r.scenario.key: r for r in plain_rows if r.workers == 1}
    out = [
        "| scenario | peer | encoding answered | bytes on the wire: gzip / uncompressed "
        "| req/s: gzip / uncompressed | p50 ms: gzip / uncompressed "
        "| gzip ÷ uncompressed (throughput) |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in gzip_rows:
        base = plain.get(row.scenario.plain or "")
        for peer in ("quyhoach", "tipg"):
            m = getattr(row, peer)
            if m is None:
                continue
            u = getattr(base, peer) if base else None
            ratio = _f(m.rps / u.rps, 2) + "×" if u and u.rps and m.rps else "—"
            err = f" ⚠ {m.errors} errors" if m.errors else ""
            out.append(
                f"| {row.scenario.title} | {peer} | {m.encoding or 'none'} "
                f"| {_b(m.bytes)} / {_b(u.bytes if u else None)} "
                f"| {_f(m.rps)}{err} / {_f(u.rps) if u and u.runs else '—'} "
                f"| {_f(m.p50)} / {_f(u.p50) if u and u.runs else '—'} | {ratio} |")
    return out


def scenario_table(rows: list[Row]) -> list[str]:
    """The load scenarios as a markdown table."""
    out = [
        "| scenario | workers | quyhoach | tipg | floor (PostGIS) | bytes q / tipg / floor "
        "| features q / tipg | q ÷ tipg (throughput) | q ÷ floor (time) | goal | status |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        q, t, f = row.quyhoach, row.tipg, row.floor
        vs_tipg = _f(q.rps / t.rps, 2) + "×" if t and t.rps and q.rps else "—"
        vs_floor = _f(f.rps / q.rps, 2) + "×" if f and f.rps and q.rps else "—"
        goals = row.scenario.goals
        statuses = [goal_status(g, row)[0] for g in goals]
        out.append(
            f"| {row.scenario.title} | {row.workers} | {_peer(q)} | {_peer(t)} | {_peer(f)} "
            f"| {_b(q.bytes)} / {_b(t.bytes if t else None)} / {_b(f.bytes if f else None)} "
            f"| {_features(q)} / {_features(t)} | {vs_tipg} | {vs_floor} "
            f"| {'; '.join(g.text() for g in goals) or '—'} | {'; '.join(statuses) or '—'} |")
    return out


def bare_table(rows: list[Row]) -> list[str]:
    """quyhoach beside the bare ASGI app and the floor, measured in the same interleaved runs."""
    out = [
        "| scenario | quyhoach | bare ASGI app | floor (PostGIS) | quyhoach ÷ floor (time) "
        "| bare ÷ floor (time) | quyhoach ÷ bare (time) |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        q, b, f = row.quyhoach, row.tipg, row.floor

        def ratio(slow: Measure | None, fast: Measure | None) -> str:
            return _f(fast.rps / slow.rps, 2) + "×" if slow and fast and slow.rps else "—"

        out.append(f"| {row.scenario.title} | {_peer(q)} | {_peer(b)} | {_peer(f)} "
                   f"| {ratio(q, f)} | {ratio(b, f)} | {ratio(q, b)} |")
    return out


def cpu_table(rows: list[Row], second: str) -> list[str]:
    """CPU milliseconds per request of each part, for the peers of each row, and against the floor.

    `second` names the row's second peer (tipg, or the bare app in the bare pass).
    """
    out = ["| scenario | peer | service | database | load generator | total "
           "| total ÷ floor's |", "|---|---|---|---|---|---|---|"]
    for row in rows:
        floor = row.floor.cpu if row.floor else None
        for name, m in (("quyhoach", row.quyhoach), (second, row.tipg), ("floor", row.floor)):
            c = m.cpu if m else None
            if c is None:
                continue
            vs = _f(c.total / floor.total, 2) + "×" if floor and floor.total else "—"
            out.append(f"| {row.scenario.title} | {name} | "
                       + (f"{c.service:.3f}" if name != "floor" else "—")
                       + f" | {c.database:.3f} | {c.client:.3f} | {c.total:.3f} | {vs} |")
    return out


CPU_NOTE = ("CPU time per request, in ms, read from /proc around each measured run (medians of "
            "the runs, each part on its own; `bench/cpu.py`): the service's processes, the "
            "PostgreSQL server's (backends included) and the load generator (wrk, or pgbench for "
            "the floor). It drifts far less with the machine than throughput does, and shows "
            "what each peer adds to the database's own work. On two shared cores the throughput "
            "ratio follows the total: the floor's total is the database's work and pgbench's.")


def render(res: Results, env: dict[str, str]) -> str:
    """The whole report as markdown."""
    lines = ["# quyhoach benchmark: against tipg, ogr2ogr and the PostGIS floor", ""]
    lines += ["## Machine", ""]
    lines += [f"- **{k}**: {v}" for k, v in env.items()]
    lines += ["", "## Set-up", ""]
    lines += [f"- {k}: {v}" for k, v in res.settings.items()]
    lines += ["", "## Requests (1 worker per service)", ""]
    one = [r for r in res.rows if r.workers == 1]
    lines += scenario_table(one)
    if any(r.quyhoach.cpu for r in one):
        lines += ["", "### Where the CPU goes, 1 worker", "", CPU_NOTE, ""]
        lines += cpu_table(one, "tipg")
    multi = [r for r in res.rows if r.workers != 1]
    if multi:
        lines += ["", f"## Requests ({multi[0].workers} workers per service)", ""]
        lines += scenario_table(multi)
    if res.gzip_rows:
        lines += ["", "## Compressed (`Accept-Encoding: gzip`), 1 worker per service", ""]
        lines += compressed_table(res.gzip_rows, res.rows)
    if res.bare_rows:
        lines += ["", "## Without the framework: a bare ASGI app, 1 worker", "",
                  "`bench/bare.py` answers the same two requests with the same statements "
                  "through the same read pool under the same uvicorn, with no framework, no "
                  "middleware, no parameters parsed and no links: what Python and HTTP alone "
                  "cost on this machine. The three peers run interleaved in one pass of their "
                  "own, so compare within a row.", ""]
        lines += bare_table(res.bare_rows)
        if any(r.quyhoach.cpu for r in res.bare_rows):
            lines += ["", "CPU per request in the same runs (ms):", ""]
            lines += cpu_table(res.bare_rows, "bare ASGI app")
    if res.apart_rows:
        lines += ["", "## The database on a CPU of its own, 1 worker", "",
                  "The same three peers, with PostgreSQL pinned to the first CPU and the "
                  "services, wrk and pgbench to the second (`bench/pinning.py`), as when the "
                  "database runs on its own host: the service's Python time no longer takes "
                  "CPU from the database. Not the set-up the goals are judged on; it shows "
                  "what the rows above lose to sharing two cores.", ""]
        lines += bare_table(res.apart_rows)
        if any(r.quyhoach.cpu for r in res.apart_rows):
            lines += ["", "CPU per request in the same runs (ms):", ""]
            lines += cpu_table(res.apart_rows, "bare ASGI app")
    if res.extra_rows:
        lines += ["", "## Tile cache (revalidation), quyhoach only", ""]
        lines += scenario_table(res.extra_rows)
    if res.imports is not None:
        im = res.imports
        ogr = st.median(im.ogr2ogr)
        lines += ["", f"## Import of {im.rows:,} parcels from a GeoPackage (EPSG:5897)", ""]
        lines += ["| way | median s | runs (s) | ÷ ogr2ogr (same table work) |", "|---|---|---|---|"]
        for label, vals in (
            ("`quyhoach import` (whole command, wall clock)", im.quyhoach_cli),
            ("`layers.importer.import_file` (in process, as the command reports it)",
             im.quyhoach_inproc),
            ("ogr2ogr -append (COPY) into a table of the same shape doing the same database "
             "work (ground area, version and status-history triggers)", im.ogr2ogr),
            ("ogr2ogr -append (COPY) into the same shape without triggers or ground area",
             im.ogr2ogr_bare),
            ("ogr2ogr into a new table it creates (no constraints)", im.ogr2ogr_new),
        ):
            if vals:
                lines.append(f"| {label} | {st.median(vals):.2f} | "
                             f"{', '.join(f'{v:.2f}' for v in vals)} | "
                             f"{st.median(vals) / ogr:.2f}× |")
    if res.map is not None:
        mp = res.map
        lines += ["", "## /map on the large data set (headless Chromium)", ""]
        lines += [f"- HTML: {_b(mp.html_bytes)}; requests to the service: {mp.requests} "
                  f"({mp.tile_requests} vector tiles), {mp.transfer_bytes / 1024**2:.1f} MB",
                  f"- drawn after: {', '.join(f'{v:.0f}' for v in mp.drawn_ms)} ms "
                  f"(median {mp.median_ms:.0f} ms); zoom {mp.state.get('zoom')}",
                  "- layers: " + ", ".join(
                      f"{k} {v['source']}" + (f" {v['drawn']}" if v.get("drawn") is not None
                                               else "")
                      for k, v in mp.state.get("layers", {}).items())]
    lines += ["", "## Goals", "",
              "Judged on the 1-worker pass; ratios as in the tables above (throughput against "
              "tipg, time per request against the floor, bytes against tipg's).", "",
              "| goal | achieved | status |", "|---|---|---|"]
    for name, shown, status in goals(res):
        lines.append(f"| {name} | {shown} | {status} |")
    if res.notes:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in res.notes]
    return "\n".join(lines) + "\n"


def _measure_json(m: Measure | None) -> dict[str, Any] | None:
    if m is None:
        return None
    return {"rps": m.rps, "p50_ms": m.p50, "p99_ms": m.p99, "errors": m.errors,
            "bytes": m.bytes, "features": m.features, "runs": len(m.runs),
            "encoding": m.encoding,
            "cpu_ms": None if m.cpu is None else {**dataclasses.asdict(m.cpu),
                                                  "total": m.cpu.total}}


def to_json(res: Results, env: dict[str, str]) -> dict[str, Any]:
    """The figures as plain data (for scripts and the smoke test)."""
    rows = [{"key": r.scenario.key, "workers": r.workers, "conns": r.scenario.conns,
             "quyhoach": _measure_json(r.quyhoach), "tipg": _measure_json(r.tipg),
             "floor": _measure_json(r.floor),
             "goals": [{"goal": g.text(), "status": goal_status(g, r)[0],
                        "ratio": goal_status(g, r)[1]} for g in r.scenario.goals]}
            for r in res.rows + res.gzip_rows + res.extra_rows]
    def with_bare(rs: list[Row]) -> list[dict[str, Any]]:
        return [{"key": r.scenario.key, "quyhoach": _measure_json(r.quyhoach),
                 "bare": _measure_json(r.tipg), "floor": _measure_json(r.floor)} for r in rs]

    mp = res.map
    return {
        "machine": env, "settings": res.settings, "rows": rows, "bare": with_bare(res.bare_rows),
        "apart": with_bare(res.apart_rows),
        "goals": [{"goal": g, "achieved": a, "status": s} for g, a, s in goals(res)],
        "picks": dataclasses.asdict(res.picks) if res.picks else None,
        "imports": dataclasses.asdict(res.imports) if res.imports else None,
        "map": None if mp is None else {
            "drawn_ms": mp.drawn_ms, "html_bytes": mp.html_bytes, "requests": mp.requests,
            "tile_requests": mp.tile_requests, "state": mp.state},
    }
