"""How long a person's name may be, in one place: the tables, the forms and the live session agree.

A staff member's name comes from `exchange create-user`, a practitioner's from the invite form; both
end up as the `Actor` of their commands, which must accept every name a table can hold.
"""

from __future__ import annotations

#: A practitioner's name, as the invite form takes it (programmes.models.Participant.name).
PARTICIPANT_NAME_MAX = 80
#: A facilitator's or lead's name (accounts.models.StaffUser.name).
STAFF_NAME_MAX = 120
#: Anyone's: what the live session's Actor accepts.
PERSON_NAME_MAX = max(PARTICIPANT_NAME_MAX, STAFF_NAME_MAX)
