"""What a phase added in the editor starts with: real prompts and settings for its kind, never a placeholder.

The facilitator adapts them; each default is something a practitioner could read as it is.
"""

from __future__ import annotations

from typing import Any

from exchange.i18n import _
from exchange.prompts.models import ActivityKind

NEW_PHASE_MINUTES = 10
NEW_CARD_FIELD_MAX = 500


def phase_defaults(kind: ActivityKind) -> dict[str, Any]:
    """Prompts and kind-specific settings for a new phase of this kind (translated, JSON-able)."""
    if kind is ActivityKind.AGREEMENTS:
        return {
            "prompts": [
                _("Please read our agreements and accept them before we begin."),
                _("Is anything missing? If there is something you need from the group to feel able to share, say so now."),
            ]
        }
    if kind is ActivityKind.STORY_ROUND:
        return {
            "turn_seconds": 300,
            "prompts": [
                _("Tell us a story of change from your own work: who was involved, what happened, and what is different now."),
                _("You have {turn_length}; the timer shows how much is left."),
                _("While someone is speaking, listen without interrupting. Questions wait until the story is told."),
            ],
            "listener_prompts": [_("What I heard..."), _("A moment that stayed with me..."), _("A question I would like to ask...")],
        }
    if kind is ActivityKind.CARDS:
        return {
            "card_fields": [{"key": "idea", "label": _("Your idea"), "max_length": NEW_CARD_FIELD_MAX}],
            "prompts": [
                _("Think back over what we have heard. Add one card for each idea: {fields}."),
                _("Cards from your own story and from other people's stories are both welcome."),
            ],
        }
    if kind is ActivityKind.DISCUSSION:
        return {
            "queue_order": "progressive",
            "prompts": [
                _("What stood out for you in what we have heard so far, and why?"),
                _("Raise your hand to speak. People who have spoken least so far go first."),
            ],
        }
    if kind is ActivityKind.SELECTION:
        return {
            "votes_per_person": 1,
            "prompts": [
                _("Read the stories again, or ask their tellers to sum them up."),
                _("Vote for the story that shows the most significant change. You have {votes_each}."),
                _("Say why you voted as you did, and listen especially to those who chose differently."),
            ],
        }
    if kind is ActivityKind.DRAFT:
        return {
            "sections": [_("Our message")],
            "prompts": [
                _("Together we write a short text grounded in what we heard today. Anyone can write in any section: {sections}."),
                _("Keep it plain and short. Use a story only if its teller agrees, and leave out names."),
            ],
        }
    return {  # feedback
        "prompts": [
            _("What will you take home from today?"),
            _("How could the next session be better? Your feedback is anonymous."),
        ]
    }
