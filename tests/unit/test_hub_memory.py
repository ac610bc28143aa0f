"""What a hub keeps in memory stays bounded however long an exchange runs."""

from __future__ import annotations

from exchange.sessions import hub as hub_module
from exchange.sessions.hub import Hub
from tests.unit.test_activity_support import at_phase


def test_command_ids_are_remembered_up_to_a_bound_newest_kept(monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(hub_module, "COMMAND_MEMORY", 5)
    template = at_phase(0).log[-1]
    envelopes = [template.model_copy(update={"seq": n, "command_id": f"command-{n}"}) for n in range(1, 9)]
    hub = Hub(1, store=None, broker=None)  # type: ignore[arg-type] - only its memory is exercised
    hub._remember(envelopes)
    assert list(hub._command_seqs) == [f"command-{n}" for n in range(4, 9)]
    assert hub._command_seqs["command-8"] == 8
    assert len(hub._recent) == 8
