"""Server settings, read from ``APPTDESK_*`` environment variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from apptdesk.paths import Paths


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="APPTDESK_", extra="ignore")

    # sqlite:///PATH or postgresql://user@host/db; empty: a SQLite file in the user data dir.
    database_url: str = ""
    host: str = "127.0.0.1"
    port: int = Field(default=8765, ge=0, le=65535)

    access_token_minutes: int = Field(default=15, ge=1, le=24 * 60)
    session_hours: float = Field(default=12, gt=0, le=24 * 30)  # absolute lifetime of a sign-in

    login_max_failures_per_account: int = Field(default=5, ge=1)
    login_max_failures_per_client: int = Field(default=30, ge=1)
    login_failure_window_seconds: int = Field(default=15 * 60, ge=1)

    completion_grace_minutes: int = Field(default=60, ge=0)
    sweep_interval_seconds: float = Field(default=60, gt=0)

    # Argon2id cost. The defaults follow RFC 9106's second recommended option; lower only for tests.
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=64 * 1024, ge=8)
    argon2_parallelism: int = Field(default=4, ge=1)

    max_body_bytes: int = Field(default=64 * 1024, ge=1024)

    # Email. Without an SMTP URL (the embedded default) mails are written as .eml files instead.
    smtp_url: str = ""  # smtp://user:password@host:587 (STARTTLS when offered) or smtps://host:465
    mail_from: str = "apptdesk <no-reply@apptdesk.invalid>"
    mail_outbox_dir: str = ""  # default: <data dir>/outbox
    mail_retry_max_seconds: float = Field(default=600, gt=0)
    mail_poll_seconds: float = Field(default=5, gt=0)
    mailer: bool = True  # send from this process (several processes may; each mail is claimed once)
    event_ping_seconds: float = Field(default=15, gt=0)
    log_level: str = "INFO"

    def resolved_outbox_dir(self) -> str:
        return self.mail_outbox_dir or str(Paths.default().ensure().data / "outbox")

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        paths = Paths.default().ensure()
        return f"sqlite:///{paths.default_database}"
