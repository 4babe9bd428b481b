"""`make bench-scale`: how quyhoach's reads and its import grow with the data set.

For each size (10,000, 100,000 and 1,000,000 parcels by default) the synthetic city goes into a
database of its own (reused while the generator and the schema are unchanged; the 100,000-parcel
one is `make bench`'s), and the same requests as `make bench` run against quyhoach and the
PostGIS floor (tipg with --tipg): the parcels in a box of about 1,000 parcels, one parcel by id,
and the z14 and z16 parcel tiles nearest 3,750 and 400 parcels. Below 140,000 parcels the city
keeps its twelve districts and only grows denser, so the smaller sets have no tile as full as
the larger ones: reads are compared by their time per feature served, and a read whose time per
feature stays within 1.3× of the 10k figure does not depend on the table's size. The import
(`quyhoach import`, whole command, against ogr2ogr doing the same table work) should grow
linearly with the file. Ratios are to the smallest size's figure.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import benchdb  # noqa: E402
import importbench  # noqa: E402
import report  # noqa: E402
import run  # noqa: E402
import scenarios  # noqa: E402
import servers  # noqa: E402
import synth  # noqa: E402

from core.settings import Settings  # noqa: E402

SIZES = (10_000, 100_000, 1_000_000)
READS = ("bbox1", "feature8", "z14", "z16")
FLAT = 1.3  # a read's time per request at most 1.3 × the smallest size's
LINEAR = 1.3  # the import's time per parcel at most 1.3 × the smallest size's
log = run.log


@dataclass
class SizeResult:
    """The figures of one data-set size."""

    parcels: int
    rows: list[report.Row]
    picks: scenarios.Picks
    imports: importbench.ImportTimes | None = None
    loaded_s: float | None = None  # generation and COPY, when the data set was built now
    env: dict[str, str] | None = None


def database_for(base: str, parcels: int) -> str:
    """The data set's database: `make bench`'s for its size, `<base>_<parcels>` otherwise."""
    return base if parcels == synth.FULL["parcels"] else f"{base}_{parcels}"


def measure_size(server: str, base: str, n: int, args: argparse.Namespace,
                 warm: int) -> SizeResult:
    """Build or reuse the data set of `n` parcels, time the import, then the reads."""
    from api.app import create_app

    database = database_for(base, n)
    log(f"{n:,} parcels: database {database}")
    url, ds, secs = benchdb.ensure(server, database, n, fresh=args.fresh)
    log(f"  generated and loaded in {secs:.1f} s" if ds else "  reusing the existing data set")
    loaded = secs if ds else None
    imports = None
    if args.import_rounds:
        # First, while the generated data is at hand; it is freed before the reads.
        ds = ds or synth.generate(n)
        gpkg = synth.write_geopackage(ds, args.work / f"parcels-{n}.gpkg")
        try:
            importbench.prepare(server, database, ds)
            del ds
            log(f"  import: quyhoach import against ogr2ogr, {args.import_rounds} round(s)")
            imports = importbench.run(server, database, gpkg, args.import_rounds, n,
                                      ways=("quyhoach", "ogr2ogr"))
        finally:
            importbench.cleanup(server, database)
    ds = None
    picks = scenarios.pick(url)
    log(f"  picked: {picks}")
    scs = [s for s in scenarios.scenarios(picks) if s.key in READS]
    app = create_app(Settings(database_url=url, basemap_url="http://127.0.0.1:9/{z}/{x}/{y}.png"))
    running: list[servers.Server] = []
    try:
        q = servers.start_quyhoach(url, 1, args.work)
        running.append(q)
        t = None
        if args.tipg:
            t = servers.start_tipg(url, 1, args.work)
            running.append(t)
        rows = run.run_scenarios(scs, q, t, app, url, args.seconds, args.rounds, True, warm)
    finally:
        for s in running:
            s.stop()
    env = report.machine(url)
    if args.drop:
        benchdb.drop(server, database)
    return SizeResult(n, rows, picks, imports, loaded, env)


def _time_ratio(m: Any, first: Any, served: int | None, first_served: int | None
                ) -> float | None:
    """Time per feature served against the first size's (throughput inverted, per feature)."""
    if m is None or first is None or not m.rps or not first.rps:
        return None
    if not served or not first_served:
        return first.rps / m.rps
    return (first.rps * first_served) / (m.rps * served)


