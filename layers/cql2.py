"""OGC API – Features Part 3 filters: a CQL2 expression to a SQL condition with bound values.

The `cql2` package parses both encodings (cql2-text and cql2-json) into the standard's JSON
tree; this module walks that tree and writes a condition over a layer's feature source (alias
`f`, as `layers.features` reads it). Identifiers come only from the layer's queryables, every
value is a bound parameter, and geometry literals are transformed to the storage grid (not the
column), so the GiST index on `geom` answers spatial predicates. Items, tiles and downloads all
call `compile_filter`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import math
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import cql2
import orjson
import shapely
from shapely.geometry import box, shape

from core.errors import InvalidParameterError
from core.i18n import FIELDS, FILTER_WORDS, ascii_fold, phrase
from gis.srs import (
    HANOI_LONLAT,
    STORAGE_SRID,
    WGS84,
    UnsupportedCRSError,
    in_hanoi,
    parse_crs,
)
from layers.registry import LAYERS, LayerSpec

log = logging.getLogger("quyhoach")

FILTER_LANGS = ("cql2-text", "cql2-json")
GEOMETRY = "geometry"

# What a filter may hold. The parser is native code that recurses on nesting: deep parentheses
# or long chains of operators exhaust its stack and end the process, so they are refused first.
MAX_CHARS = 20_000
MAX_PARENS = 16
MAX_OPERATORS = 64
MAX_JSON_DEPTH = 40
MAX_DEPTH = 32
MAX_VERTICES = 10_000
MAX_LIST = 1_000
# Powers are computed within these bounds (else no value): (10^15)^16 fits numeric.
MAX_BASE = 10**15
MAX_EXPONENT = 16

# Conformance classes of OGC API – Features Part 3 and CQL2 that compile_filter implements.
CONFORMANCE = (
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/accent-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/temporal-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/arithmetic",
    "http://www.opengis.net/spec/cql2/1.0/conf/property-property",
)


@dataclass(frozen=True)
class Field:
    """A queryable: its name in filters, its type, and the SQL that reads it from `f`."""

    name: str
    type: str  # string | integer | number | boolean | date | geometry
    sql: str
    title: str
    enum: tuple[str, ...] = ()
    staff: bool = False
    role: str | None = None  # x-ogc-role of Part 3's queryables document


@dataclass(frozen=True)
class Filter:
    """A compiled filter: a SQL condition over `f`, its bound values and a digest of it."""

    sql: str
    params: dict[str, Any] = field(hash=False)
    digest: str


def _error(key: str, **values: Any) -> InvalidParameterError:
    return InvalidParameterError(phrase(FILTER_WORDS, key, "vi", **values),
                                 phrase(FILTER_WORDS, key, "en", **values))


def _title(layer: str, name: str, fallback: str) -> str:
    """"Vietnamese / English" title of an attribute: the catalogue's, else the service's word."""
    attr = LAYERS[layer].catalog.attributes.get(name) if layer in LAYERS else None
    if attr is not None:
        return f"{attr.title.vi} / {attr.title.en}"
    pair = FIELDS.get(name)
    return f"{pair[0]} / {pair[1]}" if pair else fallback


# Queryables that are not columns of a feature source, with the rule that derives them: the
# project's priority flag of a parcel, and the ward holding the parcel (its point on surface,
# so that a parcel on a ward boundary belongs to exactly one ward).
DERIVED: dict[str, tuple[Field, ...]] = {
    "parcels": (
        Field("project_is_key", "boolean",
              "(SELECT p.is_key FROM projects p WHERE p.id = f.project_id)",
              _title("projects", "is_key", "Key project")),
        Field("ward", "string",
              "(SELECT w.name FROM wards w WHERE ST_Intersects(w.geom, ST_PointOnSurface(f.geom))"
              " ORDER BY w.id LIMIT 1)",
              _title("parcels", "ward", "Ward")),
    ),
}

_IMPORT_TYPES = {"date": "date", "numeric": "number"}


@cache
def fields(spec: LayerSpec) -> dict[str, Field]:
    """Every queryable of a layer by name: attributes, dates, ground measure, derived, geometry."""
    out: dict[str, Field] = {}
    dates = list(spec.datetime)
    dates += [c.name for c in spec.import_columns if c.kind == "date" and c.name not in dates]
    roles = ({spec.datetime[0]: "primary-instant"} if len(spec.datetime) == 1 else
             {spec.datetime[0]: "primary-interval-start", spec.datetime[-1]: "primary-interval-end"}
             if spec.datetime else {})
    for q in spec.queryables:
        # A date column declared as a plain string queryable is still compared as a date.
        out[q.name] = Field(q.name, "date" if q.name in dates else q.type, f"f.{q.name}",
                            q.title, q.enum, q.name in spec.staff_attributes, roles.get(q.name))
    for name in dates:
        out.setdefault(name, Field(name, "date", f"f.{name}", _title(spec.id, name, name),
                                   staff=name in spec.staff_attributes, role=roles.get(name)))
    if spec.measure:
        out.setdefault(spec.measure, Field(spec.measure, "number", f"f.{spec.measure}",
                                           _title(spec.id, spec.measure, spec.measure)))
    for c in spec.import_columns:
        if c.kind in _IMPORT_TYPES and c.name not in out:
            out[c.name] = Field(c.name, _IMPORT_TYPES[c.kind], f"f.{c.name}",
                                _title(spec.id, c.name, c.name), staff=c.name in spec.staff_attributes)
    for d in DERIVED.get(spec.id, ()):
        out.setdefault(d.name, d)
    out[GEOMETRY] = Field(GEOMETRY, "geometry", "f.geom", "Hình học / Geometry",
                          role="primary-geometry")
    return out


def queryables_schema(spec: LayerSpec, may_read_staff: bool = False) -> dict[str, Any]:
    """The `properties` of the layer's queryables document (JSON Schema), for this reader."""
    props: dict[str, Any] = {}
    for f in fields(spec).values():
        if f.staff and not may_read_staff:
            continue
        if f.type == "geometry":
            entry: dict[str, Any] = {
                "title": f.title,
                "$ref": f"https://geojson.org/schema/{spec.geometry_type}.json"}
        elif f.type == "date":
            entry = {"title": f.title, "type": "string", "format": "date"}
        else:
            entry = {"title": f.title, "type": f.type}
        if f.enum:
            entry["enum"] = list(f.enum)
        if f.role:
            entry["x-ogc-role"] = f.role
        props[f.name] = entry
    return props


