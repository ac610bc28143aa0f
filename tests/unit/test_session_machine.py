"""decide/apply, table-driven: every command's happy path and every refusal (role, then state)."""

from __future__ import annotations

import typing
from collections.abc import Callable
from datetime import timedelta

import pytest

from exchange.prompts.models import QueueOrder
from exchange.sessions import commands as c
from exchange.sessions import events as e
from exchange.sessions.commands import TimerKind
from exchange.sessions.machine import APPLIERS, RULES, Rejected, decide
from tests.unit.test_session_support import (
    AMA,
    BEA,
    CHE,
    CLOSING,
    FACILITATOR,
    LEAD,
    LEVERS,
    PLAN,
    STORIES,
    STRANGER,
    SYSTEM,
    Session,
    joined,
    types,
)

# -- situations ----------------------------------------------------------------------------------


def waiting() -> Session:
    return joined(AMA, BEA, CHE, start=False)


def welcome() -> Session:
    """Live, in the first (open-floor) phase."""
    return joined(AMA, BEA, CHE)


def stories() -> Session:
    """In the story round; nobody speaking yet; order Ama, Bea, Che."""
    session = welcome()
    session.do(FACILITATOR, c.GotoPhase(index=STORIES))
    return session


def speaking() -> Session:
    """Ama is speaking."""
    session = stories()
    session.do(FACILITATOR, c.NextTurn())
    session.wait(60)
    return session


def turn_paused() -> Session:
    session = speaking()
    session.do(FACILITATOR, c.PauseTimer(timer=TimerKind.TURN))
    return session


def phase_paused() -> Session:
    session = welcome()
    session.do(FACILITATOR, c.PauseTimer(timer=TimerKind.PHASE))
    return session


def hand_up() -> Session:
    """Ama's hand is raised in the open phase."""
    session = welcome()
    session.do(AMA, c.RaiseHand())
    return session


def floor_held() -> Session:
    """Bea has the floor in the open phase."""
    session = welcome()
    session.do(FACILITATOR, c.GiveFloor(participant_id=BEA.id))
    session.wait(30)
    return session


def last_phase() -> Session:
    session = welcome()
    session.do(FACILITATOR, c.GotoPhase(index=CLOSING))
    return session


def ended() -> Session:
    session = welcome()
    session.do(FACILITATOR, c.EndExchange())
    return session


def empty_waiting() -> Session:
    return Session()


Setup = Callable[[], Session]
Expect = list[str] | str  # event types when accepted, the refusal code otherwise

PHASE_CHANGE = ["phase_ended", "phase_started"]
INTO_STORIES = [*PHASE_CHANGE, "speaking_order_set"]
STARTED = ["exchange_started", "phase_started", "lead_taken"]  # whoever starts leads the console
HANDOVER = ["floor_ended", "floor_given"]
ALL_FOUR = ("p:1", "p:2", "p:3", "p:99")

