"""The words the synthesis pages use for kinds and categories of contribution (translated when shown)."""

from __future__ import annotations

from exchange.i18n import _


def kind_labels() -> dict[str, str]:
    return {
        "story": _("Story"), "reflection": _("Reflection"), "recall": _("Recalled"), "card": _("Card"),
        "action": _("Action"), "point": _("Point"), "selection": _("Selection"), "draft_section": _("Message"),
    }  # fmt: skip


def category_labels() -> dict[str, str]:
    return {
        "story": _("Story"), "reflection": _("Reflection"), "recall": _("Recalled"), "lever": _("Cultural lever"),
        "commonality": _("Commonality"), "challenge": _("Challenge and idea"), "card": _("Card"),
    }  # fmt: skip
