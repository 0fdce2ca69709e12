"""The client's log: a rotating file in the logs dir (and stderr). Tokens and passwords never go in."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from apptdesk.jsonlog import JsonFormatter


def configure(logs_dir: Path, level: str = "INFO") -> Path:
    logs_dir.mkdir(parents=True, exist_ok=True)
    path = logs_dir / "apptdesk.log"
    file_handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=2_000_000, backupCount=5, encoding="utf-8"
    )
    file_handler.setFormatter(JsonFormatter())
    console = logging.StreamHandler()
    console.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [file_handler, console]
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore", "alembic", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return path
