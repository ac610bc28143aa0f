"""The rules for new staff passwords: long, not common, not a pattern, not the person's own name."""

from __future__ import annotations

import pytest

from exchange.accounts.passwords import COMMON_PASSWORDS, MIN_LENGTH, common_passwords, password_problem


def test_the_shipped_list_holds_the_10000_most_common_passwords_in_lowercase() -> None:
    common = common_passwords()
    assert len(common) == 10_000
    assert {"123456", "password", "qwerty", "iloveyou", "football", "sunshine"} <= common
    assert all(p == p.lower() and not p.startswith("## ") for p in common)
    assert COMMON_PASSWORDS.read_text().startswith("## ")  # the header says where the list comes from


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery",
        "Seven tall giraffes read poetry",
        "kisumu-rains-at-dawn",
        "m4ngo tr33 by the r1ver",
        "Zq8#vLp2!rTw",
    ],
)
def test_good_passwords_are_accepted(password: str) -> None:
    assert password_problem(password, email="grace.mensah@example.org", name="Grace Mensah") is None


@pytest.mark.parametrize(
    ("password", "says"),
    [
        ("", "at least 12 characters"),
        ("short words", "at least 12 characters"),
        ("x" * 1025, "at most 1024"),
        ("aaaaaaaaaaaa", "repeat"),
        ("zzzzzzzzzzzzzzzzzzzzzzz", "repeat"),
        ("abcabcabcabc", "repeat"),
        ("monkeymonkey", "repeat"),
        ("qwertyuiopas", "run of keys"),
        ("123456789012", "run of keys"),
        ("abcdefghijklm", "run of keys"),
        ("1qaz2wsx3edc", "run of keys"),
        ("qwerty123456", "most common"),
        ("Password1234", "most common"),
        ("P@ssw0rd2024!", "most common"),
        ("iloveyou1234!", "most common"),
        ("football 2026", "most common"),
        ("telechargement", "most common"),
        ("GraceMensah1985", "name or email"),
        ("grace.mensah@example.org", "name or email"),
        ("mensah!grace!2024", "name or email"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(password: str, says: str) -> None:
    problem = password_problem(password, email="grace.mensah@example.org", name="Grace Mensah")
    assert problem is not None and says in problem, problem


def test_a_name_inside_a_long_passphrase_is_fine() -> None:
    assert password_problem("grace loves sunsets by the lake", email="grace@example.org", name="Grace") is None
    assert len("correct horse battery") >= MIN_LENGTH
