"""`quyhoach serve`: the API and the map under uvicorn."""

from __future__ import annotations

import click
import uvicorn


@click.command("serve")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=8000, type=int)
@click.option("--workers", default=1, type=int)
def serve_cmd(host: str, port: int, workers: int) -> None:
    """Serve the API and the map."""
    uvicorn.run("api.app:create_app", factory=True, host=host, port=port, workers=workers)
