"""Static files served light: fingerprinted names, compressed once at startup, cached for a year.

Every file under web/static is read once when the app starts. Its URL carries a hash of its content
(`/static/js/live/dom.3f2a9c1b7e.js`, from the template helper `static_url`), so a changed file gets a
new URL and browsers may keep the old one forever (`Cache-Control: public, max-age=31536000,
immutable`). ES modules import each other by relative path: those imports are rewritten to the
fingerprinted URLs, and a module's hash covers the hashes of what it imports, so changing `dom.js`
changes the URL of every module that imports it. No build step: it happens at startup, in memory
(about 0.4 MB for everything, compressed copies included).

Each file is kept as is, gzipped and, when the `brotli` package is there, as brotli; the response
is the smallest one the browser accepts (`Vary: Accept-Encoding`). A plain name (`/static/css/app.css`)
still answers, revalidated on each use (`no-cache` with an ETag), for anything that links to it.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path

from starlette.types import Receive, Scope, Send

try:  # optional: a fifth smaller than gzip on our scripts and stylesheet
    import brotli
except ImportError:  # pragma: no cover - brotli is a dependency; this keeps a trimmed install serving
    brotli = None

PREFIX = "/static/"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
HASH_LENGTH = 10
COMPRESSIBLE = {".css", ".js", ".svg", ".json", ".html", ".txt", ".map"}
#: `import ... from "./x.js"`, `import "./x.js"`, `export ... from "../y.js"`, `import("./z.js")`.
IMPORT = re.compile(r"""((?:\bfrom|\bimport)\s*\(?\s*)(["'])(\.{1,2}/[^"'\s]+?\.js)\2""")
TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}


@dataclass(frozen=True)
class Asset:
    path: str  # relative to web/static, e.g. "js/live/dom.js"
    url: str  # the fingerprinted URL
    etag: str
    content_type: str
    plain: bytes
    gzip: bytes | None
    br: bytes | None
    imports: tuple[str, ...]  # paths this module imports statically, directly (dynamic ones load later)


class Assets:
    """The fingerprinted static files of one directory, and an ASGI app that serves them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.by_path: dict[str, Asset] = {}
        self.by_url: dict[str, Asset] = {}
        sources = {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
        for path in sources:
            self._build(path, sources, ())

    # --- building ---------------------------------------------------------------------------------

    def _build(self, path: str, sources: dict[str, bytes], trail: tuple[str, ...]) -> Asset:
        if path in self.by_path:
            return self.by_path[path]
        if path in trail:
            raise ValueError(f"static modules import each other in a circle: {' -> '.join((*trail, path))}")
        data = sources[path]
        imports: list[str] = []
        if path.endswith(".js"):
            text = data.decode("utf-8")

            def fingerprinted(match: re.Match[str]) -> str:
                target = (Path(path).parent / match[3]).as_posix()
                target = _normalise(target)
                if target not in sources:
                    raise ValueError(f"{path} imports {match[3]}, which is not in web/static")
                if "(" not in match[1]:  # a dynamic import() loads when needed: not preloaded
                    imports.append(target)
                url = self._build(target, sources, (*trail, path)).url
                return f"{match[1]}{match[2]}{url}{match[2]}"

            data = IMPORT.sub(fingerprinted, text).encode("utf-8")
        digest = hashlib.sha256(data).hexdigest()[:HASH_LENGTH]
        stem, dot, ext = path.rpartition(".")
        url = f"{PREFIX}{stem}.{digest}.{ext}" if dot else f"{PREFIX}{path}.{digest}"
        suffix = f".{ext}" if dot else ""
        content_type = TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"
        gz = br = None
        if suffix in COMPRESSIBLE and len(data) > 256:
            gz = gzip.compress(data, compresslevel=9, mtime=0)
            if brotli is not None:
                br = brotli.compress(data, quality=10)  # 11 is 2% smaller and four times slower to start
        asset = Asset(path, url, f'"{digest}"', content_type, data, gz, br, tuple(imports))
        self.by_path[path] = asset
        self.by_url[url] = asset
        return asset

    # --- for templates ------------------------------------------------------------------------------

    def url(self, path: str) -> str:
        """The fingerprinted URL of a file under web/static (a missing file is a bug: it raises)."""
        return self.by_path[path].url

    def module_graph(self, path: str) -> list[str]:
        """The fingerprinted URLs of every module `path` imports, directly or not (for modulepreload)."""
        seen: list[str] = []

        def walk(p: str) -> None:
            for dep in self.by_path[p].imports:
                if dep not in seen:
                    seen.append(dep)
                    walk(dep)

        walk(path)
        return [self.by_path[p].url for p in seen]

    # --- serving ------------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        full = scope.get("root_path", "") + scope["path"] if not scope["path"].startswith(PREFIX) else scope["path"]
        asset = self.by_url.get(full)
        cache = IMMUTABLE
        if asset is None:
            asset = self.by_path.get(full[len(PREFIX):]) if full.startswith(PREFIX) else None
            cache = REVALIDATE
        if asset is None or scope["method"] not in {"GET", "HEAD"}:
            status = 404 if asset is None else 405
            await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": b"Not Found" if status == 404 else b"Method Not Allowed"})
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if cache == REVALIDATE and asset.etag in headers.get("if-none-match", ""):
            await send({"type": "http.response.start", "status": 304, "headers": _headers(asset, cache, None, None)})
            await send({"type": "http.response.body", "body": b""})
            return
        accepted = {part.split(";")[0].strip() for part in headers.get("accept-encoding", "").split(",")}
        body, encoding = asset.plain, None
        if asset.br is not None and "br" in accepted:
            body, encoding = asset.br, "br"
        elif asset.gzip is not None and "gzip" in accepted:
            body, encoding = asset.gzip, "gzip"
        await send({"type": "http.response.start", "status": 200, "headers": _headers(asset, cache, encoding, len(body))})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})


def _headers(asset: Asset, cache: str, encoding: str | None, length: int | None) -> list[tuple[bytes, bytes]]:
    out = [
        (b"content-type", asset.content_type.encode()),
        (b"cache-control", cache.encode()),
        (b"etag", asset.etag.encode()),
    ]
    if asset.gzip is not None:
        out.append((b"vary", b"Accept-Encoding"))
    if encoding:
        out.append((b"content-encoding", encoding.encode()))
    if length is not None:
        out.append((b"content-length", str(length).encode()))
    return out


def _normalise(path: str) -> str:
    parts: list[str] = []
    for part in path.split("/"):
        if part == "..":
            if parts:
                parts.pop()
        elif part not in {"", "."}:
            parts.append(part)
    return "/".join(parts)
