"""Round state, commands and deliveries: the vocabulary of the round rules.

A member is an opaque key (the service builds it from platform, workspace and user id); the engine
never looks inside it, so nothing here knows which platform a round runs on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Any

from bot.engine.timing import DAY_ENDS, DAY_STARTS

MemberKey = str

MAX_ANSWER_CHARS = 3000
MAX_FOLLOW_UP_CHARS = 300
RATING_RANGE = range(1, 8)


class RoundStatus(StrEnum):
    INVITED = "invited"
    ACTIVE = "active"
    COMPLETED = "completed"
    DECLINED = "declined"
    LEFT = "left"
    EXPIRED = "expired"

    @property
    def is_open(self) -> bool:
        return self in (RoundStatus.INVITED, RoundStatus.ACTIVE)


class Pace(StrEnum):
    LIVE = "live"
    DAILY = "daily"


class PacePreset(StrEnum):
    """A named bundle of depth cap, prompts per layer and pace (`bot.engine.presets`)."""

    GENTLE = "gentle"
    STANDARD = "standard"
    OPEN = "open"


@dataclass(frozen=True)
class RoundSettings:
    bank: str
    max_layer: int = 3
    prompts_per_layer: int = 2
    pace: Pace = Pace.LIVE
    hierarchy_safe_only: bool = False
    reminder_after: timedelta = timedelta(hours=24)
    max_reminders: int = 2
    expire_after: timedelta = timedelta(days=7)
    morning_hour: int = 9
    # members' quiet hours, local time: nothing is delivered from `quiet_from` to `quiet_until`
    quiet_from: time = DAY_ENDS
    quiet_until: time = DAY_STARTS
    # the workspace's own prompts are drawn along with the bank's (the bank itself stays shared)
    team_prompts: bool = False
    preset: PacePreset | None = None  # the preset these settings came from, shown to members
    # The balance guard and follow-ups default to off here so that a round stored before they
    # existed keeps its rules mid-round; workspaces turn them on for new rounds.
    # the balance guard: a layer whose answer lengths were very uneven goes deeper only when
    # everyone chooses it (`bot.engine.balance`)
    balance_guard: bool = False
    balance_ratio: float = 0.25  # uneven: one member's total under this share of another's
    balance_floor: int = 120  # characters: a layer whose longest total is shorter is never uneven
    # follow-up questions after a reveal (`bot.engine.follow_ups`)
    follow_ups: bool = False
    # how long a follow-up window or a depth check-in waits for everyone
    choice_window: timedelta = timedelta(hours=12)


@dataclass(frozen=True)
class Answer:
    text: str
    at: datetime


@dataclass(frozen=True)
class Step:
    """The prompt every member is currently answering."""

    number: int
    prompt_id: str
    layer: int
    topic: str
    opened_at: datetime
    answers: Mapping[MemberKey, Answer] = field(default_factory=dict)
    reminders_sent: int = 0
    remind_at: datetime | None = None
    # a follow-up step: the question each member asked the others (asker -> text); empty for a
    # prompt from the bank
    questions: Mapping[MemberKey, str] = field(default_factory=dict)

    @property
    def is_follow_up(self) -> bool:
        return bool(self.questions)


class StepOutcome(StrEnum):
    REVEALED = "revealed"
    SWAPPED = "swapped"
    FOLLOWED_UP = "followed_up"  # a follow-up step, answered and revealed


@dataclass(frozen=True)
class FollowUpWindow:
    """After a reveal, each member may ask the others one short question about it."""

    after_step: int
    opened_at: datetime
    closes_at: datetime
    asked: Mapping[MemberKey, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckIn:
    """The balance guard held: every member chooses deeper (True) or this depth (False)."""

    layer: int
    opened_at: datetime
    closes_at: datetime
    choices: Mapping[MemberKey, bool] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckInRecord:
    """How a check-in ended, content-free and without names: counts only (lead figures)."""

    layer: int
    deeper: int
    stayed: int
    silent: int  # members who hadn't chosen when it closed
    went_deeper: bool


@dataclass(frozen=True)
class StepRecord:
    """A finished step. A swapped step keeps no answers: they are never shown to anyone."""

    number: int
    prompt_id: str
    layer: int
    topic: str
    outcome: StepOutcome
    opened_at: datetime
    closed_at: datetime
    first_answer_at: datetime | None = None
    answers: Mapping[MemberKey, Answer] = field(default_factory=dict)
    questions: Mapping[MemberKey, str] = field(default_factory=dict)  # a follow-up step's


@dataclass(frozen=True)
class RoundState:
    id: str
    members: tuple[MemberKey, ...]
    settings: RoundSettings
    status: RoundStatus
    created_at: datetime
    last_activity_at: datetime
    seed: int
    initiator: MemberKey | None = None
    accepted: frozenset[MemberKey] = frozenset()
    layer: int = 1
    revealed_in_layer: int = 0
    stay: bool = False
    current: Step | None = None
    history: tuple[StepRecord, ...] = ()
    excluded_prompts: frozenset[str] = frozenset()
    # no pair in this round was ever asked a prompt before: only then may `first_meeting`
    # prompts be drawn (False for states stored before the flag existed: the safe side)
    first_round: bool = False
    next_prompt_at: datetime | None = None
    ratings: Mapping[MemberKey, int] = field(default_factory=dict)
    timezones: Mapping[MemberKey, str] = field(default_factory=dict)
    ended_at: datetime | None = None
    follow_up: FollowUpWindow | None = None
    follow_ups_offered: int = 0
    check_in: CheckIn | None = None
    # the balance guard held at this layer: it goes deeper only when every member chooses it
    held_layer: int | None = None
    check_ins: tuple[CheckInRecord, ...] = ()
    keep_going: frozenset[MemberKey] = frozenset()  # who chose "Keep going together"
    continued_from: str | None = None  # the round this one keeps going from
    continued_as: str | None = None  # the round that kept this one going

    @property
    def depth_cap(self) -> int:
        return self.layer if self.stay else self.settings.max_layer

    @property
    def expire_at(self) -> datetime | None:
        if not self.status.is_open:
            return None
        return self.last_activity_at + self.settings.expire_after

    @property
    def due_at(self) -> datetime | None:
        """The earliest deadline the scheduler tick must act on, or None."""
        if not self.status.is_open:
            return None
        candidates = [self.expire_at, self.next_prompt_at]
        if self.current is not None:
            candidates.append(self.current.remind_at)
        for window in (self.follow_up, self.check_in):
            if window is not None:
                candidates.append(window.closes_at)
        return min((c for c in candidates if c is not None), default=None)

    def others(self, member: MemberKey) -> tuple[MemberKey, ...]:
        return tuple(m for m in self.members if m != member)

    @property
    def revealed_count(self) -> int:
        return sum(1 for r in self.history if r.outcome is StepOutcome.REVEALED)


# --- commands -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Accept:
    member: MemberKey


@dataclass(frozen=True)
class Decline:
    member: MemberKey
    # the invitation could not reach the member (e.g. DMs closed): the round ends unstarted and
    # the others are told why, not that they were turned down
    unreachable: bool = False


@dataclass(frozen=True)
class SubmitAnswer:
    member: MemberKey
    text: str
    step: int | None = None  # None: "the current prompt" (a plain DM reply)


@dataclass(frozen=True)
class Swap:
    member: MemberKey
    step: int | None = None


@dataclass(frozen=True)
class Stay:
    member: MemberKey


@dataclass(frozen=True)
class Leave:
    member: MemberKey


@dataclass(frozen=True)
class Rate:
    member: MemberKey
    rating: int


@dataclass(frozen=True)
class AskFollowUp:
    member: MemberKey
    text: str
    step: int | None = None  # the revealed step the question is about


@dataclass(frozen=True)
class SkipFollowUp:
    member: MemberKey
    step: int | None = None


@dataclass(frozen=True)
class ChooseDepth:
    """A member's answer to the balance check-in: one layer deeper, or this depth."""

    member: MemberKey
    deeper: bool


