"""Land-use categories of the 1/2000 zoning plans and their conventional planning colours.

Defined once here: the importers resolve DXF layer names and labels with it, the migration and
every import mirror it into the `land_uses` table, and the map and legends colour zones from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.i18n import ascii_fold


@dataclass(frozen=True)
class LandUse:
    """A land-use category: its code on plan sheets, names and map colour."""

    code: str
    name_vi: str
    name_en: str
    color: str
    aliases: tuple[str, ...] = ()

    def name(self, lang: str) -> str:
        """Name in a language."""
        return self.name_en if lang == "en" else self.name_vi


# Colours follow the usual legend of Vietnamese zoning plans: residential yellow/orange, public
# facilities red, green space green, water blue, roads grey, mixed use violet.
LAND_USES: tuple[LandUse, ...] = (
    LandUse("ONHT", "Đất nhóm nhà ở hiện có", "Existing residential", "#F4A340",
            ("DOHT", "OHT", "NOHT", "DAT O HIEN CO", "NHA O HIEN CO")),
    LandUse("ONM", "Đất nhóm nhà ở xây mới", "New residential", "#FFE45C",
            ("ON", "DO", "OM", "NO", "DAT O", "DAT O MOI", "NHA O", "NHA O MOI")),
    LandUse("HH", "Đất hỗn hợp", "Mixed use", "#C58BE0", ("DHH", "HON HOP", "DAT HON HOP")),
    LandUse("CC", "Đất công cộng", "Public facilities", "#E5332A",
            ("DCC", "CONG CONG", "DAT CONG CONG")),
    LandUse("CQ", "Đất cơ quan", "Offices", "#F08C7D", ("DCQ", "CO QUAN", "DAT CO QUAN")),
    LandUse("GD", "Đất trường học", "Schools", "#F06EAA",
            ("TH", "THCS", "NT", "GIAO DUC", "TRUONG HOC", "DAT TRUONG HOC")),
    LandUse("YT", "Đất y tế", "Health care", "#D81B60", ("Y TE", "DAT Y TE")),
    LandUse("CX", "Đất cây xanh", "Green space", "#4CAF50",
            ("CV", "DCX", "CXDT", "CAY XANH", "DAT CAY XANH", "CONG VIEN")),
    LandUse("TDTT", "Đất thể dục thể thao", "Sports", "#8BC34A", ("THE DUC THE THAO",)),
    LandUse("MN", "Mặt nước", "Water", "#4FC3F7", ("MNU", "MAT NUOC", "HO", "SONG", "AO")),
    LandUse("DT", "Đất di tích, tôn giáo", "Heritage and religious sites", "#8D6E63",
            ("TG", "DTTG", "DI TICH", "TON GIAO")),
    LandUse("GT", "Đất giao thông", "Roads", "#D9D9D9",
            ("DGT", "GIAO THONG", "DAT GIAO THONG", "DUONG")),
    LandUse("P", "Đất bãi đỗ xe", "Parking", "#A7B6BF", ("BDX", "BAI DO XE", "DO XE")),
    LandUse("HTKT", "Đất hạ tầng kỹ thuật", "Technical infrastructure", "#78909C",
            ("HT", "HA TANG", "HA TANG KY THUAT")),
    LandUse("CN", "Đất công nghiệp, kho tàng", "Industry and warehouses", "#9575CD",
            ("KHO", "CONG NGHIEP")),
)

BY_CODE: dict[str, LandUse] = {u.code: u for u in LAND_USES}
CODES: tuple[str, ...] = tuple(BY_CODE)

_ALIASES: dict[str, str] = {}
for _u in LAND_USES:
    _ALIASES[_u.code] = _u.code
    for _a in _u.aliases:
        _ALIASES.setdefault(_a, _u.code)

# Layer-name prefixes CAD drawings put before the land-use code (QH_CX, LOP-ONM, ...).
_PREFIXES = ("QH", "QHPK", "LOP", "LAYER", "SDD", "DAT")


def normalise(text: str) -> str:
    """Upper-case ASCII without diacritics, separators collapsed to single spaces."""
    return " ".join(re.split(r"[^A-Za-z0-9]+", ascii_fold(text).upper())).strip()


def resolve(text: str | None) -> str | None:
    """The land-use code a layer name or label stands for (e.g. `QH_CX`, `CX-01`, `Đất ở`)."""
    if not text:
        return None
    norm = normalise(text)
    if not norm:
        return None
    if norm in _ALIASES:
        return _ALIASES[norm]
    words = norm.split()
    while words and words[0] in _PREFIXES and len(words) > 1:
        words = words[1:]
        if " ".join(words) in _ALIASES:
            return _ALIASES[" ".join(words)]
    # A plot label: the code followed by a number ("CX-01", "ONM2", "GD 3").
    head = re.match(r"^([A-Z]+)\d*$", words[0]) if words else None
    if head and head.group(1) in _ALIASES and (len(words) == 1 or words[1].isdigit()
                                                or head.group(0) != head.group(1)):
        return _ALIASES[head.group(1)]
    return None


def legend(lang: str = "vi") -> list[dict[str, str]]:
    """Legend rows: code, name in the language, colour."""
    return [{"code": u.code, "name": u.name(lang), "color": u.color} for u in LAND_USES]
