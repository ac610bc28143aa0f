"""An iCalendar (.ics) file for an exchange, built by hand: RFC 5545 escaping and line folding."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi.responses import Response

from exchange import i18n
from exchange.i18n import _
from exchange.cleantext import clean, clean_line
from exchange.programmes.models import Exchange
from exchange.timeutil import utcnow


def _escape(text: str) -> str:
    """A TEXT value (RFC 5545, 3.3.11): cleaned first (exchange.cleantext: no control characters, so no
    bare carriage return, terminal escapes or direction overrides), then backslash, semicolon and comma
    escaped and every line break written as the two characters `\\n`: nothing can end the line."""
    text = clean(text)  # CR LF and a bare CR are newlines from here on
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return text.replace("\n", "\\n").replace("\t", " ")


def _uri(value: str) -> str:
    """A URI value is not escaped (RFC 5545, 3.3.13), so it may hold nothing that could end the line."""
    return "".join(c for c in clean_line(value) if c.isprintable() and not c.isspace())


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space."""
    raw = line.encode()
    if len(raw) <= 75:
        return line
    parts, start = [], 0
    while start < len(raw):
        end = min(start + (75 if start == 0 else 74), len(raw))
        while end < len(raw) and (raw[end] & 0xC0) == 0x80:  # never split a UTF-8 character
            end -= 1
        parts.append(raw[start:end].decode())
        start = end
    return "\r\n ".join(parts)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


def calendar(exchange: Exchange, *, url: str, description_extra: str = "") -> str:
    """A one-event calendar for the exchange, in UTC so every calendar shows the viewer's own time."""
    call = _("The call: {link}").format(link=exchange.call_url) if exchange.call_url else ""
    description = "\n\n".join(part for part in (exchange.purpose, description_extra, call) if part)
    language = i18n.current()  # the words we add are in the viewer's language
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Story Exchange//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:exchange-{exchange.id}@story-exchange",
        f"DTSTAMP:{_stamp(utcnow())}",
        f"DTSTART:{_stamp(exchange.starts_at)}",
        f"DTEND:{_stamp(exchange.starts_at + timedelta(minutes=exchange.duration_minutes))}",
        f"SUMMARY:{_escape(exchange.title)}",
        f"DESCRIPTION;LANGUAGE={language}:{_escape(description)}",
        f"URL:{_uri(url)}",
        *( [f"LOCATION:{_escape(exchange.call_url)}"] if exchange.call_url else [] ),
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"


def response(body: str, *, filename: str) -> Response:
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