# ---------------------------------------------------------------------------------------------
# Reading the filter


def _screen_text(source: str) -> None:
    """Refuse nesting the native parser cannot take: deep parentheses, long operator chains."""
    depth = deepest = operators = 0
    quote = None
    plain = []
    for ch in source:
        if quote:
            if ch == quote:
                quote = None
            continue
        if ch in "'\"":
            quote = ch
            plain.append(" ")
            continue
        plain.append(ch)
        if ch == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif ch == ")":
            depth -= 1
        elif ch in "+-*/%^":
            operators += 1
    operators += len(re.findall(r"\bnot\b", "".join(plain), re.IGNORECASE))
    if deepest > MAX_PARENS or operators > MAX_OPERATORS:
        raise _error("too_complex", parens=MAX_PARENS, operators=MAX_OPERATORS)


def _json_depth(value: Any) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, d = stack.pop()
        deepest = max(deepest, d)
        if d > MAX_JSON_DEPTH:
            break
        children = node.values() if isinstance(node, dict) else node if isinstance(
            node, list) else ()
        stack.extend((c, d + 1) for c in children)
    return deepest


# Words of the parser's expected-token list, as a reader knows them.
_TOKENS = {
    "Identifier": ("tên thuộc tính", "a property name"),
    "SingleQuotedString": ("'chuỗi'", "a 'string'"),
    "DECIMAL": ("số", "a number"), "Double": ("số", "a number"),
    "GEOMETRY": ("hình học WKT", "a WKT geometry"), "EOI": ("hết biểu thức", "the end"),
    "ExpressionInParentheses": ("(", "("), "Array": ("( danh sách )", "( list )"),
    "Negative": ("-", "-"), "UnaryNot": ("NOT", "NOT"), "NotFlag": ("NOT", "NOT"),
    "True": ("TRUE", "TRUE"), "False": ("FALSE", "FALSE"), "Null": ("NULL", "NULL"),
    "And": ("AND", "AND"), "Or": ("OR", "OR"), "Add": ("+", "+"), "Subtract": ("-", "-"),
    "Multiply": ("*", "*"), "Divide": ("/", "/"), "Modulo": ("%", "%"), "Power": ("^", "^"),
    "Eq": ("=", "="), "Gt": (">", ">"), "GtEq": (">=", ">="), "Lt": ("<", "<"),
    "LtEq": ("<=", "<="), "NotEq": ("<>", "<>"), "IsNullPostfix": ("IS NULL", "IS NULL"),
    "Expr": ("biểu thức", "an expression"),
}


