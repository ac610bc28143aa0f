"""What a hub keeps in memory stays bounded however long an exchange runs."""

from __future__ import annotations

from exchange.sessions import hub as hub_module
from exchange.sessions.hub import Hub
from tests.unit.test_activity_support import at_phase


def test_command_ids_are_remembered_per_sender_up_to_a_bound_newest_kept(monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(hub_module, "COMMAND_MEMORY", 5)
    template = at_phase(0).log[-1]
    envelopes = [template.model_copy(update={"seq": n, "command_id": f"command-{n}"}) for n in range(1, 9)]
    hub = Hub(1, store=None, broker=None)  # type: ignore[arg-type] - only its memory is exercised
    hub._remember(envelopes)
    sender = template.actor.id
    assert list(hub._command_seqs) == [sender]
    assert list(hub._command_seqs[sender]) == [f"command-{n}" for n in range(4, 9)]
    assert hub._command_seqs[sender]["command-8"] == 8
    assert len(hub._recent) == 8


def test_one_senders_flood_of_ids_pushes_out_no_one_elses(monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(hub_module, "COMMAND_MEMORY", 5)
    template = at_phase(0).log[-1]
    mine = template.model_copy(update={"seq": 1, "command_id": "mine-0001"})
    other = template.actor.model_copy(update={"id": "p:999"})
    flood = [
        template.model_copy(update={"seq": n, "command_id": f"flood-{n:04d}", "actor": other}) for n in range(2, 50)
    ]
    hub = Hub(1, store=None, broker=None)  # type: ignore[arg-type]
    hub._remember([mine, *flood])
    assert hub._command_seqs[template.actor.id] == {"mine-0001": 1}
    assert len(hub._command_seqs["p:999"]) == 5
