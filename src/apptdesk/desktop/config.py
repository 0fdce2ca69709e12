"""What the desktop client remembers between runs (never a secret): a small JSON file in the config dir."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

DEFAULT_IDLE_LOCK_MINUTES = 15
MAX_IDLE_LOCK_MINUTES = 240


@dataclass
class ClientConfig:
    server_url: str | None = None  # None: the embedded local server
    idle_lock_minutes: int = DEFAULT_IDLE_LOCK_MINUTES
    last_email: dict[str, str] = field(default_factory=dict)  # per server URL, to prefill sign-in

    @classmethod
    def load(cls, path: Path) -> ClientConfig:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError):
            log.warning("unreadable client config at %s; using defaults", path)
            return cls()
        if not isinstance(raw, dict):
            return cls()
        config = cls()
        url = raw.get("server_url")
        config.server_url = url if isinstance(url, str) and url else None
        minutes = raw.get("idle_lock_minutes")
        if isinstance(minutes, int) and 1 <= minutes <= MAX_IDLE_LOCK_MINUTES:
            config.idle_lock_minutes = minutes
        emails = raw.get("last_email")
        if isinstance(emails, dict):
            config.last_email = {str(k): str(v) for k, v in emails.items() if isinstance(v, str)}
        return config

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")
        temporary.replace(path)
