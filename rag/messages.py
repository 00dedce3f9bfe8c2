"""Who wrote to whom: the sender and the recipient of a message, read from a question and from the
opening sentence of a story.

State media print the two halves of an exchange in one template: "Kim Jong Un received a message
of greeting from Bashar Al-Assad" and, days later, "Kim Jong Un sent a reply message to Bashar
Al-Assad". Both name the same people and the same occasion, so neither BM25 nor the model tells
them apart; a question does, by who sent the message ("What did Assad wish in his greetings?",
"Which leader sent Kim Jong Un a greeting?", "Kim's reply to Xi"). A person is matched by the
capitalised words of their name: every such word the question gives must be in the story's name
("Putin" is "Vladimir Vladimirovich Putin"; "Kim Jong Un" is not "Kim Yo Jong").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_THING = (
    r"(?:messages?|letters?|greetings?|repl(?:y|ies)|replay|telegrams?|congratulations?|condolences?|cards?"
    r"|(?:floral\s+)?baskets?|wreaths?|gifts?)"
)
# A story's opening: "X[, titles,] received a message of greeting from Y[, titles]" or "X sent a
# reply message to Y". X is what precedes the verb, after the dateline ("Pyongyang, September 7
# (KCNA) --"), in the same sentence.
_STORY = re.compile(
    rf"\s(?P<verb>received|sent)\s+(?:[\w'-]+\s+){{0,4}}?{_THING}\b"
    rf"[^.;]{{0,80}}?\b(?P<link>from|to)\s+(?P<second>[^;(]{{2,200}})"
)
_SENTENCE_END = re.compile(r"[.;:?!]\s")
_OPENING_CHARS = 600  # the verb of an opening sentence comes within its first few hundred characters
_DATELINE = re.compile(r"^.*?\((?:KCNA|[A-Z]{2,8})\)\s*[-–—]+\s*")
# Capitalised words that describe rather than name ("the Respected Comrade", "President").
_NOT_NAMES = {
    "the", "respected", "comrade", "president", "premier", "chairman", "general", "secretary", "minister",
    "foreign", "prime", "marshal", "which", "who", "whom", "what", "how", "when", "where", "why", "did",
    "in", "on", "at", "for", "of", "to", "a", "an", "and", "al", "el", "bin", "ibn", "de", "van", "von",
}  # fmt: skip
_NAME_WORD = re.compile(r"[A-Z][\w'-]*")
_CAPITALISED_RUN = r"(?P<name>[A-Z][\w'.-]*(?:\s+(?:al-|bin\s+)?[A-Z][\w'.-]*){0,4})"
_QUESTION = [
    # (pattern, role of the name it captures)
    (re.compile(rf"{_CAPITALISED_RUN}'s?\s+(?:[\w-]+\s+){{0,5}}?{_THING}\b"), "sender"),
    (re.compile(rf"\b{_THING}\s+(?:of\s+\w+\s+)?(?:from|by)\s+(?:the\s+)?{_CAPITALISED_RUN}"), "sender"),
    (re.compile(rf"\b{_THING}\s+(?:of\s+\w+\s+)?to\s+(?:the\s+)?{_CAPITALISED_RUN}"), "recipient"),
    (re.compile(rf"\b(?:sent|send|wrote|write|replied|reply)\s+to\s+(?:the\s+)?{_CAPITALISED_RUN}"), "recipient"),
    (re.compile(rf"\b{_CAPITALISED_RUN}\s+(?:sent|wrote|addressed|replied|congratulated)\b"), "sender"),
    (
        re.compile(
            rf"\b(?:sent|wrote|addressed|send|write)\s+{_CAPITALISED_RUN}\s+"  # "sent Kim Jong Un a greeting"
            rf"(?:an?\s+|the\s+)?[\w\s-]{{0,30}}?{_THING}\b"
        ),
        "recipient",
    ),
    (
        re.compile(
            rf"\b(?:did|does|do)\s+{_CAPITALISED_RUN}\s+[a-z]+\b[^?]*?"  # "did Assad wish ... in his greetings"
            rf"\b(?:in|with|through)\s+(?:his|her|its|their)\s+(?:[\w-]+\s+){{0,5}}?{_THING}\b"
        ),
        "sender",
    ),
    (re.compile(rf"\bdid\s+{_CAPITALISED_RUN}\s+(?:send|write|reply|address)\b"), "sender"),
    (re.compile(rf"\b{_CAPITALISED_RUN}\s+(?:received|got)\b"), "recipient"),
    (re.compile(rf"\bdid\s+(?:the\s+)?{_CAPITALISED_RUN}\s+(?:receive|get)\b"), "recipient"),
]


def _name(text: str) -> frozenset[str]:
    """The words of a name (the text up to its first comma), descriptions dropped."""
    words = (re.sub(r"['’]s?$", "", w) for w in re.split(r"[\s-]+", text.split(",")[0]))
    return frozenset(w.casefold() for w in words if _NAME_WORD.fullmatch(w)) - _NOT_NAMES


@dataclass(frozen=True)
class Roles:
    """The name words of whoever sent and whoever received the message (empty when unknown)."""

    sender: frozenset[str] = frozenset()
    recipient: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.sender or self.recipient)


def question_roles(question: str) -> Roles:
    """Who the question says sent the message, and to whom."""
    found: dict[str, frozenset[str]] = {}
    for pattern, role in _QUESTION:
        for match in pattern.finditer(question):
            name = _name(match["name"])
            if name and role not in found:
                found[role] = name
    return Roles(found.get("sender", frozenset()), found.get("recipient", frozenset()))


def story_roles(opening: str) -> Roles:
    """Who sent the message and who received it, from a story's opening sentence."""
    text = _DATELINE.sub("", opening[:_OPENING_CHARS], count=1)
    match = _STORY.search(text)
    if not match or (match["verb"] == "received") != (match["link"] == "from"):
        return Roles()
    if _SENTENCE_END.search(text, 0, match.start()):
        return Roles()  # the verb is in a later sentence: not the story's own exchange
    first, second = _name(text[: match.start()]), _name(match["second"])
    return Roles(second, first) if match["verb"] == "received" else Roles(first, second)


def agrees(question: Roles, story: Roles) -> bool:
    """Whether the story's exchange runs the way the question says: a person the question names as
    sender (or recipient) is the story's, and none is on the other side."""

    def same(asked: frozenset[str], named: frozenset[str]) -> bool:
        return bool(asked) and asked <= named

    right = same(question.sender, story.sender) or same(question.recipient, story.recipient)
    wrong = same(question.sender, story.recipient) or same(question.recipient, story.sender)
    return right and not wrong
