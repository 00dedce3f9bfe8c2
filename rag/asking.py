"""The part of a message that asks. Users write to a search box as to a person: "Hi, I'm
researching North Korean media. Could you tell me when the Pyongyang General Hospital opened?
Thanks!". The greeting, the words about the asker and the thanks are not what they ask about, yet
both retrievers read every word: "media" and "researching" pull towards stories about the media, and
the question's vector moves with each remark (bench/RESULTS.md: a fifth of the first places lost)."""

from __future__ import annotations

import re

# A sentence ends at . ! or ? before a capital or a quote, but not after an initial or a title
# ("U.S. Secretary", "Mr. Kim"), and at ? or ! before anything. A sentence split wrongly costs
# little: only a sentence read as a remark, or after the last question, is ever left out.
_SENTENCE_END = re.compile(
    r"(?<!\b[A-Z]\.)(?<!\bMr\.)(?<!\bMs\.)(?<!\bDr\.)(?<!\bSt\.)(?<!\bNo\.)(?<!\bMrs\.)(?<=[.!?])\s+(?=[A-Z\"“'(])"
    r"|(?<=[?!])\s+"  # "...? lol we were arguing about this"
)
_GREETING = re.compile(
    r"^(?:hi|hello|hey|hiya|greetings|good\s+(?:morning|afternoon|evening|day)|dear\s+[\w .'-]{1,40}?)"
    r"(?:\s+(?:there|all|everyone|team|folks))?(?:[\s,!.:;-]+|$)",
    re.I,
)
_THANKS = re.compile(
    r"(?:^|[\s,;.!-]+)(?:(?:many|big|huge)\s+)?(?:thanks|thank\s+you|thx|cheers|much\s+appreciated|"
    r"appreciate\s+(?:it|your\s+help|any\s+help))(?:\s+(?:so|very)\s+much)?(?:\s+(?:in\s+advance|a\s+lot|"
    r"for\s+(?:your|the|any)\s+help))?[\s!.]*$",
    re.I,
)
# "I" as a word, not the I of "I-carnitine" or an initial ("I. Kim")
_FIRST_PERSON = r"I(?![-.])|[Mm]e|[Mm]y|[Ww]e|[Oo]ur|us"  # "I'm", "we're": the word ends at the apostrophe
_ME = re.compile(rf"\b(?:{_FIRST_PERSON}|[Mm]ine)\b")
_QUOTED = re.compile(r"[\"“][^\"“”]*[\"”]")
# The words that frame a question inside a sentence, up to where the question starts.
_ASKING_FRAME = re.compile(
    r"(?:as\s+an?\s+[^,]{1,60},\s*)?(?:(?:so|and|but|ok(?:ay)?|also)[\s,]+)?(?:"
    r"(?:(?:could|can|would|will)\s+you\s+(?:please\s+|kindly\s+)?|please\s+|kindly\s+)?(?:help\s+me\s+)?"
    r"(?:tell\s+me|find(?:\s+out)?|look\s+up|check|let\s+me\s+know|show\s+me|explain(?:\s+to\s+me)?|say|"
    r"confirm|remind\s+me)"
    r"|(?:i|we)(?:'d|\s+would)\s+(?:like|love)\s+to\s+(?:know|find\s+out|understand|learn|ask)"
    r"|(?:i|we)\s+(?:want|need|wish|wanted|needed)\s+to\s+(?:know|find\s+out|understand|learn|ask)"
    r"|(?:i|we)(?:'m|\s+am|\s+was|\s+were|'re|\s+are)\s+(?:wondering|curious|trying\s+to\s+(?:find\s+out|"
    r"understand|learn))(?:\s+(?:about|to\s+know))?"
    r"|(?:do|does)\s+(?:you|anyone)\s+know|any\s+idea|i\s+wonder"
    r")(?:\s+(?:please|for\s+me))?\b[\s,:;-]*",
    re.I,
)
# "My editor wants to know: ...", "Quick question for my report: ...", "Question: ...": a lead-in
# about the asker or the asking, closed by a colon or a dash.
_LEAD_IN = re.compile(r"^(?P<lead>[^:?\"“]{1,80}?)\s*(?::|\s[-–—]\s)\s*(?=\S)")
_ABOUT_ASKING = re.compile(r"\b(?:question|query|know|ask(?:ing|ed)?|wonder(?:ing)?|curious)\b", re.I)
_WH = re.compile(r"\b(?:what|which|who|whom|whose|when|where|why|how|whether)\b", re.I)
# Words that make what comes before a question word a frame about the asking, not a setting of the
# question's own ("During his visit to the arms plant, what ..."): the asker, the one asked, politeness.
_ASKER = re.compile(
    rf"\b(?:{_FIRST_PERSON}|[Yy]ou|[Yy]our)\b"
    r"|\b(?i:please|kindly|sorry|wonder(?:ing)?|curious|know|clarify|confirm|check|explain|help\s+me|tell\s+me)\b"
)
# ... or a hedge joined to the question by "but" or a dash ("Sorry if this is basic, but what ...",
# "Apologies for the bother -- what ..."), or fillers alone ("ok so what ...").
_HEDGE = re.compile(
    r"(?:\bbut|--|\s[-–—])\s*$|^(?:(?:ok(?:ay)?|so|well|um+|uh+|anyway|right|alright|btw)\b[\s,.:!-]*)+$", re.I
)
_NAMED = re.compile(r"(?<=\s)(?!I\b|I')[A-Z]|\d")  # a name or a figure: "In 2024 -- what ..." keeps its year
# Words that say nothing of what is asked about: a sentence of them alone ("Could you look this up for
# me?", "Quick question.", "Hi again.") is about the asking.
_EMPTY = frozenset(
    re.findall(
        r"\w+",
        "i me my we us our you your it this that these those here there a an the to for of on in at with up out "
        "can could would will do does did please help look find check tell know ask question questions quick "
        "one more another again also so ok okay just really something anything anyone someone mind minute got "
        "have has be is are am was thing things bit",
    )
)
# "student here.", "hobbyist here, been following North Korea news for years.": who is asking
_INTRODUCTION = re.compile(r"^[\w-]+(?:\s[\w-]+)?\s+here\b[\s,.;!-]", re.I)
_STOP = frozenset(
    re.findall(
        r"\w+",
        "the and was were are is did does has have had its his her their this that these those with from for "
        "into about what which who whom whose when where why how whether it they them she he of",
    )
)
THIN = 3  # content words fewer than this: a question that leans on the words before it


