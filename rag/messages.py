"""Who wrote to whom: the sender and the recipient of a message, read from a question and from the
opening sentence of a story.

State media print the two halves of an exchange in one template: "Kim Jong Un received a message
of greeting from Bashar Al-Assad" and, days later, "Kim Jong Un sent a reply message to Bashar
Al-Assad". Both name the same people and the same occasion, so neither BM25 nor the model tells
them apart; a question does, by who sent the message ("What did Assad wish in his greetings?",
"Which leader sent Kim Jong Un a greeting?", "Kim's reply to Xi"). A person is matched by the
capitalised words of their name: every such word the question gives must be in the story's name
("Putin" is "Vladimir Vladimirovich Putin"; "Kim Jong Un" is not "Kim Yo Jong"). A question may
describe the person instead ("the Syrian president", "the Lao party leader", "the Arab head of
state"): its words are then matched against the description the story prints beside the name
("Bashar Al-Assad, president of the Syrian Arab Republic"), a country's adjective matching its name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.lexical import ADJECTIVE_ENDINGS, COUNTRY_ENDINGS

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
_NAME_END = re.compile(r"(?<![A-Z])[.;:?!]\s")  # a sentence's end, not an initial's ("V. Putin")
_OPENING_CHARS = 600  # the verb of an opening sentence comes within its first few hundred characters
_DATELINE = re.compile(r"^.*?\((?:KCNA|[A-Z]{2,8})\)\s*[-–—]+\s*")
# Capitalised words that describe rather than name ("the Respected Comrade", "President").
_NOT_NAMES = {
    "the", "respected", "comrade", "president", "premier", "chairman", "general", "secretary", "minister",
    "foreign", "prime", "marshal", "which", "who", "whom", "what", "how", "when", "where", "why", "did",
    "in", "on", "at", "for", "of", "to", "a", "an", "and", "al", "el", "bin", "ibn", "de", "van", "von",
}  # fmt: skip
_NAME_WORD = re.compile(r"[A-Z][\w'-]*")
# The title after a described person: "the Syrian president", "the Lao party leader".
_TITLE = (
    r"(?:(?:ruling\s+|party\s+|state\s+|foreign\s+|prime\s+|vice[\s-])*(?:president|leader|premier|minister"
    r"|chairman|chairwoman|chairperson|(?:general\s+)?secretary|head\s+of\s+state|chief|king|queen|emir|sultan))"
)
_CAPITALISED_RUN = rf"(?P<name>[A-Z][\w'.-]*(?:\s+(?:al-|bin\s+)?[A-Z][\w'.-]*){{0,4}}(?:\s+{_TITLE})?)"
# A person as a question writes them: a name, a described person, or "the president of Syria".
_PERSON = rf"(?:{_TITLE}\s+of\s+(?:the\s+)?)?{_CAPITALISED_RUN}"
_SENDS = r"(?:sent|wrote|addressed|replied|congratulated|greeted|thanked)"
_SEND = r"(?:send|write|reply|address|congratulate|greet|thank)"
_REPLY = re.compile(r"\b(?:repl(?:y|ies|ied)|answer(?:ed|s)?|response)\b", re.IGNORECASE)
_QUESTION = [
    # (pattern, role of the name it captures)
    # "answered Lukashenko's message", "in response to Xi's greetings": the reply went to that person.
    (
        re.compile(rf"\b(?:answer(?:ed|s)?|response\s+to)\s+(?:the\s+)?{_PERSON}'s?\s+(?:[\w-]+\s+){{0,5}}?{_THING}\b"),
        "recipient",
    ),
    (re.compile(rf"{_PERSON}'s?\s+(?:[\w-]+\s+){{0,5}}?{_THING}\b"), "sender"),
    (re.compile(rf"\b{_THING}\s+(?:of\s+\w+\s+)?(?:from|by)\s+(?:the\s+)?{_PERSON}"), "sender"),
    (re.compile(rf"\b{_THING}\s+(?:of\s+\w+\s+)?to\s+(?:the\s+)?{_PERSON}"), "recipient"),
    (re.compile(rf"\b(?:sent|send|wrote|write|replied|reply)\s+to\s+(?:the\s+)?{_PERSON}"), "recipient"),
    (re.compile(rf"\b{_PERSON}\s+{_SENDS}\b"), "sender"),
    (
        re.compile(
            rf"\b(?:sent|wrote|addressed|send|write)\s+{_PERSON}\s+"  # "sent Kim Jong Un a greeting"
            rf"(?:an?\s+|the\s+)?[\w\s-]{{0,30}}?{_THING}\b"
        ),
        "recipient",
    ),
    (
        re.compile(
            rf"\b(?:did|does|do)\s+{_PERSON}\s+[a-z]+\b[^?]*?"  # "did Assad wish ... in his greetings"
            rf"\b(?:in|with|through)\s+(?:his|her|its|their)\s+(?:[\w-]+\s+){{0,5}}?{_THING}\b"
        ),
        "sender",
    ),
    (re.compile(rf"\bdid\s+(?:the\s+)?{_PERSON}\s+{_SEND}\b"), "sender"),
    (re.compile(rf"\b{_PERSON}\s+(?:received|got)\b"), "recipient"),
    (re.compile(rf"\b(?:receive[sd]?|get|got)\b[^?]{{0,40}}?\bfrom\s+(?:the\s+)?{_PERSON}"), "sender"),
    (re.compile(rf"\bdid\s+(?:the\s+)?{_PERSON}\s+(?:receive|get)\b"), "recipient"),
]


def _name(text: str) -> frozenset[str]:
    """The words of a name (the text up to its first comma), descriptions dropped."""
    return _capitalised(text.split(",")[0])


def _capitalised(text: str) -> frozenset[str]:
    words = (re.sub(r"['’]s?$", "", w) for w in re.split(r"[\s,;:()-]+", text))
    return frozenset(w.casefold() for w in words if _NAME_WORD.fullmatch(w)) - _NOT_NAMES


@dataclass(frozen=True)
class Roles:
    """The name words of whoever sent and whoever received the message (empty when unknown); for a
    story, also the capitalised words of the description printed beside each name ("president of the
    Syrian Arab Republic")."""

    sender: frozenset[str] = frozenset()
    recipient: frozenset[str] = frozenset()
    sender_described: frozenset[str] = frozenset()
    recipient_described: frozenset[str] = frozenset()

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
    sender, recipient = found.get("sender", frozenset()), found.get("recipient", frozenset())
    if sender & recipient and _REPLY.search(question):
        # "his reply to Xi Jinping's greetings": Xi wrote the greeting, and the reply asked about is to him.
        sender = frozenset()
    return Roles(sender, recipient)


def story_roles(opening: str) -> Roles:
    """Who sent the message and who received it, from a story's opening sentence."""
    text = _DATELINE.sub("", opening[:_OPENING_CHARS], count=1)
    match = _STORY.search(text)
    if not match or (match["verb"] == "received") != (match["link"] == "from"):
        return Roles()
    if _SENTENCE_END.search(text, 0, match.start()):
        return Roles()  # the verb is in a later sentence: not the story's own exchange
    first, second = text[: match.start()], match["second"]
    if end := _NAME_END.search(second):
        second = second[: end.start()]
    sender, recipient = (second, first) if match["verb"] == "received" else (first, second)
    return Roles(_name(sender), _name(recipient), _capitalised(sender), _capitalised(recipient))


def agrees(question: Roles, story: Roles) -> bool:
    """Whether the story's exchange runs the way the question says: a person the question names as
    sender (or recipient) is the story's, and none is on the other side."""

    def same(asked: frozenset[str], named: frozenset[str], described: frozenset[str]) -> bool:
        known = named | described
        return bool(asked) and all(word in known or any(_same_country(word, k) for k in known) for word in asked)

    right = same(question.sender, story.sender, story.sender_described) or same(
        question.recipient, story.recipient, story.recipient_described
    )
    wrong = same(question.sender, story.recipient, story.recipient_described) or same(
        question.recipient, story.sender, story.sender_described
    )
    return right and not wrong


# The endings BM25's spelling variants use between a country and its adjective (Syria(n), Belarus(ian),
# Vietnam(ese), China / Chin(ese), Turkmen(istan)), and Lao(s) / Lao(tian).
_ENDINGS = (*COUNTRY_ENDINGS, *ADJECTIVE_ENDINGS, "tian")


def _stems(word: str) -> set[str]:
    return {word} | {word[: -len(e)] for e in _ENDINGS if word.endswith(e) and len(word) - len(e) >= 3}


def _same_country(one: str, other: str) -> bool:
    """Whether two words are one country's name and its adjective ("Syrian" and "Syria")."""
    return one[:3] == other[:3] and bool(_stems(one) & _stems(other))
