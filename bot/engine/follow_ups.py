"""Follow-up questions after a reveal, reciprocal like answers.

After a prompt is revealed each member may ask the others one short question about what they
shared. The questions stay private until every member has asked one; then everyone receives the
questions asked of them at the same moment, answers, and the answers are revealed with the same
gate as a prompt's. If anyone passes (Skip, or the window closes), every member gets the same
kind note that the round goes on this time, and the questions already asked are dropped unseen:
nobody learns who passed. Follow-ups never count towards moving deeper.
"""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.engine.model import (
    MAX_FOLLOW_UP_CHARS,
    AskFollowUp,
    Decision,
    Delivery,
    DeliveryKind,
    FollowUpWindow,
    MemberKey,
    Rejected,
    RoundState,
    SkipFollowUp,
    Step,
)
from bot.engine.steps import (
    next_step_number,
    require_active,
    require_member,
    require_open,
    to_all,
    touch,
)
from bot.i18n import N_

FOLLOW_UP_TOPIC = "follow-up"


def clean_follow_up(text: str) -> str:
    """Validate a follow-up question; raise Rejected with a kind, specific message."""
    stripped = text.strip()
    if not stripped:
        raise Rejected(
            "empty_follow_up", N_("Your question was empty. Write a few words and send it.")
        )
    if len(stripped) > MAX_FOLLOW_UP_CHARS:
        raise Rejected(
            "follow_up_too_long",
            N_(
                "Your question is {length} characters; the limit is {limit}. Please shorten it "
                "and send it again. Nothing was saved.",
                length=len(stripped),
                limit=MAX_FOLLOW_UP_CHARS,
            ),
        )
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in stripped):
        raise Rejected(
            "control_characters",
            N_("Your question contains invisible control characters. Please retype it."),
        )
    return stripped


def open_window(state: RoundState, after_step: int, now: datetime) -> RoundState:
    window = FollowUpWindow(after_step, now, now + state.settings.choice_window)
    return replace(state, follow_up=window, follow_ups_offered=state.follow_ups_offered + 1)


def _window(state: RoundState, step: int | None) -> FollowUpWindow:
    require_active(state)
    window = state.follow_up
    if window is None or (step is not None and step != window.after_step):
        raise Rejected(
            "no_follow_up",
            N_("The moment for a follow-up on that prompt has passed, so nothing changed."),
        )
    return window


def askable(state: RoundState, member: MemberKey, step: int | None) -> FollowUpWindow:
    """The window `member` may ask in now (an adapter asks before opening the form)."""
    require_member(state, member)
    require_open(state)
    window = _window(state, step)
    if member in window.asked:
        raise Rejected(
            "already_asked",
            N_("You've already asked your follow-up; it's held until everyone has."),
        )
    return window


def ask(state: RoundState, cmd: AskFollowUp, now: datetime) -> Decision:
    window = askable(state, cmd.member, cmd.step)
    asked = {**window.asked, cmd.member: clean_follow_up(cmd.text)}
    state = touch(state, now, follow_up=replace(window, asked=asked))
    if set(asked) != set(state.members):
        held = Delivery(
            cmd.member,
            DeliveryKind.FOLLOW_UP_HELD,
            {"round_id": state.id, "step": window.after_step},
        )
        return Decision(
            state,
            (held,),
            reply=N_("Saved. Your question is delivered once everyone has asked one."),
        )
    return _deliver(state, now)


def _deliver(state: RoundState, now: datetime) -> Decision:
    """Everyone asked: each member receives the questions the others asked, as a new step."""
    window = state.follow_up
    assert window is not None
    step = Step(
        number=next_step_number(state),
        prompt_id="",
        layer=state.layer,
        topic=FOLLOW_UP_TOPIC,
        opened_at=now,
        remind_at=now + state.settings.reminder_after,
        questions=dict(window.asked),
    )
    state = replace(state, follow_up=None, current=step)
    deliveries = tuple(
        Delivery(
            m,
            DeliveryKind.FOLLOW_UP_QUESTIONS,
            {"round_id": state.id, "step": step.number, "questions": asked_of(step, m)},
        )
        for m in state.members
    )
    return Decision(state, deliveries, reply=N_("Everyone asked a follow-up. Yours is on its way."))


def skip(state: RoundState, cmd: SkipFollowUp, now: datetime) -> tuple[RoundState, str]:
    _window(state, cmd.step)
    return touch(state, now), N_("Okay. The round goes on to the next prompt.")


def passed(state: RoundState) -> tuple[RoundState, tuple[Delivery, ...]]:
    """Someone passed (or the window closed): the same kind note to all, questions dropped."""
    return replace(state, follow_up=None), to_all(state, DeliveryKind.FOLLOW_UPS_PASSED)


def asked_of(step: Step, member: MemberKey) -> list[dict[str, Any]]:
    """The questions `member` answers in a follow-up step: everyone else's."""
    return [
        {"member": asker, "text": text} for asker, text in step.questions.items() if asker != member
    ]


def text_for(step: Step, member: MemberKey) -> str:
    """A follow-up step as `member` reads it in an answer form or a reminder."""
    return "\n".join(str(q["text"]) for q in asked_of(step, member))


def reveal_data(step: Step, members: tuple[MemberKey, ...]) -> dict[str, Any]:
    """The follow-up reveal: every question and every answer, shown to all at once."""
    return {
        "step": step.number,
        "questions": [
            {"member": m, "text": step.questions[m]} for m in members if m in step.questions
        ],
        "answers": [{"member": m, "text": step.answers[m].text} for m in members],
    }
