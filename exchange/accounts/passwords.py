"""What a staff password must be: long, not common, not a pattern, not the person's own name or email.

Used by `exchange create-user` and the change-password page; logging in with an older, weaker
password still works (the check is for new passwords).
"""

from __future__ import annotations

import re
import string
from functools import cache
from pathlib import Path

from exchange.i18n import _

MIN_LENGTH = 12
MAX_LENGTH = 1024  # what the forms accept; argon2 gets nothing longer
#: The 10,000 most common passwords (see the file's header for where the list comes from).
COMMON_PASSWORDS = Path(__file__).with_name("common-passwords.txt")
#: A run of neighbouring keys or letters, guessed at once whatever its length.
_SEQUENCES = (
    "abcdefghijklmnopqrstuvwxyz",
    "0123456789012345678901234567890",
    "qwertyuiopasdfghjklzxcvbnm",
    "qwertzuiopasdfghjklyxcvbnm",
    "azertyuiopqsdfghjklmwxcvbn",
    "1234567890qwertyuiopasdfghjklzxcvbnm",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
    "1q2w3e4r5t6y7u8i9o0p",
    "qazwsxedcrfvtgbyhnujmikolp",
)
_LEET = str.maketrans({"@": "a", "4": "a", "3": "e", "1": "i", "!": "i", "0": "o", "$": "s", "5": "s", "7": "t"})
_FILLER = string.digits + string.punctuation + string.whitespace
#: Fewer letters than this left once the person's name and email are taken out: built from them.
_OWN_REMAINDER = 5


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list, lowercased, read once."""
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("## "))


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why this password can't be used (a sentence for the person), or None when it is fine."""
    if len(password) < MIN_LENGTH:
        return _(
            "Use at least {n} characters. A few unrelated words with spaces between them are long and easy to remember."
        ).format(n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _("Use at most {n} characters.").format(n=MAX_LENGTH)
    lowered = password.lower()
    if _repeats(lowered):
        return _("Don't repeat one character or pattern (like aaaa… or abcabc…): it is among the first things guessed.")
    if _in_sequence(lowered):
        return _("A run of keys or letters in a row (like qwerty… or 12345…) is guessed at once. Choose another password.")
    if _common(lowered):
        return _(
            "This is one of the most common passwords, or one with a few digits or symbols added, so it is among "
            "the first guessed. Choose another."
        )
    if _built_from(lowered, email=email, name=name):
        return _("Don't build the password from your name or email address.")
    return None


def _repeats(password: str) -> bool:
    """One character, or one short unit, over and over ("aaaaaaaaaaaa", "abcabcabcabc")."""
    size = len(password)
    return any(size % unit == 0 and password == password[:unit] * (size // unit) for unit in range(1, size // 2 + 1))


def _in_sequence(password: str) -> bool:
    compact = re.sub(r"\s+", "", password)
    return any(compact in sequence or compact in sequence[::-1] for sequence in _SEQUENCES)


def _common(password: str) -> bool:
    """The password, or its core once digits and symbols around it (and l33t spelling) are undone."""
    common = common_passwords()
    core = password.strip(_FILLER)
    candidates = {password, password.replace(" ", ""), core, core.replace(" ", "")}
    candidates |= {c.translate(_LEET).strip(_FILLER) for c in tuple(candidates)}
    return any(c and c in common for c in candidates)


def _built_from(password: str, *, email: str, name: str) -> bool:
    """Made of the person's own name or email, give or take digits and symbols."""
    local, _at, domain = email.strip().lower().partition("@")
    parts = {local, *re.split(r"[._+\-]", local), *domain.split("."), *re.split(r"[\W_]+", name.strip().lower())}
    remainder = password
    for part in sorted((p for p in parts if len(p) >= 3), key=len, reverse=True):
        remainder = remainder.replace(part, "")
    letters = [c for c in remainder if c not in _FILLER]
    return len(letters) < _OWN_REMAINDER
