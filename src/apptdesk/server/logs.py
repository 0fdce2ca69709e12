"""Structured logs: one JSON object per line. Nothing secret is ever passed to a logger."""

from __future__ import annotations

import logging
from typing import Any

from apptdesk.jsonlog import JsonFormatter


def configure(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Migrations report every step at INFO; an operator needs only problems.
    logging.getLogger("alembic").setLevel(logging.WARNING)


def uvicorn_log_config(level: str = "INFO") -> dict[str, Any]:
    """Route uvicorn's own loggers through the JSON formatter."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"default": {"class": "logging.StreamHandler", "formatter": "json"}},
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": level.upper(), "propagate": False},
            "uvicorn.error": {"handlers": ["default"], "level": level.upper(), "propagate": False},
            "uvicorn.access": {"handlers": ["default"], "level": level.upper(), "propagate": False},
        },
    }
