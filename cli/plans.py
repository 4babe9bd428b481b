"""`quyhoach plan …`: import, list, look up, analyse and delete 1/2000 zoning plans."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click
import orjson

from core.errors import PlanningError
from core.settings import get_settings
from gis import georef as G
from gis.db import make_engine
from gis.srs import WGS84
from layers import plans

LANG = click.option("--lang", type=click.Choice(["vi", "en"]), default="vi",
                    help="Language of messages and reports.")
FORMAT = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
KINDS = {"household": ("hộ gia đình", "household"), "organisation": ("tổ chức", "organisation")}


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


@contextmanager
def _connection(lang: str) -> Iterator[Any]:
    """A connection to the configured database; planning errors end the command with a message."""
    engine = make_engine(get_settings(), admin=True)
    try:
        with engine.connect() as conn:
            yield conn
    except PlanningError as exc:
        _fail(exc.message_en if lang == "en" else exc.message)
    finally:
        engine.dispose()


def _t(lang: str, vi: str, en: str) -> str:
    return en if lang == "en" else vi


@click.group("plan")
def plan() -> None:
    """1/2000 zoning plans: import sheets and drawings, list, look up, analyse."""


@plan.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--world-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="World file (.pgw, .jgw, .wld); by default the one beside the image.")
@click.option("--gcps", "gcps_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Control points: CSV (pixel_x,pixel_y,x,y), JSON or a QGIS .points file.")
@click.option("--gcp", "gcp_values", multiple=True, metavar="COL,ROW,X,Y",
              help="One control point (repeat: at least 3 for affine, 6 for --order 2).")
@click.option("--gcp-crs", help="CRS of the control points' coordinates (EPSG:5897 by default).")
@click.option("--crs", help="CRS of the file's coordinates (EPSG:5897 by default for world files "
                            "and DXF; a GeoTIFF's own otherwise).")
@click.option("--order", type=click.IntRange(1, 2), default=1, show_default=True,
              help="Control-point fit: 1 affine, 2 second-order polynomial.")
@click.option("--max-rms", type=click.FloatRange(0, 1000),
              help="Largest RMS error accepted, in metres (0.5 mm on paper by default: 1 m at "
                   "1/2000).")
@click.option("--force", is_flag=True, help="Accept a fit worse than the threshold.")
@click.option("--name", help="Plan name (the file name by default).")
@click.option("--decision", help="Approving decision number, e.g. 6631/QĐ-UBND.")
@click.option("--approved-on", type=click.DateTime(["%Y-%m-%d"]), help="Approval date.")
@click.option("--scale", type=click.IntRange(100, 100000), default=2000, show_default=True,
              help="Scale denominator.")
@FORMAT
@LANG
def import_cmd(file: Path, world_file: Path | None, gcps_file: Path | None,
               gcp_values: tuple[str, ...], gcp_crs: str | None, crs: str | None, order: int,
               max_rms: float | None, force: bool, name: str | None, decision: str | None,
               approved_on: dt.datetime | None, scale: int, fmt: str, lang: str) -> None:
    """Import a GeoTIFF, an image with a world file or control points, a DXF or vector file."""
    points: list[G.ControlPoint] = []
    try:
        if gcps_file is not None:
            points, declared = G.parse_control_points(gcps_file.read_text("utf-8-sig"),
                                                      gcps_file.name)
            if gcp_crs is None and declared is not None:
                gcp_crs = G.crs_name(declared)
        points += [G.parse_gcp_option(v, len(points) + i + 1) for i, v in enumerate(gcp_values)]
    except G.PlanFileError as exc:
        _fail(exc.message_en if lang == "en" else exc.message_vi)
    except UnicodeDecodeError:
        _fail(_t(lang, "tệp điểm khống chế phải là văn bản UTF-8.",
                 "the control-point file must be UTF-8 text."))
    if world_file is None and not points and file.suffix.lower() in (".png", ".jpg", ".jpeg"):
        world_file = G.find_world_file(file)
    meta = plans.PlanMeta(name, decision, approved_on.date() if approved_on else None, scale)
    req = plans.ImportRequest(
        file, file.name, meta, crs=crs,
        world_file=world_file.read_text("utf-8", errors="replace") if world_file else None,
        gcps=points or None, gcp_crs=gcp_crs, order=order, max_rms=max_rms, force=force)
    settings = get_settings()
    with _connection(lang) as conn:
        result = plans.import_plan(conn, settings.plan_store, req)
    if fmt == "json":
        click.echo(orjson.dumps(result).decode())
        return
    click.echo(render_import(result, lang))


def render_import(result: dict[str, Any], lang: str) -> str:
    """An import's report as text: what was stored and how well it was placed."""
    b = result["footprint_vn2000"]
    lines = [
        _t(lang, f"Đã nhập quy hoạch số {result['id']} ({result['kind']}, {result['source_format']}"
                 f", {result['source_crs']}).",
           f"Imported plan {result['id']} ({result['kind']}, {result['source_format']}, "
           f"{result['source_crs']})."),
        _t(lang, "Khung (VN-2000)", "Extent (VN-2000)")
        + f": X {b[0]:.3f}–{b[2]:.3f}, Y {b[1]:.3f}–{b[3]:.3f}",
    ]
    if result["kind"] == "vector":
        lines.append(_t(lang, f"Khu đất: {result['zones']}, nhãn: {result['labels']}.",
                        f"Zones: {result['zones']}, labels: {result['labels']}."))
    g = result["georef"]
    if "rms_m" in g:
        lines.append(_t(lang, f"Điểm khống chế: {g['points']}, phép biến đổi {g['method']}, "
                              f"sai số trung phương {g['rms_m']:.3f} m (ngưỡng {g['max_rms_m']:.2f} m).",
                        f"Control points: {g['points']}, {g['method']} fit, RMS "
                        f"{g['rms_m']:.3f} m (threshold {g['max_rms_m']:.2f} m)."))
        for r in g["residuals"]:
            lines.append(f"  {r['id']:<8} dx {r['dx_m']:+8.3f} m  dy {r['dy_m']:+8.3f} m  "
                         f"{r['residual_m']:7.3f} m")
    elif "resolution_m" in g:
        lines.append(_t(lang, f"Độ phân giải: {g['resolution_m']} m/điểm ảnh.",
                        f"Resolution: {g['resolution_m']} m per pixel."))
    for w in result["warnings_en" if lang == "en" else "warnings_vi"]:
        lines.append(_t(lang, "Lưu ý: ", "Note: ") + w)
    return "\n".join(lines)


