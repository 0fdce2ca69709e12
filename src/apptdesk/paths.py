"""Where apptdesk keeps its files: one place, overridable for tests and portable installs.

``APPTDESK_HOME`` puts config, data, cache and logs under one folder; otherwise platformdirs decides.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "apptdesk"


@dataclass(frozen=True)
class Paths:
    config: Path
    data: Path
    cache: Path
    logs: Path

    @classmethod
    def under(cls, root: Path) -> Paths:
        return cls(config=root / "config", data=root / "data", cache=root / "cache", logs=root / "logs")

    @classmethod
    def default(cls) -> Paths:
        home = os.environ.get("APPTDESK_HOME")
        if home:
            return cls.under(Path(home))
        return cls(
            config=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
            data=Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
            cache=Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)),
            logs=Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
        )

    def ensure(self) -> Paths:
        for folder in (self.config, self.data, self.cache, self.logs):
            folder.mkdir(parents=True, exist_ok=True)
        return self

    @property
    def default_database(self) -> Path:
        return self.data / "apptdesk.sqlite3"
