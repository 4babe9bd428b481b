"""Downloads of a layer's items as files (`f=` or `Accept` on /collections/{id}/items)."""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from pathlib import Path
from urllib.parse import quote

from fastapi.responses import FileResponse
from sqlalchemy import Connection
from starlette.background import BackgroundTask

from api import params as P
from core.settings import Settings
from gis.srs import crs_uri
from layers import downloads
from layers.features import Query
from layers.registry import LayerSpec


def requested_format(f: str | None, accept: str | None) -> str:
    """The format asked for by `f` or `Accept` (GeoJSON when neither names a download)."""
    return downloads.format_of(f, accept)


def content_disposition(name: str, fallback: str) -> str:
    """An attachment header with an ASCII name and the UTF-8 one (RFC 6266 and 5987)."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def download(conn: Connection, spec: LayerSpec, q: Query, fmt_name: str, crs: str | None,
             settings: Settings, lang: str) -> FileResponse:
    """The whole selection of an items request as a file in a download format."""
    fmt = downloads.FORMATS[fmt_name]
    srid = downloads.output_srid(fmt, P.crs_param(crs)[0] if crs else None)
    q = dataclasses.replace(q, out_srid=srid, lat_lon=False)
    downloads.check_size(conn, spec, q, settings.export_max_features)
    name, fallback = downloads.file_name(spec, fmt, lang)
    folder = Path(tempfile.mkdtemp(prefix="quyhoach-download-"))
    try:
        path = downloads.write(conn, spec, q, fmt_name, folder / f"{spec.id}.{fmt.extension}",
                               lang)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(
        path, media_type=fmt.media_type,
        headers={"Content-Disposition": content_disposition(name, fallback),
                 "Content-Crs": f"<{crs_uri(srid)}>", "Cache-Control": "no-store"},
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True))