CASES: list[tuple[str, Setup, c.Actor, typing.Any, Expect]] = [
    # join
    ("join", empty_waiting, AMA, c.Join(name="Ama"), ["participant_joined"]),
    ("join again is a no-op", waiting, AMA, c.Join(name="Ama A."), []),
    ("join live", welcome, STRANGER, c.Join(name="S"), ["participant_joined"]),
    ("join in story round", stories, STRANGER, c.Join(name="S"), ["participant_joined", "speaking_order_set"]),
    ("join by facilitator", waiting, FACILITATOR, c.Join(name="F"), "forbidden"),
    ("join by system", waiting, SYSTEM, c.Join(name="S"), "forbidden"),
    ("join ended", ended, STRANGER, c.Join(name="S"), "ended"),
    # start_exchange
    ("start", waiting, FACILITATOR, c.StartExchange(plan=PLAN), STARTED),
    ("start with nobody", empty_waiting, FACILITATOR, c.StartExchange(plan=PLAN), STARTED),
    ("start by participant", waiting, AMA, c.StartExchange(plan=PLAN), "forbidden"),
    ("start by lead", waiting, LEAD, c.StartExchange(plan=PLAN), "forbidden"),
    ("start without plan", waiting, FACILITATOR, c.StartExchange(), "no_plan"),
    ("start twice", welcome, FACILITATOR, c.StartExchange(plan=PLAN), "already_started"),
    ("start ended", ended, FACILITATOR, c.StartExchange(plan=PLAN), "already_started"),
    # phases
    ("next phase", welcome, FACILITATOR, c.NextPhase(), INTO_STORIES),
    ("next phase ends turn", speaking, FACILITATOR, c.NextPhase(), ["turn_ended", *PHASE_CHANGE]),
    ("next phase ends floor", floor_held, FACILITATOR, c.NextPhase(), ["floor_ended", *INTO_STORIES]),
    ("next phase at last", last_phase, FACILITATOR, c.NextPhase(), "last_phase"),
    ("next phase waiting", waiting, FACILITATOR, c.NextPhase(), "not_live"),
    ("next phase ended", ended, FACILITATOR, c.NextPhase(), "ended"),
    ("next phase by participant", welcome, AMA, c.NextPhase(), "forbidden"),
    ("next phase by system", welcome, SYSTEM, c.NextPhase(), "forbidden"),
    ("previous phase", stories, FACILITATOR, c.PreviousPhase(), PHASE_CHANGE),
    ("previous phase at first", welcome, FACILITATOR, c.PreviousPhase(), "first_phase"),
    ("previous phase by participant", stories, BEA, c.PreviousPhase(), "forbidden"),
    ("goto phase", welcome, FACILITATOR, c.GotoPhase(index=LEVERS), PHASE_CHANGE),
    ("goto same phase", welcome, FACILITATOR, c.GotoPhase(index=0), "same_phase"),
    ("goto missing phase", welcome, FACILITATOR, c.GotoPhase(index=9), "no_such_phase"),
    ("goto waiting", waiting, FACILITATOR, c.GotoPhase(index=1), "not_live"),
    ("goto by participant", welcome, AMA, c.GotoPhase(index=1), "forbidden"),
    ("end", welcome, FACILITATOR, c.EndExchange(), ["phase_ended", "exchange_ended"]),
    ("end while speaking", speaking, FACILITATOR, c.EndExchange(), ["turn_ended", "phase_ended", "exchange_ended"]),
    ("end with floor", floor_held, FACILITATOR, c.EndExchange(), ["floor_ended", "phase_ended", "exchange_ended"]),
    ("end waiting", waiting, FACILITATOR, c.EndExchange(), "not_live"),
    ("end twice", ended, FACILITATOR, c.EndExchange(), "ended"),
    ("end by participant", welcome, AMA, c.EndExchange(), "forbidden"),
    ("end by lead", welcome, LEAD, c.EndExchange(), "forbidden"),
    # timers
    ("pause phase", welcome, FACILITATOR, c.PauseTimer(timer=TimerKind.PHASE), ["timer_paused"]),
    ("pause phase twice", phase_paused, FACILITATOR, c.PauseTimer(timer=TimerKind.PHASE), "already_paused"),
    ("pause turn", speaking, FACILITATOR, c.PauseTimer(timer=TimerKind.TURN), ["timer_paused"]),
    ("pause turn, nobody speaking", stories, FACILITATOR, c.PauseTimer(timer=TimerKind.TURN), "no_speaker"),
    ("pause by participant", speaking, AMA, c.PauseTimer(timer=TimerKind.TURN), "forbidden"),
    ("pause waiting", waiting, FACILITATOR, c.PauseTimer(timer=TimerKind.PHASE), "not_live"),
    ("resume phase", phase_paused, FACILITATOR, c.ResumeTimer(timer=TimerKind.PHASE), ["timer_resumed"]),
    ("resume running phase", welcome, FACILITATOR, c.ResumeTimer(timer=TimerKind.PHASE), "not_paused"),
    ("resume turn", turn_paused, FACILITATOR, c.ResumeTimer(timer=TimerKind.TURN), ["timer_resumed"]),
    ("resume turn, nobody speaking", stories, FACILITATOR, c.ResumeTimer(timer=TimerKind.TURN), "no_speaker"),
    ("resume by participant", turn_paused, AMA, c.ResumeTimer(timer=TimerKind.TURN), "forbidden"),
    ("add time", welcome, FACILITATOR, c.AddTime(timer=TimerKind.PHASE, seconds=60), ["time_added"]),
    ("take time", welcome, FACILITATOR, c.AddTime(timer=TimerKind.PHASE, seconds=-60), ["time_added"]),
    ("add time paused", turn_paused, FACILITATOR, c.AddTime(timer=TimerKind.TURN, seconds=60), ["time_added"]),
    ("add time, nobody speaking", stories, FACILITATOR, c.AddTime(timer=TimerKind.TURN, seconds=60), "no_speaker"),
    ("add time by participant", welcome, AMA, c.AddTime(timer=TimerKind.PHASE, seconds=60), "forbidden"),
    ("add time ended", ended, FACILITATOR, c.AddTime(timer=TimerKind.PHASE, seconds=60), "ended"),
    ("tick, nothing due", welcome, SYSTEM, c.Tick(), []),
    ("tick waiting", waiting, SYSTEM, c.Tick(), []),
    ("tick ended", ended, SYSTEM, c.Tick(), []),
    ("tick by facilitator", welcome, FACILITATOR, c.Tick(), "forbidden"),
    ("tick by participant", welcome, AMA, c.Tick(), "forbidden"),
    # turns
    ("next turn", stories, FACILITATOR, c.NextTurn(), ["turn_started"]),
    ("next turn while speaking", speaking, FACILITATOR, c.NextTurn(), ["turn_ended", "turn_started"]),
    ("next turn in open phase", welcome, FACILITATOR, c.NextTurn(), "not_turn_based"),
    ("next turn by participant", stories, AMA, c.NextTurn(), "forbidden"),
    ("next turn waiting", waiting, FACILITATOR, c.NextTurn(), "not_live"),
    ("finish turn by speaker", speaking, AMA, c.FinishTurn(), ["turn_ended"]),
    ("finish turn by facilitator", speaking, FACILITATOR, c.FinishTurn(), ["turn_ended"]),
    ("finish turn by another", speaking, BEA, c.FinishTurn(), "not_your_turn"),
    ("finish turn, nobody speaking", stories, FACILITATOR, c.FinishTurn(), "no_speaker"),
    ("finish turn, not joined", speaking, STRANGER, c.FinishTurn(), "not_joined"),
    ("finish turn by lead", speaking, LEAD, c.FinishTurn(), "forbidden"),
    ("pass by speaker", speaking, AMA, c.PassTurn(), ["turn_ended"]),
    ("pass by another", speaking, CHE, c.PassTurn(), "not_your_turn"),
    ("pass, nobody speaking", stories, AMA, c.PassTurn(), "not_your_turn"),
    ("pass in open phase", welcome, AMA, c.PassTurn(), "not_turn_based"),
    ("skip waiting speaker", speaking, FACILITATOR, c.SkipParticipant(participant_id=CHE.id), ["participant_skipped"]),
    ("skip the speaker", speaking, FACILITATOR, c.SkipParticipant(participant_id=AMA.id), ["turn_ended"]),
    ("skip someone not waiting", speaking, FACILITATOR, c.SkipParticipant(participant_id="p:99"), "not_in_order"),
    ("skip by participant", speaking, BEA, c.SkipParticipant(participant_id=CHE.id), "forbidden"),
    ("skip in open phase", welcome, FACILITATOR, c.SkipParticipant(participant_id=CHE.id), "not_turn_based"),
    ("extend turn", speaking, FACILITATOR, c.ExtendTurn(seconds=60), ["time_added"]),
    ("extend turn, nobody speaking", stories, FACILITATOR, c.ExtendTurn(seconds=60), "no_speaker"),
    ("extend turn by speaker", speaking, AMA, c.ExtendTurn(seconds=60), "forbidden"),
    ("extend turn in open phase", welcome, FACILITATOR, c.ExtendTurn(seconds=60), "not_turn_based"),
    ("move speaker", stories, FACILITATOR, c.MoveSpeaker(participant_id=CHE.id, position=0), ["speaking_order_set"]),
    ("move speaker nowhere", stories, FACILITATOR, c.MoveSpeaker(participant_id=CHE.id, position=50), []),
    ("move the speaker", speaking, FACILITATOR, c.MoveSpeaker(participant_id=AMA.id, position=0), "not_in_order"),
    ("move speaker by participant", stories, CHE, c.MoveSpeaker(participant_id=CHE.id, position=0), "forbidden"),
    ("set order", stories, FACILITATOR, c.SetSpeakingOrder(order=("p:3", "p:1", "p:2")), ["speaking_order_set"]),
    ("set same order", stories, FACILITATOR, c.SetSpeakingOrder(order=("p:1", "p:2", "p:3")), []),
    ("set order dropping someone", stories, FACILITATOR, c.SetSpeakingOrder(order=("p:1", "p:2")), "bad_order"),
    ("set order with twice", stories, FACILITATOR, c.SetSpeakingOrder(order=("p:1", "p:2", "p:3", "p:1")), "bad_order"),
    ("set order with stranger", stories, FACILITATOR, c.SetSpeakingOrder(order=ALL_FOUR), "unknown_participant"),
    ("set order with speaker", speaking, FACILITATOR, c.SetSpeakingOrder(order=("p:1", "p:2", "p:3")), "bad_order"),
    ("set order in open phase", welcome, FACILITATOR, c.SetSpeakingOrder(order=()), "not_turn_based"),
    ("set order by participant", stories, AMA, c.SetSpeakingOrder(order=("p:1", "p:2", "p:3")), "forbidden"),
    # hands
    ("raise hand", welcome, AMA, c.RaiseHand(), ["hand_raised"]),
    ("raise own hand by id", welcome, AMA, c.RaiseHand(participant_id=AMA.id), ["hand_raised"]),
    ("raise hand for someone", welcome, FACILITATOR, c.RaiseHand(participant_id=BEA.id), ["hand_raised"]),
    ("raise someone else's hand", welcome, AMA, c.RaiseHand(participant_id=BEA.id), "forbidden"),
    ("facilitator raises no one", welcome, FACILITATOR, c.RaiseHand(), "missing_participant"),
    ("raise hand for stranger", welcome, FACILITATOR, c.RaiseHand(participant_id="p:99"), "unknown_participant"),
    ("raise hand twice", hand_up, AMA, c.RaiseHand(), "hand_already_raised"),
    ("raise hand holding floor", floor_held, BEA, c.RaiseHand(), "has_floor"),
    ("raise hand in story round", stories, AMA, c.RaiseHand(), "turn_based"),
    ("raise hand waiting", waiting, AMA, c.RaiseHand(), "not_live"),
    ("raise hand ended", ended, AMA, c.RaiseHand(), "ended"),
    ("raise hand not joined", welcome, STRANGER, c.RaiseHand(), "not_joined"),
    ("raise hand by lead", welcome, LEAD, c.RaiseHand(participant_id=AMA.id), "forbidden"),
    ("lower hand", hand_up, AMA, c.LowerHand(), ["hand_lowered"]),
    ("lower someone's hand", hand_up, FACILITATOR, c.LowerHand(participant_id=AMA.id), ["hand_lowered"]),
    ("lower another's hand", hand_up, BEA, c.LowerHand(participant_id=AMA.id), "forbidden"),
    ("lower hand not raised", hand_up, BEA, c.LowerHand(), "hand_not_raised"),
    ("facilitator lowers no one", hand_up, FACILITATOR, c.LowerHand(), "missing_participant"),
    ("give floor", hand_up, FACILITATOR, c.GiveFloor(participant_id=AMA.id), ["floor_given"]),
    ("give floor to next", hand_up, FACILITATOR, c.GiveFloor(), ["floor_given"]),
    ("give floor, empty queue", welcome, FACILITATOR, c.GiveFloor(), "queue_empty"),
    ("give floor over holder", floor_held, FACILITATOR, c.GiveFloor(participant_id=CHE.id), HANDOVER),
    ("give floor to holder", floor_held, FACILITATOR, c.GiveFloor(participant_id=BEA.id), "has_floor"),
    ("give floor to stranger", welcome, FACILITATOR, c.GiveFloor(participant_id="p:99"), "unknown_participant"),
    ("give floor in story round", stories, FACILITATOR, c.GiveFloor(participant_id=AMA.id), "turn_based"),
    ("give floor by participant", hand_up, AMA, c.GiveFloor(participant_id=AMA.id), "forbidden"),
    ("end floor by holder", floor_held, BEA, c.EndFloor(), ["floor_ended"]),
    ("end floor by facilitator", floor_held, FACILITATOR, c.EndFloor(), ["floor_ended"]),
    ("end floor by another", floor_held, AMA, c.EndFloor(), "not_your_floor"),
    ("end floor, no holder", welcome, FACILITATOR, c.EndFloor(), "no_floor"),
    ("queue order", welcome, FACILITATOR, c.SetQueueOrder(order=QueueOrder.PROGRESSIVE), ["queue_order_set"]),
    ("queue order unchanged", welcome, FACILITATOR, c.SetQueueOrder(order=QueueOrder.FIRST_COME), []),
    ("queue order in story round", stories, FACILITATOR, c.SetQueueOrder(order=QueueOrder.PROGRESSIVE), "turn_based"),
    ("queue order by participant", welcome, AMA, c.SetQueueOrder(order=QueueOrder.PROGRESSIVE), "forbidden"),
]


