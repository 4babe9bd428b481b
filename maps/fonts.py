"""DejaVu Sans for every PDF and picture the service draws: it has every Vietnamese letter."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from core.errors import PlanningError

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT, FONT_BOLD = "DejaVuSans", "DejaVuSans-Bold"


def font_files() -> tuple[Path, Path]:
    """The regular and bold DejaVu Sans files; a readable error when the package is missing."""
    regular, bold = FONT_DIR / "DejaVuSans.ttf", FONT_DIR / "DejaVuSans-Bold.ttf"
    if not (regular.is_file() and bold.is_file()):
        raise PlanningError(
            f"Thiếu phông chữ DejaVu ({FONT_DIR}); cài gói Debian fonts-dejavu-core.",
            f"The DejaVu fonts are missing ({FONT_DIR}); install the Debian package "
            "fonts-dejavu-core.")
    return regular, bold


@cache
def register_fonts() -> None:
    """Register DejaVu Sans (regular and bold) for embedding, as one family for <b> markup."""
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    regular, bold = font_files()
    pdfmetrics.registerFont(TTFont(FONT, str(regular)))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(bold)))
    for italic in (0, 1):
        addMapping(FONT, 0, italic, FONT)
        addMapping(FONT, 1, italic, FONT_BOLD)
