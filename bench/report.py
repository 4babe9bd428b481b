"""The results table: figures, ratios and goals, with the machine's description."""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
import subprocess
from dataclasses import dataclass, field
from typing import Any

import psycopg
from load import Measure
from scenarios import Goal, Scenario


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
    imports: Any = None
    map: Any = None
    picks: Any = None
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
    """('met'|'missed by …'|'n/a', achieved ratio) of one goal on one row."""
    q = row.quyhoach.rps
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


def render(res: Results, env: dict[str, str]) -> str:
    """The whole report as markdown."""
    lines = ["# quyhoach benchmark: against tipg, ogr2ogr and the PostGIS floor", ""]
    lines += ["## Machine", ""]
    lines += [f"- **{k}**: {v}" for k, v in env.items()]
    lines += ["", "## Set-up", ""]
    lines += [f"- {k}: {v}" for k, v in res.settings.items()]
    lines += ["", "## Requests (1 worker per service)", ""]
    lines += scenario_table([r for r in res.rows if r.workers == 1])
    multi = [r for r in res.rows if r.workers != 1]
    if multi:
        lines += ["", f"## Requests ({multi[0].workers} workers per service)", ""]
        lines += scenario_table(multi)
    if res.extra_rows:
        lines += ["", "## Tile cache (revalidation), quyhoach only", ""]
        lines += scenario_table(res.extra_rows)
    goals = []
    if res.imports is not None:
        im = res.imports
        import statistics as st

        q_cli, q_in = st.median(im.quyhoach_cli), st.median(im.quyhoach_inproc)
        ogr, new = st.median(im.ogr2ogr), st.median(im.ogr2ogr_new)
        lines += ["", f"## Import of {im.rows:,} parcels from a GeoPackage (EPSG:5897)", ""]
        lines += ["| way | median s | runs (s) | ÷ ogr2ogr (same table work) |", "|---|---|---|---|"]
        for label, vals in (
            ("`quyhoach import` (whole command, wall clock)", im.quyhoach_cli),
            ("`gis.importer.import_file` (in process, as the command reports it)",
             im.quyhoach_inproc),
            ("ogr2ogr -append (COPY) into a table of the same shape doing the same database "
             "work (ground area, version and status-history triggers)", im.ogr2ogr),
            ("ogr2ogr -append (COPY) into the same shape without triggers or ground area",
             im.ogr2ogr_bare),
            ("ogr2ogr into a new table it creates (no constraints)", im.ogr2ogr_new),
        ):
            lines.append(f"| {label} | {st.median(vals):.2f} | "
                         f"{', '.join(f'{v:.2f}' for v in vals)} | {st.median(vals) / ogr:.2f}× |")
        for label, val in (("import (command) ≤ 1.2× ogr2ogr", q_cli / ogr),
                           ("import (in process) ≤ 1.2× ogr2ogr", q_in / ogr)):
            goals.append((label, f"{val:.2f}×", "met" if val <= 1.2 else
                          f"missed: {val / 1.2:.2f}× too slow"))
        _ = new
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
        goals.append(("/map drawn ≤ 2 s", f"{mp.median_ms / 1000:.2f} s",
                      "met" if mp.median_ms <= 2000 else
                      f"missed: {mp.median_ms / 2000:.2f}× too slow"))
        goals.append(("/map HTML < 200 KB", _b(mp.html_bytes),
                       "met" if mp.html_bytes < 200 * 1024 else "missed"))
    lines += ["", "## Goals (issue 4, item 5)", "", "| goal | achieved | status |", "|---|---|---|"]
    for row in res.rows:
        if row.workers != 1:
            continue
        for g in row.scenario.goals:
            status, ratio = goal_status(g, row)
            shown = "—" if ratio is None else f"{ratio:.2f}×"
            lines.append(f"| {row.scenario.title}: {g.text()} | {shown} | {status} |")
    for label, shown, status in goals:
        lines.append(f"| {label} | {shown} | {status} |")
    if res.notes:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in res.notes]
    return "\n".join(lines) + "\n"


def _measure_json(m: Measure | None) -> dict[str, Any] | None:
    if m is None:
        return None
    return {"rps": m.rps, "p50_ms": m.p50, "p99_ms": m.p99, "errors": m.errors,
            "bytes": m.bytes, "features": m.features, "runs": len(m.runs)}


def to_json(res: Results, env: dict[str, str]) -> dict[str, Any]:
    """The figures as plain data (for scripts and the smoke test)."""
    import dataclasses

    rows = [{"key": r.scenario.key, "workers": r.workers, "conns": r.scenario.conns,
             "quyhoach": _measure_json(r.quyhoach), "tipg": _measure_json(r.tipg),
             "floor": _measure_json(r.floor),
             "goals": [{"goal": g.text(), "status": goal_status(g, r)[0],
                        "ratio": goal_status(g, r)[1]} for g in r.scenario.goals]}
            for r in res.rows + res.extra_rows]
    mp = res.map
    return {
        "machine": env, "settings": res.settings, "rows": rows,
        "picks": dataclasses.asdict(res.picks) if res.picks else None,
        "imports": dataclasses.asdict(res.imports) if res.imports else None,
        "map": None if mp is None else {
            "drawn_ms": mp.drawn_ms, "html_bytes": mp.html_bytes, "requests": mp.requests,
            "tile_requests": mp.tile_requests, "state": mp.state},
    }