@pytest.mark.parametrize(
    ("setup", "actor", "command", "expect"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_command(setup: Setup, actor: c.Actor, command: typing.Any, expect: Expect) -> None:
    """Each command yields the expected events, or the expected refusal and no change."""
    session = setup()
    if isinstance(expect, str):
        refusal = session.refuse(actor, command)
        assert refusal.code == expect
        assert refusal.message and refusal.message[0].isupper()
    else:
        assert types(session.do(actor, command)) == expect
        assert session.rebuilt() == session.state


def test_every_command_and_event_is_handled() -> None:
    """The dispatcher knows every member of both unions, and the table covers every command."""
    command_types = {cls.model_fields["type"].default for cls in typing.get_args(typing.get_args(c.Command)[0])}
    event_classes = set(typing.get_args(typing.get_args(e.Event)[0]))
    assert set(RULES) == command_types
    assert set(APPLIERS) == event_classes
    # The activities' own commands are covered by tests/unit/test_activity_*.py.
    core_types = {
        cls.model_fields["type"].default
        for cls in typing.get_args(typing.get_args(c.Command)[0])
        if cls.__module__ == c.__name__
    }
    assert {type(case[3]).model_fields["type"].default for case in CASES} == core_types


# -- behaviour beyond the event types --------------------------------------------------------------


def test_join_is_idempotent_and_keeps_roster_order() -> None:
    session = joined(AMA, BEA, start=False)
    assert session.do(AMA, c.Join(name="Someone else")) == []
    assert [(m.id, m.name) for m in session.state.roster] == [("p:1", "Ama"), ("p:2", "Bea")]


def test_late_joiner_waits_at_the_end_of_the_round() -> None:
    session = speaking()
    session.do(STRANGER, c.Join(name="Late"))
    assert session.state.turns.remaining == ("p:2", "p:3", "p:99")


def test_start_exchange_sets_phase_zero_deadline() -> None:
    session = welcome()
    state = session.state
    assert state.phase_index == 0
    assert state.phase_timer.deadline == session.now + timedelta(minutes=5)
    assert state.phases[0].started_at == session.now


def test_next_turn_deadline_and_airtime() -> None:
    session = stories()
    session.do(FACILITATOR, c.NextTurn())
    assert session.state.turns.speaker == AMA.id
    assert session.state.turns.timer.deadline == session.now + timedelta(seconds=300)
    session.wait(90.5)
    session.do(AMA, c.FinishTurn())
    assert session.state.airtime_of(AMA.id) == 90.5
    assert session.state.turns.done == (AMA.id,)
    assert session.state.turns.speaker is None


def test_pass_sends_speaker_to_the_end() -> None:
    session = speaking()
    session.do(AMA, c.PassTurn())
    assert session.state.turns.remaining == ("p:2", "p:3", "p:1")
    assert session.state.airtime_of(AMA.id) == 60


def test_skip_and_bring_back() -> None:
    session = speaking()
    session.do(FACILITATOR, c.SkipParticipant(participant_id=CHE.id))
    turns = session.state.turns
    assert (turns.remaining, turns.skipped) == (("p:2",), ("p:3",))
    session.do(FACILITATOR, c.SetSpeakingOrder(order=("p:3", "p:2")))
    turns = session.state.turns
    assert (turns.remaining, turns.skipped) == (("p:3", "p:2"), ())


def test_next_turn_when_everyone_spoke() -> None:
    session = stories()
    for _speaker in range(3):
        session.do(FACILITATOR, c.NextTurn())
    assert session.refuse(FACILITATOR, c.NextTurn()).code == "no_one_left"
    session.do(FACILITATOR, c.FinishTurn())
    assert session.state.turns.done == ("p:1", "p:2", "p:3")


def test_move_speaker() -> None:
    session = stories()
    session.do(FACILITATOR, c.MoveSpeaker(participant_id=AMA.id, position=1))
    assert session.state.turns.remaining == ("p:2", "p:1", "p:3")


def test_pause_resume_keeps_remaining_time() -> None:
    session = speaking()  # 60 s into a 300 s turn
    session.do(FACILITATOR, c.PauseTimer(timer=TimerKind.TURN))
    assert session.state.turns.timer.paused_remaining == 240
    assert session.state.turns.timer.deadline is None
    session.wait(1000)
    session.do(FACILITATOR, c.ResumeTimer(timer=TimerKind.TURN))
    assert session.state.turns.timer.deadline == session.now + timedelta(seconds=240)


def test_add_time_moves_deadline_and_never_below_now() -> None:
    session = welcome()
    deadline = session.state.phase_timer.deadline
    assert deadline is not None
    session.do(FACILITATOR, c.AddTime(timer=TimerKind.PHASE, seconds=120))
    assert session.state.phase_timer.deadline == deadline + timedelta(seconds=120)
    session.do(FACILITATOR, c.AddTime(timer=TimerKind.PHASE, seconds=-600))
    assert session.state.phase_timer.deadline == session.now


def test_add_time_while_paused_changes_remaining() -> None:
    session = turn_paused()
    session.do(FACILITATOR, c.AddTime(timer=TimerKind.TURN, seconds=-600))
    assert session.state.turns.timer.paused_remaining == 0
    session.do(FACILITATOR, c.AddTime(timer=TimerKind.TURN, seconds=30))
    assert session.state.turns.timer.paused_remaining == 30


def test_add_time_has_a_ceiling() -> None:
    session = welcome()
    for _hour in range(23):
        session.do(FACILITATOR, c.AddTime(timer=TimerKind.PHASE, seconds=3600))
    assert session.refuse(FACILITATOR, c.AddTime(timer=TimerKind.PHASE, seconds=3600)).code == "too_long"


def test_give_floor_takes_hand_out_of_queue_and_counts_airtime() -> None:
    session = hand_up()
    session.do(FACILITATOR, c.GiveFloor())
    assert session.state.floor_holder == AMA.id
    assert session.state.hands == ()
    session.wait(45)
    session.do(AMA, c.EndFloor())
    assert session.state.floor_holder is None
    assert session.state.airtime_of(AMA.id) == 45


def test_phase_change_clears_hands_and_records_times() -> None:
    session = hand_up()
    start = session.now
    session.wait(100)
    session.do(FACILITATOR, c.GotoPhase(index=LEVERS))
    assert session.state.hands == ()
    assert session.state.queue_order is QueueOrder.PROGRESSIVE
    assert session.state.phases[0].started_at == start
    assert session.state.phases[0].ended_at == session.now
    session.wait(100)
    session.do(FACILITATOR, c.GotoPhase(index=0))
    assert session.state.phases[0].started_at == start  # the first start is kept
    assert session.state.phases[0].ended_at is None


def test_end_exchange_counts_running_airtime() -> None:
    session = floor_held()
    session.do(FACILITATOR, c.EndExchange())
    assert session.state.status == "ended"
    assert session.state.phase_index is None
    assert session.state.airtime_of(BEA.id) == 30


def test_decide_takes_naive_now_as_utc() -> None:
    session = welcome()
    naive = session.now.replace(tzinfo=None)
    result = decide(session.state, c.RaiseHand(), AMA, naive)
    assert isinstance(result, list)
    assert result == [e.HandRaised(participant_id=AMA.id, at=session.now)]


def test_refusal_is_a_code_and_a_sentence() -> None:
    """A refusal carries a machine-readable code and a readable sentence."""
    refusal = speaking().refuse(BEA, c.FinishTurn())
    assert refusal == Rejected("not_your_turn", "It isn't your turn.")
