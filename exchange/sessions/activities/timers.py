"""Timers as deadlines: pure helpers, and the pause / resume / add-time commands for both clocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from exchange.i18n import _
from exchange.sessions.activities.base import FACILITATOR_ONLY, Applier, Decision, Rejected, Rule
from exchange.sessions.commands import Actor, AddTime, PauseTimer, ResumeTimer, TimerKind
from exchange.sessions.events import TimeAdded, TimerPaused, TimerResumed, TimeUp
from exchange.sessions.state import SessionState, Timer, evolve

#: Longer than any exchange; stops repeated add_time from overflowing a datetime.
MAX_TIMER_SECONDS = 24 * 3600


def as_utc(moment: datetime) -> datetime:
    """The same instant in UTC; a naive time is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def after(now: datetime, seconds: float) -> datetime:
    """The moment `seconds` after `now`."""
    return now + timedelta(seconds=seconds)


def elapsed(start: datetime | None, end: datetime) -> float:
    """Seconds from start to end, to the millisecond, never negative (clocks of two hosts may skew)."""
    if start is None:
        return 0.0
    return max(0.0, round((end - start).total_seconds(), 3))


def remaining(timer: Timer, now: datetime) -> float:
    """Seconds a timer has left at `now` (0 when idle or overdue)."""
    if timer.paused_remaining is not None:
        return timer.paused_remaining
    if timer.deadline is None:
        return 0.0
    return max(0.0, round((timer.deadline - now).total_seconds(), 3))


def is_due(timer: Timer, now: datetime) -> bool:
    """Whether a running timer has run out and not yet been signalled."""
    return timer.deadline is not None and not timer.time_up and timer.deadline <= now


def timer_of(state: SessionState, kind: TimerKind) -> Timer | None:
    """The timer named `kind` if it exists right now (the turn timer only while someone speaks)."""
    if kind is TimerKind.PHASE:
        return state.phase_timer if state.phase_timer.active else None
    return state.turns.timer if state.turns.speaker is not None else None


def with_timer(state: SessionState, kind: TimerKind, timer: Timer) -> SessionState:
    """`state` with the timer named `kind` replaced."""
    if kind is TimerKind.PHASE:
        return evolve(state, phase_timer=timer)
    return evolve(state, turns=evolve(state.turns, timer=timer))


def _no_timer(kind: TimerKind) -> Rejected:
    if kind is TimerKind.TURN:
        return Rejected("no_speaker", _("No one is speaking right now."))
    return Rejected("no_timer", _("There is no phase timer running."))


# -- decide ------------------------------------------------------------------------------------


def pause(state: SessionState, command: PauseTimer, actor: Actor, now: datetime) -> Decision:
    """Freeze a running timer."""
    timer = timer_of(state, command.timer)
    if timer is None:
        return _no_timer(command.timer)
    if timer.paused:
        return Rejected("already_paused", _("That timer is already paused."))
    return [TimerPaused(timer=command.timer, remaining_seconds=remaining(timer, now))]


def resume(state: SessionState, command: ResumeTimer, actor: Actor, now: datetime) -> Decision:
    """Restart a paused timer from what it had left."""
    timer = timer_of(state, command.timer)
    if timer is None:
        return _no_timer(command.timer)
    if timer.paused_remaining is None:
        return Rejected("not_paused", _("That timer isn't paused."))
    return [TimerResumed(timer=command.timer, deadline=after(now, timer.paused_remaining))]


def add_time(state: SessionState, command: AddTime, actor: Actor, now: datetime) -> Decision:
    """Move a timer's end by `seconds`; time left never drops below zero."""
    return add_seconds(state, command.timer, command.seconds, now)


def add_seconds(state: SessionState, kind: TimerKind, seconds: int, now: datetime) -> Decision:
    """The TimeAdded event for moving timer `kind` by `seconds`, or why not."""
    timer = timer_of(state, kind)
    if timer is None:
        return _no_timer(kind)
    left = max(0.0, round(remaining(timer, now) + seconds, 3))
    if left > MAX_TIMER_SECONDS:
        return Rejected("too_long", _("A timer can't run for more than a day."))
    if timer.paused:
        return [TimeAdded(timer=kind, seconds=seconds, remaining_seconds=left)]
    assert timer.deadline is not None  # active and not paused means running
    # Overdue timers restart from now, not from their old deadline.
    base = max(timer.deadline, now)
    return [TimeAdded(timer=kind, seconds=seconds, deadline=max(after(base, seconds), now))]


# -- apply -------------------------------------------------------------------------------------


def _time_up(state: SessionState, event: TimeUp) -> SessionState:
    timer = timer_of(state, event.timer) or Timer()
    return with_timer(state, event.timer, evolve(timer, time_up=True))


def _paused(state: SessionState, event: TimerPaused) -> SessionState:
    timer = timer_of(state, event.timer) or Timer()
    paused = Timer(deadline=None, paused_remaining=event.remaining_seconds, time_up=timer.time_up)
    return with_timer(state, event.timer, paused)


def _resumed(state: SessionState, event: TimerResumed) -> SessionState:
    timer = timer_of(state, event.timer) or Timer()
    running = Timer(deadline=event.deadline, paused_remaining=None, time_up=timer.time_up)
    return with_timer(state, event.timer, running)


def _added(state: SessionState, event: TimeAdded) -> SessionState:
    # More time means a fresh countdown: it may signal again when it runs out.
    timer = Timer(deadline=event.deadline, paused_remaining=event.remaining_seconds, time_up=False)
    return with_timer(state, event.timer, timer)


RULES: dict[str, Rule] = {
    "pause_timer": Rule(FACILITATOR_ONLY, pause),
    "resume_timer": Rule(FACILITATOR_ONLY, resume),
    "add_time": Rule(FACILITATOR_ONLY, add_time),
}

APPLIERS: dict[type, Applier] = {
    TimeUp: _time_up,
    TimerPaused: _paused,
    TimerResumed: _resumed,
    TimeAdded: _added,
}
