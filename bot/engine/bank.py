"""Question-bank value objects the round rules draw prompts from."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.i18n import N_

# marked for translation; shown through `bot.i18n.translate._`
LAYER_NAMES = {
    1: N_("Hello"),
    2: N_("How I tick"),
    3: N_("What matters to me"),
    4: N_("You & me"),
}


@dataclass(frozen=True)
class Prompt:
    id: str
    layer: int
    topic: str
    text: str
    hierarchy_safe: bool = True
    # a short warm answer written for this prompt: the demo partner's answer, "See an example"
    example: str | None = None
    # phrased for a pair meeting for the first time: drawn only in a pair's first round
    first_meeting: bool = False


@dataclass(frozen=True)
class Bank:
    name: str
    title: str
    prompts: tuple[Prompt, ...]
    topics: tuple[str, ...] = ()
    audience: str = "workplace"
    # prompts that still resolve by id (a round asked them before they were retired) but are
    # never drawn again
    retired: tuple[Prompt, ...] = ()
    _by_id: dict[str, Prompt] = field(default_factory=dict, compare=False, repr=False)
    _by_layer: dict[int, tuple[Prompt, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        self._by_id.update({p.id: p for p in (*self.retired, *self.prompts)})
        for prompt in self.prompts:  # every reveal draws from one layer: sort them once
            self._by_layer[prompt.layer] = (*self._by_layer.get(prompt.layer, ()), prompt)

    def get(self, prompt_id: str) -> Prompt | None:
        return self._by_id.get(prompt_id)

    def in_layer(self, layer: int) -> tuple[Prompt, ...]:
        return self._by_layer.get(layer, ())

    def with_prompts(self, extra: tuple[Prompt, ...], retired: tuple[Prompt, ...] = ()) -> Bank:
        """This bank with more prompts drawn from it (a workspace's own questions)."""
        return Bank(
            name=self.name,
            title=self.title,
            prompts=(*self.prompts, *extra),
            topics=tuple(dict.fromkeys((*self.topics, *(p.topic for p in extra)))),
            audience=self.audience,
            retired=(*self.retired, *retired),
        )

    @property
    def layers(self) -> tuple[int, ...]:
        return tuple(sorted({p.layer for p in self.prompts}))
