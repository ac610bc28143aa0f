"""Logging: one line per record, each carrying the exchange it concerns (a context variable)."""

from __future__ import annotations

import json
import logging
import re
from contextvars import ContextVar
from typing import Any

from exchange.settings import Settings

#: The exchange the current task works for; set by the websocket endpoint and each hub's tasks.
current_exchange: ContextVar[int | None] = ContextVar("current_exchange", default=None)


class ExchangeFilter(logging.Filter):
    """Stamps every record with the current exchange id ('-' outside any exchange)."""

    def filter(self, record: logging.LogRecord) -> bool:
        exchange_id = current_exchange.get()
        record.exchange_id = "-" if exchange_id is None else exchange_id
        return True


#: What a log line must never hold, and what it shows instead: personal links (also URL-encoded, as in a
#: login page's ?next=), the values of cookie and authorization headers (the websockets library logs
#: a handshake's headers at DEBUG), and the app's own cookies wherever they appear.
_SECRETS = (
    (re.compile(r"/join/[^\s\"?#]+"), "/join/[link]"),
    (re.compile(r"%2Fjoin%2F[^\s\"&#]+", re.IGNORECASE), "%2Fjoin%2F[link]"),
    (re.compile(r"/invite/[^\s\"?#]+"), "/invite/[link]"),  # a colleague's invitation (accounts/staff_invites.py)
    (re.compile(r"%2Finvite%2F[^\s\"&#]+", re.IGNORECASE), "%2Finvite%2F[link]"),
    (re.compile(r"\b((?:set-)?cookie|authorization)(['\"]?\s*[:=]\s*)[^\r\n]+", re.IGNORECASE), r"\1\2[hidden]"),
    (re.compile(r"\b(exchange_(?:staff|csrf|[pj][0-9]+))=[^;\s\"']+"), r"\1=[hidden]"),
)
_SUSPECT = re.compile(r"/join/|%2Fjoin%2F|/invite/|%2Finvite%2F|cookie|authorization|exchange_", re.IGNORECASE)


def _without_secrets(message: str) -> str:
    if not _SUSPECT.search(message):
        return message
    for pattern, replacement in _SECRETS:
        message = pattern.sub(replacement, message)
    return message


class LinkFilter(logging.Filter):
    """Keeps secrets out of the logs: `/join/<token>` in an access line becomes `/join/[link]`, and
    cookie and authorization values (staff sessions, CSRF tokens, device secrets) become `[hidden]`.

    Whoever reads the logs (operators, staff) must not be able to open a practitioner's link or take
    over anyone's session. The message is formatted here, once, and scrubbed whole.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed record: leave it to the formatter to report
            return True
        record.msg, record.args = _without_secrets(message), None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "exchange_id": getattr(record, "exchange_id", "-"),
            "msg": record.getMessage(),
        }
        if isinstance(fields := getattr(record, "fields", None), dict):
            line["fields"] = fields  # structured records (the security log, exchange/audit.py)
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def log_config(settings: Settings) -> dict[str, Any]:
    """A logging.dictConfig for uvicorn and the app alike."""
    formatter: dict[str, Any] = (
        {"()": JsonFormatter}
        if settings.log_format == "json"
        else {"format": "%(asctime)s %(levelname)-7s %(name)s exchange=%(exchange_id)s %(message)s"}
    )
    handler = {"class": "logging.StreamHandler", "formatter": "main", "filters": ["exchange", "links"]}
    level = settings.log_level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"exchange": {"()": ExchangeFilter}, "links": {"()": LinkFilter}},
        "formatters": {"main": formatter},
        "handlers": {"default": {**handler, "stream": "ext://sys.stderr"}},
        "loggers": {
            "": {"handlers": ["default"], "level": level},
            "uvicorn": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.access": {"handlers": [], "level": level, "propagate": True},
        },
    }