@plan.command("list")
@FORMAT
@LANG
def list_cmd(fmt: str, lang: str) -> None:
    """The plans with their decision, approval date, kind and zones."""
    with _connection(lang) as conn:
        body = plans.list_plans(conn)
    if fmt == "json":
        click.echo(body)
        return
    features = orjson.loads(body)["features"]
    if not features:
        click.echo(_t(lang, "Chưa có quy hoạch nào.", "No plans yet."))
    for f in features:
        p = f["properties"]
        click.echo(f"{f['id']:>4}  {p['kind']:<6} {p['source_format']:<10} "
                   f"{p['approved_on'] or '':<10}  {p['decision'] or '':<16} "
                   f"{p['zones']:>4}  {p['name']}")


@plan.command("delete")
@click.argument("plan_id", type=int)
@LANG
def delete_cmd(plan_id: int, lang: str) -> None:
    """Delete a plan (and its stored sheet when no other plan uses it)."""
    with _connection(lang) as conn:
        found = plans.delete_plan(conn, get_settings().plan_store, plan_id)
    if not found:
        _fail(_t(lang, f"không có quy hoạch số {plan_id}.", f"no plan {plan_id}."))
    click.echo(_t(lang, f"Đã xóa quy hoạch số {plan_id}.", f"Deleted plan {plan_id}."))


@plan.command("lookup")
@click.option("--lon", type=float)
@click.option("--lat", type=float)
@click.option("--x", "x", type=float, help="Easting (VN-2000 unless --crs).")
@click.option("--y", "y", type=float, help="Northing (VN-2000 unless --crs).")
@click.option("--crs", default="EPSG:5897", show_default=True)
@FORMAT
@LANG
def lookup_cmd(lon: float | None, lat: float | None, x: float | None, y: float | None, crs: str,
               fmt: str, lang: str) -> None:
    """What is planned at a point."""
    if lon is not None and lat is not None:
        px, py, srid = lon, lat, WGS84
    elif x is not None and y is not None:
        try:
            srid = G.parse_crs(crs)
        except G.PlanFileError as exc:
            _fail(exc.message_en if lang == "en" else exc.message_vi)
        px, py = x, y
    else:
        _fail(_t(lang, "cần --lon và --lat, hoặc --x và --y.", "give --lon and --lat, or --x and --y."))
    with _connection(lang) as conn:
        body = plans.lookup(conn, px, py, srid)
    if fmt == "json":
        click.echo(body)
        return
    doc = orjson.loads(body)
    if not doc["zones"]:
        click.echo(_t(lang, "Không có khu đất quy hoạch nào tại điểm này.",
                      "No planned zone at this point."))
    for z in doc["zones"]:
        name = z["land_use_en"] if lang == "en" else z["land_use_vi"]
        click.echo(f"{z['code']} — {name}" + (f" ({z['name']})" if z["name"] else "")
                   + f"; {z['plan']['name']}" + (f", {z['plan']['decision']}"
                                                 if z["plan"]["decision"] else ""))
    if doc["red_line"]:
        r = doc["red_line"]
        click.echo(_t(lang, f"Chỉ giới đường đỏ gần nhất: {r['road']}, cách {r['distance_m']} m.",
                      f"Nearest red line: {r['road']}, {r['distance_m']} m away."))


