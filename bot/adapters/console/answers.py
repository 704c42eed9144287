"""Answers for the demo's scripted players, chosen to fit the prompt they were given.

A shipped prompt carries its own `example` answer; that comes first. A prompt without one (a
custom bank, say) gets short answers written for its topic in the shipped banks, and any other
topic a neutral answer for its layer. Every answer here was written for this project.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.engine.bank import Bank, Prompt

# two per topic, so both scripted players in `--auto` can answer without echoing each other
TOPIC_ANSWERS: dict[str, tuple[str, ...]] = {
    "routines": (
        "Coffee first, then ten quiet minutes before I open anything. It keeps my day on track.",
        "A short walk to mark the start and the end of the day. It helps me switch gears.",
    ),
    "tastes": (
        "Anything with lots of garlic, honestly. A simple pasta after a long day is hard to beat.",
        "Warm things on cold days: soup, cocoa, a cozy playlist. I'm very predictable there.",
    ),
    "places": (
        "A corner table by the window in a small cafe. Good light and nobody in a hurry.",
        "The park by the river near my place. I go there whenever I need some fresh air.",
    ),
    "hobbies": (
        "Baking bread, lately. It's slow, a bit messy, and very satisfying when it works.",
        "I sketch a little in a pocket notebook. Nothing fancy, but it makes me notice things.",
    ),
    "workspace": (
        "My old mug with a chipped handle. It has been on every desk I've had.",
        "A notebook and a good pen, always within reach. I think better on paper.",
    ),
    "media": (
        "A cozy detective series right now. I've watched the first season twice.",
        "Mostly podcasts about how everyday things are made. Perfect for a walk.",
    ),
    "learning": (
        "Lately, how old bridges were built. I keep telling people fun facts about arches.",
        "I learn best by doing: I try it, break it a little, then read the manual.",
    ),
    "weekends": (
        "A slow Saturday morning: pancakes, the radio on, and no plans until noon.",
        "If it's sunny I head out for a long walk; if it rains I bake something.",
    ),
    "work-style": (
        "A short list every morning and long stretches of focus. Mornings are my best time.",
        "I break big tasks into tiny first steps. Starting is the hard part for me.",
    ),
    "communication": (
        "Writing for the details, a quick call for anything tricky. That mix saves everyone time.",
        "Context up front and a clear ask at the end. Then I can answer quickly and well.",
    ),
    "teamwork": (
        "I'm usually the one who writes things down and checks nobody is stuck.",
        "Teams where people ask questions freely. That's where I do my best work.",
    ),
    "problem-solving": (
        "I write down what I know, then try the smallest thing that could work.",
        "Talking it through out loud. Half the time I hear the answer myself.",
    ),
    "values": (
        "Being honest and kind at the same time. It's harder than either alone, but worth it.",
        "Keeping my word. If I say I'll do something, people can stop thinking about it.",
    ),
    "pride": (
        "A small project I finished this year that people still use. Seeing it work is a joy.",
        "Helping a friend move flats in one long day, and still laughing at the end.",
    ),
    "growth": (
        "I've learned to ask for help sooner. I used to wait far too long.",
        "I'm much calmer about feedback than I was a few years ago. It took practice.",
    ),
    "craft": (
        "The last details nobody asked for: clear names, tidy notes. That's the fun part for me.",
        "When the work explains itself without me in the room, it feels finished.",
    ),
    "curiosity": (
        "How people learn new skills as adults. I could read about that for years.",
        "Why some teams click and others don't. I keep collecting theories.",
    ),
    "mentors": (
        "An early manager who said 'write it down, then decide'. I still do that every week.",
        "A teacher who asked questions instead of giving answers. I try to do the same now.",
    ),
    "hopes": (
        "I'd like to get better at teaching what I know. Explaining clearly is a real skill.",
        "A year where I finish what I start. Fewer open threads, more things done well.",
    ),
    "games": (
        "A cozy farming game at the moment. I've lost whole evenings to it.",
        "Board games with friends, the louder the better. I always lose, happily.",
    ),
    "online": (
        "My username is an old nickname from school. I never found a better one.",
        "I'm mostly a friendly lurker, but I jump in when someone needs a hand.",
    ),
    "small-joys": (
        "A fresh pot of coffee on a quiet morning. Tiny, but it works every time.",
        "Rain on the window while I'm warm inside. Instant calm.",
    ),
    "friendship": (
        "Long walks where we talk about everything and nothing. That's my favorite hangout.",
        "Showing up, even for small things. The friends who do that matter most to me.",
    ),
    "stories": (
        "I once took the right train in the wrong direction and found the best bakery ever.",
        "A picnic got rained out and turned into a great afternoon of board games indoors.",
    ),
    "creativity": (
        "My best ideas show up on walks, never at my desk. So I walk a lot.",
        "When I'm stuck I make something small and silly first. It gets me moving.",
    ),
    "quirks": (
        "I'm weirdly good at packing a suitcase. Everything fits, every time.",
        "I'm very picky about how the dishwasher is loaded. I know, I know.",
    ),
    "feelings": (
        "A quiet evening with a book and nothing to fix. That's peace for me.",
        "Deep breaths and a short walk. It helps me stay calm when things get hectic.",
    ),
    "dreams": (
        "I'd love to walk a long trail someday, a few weeks with just a backpack.",
        "Learning to play the piano properly. I keep pushing it back, but I'll get there.",
    ),
    "character": (
        "People count on me to stay calm and make a plan. I'm at my best when things get busy.",
        "I'm quiet at first, so my silly side takes a while to show.",
    ),
    "inspiration": (
        "My grandmother, who was kind to everyone without being a pushover.",
        "A friend once told me that done is a kind of beautiful. I still think of it.",
    ),
    "common-ground": (
        "We both love a slow morning and a good plan. I think we'd get on well in a cafe.",
        "We both light up about learning new things. That felt like real common ground.",
    ),
    "appreciation": (
        "How openly you answered. It made it easy for me to be honest too.",
        "You really answered the question instead of giving the easy reply. I liked that.",
    ),
    "collaboration": (
        "You seem great at breaking big things down. I'd happily pair with you on a messy task.",
        "I could share how I take notes; I'd love to learn how you plan your week.",
    ),
    "surprises": (
        "I didn't expect your answer about your hobby at all. It was a lovely surprise.",
        "You're funnier than your messages suggest. That was a nice surprise.",
    ),
    "takeaways": (
        "Your answer about small routines. I want to try one of yours this week.",
        "That we both need quiet time to think. I'll remember it when we work together.",
    ),
    "next-steps": (
        "Let's grab a coffee chat next week and swap book tips.",
        "I'd like to hear more about your favorite place next time.",
    ),
    "reflection": (
        "It felt easier than I expected. Your answers made it feel safe to share.",
        "Going step by step helped. By the third prompt it didn't feel like small talk anymore.",
    ),
    "connection": (
        "I'd describe you as warm and curious. Talking with you was easy.",
        "I feel I know a little of how you tick now. That's a good feeling.",
    ),
}
# a topic spread over two layers whose deeper prompts ask about the partner
LAYER_TOPIC_ANSWERS: dict[tuple[int, str], tuple[str, ...]] = {
    (4, "curiosity"): (
        "I'd love the full story behind your favorite place. You only gave me the trailer.",
        "I'd ask how you got into your hobby. It sounded like there's a good story there.",
    ),
}
# any other topic: neutral answers that still suit the layer's depth
LAYER_ANSWERS: dict[int, tuple[str, str]] = {
    1: (
        "Something small and ordinary, honestly. I like the simple version of most things.",
        "It changes with the seasons, but I always come back to the same few favorites.",
    ),
    2: (
        "It depends on the day, but I do best when I know why something matters.",
        "Slowly, with a few notes along the way. I like to see how things fit together.",
    ),
    3: (
        "Being someone people can rely on. That has mattered to me for a long time.",
        "Staying curious. I'd rather ask a naive question than pretend I understood.",
    ),
    4: (
        "How easy this was. I'd happily keep talking with you.",
        "You made it easy to be honest. I'd like to hear more of your stories.",
    ),
}


def bank_prompt(banks: Mapping[str, Bank], data: Mapping[str, Any]) -> Prompt | None:
    """The bank prompt a PROMPT delivery's data names (None for an unknown bank or id)."""
    bank = banks.get(str(data.get("bank")))
    return bank.get(str(data.get("prompt_id"))) if bank else None


def answers_for(prompt: Prompt | None, layer: int, topic: str) -> list[str]:
    """Answers that fit this prompt, best first: its example, its topic's, its layer's."""
    written = (prompt.example,) if prompt and prompt.example else ()
    by_topic = LAYER_TOPIC_ANSWERS.get((layer, topic)) or TOPIC_ANSWERS.get(topic, ())
    return [*written, *by_topic, *LAYER_ANSWERS.get(layer, LAYER_ANSWERS[1])]
