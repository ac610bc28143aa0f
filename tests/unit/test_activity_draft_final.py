"""'Final' means what the phones say: a draft marked final refuses edits (saying only the facilitator
can open it again), and once reopened every page says it was."""

from __future__ import annotations

from exchange.sessions.activities import draft_data as dr
from exchange.sessions.views import facilitator_view, participant_view
from tests.unit.test_activity_support import DRAFT, at_phase
from tests.unit.test_session_support import AMA, FACILITATOR


def _draft(view: dict) -> dict:
    return next(d for d in view["drafts"] if d["phase_index"] == DRAFT)


def test_final_then_reopened_is_shown_everywhere() -> None:
    session = at_phase(DRAFT)
    session.do(AMA, dr.EditSection(section=0, base_version=0, text="Communities lead."))
    assert (_draft(participant_view(session.state))["final"], _draft(participant_view(session.state))["reopened"]) == (False, False)
    session.do(FACILITATOR, dr.SetDraftFinal(final=True))
    refusal = session.refuse(AMA, dr.EditSection(section=0, base_version=1, text="Communities lead change."))
    assert refusal.code == "final" and "facilitator can open it" in refusal.message
    session.do(FACILITATOR, dr.SetDraftFinal(final=False))
    for view in (participant_view(session.state), facilitator_view(session.state)):
        assert (_draft(view)["final"], _draft(view)["reopened"]) == (False, True)
    session.do(AMA, dr.EditSection(section=0, base_version=1, text="Communities lead change."))
    session.do(FACILITATOR, dr.SetDraftFinal(final=True))
    assert (_draft(participant_view(session.state))["final"], _draft(participant_view(session.state))["reopened"]) == (True, False)
    assert session.rebuilt() == session.state