@dataclass(frozen=True)
class KeepGoing:
    """After a completed round: start a new one together once every member chose it."""

    member: MemberKey


@dataclass(frozen=True)
class Tick:
    """The scheduler's clock pulse: run whatever deadline has passed."""


Command = (
    Accept
    | Decline
    | SubmitAnswer
    | Swap
    | Stay
    | Leave
    | Rate
    | AskFollowUp
    | SkipFollowUp
    | ChooseDepth
    | KeepGoing
    | Tick
)


# --- results --------------------------------------------------------------------------------


class DeliveryKind(StrEnum):
    INVITATION = "invitation"
    INVITATION_ACCEPTED = "invitation_accepted"
    DECLINED = "declined"
    PROMPT = "prompt"
    ANSWER_HELD = "answer_held"
    REVEAL = "reveal"
    STAY = "stay"
    PARTNER_LEFT = "partner_left"
    LEFT = "left"
    REMINDER = "reminder"
    EXPIRED = "expired"
    COMPLETED = "completed"
    SESSION_SUMMARY = "session_summary"  # to a channel
    NOT_PAIRED = "not_paired"
    SUGGESTION_DECIDED = "suggestion_decided"  # a lead approved or declined a member's question
    # leads' reports (content-free counts; the follow-up and the digest carry a chart)
    SESSION_REPORT = "session_report"
    REPORT_FOLLOW_UP = "report_follow_up"
    STATS_DIGEST = "stats_digest"
    DMS_CLOSED_NOTICE = "dms_closed_notice"  # to a session's channel: who I couldn't DM
    FOLLOW_UP_HELD = "follow_up_held"  # your question is saved until everyone has asked
    FOLLOW_UP_QUESTIONS = "follow_up_questions"  # the questions the others asked you
    FOLLOW_UP_REVEAL = "follow_up_reveal"
    FOLLOW_UPS_PASSED = "follow_ups_passed"
    CHECK_IN = "check_in"
    KEPT_GOING = "kept_going"  # a new round started together; its first prompt follows


@dataclass(frozen=True)
class Delivery:
    """A message the round owes a member; the service writes it to the outbox."""

    to: MemberKey
    kind: DeliveryKind
    data: Mapping[str, Any]
    not_before: datetime | None = None


@dataclass(frozen=True)
class Decision:
    state: RoundState
    deliveries: tuple[Delivery, ...] = ()
    reply: str | None = None  # a short acknowledgement for the member who acted
    # every member chose "Keep going together": the service starts the next round
    keep_going: bool = False


class Rejected(Exception):
    """The command cannot apply; nothing changes and the actor gets `message`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
