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


class StepOutcome(StrEnum):
    REVEALED = "revealed"
    SWAPPED = "swapped"


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
class Tick:
    """The scheduler's clock pulse: run whatever deadline has passed."""


Command = Accept | Decline | SubmitAnswer | Swap | Stay | Leave | Rate | Tick


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


class Rejected(Exception):
    """The command cannot apply; nothing changes and the actor gets `message`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
