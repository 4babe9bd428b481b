"""Bulk import of survey and cadastral files into a layer: check, COPY, all or nothing.

`import_file(engine, path, layer)` reads the file with `gis.readers` (format, CRS, Hanoi's extent,
geometry), maps its columns to the columns the layer declares (`LayerSpec.import_columns`),
checks every value against the table's vocabularies and rules, and writes the accepted rows with
one streaming COPY in one transaction. A refused row stops the whole import unless
`skip_invalid` is set; nothing is written on a dry run.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import pandas as pd
import psycopg
import shapely
from pyproj import CRS
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from core.i18n import DISTRICTS
from gis import safe_open as S
from gis.db import load_sql
from gis.ingest import copy_rows
from gis.readers import (
    COORDINATE_ROLES,
    DBF_NAME_LENGTH,
    GEOMETRY_WORDS,
    FileRejectedError,
    Geometries,
    Message,
    ReadParameterError,
    Refusal,
    Rows,
    drawing_entities,
    fold,
    open_source,
    parse_crs,
    read_chunks,
    shown,
    strings,
)
from gis.srs import VN2000
from layers import audit
from layers.accounts import User
from layers.registry import LAYERS, ImportColumn, LayerSpec

# The layers a file can be imported into: those that declare import columns.
IMPORTABLE: dict[str, LayerSpec] = {k: s for k, s in LAYERS.items() if s.import_columns}
MAX_LISTED = 20


# --- results and errors -----------------------------------------------------------------------


@dataclass
class ImportResult:
    """What an import read, wrote and refused."""

    layer: str
    source: str
    format: str = ""
    crs: str = ""
    crs_origin: str = ""  # file | option | assumed
    read: int = 0
    written: int = 0
    valid: int = 0
    refused: list[Refusal] = field(default_factory=list)
    ignored_rows: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    fixed: list[Message] = field(default_factory=list)
    dry_run: bool = False
    elapsed_s: float = 0.0

    @property
    def refused_count(self) -> int:
        """Number of refused rows."""
        return len(self.refused)

    def to_dict(self, lang: str = "vi") -> dict[str, Any]:
        """A JSON-ready form (for an HTTP upload's answer)."""
        return {
            "layer": self.layer, "source": self.source, "format": self.format, "crs": self.crs,
            "crsOrigin": self.crs_origin, "read": self.read, "written": self.written,
            "valid": self.valid, "refused": self.refused_count, "dryRun": self.dry_run,
            "ignoredRows": self.ignored_rows, "ignoredColumns": self.ignored_columns,
            "elapsedSeconds": round(self.elapsed_s, 3),
            "refusedRows": [{"row": r.row, "key": r.key, "reasons": [x[1 if lang == "en" else 0]
                                                                      for x in r.reasons]}
                            for r in self.refused[:MAX_LISTED]],
            "fixed": [x[1 if lang == "en" else 0] for x in self.fixed],
        }

    def summary(self, lang: str = "vi") -> str:
        """The summary a planner reads: Vietnamese then English, or English only."""
        langs = ["en"] if lang == "en" else ["vi", "en"]
        origin = {"file": ("khai báo trong tệp", "declared in the file"),
                  "option": ("theo --crs", "from --crs"),
                  "assumed": ("giả định: tệp không khai báo", "assumed: the file declares none")}
        lines: list[str] = []
        for lg in langs:
            i = 1 if lg == "en" else 0
            o = origin.get(self.crs_origin, ("", ""))[i]
            if i:
                lines.append(f"Import into layer {self.layer} from {self.source} ({self.format})"
                             + (" — dry run, nothing written" if self.dry_run else ""))
                lines.append(f"CRS: {self.crs} — {o}" if self.crs else "CRS: —")
                verb = "would write" if self.dry_run else "written"
                lines.append(f"Rows read: {self.read} · {verb}: "
                             f"{self.valid if self.dry_run else self.written} · refused: "
                             f"{self.refused_count} · elapsed: {self.elapsed_s:.2f} s")
            else:
                lines.append(f"Nhập dữ liệu vào lớp {self.layer} từ {self.source} ({self.format})"
                             + (" — chạy thử, không ghi gì" if self.dry_run else ""))
                lines.append(f"Hệ tọa độ: {self.crs} — {o}" if self.crs else "Hệ tọa độ: —")
                verb = "sẽ ghi" if self.dry_run else "đã ghi"
                lines.append(f"Số dòng đọc: {self.read} · {verb}: "
                             f"{self.valid if self.dry_run else self.written} · bị từ chối: "
                             f"{self.refused_count} · thời gian: {self.elapsed_s:.2f} s")
            if self.ignored_rows:
                words = GEOMETRY_WORDS[LAYERS[self.layer].geometry_family]
                lines.append((f"Bỏ qua {self.ignored_rows} đối tượng không phải "
                              f"{words[0]} (chữ, điểm…)",
                              f"Skipped {self.ignored_rows} entities that are not "
                              f"{words[1]} (texts, points…)")[i])
            if self.ignored_columns:
                lines.append(("Cột không dùng: ", "Columns not used: ")[i]
                             + ", ".join(self.ignored_columns))
        pick = [1 if lg == "en" else 0 for lg in langs]
        for fix in self.fixed[:MAX_LISTED]:
            lines.extend("  " * (k + 1) + fix[i] for k, i in enumerate(pick))
        if self.refused:
            head = " / ".join(("Các dòng bị từ chối", "Refused rows")[i] for i in pick)
            more = f" ({MAX_LISTED} / {self.refused_count})" if self.refused_count > MAX_LISTED else ""
            lines.append(head + more + ":")
            for r in self.refused[:MAX_LISTED]:
                lines.extend("  " * (k + 1) + r.text(langs[k]) for k in range(len(langs)))
        return "\n".join(lines)


class ImportRejectedError(FileRejectedError):
    """The file, or some of its rows, cannot be imported; nothing was written."""

    def __init__(self, message: str, message_en: str, result: ImportResult | None = None,
                 detail: str | None = None):
        super().__init__(message, message_en, detail)
        self.result = result


class ImportParameterError(ReadParameterError):
    """A parameter of the import (layer, file, CRS, column mapping) is wrong."""


def _reject(msg: Message, result: ImportResult | None = None, detail: str | None = None
            ) -> NoReturn:
    raise ImportRejectedError(msg[0], msg[1], result, detail)


def _bad_param(msg: Message) -> NoReturn:
    raise ImportParameterError(msg[0], msg[1])


@contextmanager
def _import_parameters() -> Iterator[None]:
    """A wrong parameter of the reading (file, source layer, CRS) as the import's own error."""
    try:
        yield
    except ImportParameterError:
        raise
    except ReadParameterError as exc:
        raise ImportParameterError(exc.message, exc.message_en, exc.detail) from exc


# --- names and values -------------------------------------------------------------------------


def _slug(s: str) -> str:
    return fold(s).replace("_", "-")


def _by_code(spec: LayerSpec) -> list[str]:
    """File columns that may stand for a column by naming the referenced row's code."""
    return [c.by_code for c in spec.import_columns if c.by_code]


def _target_names(spec: LayerSpec) -> dict[str, str]:
    """Folded names and Vietnamese/English labels a file column may carry → column or role."""
    names = [*(c.name for c in spec.import_columns), *_by_code(spec)]
    out: dict[str, str] = {}
    for label_key, attr in spec.catalog.attributes.items():
        target = {"northing_m": "northing", "easting_m": "easting"}.get(label_key, label_key)
        if target in names or target in ("northing", "easting"):
            out.setdefault(fold(attr.title.vi), target)
            out.setdefault(fold(attr.title.en), target)
    out.update(COORDINATE_ROLES)
    out.update({fold(n): n for n in names})
    return out


def _range_text(col: ImportColumn) -> tuple[str, str]:
    """The range of a numeric column as the error message says it (empty without one)."""
    if col.min is None and col.max is None:
        return "", ""
    if col.max is None:
        return f" từ {col.min:g} trở lên", f" of at least {col.min:g}"
    if col.min is None:
        return f" không quá {col.max:g}", f" of at most {col.max:g}"
    return f" từ {col.min:g} đến {col.max:g}", f" from {col.min:g} to {col.max:g}"


def _labels(layer: str, name: str) -> dict[str, tuple[str, str]]:
    """The Vietnamese and English labels of an attribute's codes, from the catalogue."""
    attr = LAYERS[layer].catalog.attributes.get(name)
    return {code: (w.vi, w.en) for code, w in ((attr.values or {}) if attr else {}).items()}


def _vocab_lookup(layer: str, col: ImportColumn) -> dict[str, str]:
    """Folded codes and their Vietnamese/English labels → code."""
    out = {fold(v): v for v in col.vocab}
    for code, (vi, en) in _labels(layer, col.name).items():
        out.setdefault(fold(vi), code)
        out.setdefault(fold(en), code)
    return out


BOOLS = {"true": True, "t": True, "1": True, "yes": True, "y": True, "x": True, "co": True,
         "dung": True, "false": False, "f": False, "0": False, "no": False, "n": False,
         "khong": False, "sai": False}
# District names as a file may write them ("Long Biên") → slug.
DISTRICT_SLUGS = {_slug(name): slug for slug, name in DISTRICTS.items()}
SLUG_RE = re.compile(r"^[a-z0-9-]+$")
DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d")


def _map_unique(s: pd.Series, fn: Callable[[str], Any]) -> pd.Series:
    """Apply `fn` once per distinct value (columns repeat few values)."""
    table = {u: fn(u) for u in s.dropna().unique()}
    return s.map(table)


def _convert(layer: str, col: ImportColumn, raw: pd.Series
             ) -> tuple[pd.Series, np.ndarray, Message]:
    """Converted values, a mask of values that could not be converted, and why."""
    present = raw.notna().to_numpy()
    name = col.name
    if col.kind == "date":
        if pd.api.types.is_datetime64_any_dtype(raw.dtype):
            parsed = raw.dt.tz_localize(None) if getattr(raw.dt, "tz", None) else raw
        else:
            if pd.api.types.is_numeric_dtype(raw.dtype):
                parsed = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
            else:
                parsed = pd.to_datetime(raw, format="ISO8601", errors="coerce")
            todo = present & parsed.isna().to_numpy()
            if todo.any():  # spaces, or the day-first forms Vietnamese sheets use
                txt = strings(raw[todo])
                for fmt in ("ISO8601", *DATE_FORMATS):
                    retry = pd.to_datetime(txt, format=fmt, errors="coerce")
                    parsed[txt.index] = parsed[txt.index].fillna(retry)
        out = parsed.dt.strftime("%Y-%m-%d")
        return out, present & out.isna().to_numpy(), (
            f"{name} không phải ngày hợp lệ (năm-tháng-ngày hoặc ngày/tháng/năm)",
            f"{name} is not a valid date (YYYY-MM-DD or DD/MM/YYYY)")
    if col.kind in ("integer", "numeric"):
        if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
            num = raw.astype("float64")
        else:
            def clean(v: str) -> str:
                t = re.sub(r"(?i)\s|vnd|đ|dong", "", v)
                if re.fullmatch(r"\d{1,3}([.,]\d{3})+", t):
                    return re.sub(r"[.,]", "", t)
                return t.replace(",", ".") if t.count(",") == 1 and "." not in t else t
            num = pd.to_numeric(_map_unique(strings(raw), clean), errors="coerce")
        bad = present & ~np.isfinite(num.to_numpy(dtype=float, na_value=np.nan))
        num = num.where(~bad)
        if col.kind == "integer":
            bad |= num.notna().to_numpy() & (num.fillna(0) % 1 != 0).to_numpy()
        within = _range_text(col)
        if within:
            low = -np.inf if col.min is None else col.min
            high = np.inf if col.max is None else col.max
            bad |= num.notna().to_numpy() & ~num.between(low, high).fillna(True).to_numpy()
        if col.kind == "integer":
            out = num.where(~bad).round().astype("Int64")
            return out, bad, (f"{name} không phải số nguyên{within[0]}",
                              f"{name} is not an integer{within[1]}")
        out = (num.where(~bad).round().astype("Int64") if col.scale == 0
               else num.where(~bad).astype("Float64"))
        return out, bad, (f"{name} không phải số{within[0]}", f"{name} is not a number{within[1]}")
    if col.kind == "boolean":
        if pd.api.types.is_bool_dtype(raw.dtype):
            return raw.astype("boolean"), np.zeros(len(raw), bool), ("", "")
        if pd.api.types.is_numeric_dtype(raw.dtype):
            num = raw.astype("float64")
            out = num.map({1.0: True, 0.0: False}).astype("boolean")
        else:
            out = _map_unique(strings(raw), lambda v: BOOLS.get(fold(v))).astype("boolean")
        return out, present & out.isna().to_numpy(), (
            f"{name} phải là có/không (true/false)", f"{name} must be yes/no (true/false)")
    if col.kind == "code":
        lookup = _vocab_lookup(layer, col)
        out = _map_unique(raw, lambda v: lookup.get(fold(v))).astype(object)
        bad = present & out.isna().to_numpy() & (_map_unique(raw, lambda v: fold(v) != "")
                                                 .fillna(False).astype(bool).to_numpy())
        labels = _labels(layer, name)
        listed = ", ".join(f"{v} ({labels[v][0]})" if v in labels else v for v in col.vocab)
        return out, bad, (f"{name} không thuộc danh mục: {listed}",
                          f"{name} is not one of: {', '.join(col.vocab)}")
    if col.kind == "slug":
        out = _map_unique(raw, lambda v: DISTRICT_SLUGS.get(_slug(v), _slug(v)) or None)
        out = out.astype(object).where(out.notna(), None)
        bad = present & out.notna().to_numpy() & ~out.fillna("").astype(str).str.fullmatch(
            SLUG_RE.pattern).to_numpy()
        return out, bad, (f"{name} không hợp lệ (ví dụ: long-bien)",
                          f"{name} is not valid (e.g. long-bien)")
    return strings(raw), np.zeros(len(raw), bool), ("", "")


# --- columns and rules of the table -----------------------------------------------------------


def _resolve_columns(df: pd.DataFrame, spec: LayerSpec, mapping: dict[str, str]
                     ) -> tuple[dict[str, str], list[str]]:
    """Source column → table column or coordinate role; and the columns left unused."""
    targets = _target_names(spec)
    allowed = ({c.name for c in spec.import_columns} | set(_by_code(spec))
               | set(COORDINATE_ROLES.values()))
    by_fold = {fold(c): c for c in df.columns}
    chosen: dict[str, str] = {}
    for src, dst in mapping.items():
        col = by_fold.get(fold(src))
        if col is None:
            _bad_param((f"--map {src}={dst}: tệp không có cột {src} (có: {', '.join(df.columns)}).",
                        f"--map {src}={dst}: the file has no column {src} (it has: "
                        f"{', '.join(df.columns)})."))
        target = targets.get(fold(dst), dst)
        if target not in allowed:
            _bad_param((f"--map {src}={dst}: lớp {spec.id} không có cột {dst} (có: "
                        f"{', '.join(sorted(allowed))}).",
                        f"--map {src}={dst}: layer {spec.id} has no column {dst} (it has: "
                        f"{', '.join(sorted(allowed))})."))
        chosen[str(col)] = target
    for col in df.columns:
        if col in chosen:
            continue
        target = targets.get(fold(col))
        if target is None and len(str(col)) == DBF_NAME_LENGTH:
            # Shapefiles cut field names to 10 characters: completed_on → completed_
            stems = {t for t in allowed if t.startswith(fold(col))}
            target = stems.pop() if len(stems) == 1 else None
        if target and target not in chosen.values():
            chosen[str(col)] = target
    seen: dict[str, str] = {}
    for src, dst in chosen.items():
        if dst in seen:
            _bad_param((f"Hai cột {seen[dst]} và {src} cùng ứng với {dst}: bỏ một cột bằng --map.",
                        f"Columns {seen[dst]} and {src} both map to {dst}: drop one with --map."))
        seen[dst] = src
    ignored = [str(c) for c in df.columns if c not in chosen]
    return chosen, ignored


def _row_rules(layer: str, v: dict[str, pd.Series], rows: Rows) -> None:
    """The table's CHECK constraints, checked row by row before writing."""
    none = np.zeros(rows.ok.shape, bool)

    def has(name: str) -> np.ndarray:
        s = v.get(name)
        return none if s is None else s.notna().to_numpy()

    def before(a: str, b: str) -> np.ndarray:
        if a not in v or b not in v:
            return none
        later = (v[b].fillna("").astype(str) < v[a].fillna("").astype(str)).to_numpy()
        return has(a) & has(b) & later

    def flag(s: pd.Series) -> np.ndarray:
        return s.fillna(False).astype(bool).to_numpy()

    if layer == "parcels" and "status" in v:
        st = v["status"].fillna("").astype(str)
        for cond, col, vi, en in (
            (st != "drafted", "published_on", "đã công khai", "published"),
            (~st.isin(["drafted", "published"]), "approved_on", "đã phê duyệt", "approved"),
            (st.isin(["paid", "handed_over"]), "paid_on", "đã chi trả", "paid"),
            (st == "handed_over", "handed_over_on", "đã bàn giao", "handed over"),
        ):
            rows.refuse(flag(cond) & ~has(col) & flag(st != ""), lambda i, c=col, a=vi, b=en: (
                f"trạng thái {st.iloc[i]} cần {c} (phương án {a})",
                f"status {st.iloc[i]} needs {c} (the plan was {b})"))
        for a, b in (("published_on", "approved_on"), ("approved_on", "paid_on"),
                     ("paid_on", "handed_over_on")):
            rows.refuse(before(a, b), (f"{b} trước {a}", f"{b} is before {a}"))
    if layer == "parcels" and "compensation_vnd" in v:
        rows.refuse(flag(v["compensation_vnd"].fillna(0) < 0),
                    ("compensation_vnd âm", "compensation_vnd is negative"))
    if layer == "projects" and "status" in v:
        done = flag(v["status"] == "completed")
        rows.refuse(done & ~has("completed_on"),
                    ("dự án đã hoàn thành cần completed_on", "a completed project needs completed_on"))
        rows.refuse(~done & has("completed_on") & has("status"),
                    ("completed_on chỉ dành cho dự án đã hoàn thành (status completed)",
                     "completed_on is only for completed projects (status completed)"))
        rows.refuse(before("started_on", "completed_on"),
                    ("completed_on trước started_on", "completed_on is before started_on"))
    if layer == "civilized_streets" and "year_recognised" in v:
        y = v["year_recognised"]
        rows.refuse(flag(y.notna() & ((y < 1990) | (y > 2100))),
                    ("year_recognised phải trong khoảng 1990–2100",
                     "year_recognised must be within 1990–2100"))


US = "\x1f"  # ASCII unit separator


def _joined(values: Any) -> str:
    """Strings joined by the unit separator: one parameter instead of a large array."""
    return US.join(values)


# --- the import -------------------------------------------------------------------------------


@dataclass
class _Options:
    crs: CRS | None
    mapping: dict[str, str]
    values: dict[str, str]
    swap_xy: bool
    fix: bool


class _Importer:
    """The checks of one file, applied a chunk at a time; state that spans chunks lives here."""

    def __init__(self, spec: LayerSpec, result: ImportResult, opts: _Options):
        self.spec, self.result, self.opts = spec, result, opts
        self.family = spec.geometry_family
        self.geometries = Geometries(self.family, opts.crs, opts.swap_xy, opts.fix)
        self.refused: dict[int, Refusal] = {}
        self.valid = 0
        self.seen: set[str] = set()
        # The column a file may give as the referenced row's code (parcels: project_code).
        self.coded = next((c for c in spec.import_columns if c.by_code), None)
        self.ids_by_code: dict[str, int | None] = {}
        self.known_ids: dict[str, dict[int, bool]] = {
            c.name: {} for c in spec.import_columns if c.references}

    def start(self, df: pd.DataFrame, geometry: Any) -> None:
        """Decide, from the first chunk, the columns, the CRS and the coordinate columns."""
        spec, opts, result = self.spec, self.opts, self.result
        self.roles, result.ignored_columns = _resolve_columns(df, spec, opts.mapping)
        self.source_of = {dst: src for src, dst in self.roles.items()}
        self.key_src = self.source_of.get("code") or self.source_of.get("name")
        self.geometries.start(df, geometry, self.roles)
        result.crs, result.crs_origin = self.geometries.label, self.geometries.crs_origin
        coded = self.coded
        self.codes_src = self.source_of.get(coded.by_code) if coded and coded.by_code else None
        self.by_code: set[str] = set()
        if coded is not None and (self.codes_src is not None or coded.by_code in opts.values):
            self.by_code = {coded.name}
        present = set(self.source_of) | set(opts.values)
        missing = [c.name for c in spec.import_columns
                   if c.required and c.name not in present and c.name not in self.by_code]
        if missing:
            _reject((f"Thiếu cột bắt buộc: {', '.join(missing)}. Cột trong tệp: "
                     f"{', '.join(map(str, df.columns)) or '—'}. Đặt tên bằng --map nguồn=đích "
                     "hoặc gán một giá trị cho mọi dòng bằng --set cột=giá_trị.",
                     f"Required columns missing: {', '.join(missing)}. Columns in the file: "
                     f"{', '.join(map(str, df.columns)) or '—'}. Name them with --map "
                     "source=target or give all rows one value with --set column=value."))
        self.names = [c.name for c in spec.import_columns
                      if c.name in present or c.name in self.by_code]

    def check(self, df: pd.DataFrame, geometry: Any, conn: Connection) -> list[list[Any]]:
        """Check a chunk (its index numbers the rows in the file); the COPY rows it accepts."""
        keys = strings(df[self.key_src]) if self.key_src else None
        rows = Rows(df.index.to_numpy(), keys, self.refused)
        stored = self.geometries.check(df, geometry, rows)
        values = self._attributes(df, rows)
        self._lookups(values, df, rows, conn)
        _row_rules(self.spec.id, values, rows)
        self.valid += int(rows.ok.sum())
        return _copy_rows_of(values, self.names, stored, rows.ok, self.family)

    def _attributes(self, df: pd.DataFrame, rows: Rows) -> dict[str, pd.Series]:
        spec, values = self.spec, self.opts.values
        out: dict[str, pd.Series] = {}
        for col in spec.import_columns:
            src = self.source_of.get(col.name)
            if src is None and col.name not in values:
                continue
            raw = df[src] if src is not None else pd.Series(None, index=df.index, dtype=object)
            if col.name in values:
                raw = raw.astype(object).where(raw.notna(), values[col.name])
            conv, bad, why = _convert(spec.id, col, raw)
            rows.refuse(bad, lambda i, raw=raw, w=why: (f"{w[0]}: {shown(raw.iloc[i])}",
                                                        f"{w[1]}: {shown(raw.iloc[i])}"))
            if col.default is not None:
                conv = conv.fillna(col.default)
            elif col.required and col.name not in self.by_code:
                rows.refuse(conv.isna().to_numpy() & ~bad,
                            (f"thiếu {col.name}", f"{col.name} is empty"))
            out[col.name] = conv
        return out

    def _lookups(self, v: dict[str, pd.Series], df: pd.DataFrame, rows: Rows,
                 conn: Connection) -> None:
        """Project codes, references and uniqueness, against the database and the file so far."""
        spec, coded = self.spec, self.coded
        if self.by_code and coded is not None and coded.by_code:
            name, alias = coded.name, coded.by_code
            codes = strings(df[self.codes_src]) if self.codes_src else \
                pd.Series(None, index=df.index, dtype=object)
            if alias in self.opts.values:
                codes = codes.where(codes.notna(), self.opts.values[alias])
            new = [c for c in codes.dropna().unique() if c not in self.ids_by_code]
            if new:
                found = dict(conn.execute(load_sql(f"import.{coded.references}.codes.sql"),
                                          {"codes": _joined(new)}).all())
                self.ids_by_code.update({c: found.get(c) for c in new})
            ids = codes.map(self.ids_by_code)
            rows.refuse((codes.notna() & ids.isna()).to_numpy(), lambda i: (
                f"không có dự án mã {codes.iloc[i]}", f"no project with code {codes.iloc[i]}"))
            rows.refuse(codes.isna().to_numpy() & (
                v[name].isna().to_numpy() if name in v else True),
                (f"thiếu {alias}", f"{alias} is empty"))
            ids = ids.astype("Int64")
            v[name] = ids if name not in v else v[name].fillna(ids)
        for column in spec.import_columns:
            col, table = column.name, column.references
            s = v.get(col)
            if table is None or s is None or not s.notna().any():
                continue
            known = self.known_ids[col]
            new_ids = [int(x) for x in s.dropna().unique() if int(x) not in known]
            if new_ids:
                found_ids = set(conn.execute(load_sql(f"import.{table}.ids.sql"),
                                             {"ids": new_ids}).scalars())
                known.update({i: i in found_ids for i in new_ids})
            absent = (s.notna() & ~s.map(known).fillna(False).astype(bool)).to_numpy()
            rows.refuse(absent, lambda i, s=s, c=col, t=table: (
                f"{c} = {s.iloc[i]}: không có trong bảng {t}", f"{c} = {s.iloc[i]}: not in {t}"))
        key = spec.unique_key
        if not key or any(k not in v for k in key):
            return
        parts = [v[k].astype(object) for k in key]
        complete = np.logical_and.reduce([p.notna().to_numpy() for p in parts])
        if len(key) == 1:
            ident = parts[0].where(complete, None).astype(object)
        else:
            ident = pd.Series([US.join(map(str, t)) if c else None
                               for t, c in zip(zip(*parts, strict=True), complete, strict=True)],
                              index=df.index, dtype=object)
        label, seen = "+".join(key), self.seen
        dup = complete & (ident.duplicated(keep="first") | ident.isin(seen)).to_numpy()
        seen.update(ident[complete].tolist())

        def shown_key(i: int) -> str:
            return str(ident.iloc[i]).replace(US, " / ")

        rows.refuse(dup, lambda i: (f"{label} {shown_key(i)} lặp lại trong tệp",
                                    f"{label} {shown_key(i)} repeats within the file"))
        params = {k: _joined(p[complete].astype(str)) for k, p in zip(key, parts, strict=True)}
        existing = conn.execute(load_sql(f"import.{spec.id}.existing.sql"), params).all()
        if existing:
            hits = {US.join(str(x) for x in r) for r in existing}
            rows.refuse(complete & ident.isin(hits).to_numpy(), lambda i: (
                f"{label} {shown_key(i)} đã có trong lớp {spec.id}",
                f"{label} {shown_key(i)} already exists in layer {spec.id}"))


def import_file(
    engine: Engine,
    path: str | Path,
    layer: str,
    *,
    crs: str | None = None,
    mapping: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    source_layer: str | None = None,
    swap_xy: bool = False,
    fix: bool = False,
    skip_invalid: bool = False,
    dry_run: bool = False,
    analyze: bool = True,
    progress: Callable[[int, int], None] | None = None,
    limits: S.Limits = S.IMPORT_LIMITS,
    actor: User | None = None,
) -> ImportResult:
    """Import a file into a layer with one COPY in one transaction; raise ImportRejectedError.

    The file is read and checked a chunk at a time while the accepted rows stream to the server;
    a refused row (unless `skip_invalid`) or any database error rolls the whole import back.
    Each written row gets an `insert` entry of the audit log, by `actor` (else `system`).
    """
    t0 = time.perf_counter()
    spec = IMPORTABLE.get(layer)
    if spec is None:
        _bad_param((f"Không nhập được vào lớp {layer} (các lớp: {', '.join(IMPORTABLE)}).",
                    f"Cannot import into layer {layer} (layers: {', '.join(IMPORTABLE)})."))
    path = Path(path)
    with _import_parameters():
        crs_option = parse_crs(crs) if crs else None
    opts = _Options(crs_option, mapping or {}, values or {}, swap_xy, fix)
    result = ImportResult(layer=layer, source=path.name, dry_run=dry_run)
    imp = _Importer(spec, result, opts)
    family = spec.geometry_family

    def done() -> ImportResult:
        result.elapsed_s = time.perf_counter() - t0
        result.refused = [imp.refused[k] for k in sorted(imp.refused)]
        result.valid = imp.valid
        result.fixed = imp.geometries.fixed
        return result

    vertices = 0

    def entities(chunk: tuple[pd.DataFrame, Any]) -> tuple[pd.DataFrame, Any]:
        nonlocal vertices
        df, geometry = chunk
        result.read += len(df)
        if geometry is not None:
            vertices = S.count_vertices(geometry, path.name, limits, vertices)
        if result.format.startswith("DXF") and geometry is not None:
            # Drawings mix texts and other entities with the features: leave those out, counted.
            df, geometry, skipped = drawing_entities(df, geometry, family)
            result.ignored_rows += skipped
        return df, geometry

    def verdict() -> None:
        imp.geometries.diagnose_if_wrong_crs()
        if imp.refused and not skip_invalid:
            _reject(_refused_message(len(imp.refused)))
        if not imp.valid:
            _reject(NO_VALID_ROWS)

    try:
        with _import_parameters():
            src, result.format = open_source(path, source_layer, layer, limits)
        total, chunks = read_chunks(src, result.format, path.name)
        raw_first = next(chunks, None)
        if raw_first is None or not len(raw_first[0]):
            _reject((f"Tệp {path.name} không có dòng dữ liệu nào: không có gì để nhập.",
                     f"File {path.name} holds no rows: nothing to import."))
        first = entities(raw_first)
        if not len(first[0]):
            _reject((f"Bản vẽ {path.name} không có {GEOMETRY_WORDS[family][0]} nào.",
                     f"The drawing {path.name} holds no {GEOMETRY_WORDS[family][1]}."))
        imp.start(*first)
        with engine.connect() as lookup:
            # The lookup connection reads while the writing one is busy with COPY.
            def checked() -> Iterator[list[Any]]:
                for df, geometry in itertools.chain([first], map(entities, chunks)):
                    accepted = imp.check(df, geometry, lookup)
                    if not dry_run and (skip_invalid or not imp.refused):
                        yield from accepted
                    if progress:
                        progress(result.read, max(total, result.read))

            if dry_run:
                for _ in checked():
                    pass
                verdict()
            else:
                with engine.begin() as conn:
                    # The table's audit trigger logs every row written, as this account.
                    audit.act_as(conn, actor.name if actor else None, "import", path.name)
                    result.written = copy_rows(conn, spec.table,
                                               [*imp.names, *_geom_columns(family)], checked())
                    verdict()  # raising here rolls the COPY back
    except ImportRejectedError as exc:
        result.written = 0
        exc.result = done()
        raise
    except FileRejectedError as exc:  # the file as read: unreadable, empty, in the wrong CRS
        result.written = 0
        _reject((exc.message, exc.message_en), done(), detail=exc.detail)
    except S.FileRefusedError as exc:  # a zip or a file over the size limits
        result.written = 0
        _reject((exc.message_vi, exc.message_en), done(), detail=exc.detail)
    except (DBAPIError, psycopg.Error) as exc:  # COPY runs on the driver's connection
        orig = getattr(exc, "orig", exc)
        diag = getattr(orig, "diag", None)
        msg = getattr(diag, "message_primary", None) or str(orig).splitlines()[0]
        extra = getattr(diag, "message_detail", None)
        msg += f" — {extra}" if extra else ""
        result.written = 0
        _reject((f"Cơ sở dữ liệu từ chối dữ liệu, không có gì được ghi (tất cả hoặc không): {msg}",
                 f"The database refused the data; nothing was written (all or nothing): {msg}"),
                done(), detail=str(exc))
    if analyze and not dry_run:
        with engine.begin() as conn:
            conn.execute(text(f"ANALYZE {spec.table}"))
    return done()


NO_VALID_ROWS: Message = ("Không còn dòng hợp lệ nào để ghi.", "No valid rows are left to write.")


def _refused_message(n: int) -> Message:
    return (f"{n} dòng không hợp lệ; không có gì được ghi (tất cả hoặc không). Sửa tệp, hoặc dùng "
            "--skip-invalid để chỉ ghi các dòng hợp lệ.",
            f"{n} row(s) refused; nothing was written (all or nothing). Fix the file, or use "
            "--skip-invalid to write only the valid rows.")


def _geom_columns(family: str) -> list[str]:
    # Markers keep the surveyed VN-2000 numbers; the table derives the point from them.
    return ["northing_m", "easting_m"] if family == "point" else ["geom"]


def _copy_rows_of(values: dict[str, pd.Series], names: list[str], geoms: np.ndarray,
                  ok: np.ndarray, family: str) -> list[list[Any]]:
    """COPY rows of a chunk's accepted rows: attributes, then hex EWKB or VN-2000 numbers."""
    idx = np.flatnonzero(ok)
    if not len(idx):
        return []
    frame = pd.DataFrame({c: values[c].iloc[idx].to_numpy() for c in names})
    frame = frame.astype(object).where(frame.notna(), None)
    g = geoms[idx]
    if family == "point":
        xy = shapely.get_coordinates(g)
        frame["northing_m"] = [f"{y:.3f}" for y in xy[:, 1]]
        frame["easting_m"] = [f"{x:.3f}" for x in xy[:, 0]]
    else:
        # Binary WKB hexed by Python (twice as fast as GEOS's hex writer), its SRID given in
        # PostGIS's "SRID=n;" prefix: tagging each geometry with set_srid first copies it.
        prefix = f"SRID={VN2000};"
        frame["geom"] = [prefix + w.hex() for w in shapely.to_wkb(g)]
    return frame.to_numpy().tolist()
