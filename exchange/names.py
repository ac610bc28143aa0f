"""How long a person's name may be, in one place: the tables, the forms and the live session agree.

A staff member's name comes from `exchange create-user`, a practitioner's from the invite form; both
end up as the `Actor` of their commands, which must accept every name a table can hold.
"""

from __future__ import annotations

import unicodedata

#: A practitioner's name, as the invite form takes it (programmes.models.Participant.name).
PARTICIPANT_NAME_MAX = 80
#: A facilitator's or lead's name (accounts.models.StaffUser.name).
STAFF_NAME_MAX = 120
#: Anyone's: what the live session's Actor accepts.
PERSON_NAME_MAX = max(PARTICIPANT_NAME_MAX, STAFF_NAME_MAX)


#: Arabic words that are not a name of their own in initials: "son of", "daughter of".
_ARABIC_LINKS = frozenset({"بن", "ابن", "بنت", "bin", "ibn"})
#: Arabic names written as two words that are one name ("عبد الله" is Abdullah, "أبو بكر" Abu Bakr).
_ARABIC_COMPOUNDS = frozenset({"عبد", "أبو", "ابو", "أبي"})
_ARABIC_ARTICLE = "ال"
#: Arabic short vowels and other marks: written over a letter, never an initial's part.
_ARABIC_MARKS = frozenset(chr(c) for c in (*range(0x064B, 0x0660), 0x0670, 0x0640))


def initials(name: str) -> str:
    """A name's initials: "Amina Diallo" -> "A.D."; "محمد عبد الله الحسن" -> "م.ع.ح.".

    Each initial is a whole character (a letter with its combining accents, in NFC), never half of
    one; in Arabic names the article "ال" is not an initial, "عبد الله" is one name and "بن" none.
    """
    words = [w.strip("-'’\"()[].,ـ") for w in unicodedata.normalize("NFC", name).split()]
    words = [w for w in words if w]
    out: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        index += 1
        if word.casefold() in _ARABIC_LINKS and out:
            continue
        if word in _ARABIC_COMPOUNDS and index < len(words):
            index += 1  # the next word belongs to this name
        elif word.startswith(_ARABIC_ARTICLE) and len(word) > len(_ARABIC_ARTICLE) + 1:
            word = word[len(_ARABIC_ARTICLE):]
        letter = _first_letter(word)
        if letter:
            out.append(letter.upper() + ".")
    return "".join(out)


def _first_letter(word: str) -> str:
    """The first letter of a word, with the combining marks that belong to it (Arabic vowels aside)."""
    for start, char in enumerate(word):
        if unicodedata.category(char)[0] in "LN":
            marks = ""
            for mark in word[start + 1:]:
                if not unicodedata.combining(mark):
                    break
                if mark not in _ARABIC_MARKS:
                    marks += mark
            return char + marks
    return ""
