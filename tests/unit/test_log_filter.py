"""The log filter keeps secrets out of every line: personal links, cookie and authorization values."""

from __future__ import annotations

import json
import logging

import pytest

from exchange.logs import JsonFormatter, LinkFilter

TOKEN = "Zt4o5vJp0Q2rXk8cV1mN3bL6aS9dF7gH0jK2lP4qW8e"


def line(msg: str, *args: object, json_format: bool = False) -> str:
    record = logging.LogRecord("uvicorn.error", logging.DEBUG, __file__, 1, msg, args, None)
    assert LinkFilter().filter(record)
    return JsonFormatter().format(record) if json_format else logging.Formatter("%(message)s").format(record)


@pytest.mark.parametrize("json_format", [False, True])
@pytest.mark.parametrize(
    ("msg", "args"),
    [
        ('%s - "%s %s HTTP/%s" %d', ("127.0.0.1:5", "GET", f"/join/{TOKEN}", "1.1", 200)),
        ('%s - "%s %s HTTP/%s" %d', ("127.0.0.1:5", "POST", f"/join/{TOKEN}/handover", "1.1", 400)),
        ("GET %s", (f"/login?next=%2Fjoin%2F{TOKEN}",)),
        ('%s - "%s %s HTTP/%s" %d', ("127.0.0.1:5", "POST", f"/invite/{TOKEN}", "1.1", 303)),
        ("GET %s", (f"/login?next=%2Finvite%2F{TOKEN}",)),
        ("< %s: %s", ("cookie", f"exchange_csrf={TOKEN}; exchange_staff={TOKEN}")),
        ("> %s: %s", ("Set-Cookie", f"exchange_p3={TOKEN}.sig; Path=/e/3")),
        ("< %s: %s", ("authorization", f"Bearer {TOKEN}")),
        ("headers: %r", ({"cookie": f"exchange_j3={TOKEN}"},)),
        (f"raw exchange_staff={TOKEN} in a message", ()),
    ],
)
def test_no_secret_survives_the_filter(msg: str, args: tuple[object, ...], json_format: bool) -> None:
    out = line(msg, *args, json_format=json_format)
    assert TOKEN not in out
    if json_format:
        json.loads(out)


def test_plain_lines_pass_unchanged() -> None:
    assert line("exchange %s: publishing seq %s failed", 12, 40) == "exchange 12: publishing seq 40 failed"
    assert line('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5", "GET", "/e/3/record", "1.1", 200).endswith('"GET /e/3/record HTTP/1.1" 200')
