"""Search by name, code, address or cadastral reference, and the sample's cadastral references.

The search runs in one statement (layers/sql/search.sql) over the trigram indexes of the folded
names and codes; Python only checks the query and reads a cadastral reference out of it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import orjson
from sqlalchemy import Connection

from core import i18n
from core.errors import InvalidParameterError
from gis.db import load_sql

MAX_QUERY = 200
DEFAULT_LIMIT, MAX_LIMIT = 10, 50
LEVELS = ("city", "district", "ward", "commune")
SAMPLE_SHEET_M = 500  # the sample's map sheets: one per 500 m square of the VN-2000 grid

# "tờ 12 thửa 345", "to ban do so 12, thua dat so 345", "t12 th345", "12-345", "12/345"
_REF = re.compile(
    r"^(?:(?:to|t)\s*(?:ban\s*do\s*)?(?:so\s*)?[:.]?\s*(\d{1,5})\s*[,;.]?\s*"
    r"(?:thua|th)\s*(?:dat\s*)?(?:so\s*)?[:.]?\s*(\d{1,6})"
    r"|(\d{1,5})\s*[-/]\s*(\d{1,6}))$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class CadastralRef:
    """A cadastral reference: map sheet number and parcel number within the sheet."""

    map_sheet: int
    parcel_no: int


def parse_ref(text: str) -> CadastralRef | None:
    """The cadastral reference a text names ("tờ 12 thửa 345", "12-345"), if it names one."""
    folded = " ".join(i18n.ascii_fold(text).lower().split())
    m = _REF.match(folded)
    if m is None:
        return None
    sheet, parcel = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
    return CadastralRef(int(sheet), int(parcel))


def clean_query(q: str | None) -> str:
    """The search text, trimmed and normalised; 400 when empty, too long or with control codes."""
    text = unicodedata.normalize("NFC", q or "")
    if _CONTROL.search(text):
        raise InvalidParameterError(*i18n.SEARCH_WORDS["control"])
    text = " ".join(text.split())
    if not text:
        raise InvalidParameterError(*i18n.SEARCH_WORDS["empty"])
    if len(text) > MAX_QUERY:
        raise InvalidParameterError(
            i18n.phrase(i18n.SEARCH_WORDS, "too_long", "vi", max=MAX_QUERY),
            i18n.phrase(i18n.SEARCH_WORDS, "too_long", "en", max=MAX_QUERY))
    return text


def check_limit(limit: int | None) -> int:
    """The number of hits asked for, 1..MAX_LIMIT (DEFAULT_LIMIT when not asked)."""
    if limit is None:
        return DEFAULT_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidParameterError(
            i18n.phrase(i18n.SEARCH_WORDS, "limit", "vi", max=MAX_LIMIT),
            i18n.phrase(i18n.SEARCH_WORDS, "limit", "en", max=MAX_LIMIT))
    return limit


def search(conn: Connection, q: str | None, limit: int | None = None, lang: str = "vi") -> str:
    """Hits for a search text, best first, as JSON text: collection, id, label, extent (CRS84)."""
    text = clean_query(q)
    ref = parse_ref(text)
    words = {key: i18n.phrase(i18n.SEARCH_WORDS, f"level_{key}", lang) for key in LEVELS}
    words["ref"] = i18n.phrase(i18n.SEARCH_WORDS, "ref", lang)
    hits = conn.execute(load_sql("search.sql"), {
        "q": text, "limit": check_limit(limit),
        "sheet": ref.map_sheet if ref else None, "parcel_no": ref.parcel_no if ref else None,
        "levels": orjson.dumps(words).decode(),
    }).scalar_one()
    return '{"query":' + orjson.dumps(text).decode() + ',"hits":' + hits + "}"


def fill_sample_cadastral(conn: Connection) -> None:
    """Give the sample's parcels their map sheet, parcel number and address, from the geometry."""
    conn.execute(load_sql("search.fill_cadastral.sql"), {"cell": SAMPLE_SHEET_M})