def asking_part(message: str) -> str:
    """The question a message asks, without its greeting, thanks, remarks about the asker and the
    frame around the question ("Could you tell me ...", "I'd like to know ..."); the message itself
    when nothing is left without them.

    With a sentence that ends in "?", what follows the last one is a remark ("A short answer is
    fine."); the sentences before the first one stay unless they are about the asker, since a question
    may lean on them ("Kim visited a farm in June. Which farm was it?")."""
    sentences = [_unframed(s) for s in _SENTENCE_END.split(message.strip())]
    asks = [i for i, s in enumerate(sentences) if s.endswith("?")]
    if asks:
        sentences = sentences[: asks[-1] + 1]
    kept = " ".join(s for s in sentences if s and not _remark(s))
    return kept if any(c.isalnum() for c in kept) else message


def _unframed(sentence: str) -> str:
    sentence = _GREETING.sub("", sentence.strip(), count=1)
    sentence = _THANKS.sub("", sentence).strip()
    lead = _LEAD_IN.match(sentence)
    if lead and (_ME.search(lead["lead"]) or _ABOUT_ASKING.search(lead["lead"])) and _frame(sentence, lead.end()):
        sentence = sentence[lead.end() :]
    framed = _ASKING_FRAME.match(sentence)
    if framed and framed.end() < len(sentence):
        sentence = sentence[framed.end() :]
    elif sentence.endswith("?") and (wh := _WH.search(sentence)) and wh.start() > 0:
        before = sentence[: wh.start()]  # a frame names nothing: "In her statement on Ukraine, what ..." is a setting
        framing = _ASKER.search(before) or _HEDGE.search(before.strip())
        sentence = sentence[wh.start() :] if framing and not _NAMED.search(before) else sentence
    return sentence.strip()


def _frame(sentence: str, end: int) -> bool:
    """Whether the words before `end` can go: they name nothing ("Could you tell me"), or what follows
    them is a question of its own, not one that leans on them ("... about the Kangdong farm: when did it
    open?")."""
    return not _NAMED.search(sentence[:end]) or _content_words(sentence[end:]) >= THIN


def _remark(sentence: str) -> bool:
    """A sentence about the asker, not a question ("I'm writing a paper on the DPRK.", "student
    here."), or one about the asking that says nothing of its subject ("Could you look this up?")."""
    if not _WH.search(sentence) and all(w.casefold() in _EMPTY for w in re.findall(r"[^\W\d_]+", sentence)):
        return True
    return not sentence.endswith("?") and bool(
        _ME.search(_QUOTED.sub("", sentence)) or _INTRODUCTION.match(sentence + " ")
    )


def _content_words(text: str) -> int:
    return sum(1 for w in re.findall(r"[A-Za-z]{3,}", text) if w.casefold() not in _STOP)