def _expected(message: str) -> tuple[str, str]:
    m = re.search(r"=\s*expected (.+)", message)
    if not m:
        return "?", "?"
    names = [n.strip() for n in re.split(r",\s*(?:or\s+)?|\s+or\s+", m.group(1)) if n.strip()]
    vi = [_TOKENS.get(n, (n, n))[0] for n in names]
    en = [_TOKENS.get(n, (n, n))[1] for n in names]
    return ", ".join(dict.fromkeys(vi)), ", ".join(dict.fromkeys(en))


def _syntax_error(source: str, lang: str, exc: Exception) -> InvalidParameterError:
    message = str(exc)
    log.info("filter does not parse (%s): %s", lang, message)
    m = re.search(r"-->\s*(\d+):(\d+)", message)
    if m is None:
        return _error("not_cql2", encoding=lang)
    line, column = int(m.group(1)), int(m.group(2))
    lines = source.splitlines() or [""]
    text = lines[min(line, len(lines)) - 1]
    near = text[column - 1:column + 19] or "…"
    vi, en = _expected(message)
    return InvalidParameterError(
        phrase(FILTER_WORDS, "syntax", "vi", encoding=lang, line=line, column=column, near=near,
               expected=vi),
        phrase(FILTER_WORDS, "syntax", "en", encoding=lang, line=line, column=column, near=near,
               expected=en))


def parse(source: str, lang: str) -> Any:
    """The CQL2-JSON tree of a filter in either encoding, or a 400 saying where it goes wrong."""
    if lang not in FILTER_LANGS:
        raise _error("lang", value=lang)
    if len(source) > MAX_CHARS:
        raise _error("too_long", max=MAX_CHARS)
    if lang == "cql2-json":
        try:
            tree = orjson.loads(source)
        except orjson.JSONDecodeError as exc:
            raise _error("json", line=exc.lineno, column=exc.colno) from None
        if _json_depth(tree) > MAX_JSON_DEPTH:
            raise _error("too_complex", parens=MAX_PARENS, operators=MAX_OPERATORS)
        try:
            return cql2.parse_json(source).to_json()
        except Exception as exc:  # the parser raises plain exceptions for some malformed input
            log.info("filter is not CQL2-JSON: %s", exc)
            raise _error("not_cql2", encoding=lang) from None
    _screen_text(source)
    try:
        return cql2.parse_text(source).to_json()
    except Exception as exc:  # the parser raises plain exceptions for some malformed input
        raise _syntax_error(source, lang, exc) from None