def _x(v: float | None) -> str:
    return "—" if v is None else f"{v:.2f}×"


def render(results: list[SizeResult], env: dict[str, str], settings: dict[str, str]) -> str:
    """The scale report as markdown."""
    lines = ["# quyhoach benchmark: how the reads and the import grow with the data set", ""]
    lines += ["## Machine", ""] + [f"- **{k}**: {v}" for k, v in env.items()]
    lines += ["", "## Set-up", ""] + [f"- {k}: {v}" for k, v in settings.items()]
    first = results[0]
    label = report.parcels_label
    lines += ["", "## Reads (1 worker)", "",
              f"Time per feature served against the {label(first.parcels)} figure (the tiles "
              "of the smaller, sparser sets hold fewer parcels); a read is flat when it stays "
              f"within {FLAT:g}×.", "",
              "| scenario | parcels | features q | quyhoach | floor (PostGIS) | q ÷ floor (time) "
              f"| q time per feature ÷ {label(first.parcels)} "
              f"| floor time per feature ÷ {label(first.parcels)} "
              "| status |",
              "|---|---|---|---|---|---|---|---|---|"]
    for key in READS:
        base = next((r for r in first.rows if r.scenario.key == key), None)
        for res in results:
            row = next((r for r in res.rows if r.scenario.key == key), None)
            if row is None:
                continue
            q, f = row.quyhoach, row.floor
            # The floor runs quyhoach's statement: it serves the features quyhoach counted.
            served, first_served = q.features, base.quyhoach.features if base else None
            grow = _time_ratio(q, base.quyhoach if base else None, served, first_served)
            status = "—" if grow is None else "flat" if grow <= FLAT else \
                f"grows: {grow / FLAT:.2f}× over"
            vs_floor = _x(f.rps / q.rps) if f and f.rps and q.rps else "—"
            title = row.scenario.title if res is first else ""
            lines.append(
                f"| {title} | {res.parcels:,} | {report._features(q)} | {report._peer(q)} "
                f"| {report._peer(f)} | {vs_floor} | {_x(grow)} "
                f"| {_x(_time_ratio(f, base.floor if base else None, served, first_served))} "
                f"| {status} |")
    if any(r.imports for r in results):
        base = first.imports
        b_q = statistics.median(base.quyhoach_cli) if base else None
        b_o = statistics.median(base.ogr2ogr) if base else None
        lines += ["", "## Import (`quyhoach import`, whole command, wall clock)", "",
                  f"Growth against the {label(first.parcels)} figure, beside the growth of the "
                  f"file; linear when the time per parcel stays within {LINEAR:g}×.", "",
                  "| parcels | file × | quyhoach s | ÷ first | s per 100k parcels | ogr2ogr s "
                  "| ÷ first | quyhoach ÷ ogr2ogr | status |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for res in results:
            im = res.imports
            if im is None:
                continue
            qs, os_ = statistics.median(im.quyhoach_cli), statistics.median(im.ogr2ogr)
            size = res.parcels / first.parcels
            grow = qs / b_q if b_q else None
            per_parcel = grow / size if grow else None
            status = "—" if per_parcel is None else "linear" if per_parcel <= LINEAR else \
                f"superlinear: {per_parcel:.2f}× the time per parcel"
            lines.append(
                f"| {res.parcels:,} | {size:g}× | {qs:.2f} | {_x(grow)} "
                f"| {qs / res.parcels * 100_000:.2f} | {os_:.2f} "
                f"| {_x(os_ / b_o if b_o else None)} | {qs / os_:.2f}× | {status} |")
    loads = [r for r in results if r.loaded_s is not None]
    if loads:
        lines += ["", "## Notes", ""]
        lines += [f"- {r.parcels:,} parcels generated and loaded with COPY in {r.loaded_s:.0f} s."
                  for r in loads]
    return "\n".join(lines) + "\n"


def to_json(results: list[SizeResult]) -> list[dict[str, Any]]:
    """The figures as plain data."""
    out = []
    for res in results:
        im = res.imports
        out.append({
            "parcels": res.parcels,
            "rows": [{"key": r.scenario.key, "quyhoach": report._measure_json(r.quyhoach),
                      "floor": report._measure_json(r.floor),
                      "tipg": report._measure_json(r.tipg)} for r in res.rows],
            "imports": None if im is None else {"quyhoach_cli": im.quyhoach_cli,
                                                "ogr2ogr": im.ogr2ogr, "rows": im.rows},
        })
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the scale benchmark; print the table and write it."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default=",".join(str(n) for n in SIZES),
                    help="parcel counts, comma-separated, smallest first")
    ap.add_argument("--seconds", type=int, default=5, help="length of each measured run")
    ap.add_argument("--rounds", type=int, default=3, help="measured runs per peer and scenario")
    ap.add_argument("--import-rounds", type=int, default=2, help="0: no import")
    ap.add_argument("--tipg", action="store_true", help="measure tipg too")
    ap.add_argument("--database", default=None,
                    help="base name of the data sets' databases (default quyhoach_bench; "
                         "quyhoach_bench_smoke with --smoke)")
    ap.add_argument("--server-url", default=None)
    ap.add_argument("--fresh", action="store_true", help="regenerate the data sets")
    ap.add_argument("--drop", action="store_true",
                    help="drop each size's database once measured")
    ap.add_argument("--smoke", action="store_true",
                    help="tiny sizes and runs that check the script works (not a measurement)")
    ap.add_argument("--out", type=Path, default=BENCH / "results" / "scale.md")
    ap.add_argument("--work", type=Path, default=BENCH / ".work")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    args.database = args.database or ("quyhoach_bench_smoke" if args.smoke else "quyhoach_bench")
    sizes = sorted(int(v) for v in args.sizes.split(","))
    if args.smoke:
        sizes = [300, 600]
        args.seconds, args.rounds, args.import_rounds = 1, 1, min(args.import_rounds, 1)
    warm = 0 if args.smoke else max(1, args.seconds // 4)
    args.work.mkdir(parents=True, exist_ok=True)
    server = args.server_url or benchdb.server_url(Settings())
    t0 = time.perf_counter()
    load_before = os.getloadavg()
    if args.tipg:
        servers.ensure_tipg()
    results = [measure_size(server, args.database, n, args, warm) for n in sizes]
    env = results[-1].env or {}
    settings = {
        "sizes": ", ".join(f"{n:,}" for n in sizes) + " parcels (bench/synth.py, seed "
                 f"{synth.SEED}; above {synth.DISTRICT_CAPACITY:,} parcels the districts grow)",
        "runs": f"{args.rounds} interleaved runs of {args.seconds} s per peer and scenario "
                "(medians shown), after a warm-up run; 1 worker",
        "peers": "quyhoach and the floor" + (" and tipg" if args.tipg else ""),
        "import": f"{args.import_rounds} interleaved round(s) of `quyhoach import` and ogr2ogr "
                  "(same table work)" if args.import_rounds else "not measured",
        "wall time": f"{(time.perf_counter() - t0) / 60:.1f} min; load average "
                     f"{', '.join(f'{v:.1f}' for v in load_before)} at the start, "
                     f"{', '.join(f'{v:.1f}' for v in os.getloadavg())} at the end",
    }
    text = render(results, env, settings)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    log(f"written to {args.out}")
    if args.json:
        args.json.write_text(json.dumps(to_json(results), indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
