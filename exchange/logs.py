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


_JOIN_TOKEN = re.compile(r"/join/[^\s\"?#]+")


def _without_tokens(value: object) -> object:
    return _JOIN_TOKEN.sub("/join/[link]", value) if isinstance(value, str) and "/join/" in value else value


class LinkFilter(logging.Filter):
    """Keeps personal links out of the logs: `/join/<token>` in an access line becomes `/join/[link]`.

    Whoever reads the logs (operators, staff) must not be able to open a practitioner's link.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_without_tokens(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _without_tokens(arg) for key, arg in record.args.items()}
        record.msg = _without_tokens(record.msg)
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
