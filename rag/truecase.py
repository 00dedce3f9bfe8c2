"""A question typed without capitals ("what did choe son hui tell the turkmen minister in
september?"), or all in capitals, given back the capitals its words have in the passages found for
it. The model and BM25 ignore case, but the reading of the question does not: a month without a year
counts only capitalised ("in september" could be anything), and the names of who sent a message to
whom, the spellings of a name and the country behind an adjective are read from capitalised words."""

from __future__ import annotations

import re
from collections import Counter

_WORD = re.compile(r"[A-Za-z]+")  # "late-october", "putin's": each part on its own
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\"“(\n]\s*)$")
VIEW = 3  # characters before a word that tell whether it opens a sentence


def caseless(text: str) -> bool:
    """Whether text says nothing by its capitals: none past its first letter, or no small letters."""
    letters = [c for c in text if c.isalpha() and c.isascii()]
    return bool(letters) and (not any(c.isupper() for c in letters[1:]) or not any(c.islower() for c in letters))


def truecase(question: str, texts: list[str]) -> str:
    """`question` with each word written as `texts` mostly write it inside a sentence ("kim" ->
    "Kim", "dprk" -> "DPRK", "september" -> "September"); a word they write in small letters as often,
    or not at all, stays in small letters. An all-capitals question is read in small letters first."""
    if not any(c.islower() for c in question):
        question = question.lower()
    wanted = {w.casefold() for w in _WORD.findall(question)}
    if not wanted or not texts:
        return question
    pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, sorted(wanted, key=len, reverse=True))) + r")\b", re.I)
    forms: dict[str, Counter] = {}
    for text in texts:
        for m in pattern.finditer(text):
            if not _SENTENCE_START.search(text[max(0, m.start() - VIEW) : m.start()]):
                forms.setdefault(m[0].casefold(), Counter())[m[0]] += 1

    def cased(m: re.Match) -> str:
        word = m[0]
        counts = forms.get(word.casefold())
        if not counts or not word.islower():
            return word
        capitalised = Counter({form: n for form, n in counts.items() if not form.islower()})
        if sum(capitalised.values()) <= 2 * (sum(counts.values()) - sum(capitalised.values())):
            return word
        return capitalised.most_common(1)[0][0]

    return _WORD.sub(cased, question)
