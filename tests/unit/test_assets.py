"""Static files: fingerprinted URLs, imports rewritten to them, compressed copies, cache headers."""

from __future__ import annotations

import asyncio
import gzip
from pathlib import Path

from exchange.assets import IMMUTABLE, REVALIDATE, Assets


def make_tree(root: Path, dom: str = "export const x = 1;\n") -> None:
    (root / "js" / "live").mkdir(parents=True)
    (root / "js" / "live" / "dom.js").write_text(dom)
    (root / "js" / "live" / "page.js").write_text('import { x } from "./dom.js";\nimport "../other.js";\n' + "// pad\n" * 80)
    (root / "js" / "other.js").write_text("export {};\n")


def get(assets: Assets, path: str, encoding: str = "gzip, deflate, br") -> tuple[int, dict[str, str], bytes]:
    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    async def receive() -> dict:
        return {"type": "http.request"}

    scope = {"type": "http", "method": "GET", "path": path, "headers": [(b"accept-encoding", encoding.encode())]}
    asyncio.run(assets(scope, receive, send))
    headers = {k.decode(): v.decode() for k, v in sent[0]["headers"]}
    return sent[0]["status"], headers, sent[1]["body"]


def test_a_module_imports_fingerprinted_urls_and_a_changed_import_changes_its_url(tmp_path: Path) -> None:
    make_tree(tmp_path / "a")
    make_tree(tmp_path / "b", dom="export const x = 2;\n")
    a, b = Assets(tmp_path / "a"), Assets(tmp_path / "b")
    page = a.by_path["js/live/page.js"].plain.decode()
    assert f'from "{a.url("js/live/dom.js")}"' in page and f'import "{a.url("js/other.js")}"' in page
    assert a.url("js/live/dom.js").startswith("/static/js/live/dom.") and a.url("js/live/dom.js").endswith(".js")
    assert a.url("js/live/dom.js") != b.url("js/live/dom.js")
    assert a.url("js/live/page.js") != b.url("js/live/page.js")  # only what it imports changed
    assert a.url("js/other.js") == b.url("js/other.js")
    assert a.module_graph("js/live/page.js") == [a.url("js/live/dom.js"), a.url("js/other.js")]


def test_served_compressed_with_long_lived_caching(tmp_path: Path) -> None:
    make_tree(tmp_path)
    assets = Assets(tmp_path)
    url = assets.url("js/live/page.js")
    status, headers, body = get(assets, url, "gzip")
    assert status == 200 and headers["cache-control"] == IMMUTABLE == "public, max-age=31536000, immutable"
    assert headers["content-encoding"] == "gzip" and headers["vary"] == "Accept-Encoding"
    assert gzip.decompress(body) == assets.by_path["js/live/page.js"].plain
    assert get(assets, url, "gzip, br")[1]["content-encoding"] == "br"
    assert "content-encoding" not in get(assets, url, "identity")[1]
    plain = get(assets, "/static/js/live/page.js")  # the plain name still answers, revalidated
    assert plain[0] == 200 and plain[1]["cache-control"] == REVALIDATE
    assert get(assets, "/static/js/live/page.0000000000.js")[0] == 404
    assert get(assets, "/static/../secret")[0] == 404