def filter_crs(ref: str | None) -> tuple[int, bool]:
    """(srid, lat_lon_order) of a `filter-crs` value; CRS84 when absent."""
    if not ref:
        return WGS84, False
    try:
        return parse_crs(ref)
    except UnsupportedCRSError:
        raise _error("crs", value=ref) from None


# ---------------------------------------------------------------------------------------------
# Writing SQL


@dataclass
class _Expr:
    sql: str
    type: str  # string | number | boolean | date | geometry
    field: Field | None = None
    literal: Any = None
    is_literal: bool = False
    name: str = ""  # how the filter wrote it, for messages


_COMPARISONS = {"=": "=", "<>": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_ORDERED = ("number", "string", "date")
_SPATIAL = {
    "s_intersects": "ST_Intersects", "s_equals": "ST_Equals", "s_disjoint": "ST_Disjoint",
    "s_touches": "ST_Touches", "s_within": "ST_Within", "s_overlaps": "ST_Overlaps",
    "s_crosses": "ST_Crosses", "s_contains": "ST_Contains",
}
# Allen's relations over closed day intervals (an instant is a day: start = end), as CQL2 lists
# them: a is the first argument, b the second.
_TEMPORAL = {
    "t_after": "{as} > {be}",
    "t_before": "{ae} < {bs}",
    "t_contains": "{as} < {bs} AND {ae} > {be}",
    "t_disjoint": "NOT ({as} <= {be} AND {ae} >= {bs})",
    "t_during": "{as} > {bs} AND {ae} < {be}",
    "t_equals": "{as} = {bs} AND {ae} = {be}",
    "t_finishedby": "{as} < {bs} AND {ae} = {be}",
    "t_finishes": "{as} > {bs} AND {ae} = {be}",
    "t_intersects": "{as} <= {be} AND {ae} >= {bs}",
    "t_meets": "{ae} = {bs}",
    "t_metby": "{as} = {be}",
    "t_overlappedby": "{as} > {bs} AND {as} < {be} AND {ae} > {be}",
    "t_overlaps": "{as} < {bs} AND {ae} > {bs} AND {ae} < {be}",
    "t_startedby": "{as} = {bs} AND {ae} > {be}",
    "t_starts": "{as} = {bs} AND {ae} < {be}",
}
_ARITHMETIC = {"+", "-", "*", "/", "%", "div", "^"}
_SQL_TYPES = {"string": "text", "number": "numeric", "date": "date", "boolean": "boolean"}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TYPE_WORDS = {
    "string": ("chuỗi", "string"), "number": ("số", "number"), "date": ("ngày", "date"),
    "boolean": ("đúng/sai", "boolean"), "geometry": ("hình học", "geometry"),
    "interval": ("khoảng thời gian", "interval"), "list": ("danh sách", "list"),
    "null": ("NULL", "NULL"), "timestamp": ("thời điểm", "timestamp"),
}


def _accent_table() -> tuple[str, str]:
    """Letters with diacritics (Vietnamese and Latin) and their plain letters, for translate()."""
    src, dst = [], []
    for code in list(range(0xC0, 0x250)) + list(range(0x1E00, 0x1F00)):
        ch = chr(code)
        plain = ascii_fold(ch)
        if len(plain) == 1 and plain.isascii() and plain.isalpha() and plain != ch:
            src.append(ch)
            dst.append(plain)
    return "".join(src), "".join(dst)


_ACCENT_FROM, _ACCENT_TO = _accent_table()
assert "'" not in _ACCENT_FROM + _ACCENT_TO


def _type_words(t: str) -> tuple[str, str]:
    return _TYPE_WORDS.get(t, (t, t))


def _what(node: Any) -> str:
    if isinstance(node, dict) and "property" in node:
        return str(node["property"])
    if isinstance(node, dict) and "op" in node:
        return str(node["op"]).upper()
    text = orjson.dumps(node).decode() if not isinstance(node, str) else f"'{node}'"
    return text if len(text) <= 40 else text[:39] + "…"


class _Compiler:
    def __init__(self, spec: LayerSpec, srid: int, lat_lon: bool, may_read_staff: bool,
                 prefix: str) -> None:
        self.spec, self.srid, self.lat_lon = spec, srid, lat_lon
        self.may_read_staff, self.prefix = may_read_staff, prefix
        self.fields = fields(spec)
        self.params: dict[str, Any] = {}

    def bind(self, value: Any, sql_type: str | None = None) -> str:
        name = f"{self.prefix}{len(self.params) + 1}"
        self.params[name] = value
        return f"CAST(:{name} AS {sql_type})" if sql_type else f":{name}"

    # -- conditions ----------------------------------------------------------------------

    def condition(self, node: Any, depth: int = 0) -> str:
        if depth > MAX_DEPTH:
            raise _error("too_complex", parens=MAX_PARENS, operators=MAX_OPERATORS)
        if isinstance(node, bool):
            return "true" if node else "false"
        if isinstance(node, dict) and "property" in node:
            e = self.scalar(node, depth)
            if e.type != "boolean":
                raise _error("not_condition", what=_what(node))
            return e.sql
        if not isinstance(node, dict) or "op" not in node:
            raise _error("not_condition", what=_what(node))
        op, args = str(node["op"]).lower(), node.get("args")
        if not isinstance(args, list):
            raise _error("arity", op=op.upper(), n="1+")
        if op in ("and", "or"):
            if len(args) < 2:
                raise _error("arity", op=op.upper(), n="2+")
            joined = f" {op.upper()} ".join(self.condition(a, depth + 1) for a in args)
            return f"({joined})"
        if op == "not":
            self._arity(op, args, 1)
            return f"(NOT {self.condition(args[0], depth + 1)})"
        if op in _COMPARISONS:
            return self.comparison(op, args, depth)
        if op == "like":
            return self.like(args, depth)
        if op == "between":
            return self.between(args, depth)
        if op == "in":
            return self.in_(args, depth)
        if op == "isnull":
            self._arity(op, args, 1)
            return f"({self.scalar(args[0], depth + 1, allow_geometry=True).sql} IS NULL)"
        if op in _SPATIAL:
            self._arity(op, args, 2)
            a, b = (self.geometry(x, depth + 1) for x in args)
            return f"{_SPATIAL[op]}({a}, {b})"
        if op in _TEMPORAL:
            self._arity(op, args, 2)
            (a_s, a_e), (b_s, b_e) = (self.temporal(x, depth + 1) for x in args)
            body = _TEMPORAL[op].format(**{"as": a_s, "ae": a_e, "bs": b_s, "be": b_e})
            return f"({body})"
        if op in ("casei", "accenti") or op in _ARITHMETIC:
            raise _error("not_condition", what=_what(node))
        raise _error("unsupported", op=op.upper())

    def _arity(self, op: str, args: list[Any], n: int) -> None:
        if len(args) != n:
            raise _error("arity", op=op.upper(), n=n)

    def _same_type(self, op: str, a: _Expr, b: _Expr, allowed: tuple[str, ...]) -> None:
        if a.type != b.type or a.type not in allowed:
            key = "type_date" if "date" in (a.type, b.type) else "type"
            words = [(lang, _type_words(a.type)[i], _type_words(b.type)[i])
                     for i, lang in enumerate(("vi", "en"))]
            vi, en = (phrase(FILTER_WORDS, key, lang, op=op.upper(), left=a.name, left_type=ta,
                             right=b.name, right_type=tb) for lang, ta, tb in words)
            raise InvalidParameterError(vi, en)

    def _check_enum(self, e: _Expr, values: list[_Expr]) -> None:
        if e.field is None or not e.field.enum:
            return
        for v in values:
            if v.is_literal and v.literal not in e.field.enum:
                raise _error("enum", name=e.field.name, value=v.literal,
                             values=", ".join(e.field.enum))

    def comparison(self, op: str, args: list[Any], depth: int) -> str:
        self._arity(op, args, 2)
        a, b = (self.scalar(x, depth + 1) for x in args)
        allowed = _ORDERED if op not in ("=", "<>") else (*_ORDERED, "boolean")
        self._same_type(op, a, b, allowed)
        self._check_enum(a, [b])
        self._check_enum(b, [a])
        return f"({a.sql} {_COMPARISONS[op]} {b.sql})"

    def like(self, args: list[Any], depth: int) -> str:
        self._arity("like", args, 2)
        a, b = (self.scalar(x, depth + 1) for x in args)
        self._same_type("like", a, b, ("string",))
        # CQL2's wildcards (% and _) and escape (\) are PostgreSQL's own.
        return f"({a.sql} LIKE {b.sql})"

    def between(self, args: list[Any], depth: int) -> str:
        self._arity("between", args, 3)
        v, lo, hi = (self.scalar(x, depth + 1) for x in args)
        self._same_type("between", v, lo, ("number", "date"))
        self._same_type("between", v, hi, ("number", "date"))
        return f"({v.sql} BETWEEN {lo.sql} AND {hi.sql})"

    def in_(self, args: list[Any], depth: int) -> str:
        self._arity("in", args, 2)
        if not isinstance(args[1], list) or not args[1]:
            raise _error("in_list")
        if len(args[1]) > MAX_LIST:
            raise _error("list_long", max=MAX_LIST)
        v = self.scalar(args[0], depth + 1)
        items = [self.scalar(x, depth + 1, bind=False) for x in args[1]]
        for item in items:
            self._same_type("in", v, item, (*_ORDERED, "boolean"))
            if not item.is_literal:
                raise _error("in_list")
        self._check_enum(v, items)
        # One array parameter: the statement's text does not depend on the list's length.
        arr = self.bind([item.literal for item in items], f"{_SQL_TYPES[v.type]}[]")
        return f"({v.sql} = ANY({arr}))"

    # -- values --------------------------------------------------------------------------

    def property(self, node: dict[str, Any]) -> Field:
        name = node["property"]
        f = self.fields.get(name) if isinstance(name, str) else None
        if f is None:
            names = ", ".join(n for n, x in self.fields.items()
                              if self.may_read_staff or not x.staff)
            raise _error("property", layer=self.spec.id, name=name, names=names)
        if f.staff and not self.may_read_staff:
            raise _error("staff", name=name)
        return f

    def scalar(self, node: Any, depth: int, allow_geometry: bool = False,
               bind: bool = True) -> _Expr:
        if depth > MAX_DEPTH:
            raise _error("too_complex", parens=MAX_PARENS, operators=MAX_OPERATORS)
        e = self._scalar(node, depth, bind)
        if e.type == "geometry" and not allow_geometry:
            raise _error("geometry_place", what=_what(node))
        e.name = _what(node)
        return e

    def _literal(self, value: Any, t: str, bind: bool) -> _Expr:
        sql = self.bind(value, _SQL_TYPES[t]) if bind else ""
        return _Expr(sql, t, literal=value, is_literal=True)

    def _scalar(self, node: Any, depth: int, bind: bool) -> _Expr:
        if isinstance(node, bool):
            return self._literal(node, "boolean", bind)
        if isinstance(node, int | float):
            if not math.isfinite(node):
                raise _error("number")
            value = int(node) if float(node).is_integer() and abs(node) < 2**53 else node
            return self._literal(value, "number", bind)
        if isinstance(node, str):
            return self._literal(node, "string", bind)
        if node is None:
            raise _error("null")
        if isinstance(node, list):
            raise _error("list_place", what=_what(node))
        if not isinstance(node, dict):
            raise _error("not_cql2", encoding="CQL2")
        if "property" in node:
            f = self.property(node)
            t = "number" if f.type == "integer" else f.type
            return _Expr(f.sql, t, field=f)
        if "date" in node:
            return self._literal(self._date(node["date"]), "date", bind)
        if "timestamp" in node:
            raise _error("timestamp")
        if "interval" in node:
            raise _error("interval_place")
        if "type" in node or "bbox" in node:
            return _Expr(self.geometry(node, depth), "geometry")
        op, args = str(node.get("op", "")).lower(), node.get("args")
        if not isinstance(args, list):
            raise _error("unsupported", op=op.upper() or "?")
        if op in ("casei", "accenti"):
            self._arity(op, args, 1)
            inner = self.scalar(args[0], depth + 1)
            if inner.type != "string":
                raise _error("string_function", op=op.upper(), what=_what(args[0]))
            sql = (f"lower({inner.sql})" if op == "casei" else
                   f"translate(normalize({inner.sql}, NFC), '{_ACCENT_FROM}', '{_ACCENT_TO}')")
            return _Expr(sql, "string")
        if op in _ARITHMETIC:
            self._arity(op, args, 2)
            a, b = (self.scalar(x, depth + 1) for x in args)
            self._same_type(op, a, b, ("number",))
            # What has no value (a zero divisor, a power out of range) is NULL, and selects
            # nothing, rather than an error that would fail the whole request.
            sql = {"/": f"({a.sql} / NULLIF({b.sql}, 0))",
                   "%": f"mod({a.sql}, NULLIF({b.sql}, 0))",
                   "div": f"div({a.sql}, NULLIF({b.sql}, 0))",
                   "^": f"(CASE WHEN abs({a.sql}) <= {MAX_BASE} AND abs({b.sql}) <= {MAX_EXPONENT}"
                        f" AND ({a.sql} > 0 OR ({a.sql} < 0 AND {b.sql} = trunc({b.sql}))"
                        f" OR ({a.sql} = 0 AND {b.sql} >= 0)) THEN power({a.sql}, {b.sql}) END)",
                   }.get(op, f"({a.sql} {op} {b.sql})")
            return _Expr(sql, "number")
        if op in _SPATIAL or op in _TEMPORAL or op in ("and", "or", "not", "like", "in",
                                                       "between", "isnull", *_COMPARISONS):
            return _Expr(self.condition(node, depth + 1), "boolean")
        raise _error("unsupported", op=op.upper() or "?")

    def _date(self, value: Any) -> dt.date:
        if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
            raise _error("date", value=value)
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise _error("date", value=value) from None

    def temporal(self, node: Any, depth: int) -> tuple[str, str]:
        """(start, end) SQL of an instant or interval: a date property, DATE or INTERVAL."""
        if isinstance(node, dict) and "interval" in node:
            ends = node["interval"]
            if not isinstance(ends, list) or len(ends) != 2:
                raise _error("interval")
            start = self._interval_end(ends[0], "-infinity", depth)
            end = self._interval_end(ends[1], "infinity", depth)
            return start, end
        e = self.scalar(node, depth)
        if e.type != "date":
            raise _error("temporal", what=_what(node))
        return e.sql, e.sql

    def _interval_end(self, end: Any, open_end: str, depth: int) -> str:
        if end == "..":
            return f"CAST('{open_end}' AS date)"
        if isinstance(end, str):
            return self.bind(self._date(end), "date")
        e = self.scalar(end, depth)
        if e.type != "date":
            raise _error("temporal", what=_what(end))
        if e.field is not None and open_end == "infinity":
            # As the items' datetime parameter reads a layer's period: no end yet is ongoing.
            return f"coalesce({e.sql}, CAST('infinity' AS date))"
        return e.sql

    def geometry(self, node: Any, depth: int) -> str:
        """SQL of a geometry: the layer's own, or a literal transformed to the storage grid."""
        if isinstance(node, dict) and "property" in node:
            f = self.property(node)
            if f.type != "geometry":
                raise _error("spatial", what=_what(node))
            return f.sql
        if not isinstance(node, dict) or not ("type" in node or "bbox" in node):
            raise _error("spatial", what=_what(node))
        geom = self._shape(node)
        if geom.geom_type == "Point" or self.srid == STORAGE_SRID:
            literal = f"ST_GeomFromText({self.bind(shapely.to_wkt(geom, rounding_precision=-1))}, {self.srid})"
        else:
            # Straight edges in degrees (or Web Mercator metres) curve on the storage grid.
            seg = 0.0005 if self.srid == WGS84 else 50.0
            literal = (f"ST_Segmentize(ST_GeomFromText("
                       f"{self.bind(shapely.to_wkt(geom, rounding_precision=-1))}, {self.srid}), "
                       f"{self.bind(seg, 'float8')})")
        if self.srid == STORAGE_SRID:
            return literal
        return f"ST_Transform({literal}, {STORAGE_SRID})"

    def _shape(self, node: dict[str, Any]) -> Any:
        try:
            if "bbox" in node:
                b = [float(v) for v in node["bbox"]]
                if len(b) == 6:
                    b = [b[0], b[1], b[3], b[4]]
                if len(b) != 4:
                    raise ValueError("bbox")
                if self.lat_lon:
                    b = [b[1], b[0], b[3], b[2]]
                geom = box(*b)
            else:
                geom = shape(node)
                if self.lat_lon:
                    geom = shapely.transform(geom, lambda c: c[:, ::-1])
            geom = shapely.force_2d(geom)
        except Exception as exc:  # malformed coordinates of any kind
            log.info("filter geometry does not read: %s", exc)
            raise _error("geometry_invalid") from None
        if geom.is_empty or not all(math.isfinite(v) for v in geom.bounds):
            raise _error("geometry_invalid")
        if shapely.get_num_coordinates(geom) > MAX_VERTICES:
            raise _error("geometry_size", max=MAX_VERTICES)
        if not geom.is_valid:
            log.info("filter geometry is not valid: %s", shapely.is_valid_reason(geom))
            raise _error("geometry_invalid")
        self._check_place(geom)
        return geom

    def _check_place(self, geom: Any) -> None:
        x1, y1, x2, y2 = geom.bounds
        corners = ((x1, y1), (x1, y2), (x2, y1), (x2, y2))
        if self.srid == WGS84 and not all(-180 <= x <= 180 and -90 <= y <= 90
                                          for x, y in corners):
            raise _error("geometry_axis" if self.lat_lon else "geometry_metres")
        try:
            inside = all(in_hanoi(x, y, self.srid) for x, y in corners)
        except Exception:  # coordinates the CRS cannot hold
            inside = False
        if not inside:
            crs = "CRS84" if self.srid == WGS84 and not self.lat_lon else f"EPSG:{self.srid}"
            w, s, e, n = HANOI_LONLAT
            raise _error("geometry_outside", crs=crs, box=f"{w},{s},{e},{n}")


def compile_filter(spec: LayerSpec, source: str | None, lang: str | None = None,
                   crs: str | None = None, *, may_read_staff: bool = False,
                   prefix: str = "cql_p") -> Filter | None:
    """A CQL2 filter of a layer as a SQL condition over its feature source `f`, values bound.

    `source` is cql2-text (default) or cql2-json, `crs` the filter-crs of its geometry literals.
    None when there is no filter; a 400 (InvalidParameterError) for anything that cannot run.
    """
    lang = lang or "cql2-text"
    if lang not in FILTER_LANGS:
        raise _error("lang", value=lang)
    srid, lat_lon = filter_crs(crs)
    if source is None or not source.strip():
        return None
    tree = parse(source, lang)
    c = _Compiler(spec, srid, lat_lon, may_read_staff, prefix)
    sql = c.condition(tree)
    digest = hashlib.sha256(orjson.dumps([tree, srid, lat_lon, spec.id],
                                         option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]
    return Filter(sql, c.params, digest)