@plan.command("analyse")
@click.option("--project", help="A clearance project's id or code.")
@click.option("--parcel", help="A parcel's id or code.")
@click.option("--geojson", "geojson_file", type=click.Path(exists=True, dir_okay=False,
                                                           path_type=Path),
              help="A GeoJSON polygon (CRS84 unless it carries crs).")
@click.option("--red-line", "red_line", type=int,
              help="A red line's id: parcels inside its corridor.")
@click.option("--width", type=float, help="Corridor width in metres (default: between the two "
                                          "sides of the red line).")
@click.option("--plan-id", type=int, help="Only this plan's zones.")
@FORMAT
@LANG
def analyse_cmd(project: str | None, parcel: str | None, geojson_file: Path | None,
                red_line: int | None, width: float | None, plan_id: int | None, fmt: str,
                lang: str) -> None:
    """Hectares of each planned land use in an area, or the parcels in a red-line corridor."""
    given = [v for v in (project, parcel, geojson_file, red_line) if v is not None]
    if len(given) != 1:
        _fail(_t(lang, "cho đúng một trong --project, --parcel, --geojson, --red-line.",
                 "give exactly one of --project, --parcel, --geojson, --red-line."))
    with _connection(lang) as conn:
        if red_line is not None:
            info, corridor = plans.red_line_corridor(conn, red_line, width)
            doc = {"red_line": info, **plans.corridor_parcels(conn, corridor)}
            text = render_corridor(doc, lang)
        else:
            area = None
            if geojson_file is not None:
                try:
                    area = plans.parse_area(orjson.loads(geojson_file.read_bytes()))
                except orjson.JSONDecodeError:
                    _fail(_t(lang, f"{geojson_file.name} không phải GeoJSON.",
                             f"{geojson_file.name} is not GeoJSON."))
            doc = orjson.loads(plans.analyse(conn, area=area, project=project, parcel=parcel,
                                             plan_id=plan_id))
            text = render_analysis(doc, lang)
    click.echo(orjson.dumps(doc).decode() if fmt == "json" else text)


def render_analysis(doc: dict[str, Any], lang: str) -> str:
    """Land use inside an area, per plan, as text."""
    s = doc["subject"]
    what = {"project": _t(lang, "Dự án", "Project"), "parcel": _t(lang, "Thửa đất", "Parcel"),
            "polygon": _t(lang, "Vùng", "Area")}[s["kind"]]
    head = f"{what} {s['code'] or ''}".rstrip() + (f" — {s['name']}" if s["name"] else "")
    lines = [f"{head}: {float(doc['area_ha']):.4f} ha"]
    if not doc["plans"]:
        lines.append(_t(lang, "Không nằm trong khu đất quy hoạch nào.", "No planned zone inside."))
    for p in doc["plans"]:
        decision = f" ({p['decision']})" if p["decision"] else ""
        lines.append(_t(lang, f"Quy hoạch số {p['id']}: {p['name']}{decision}",
                        f"Plan {p['id']}: {p['name']}{decision}"))
        for u in p["land_uses"]:
            name = u["name_en"] if lang == "en" else u["name_vi"]
            lines.append(f"  {u['code']:<5} {name:<34} {float(u['area_ha']):9.4f} ha "
                         f"{float(u['share_pct'] or 0):6.2f}%")
    return "\n".join(lines)


def render_corridor(doc: dict[str, Any], lang: str) -> str:
    """Parcels inside a red-line corridor, as text."""
    r = doc["red_line"]
    lines = [_t(lang, f"Hành lang chỉ giới đường đỏ {r['road']}: {float(doc['corridor_ha']):.4f} ha; "
                      f"{doc['parcels_count']} thửa, {float(doc['inside_ha']):.4f} ha phải thu hồi.",
                f"Red-line corridor of {r['road']}: {float(doc['corridor_ha']):.4f} ha; "
                f"{doc['parcels_count']} parcels, {float(doc['inside_ha']):.4f} ha to recover.")]
    for p in doc["parcels"]:
        kind = KINDS.get(p["land_user_kind"], (p["land_user_kind"],) * 2)[1 if lang == "en" else 0]
        lines.append(f"  {p['code']:<20} {kind:<14} {float(p['inside_m2']):10.2f} m² "
                     f"({float(p['inside_pct'] or 0):5.1f}%)  {p['project_code']}")
    return "\n".join(lines)
