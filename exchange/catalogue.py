"""The message catalogue's template, extracted afresh from the code, the pages and the shipped plans.

`python -m exchange.catalogue` (`make messages`) writes exchange/locale/messages.pot; the catalogue
test extracts the same way and checks every language's .po against it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import write_po

ROOT = Path(__file__).resolve().parent.parent
POT = ROOT / "exchange" / "locale" / "messages.pot"
KEYWORDS = {"_": None, "gettext": None, "gettext_noop": None, "N_": None, "ngettext": (1, 2), "plural_forms": (1, 2)}
#: What is not ours to translate: the tests' own files and the installed packages.
SKIP = ("tests/", ".venv/", "bench/", "migrations/")


def extract() -> Catalog:
    """Every message of the project, as `pybabel extract -F babel.cfg` would find it."""
    with (ROOT / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    catalog = Catalog(project="Story Exchange", charset="utf-8", fuzzy=False)
    found = extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True,
        directory_filter=lambda path: not any(part in path.replace("\\", "/") + "/" for part in SKIP),
    )
    for filename, lineno, message, comments, context in found:
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def write(path: Path = POT) -> int:
    catalog = extract()
    with path.open("wb") as handle:
        write_po(handle, catalog, omit_header=False, no_location=True, sort_output=False, width=100)
    return len(catalog)


if __name__ == "__main__":
    count = write(Path(sys.argv[1]) if len(sys.argv) > 1 else POT)
    print(f"{count} messages in {POT.relative_to(ROOT)}")
