"""Mend words a scraper glued together ("ComradeKim Jong Unvisited", "toKim", "PresidentKim"),
learnt from the corpus's own vocabulary rather than from a list of names.

The KCNA scrape lost the spaces around the markup that set leaders' names apart: over 2,000 glued
tokens that neither BM25 nor the embedding can read, and that a user should not have to quote.
Two shapes are mended, each only when both halves are words the corpus uses on their own:

- a lower-case letter followed by a capital inside a token ("ComradeKim" -> "Comrade Kim");
- a name followed by a lower-case word ("Unvisited" -> "Un visited"), when the name is never
  written in lower case, the word is common, and the whole token never appears in lower case
  (so "Union", "United", "University", "Unless" and "Unit" stay whole)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

_TOKEN = re.compile(r"[A-Za-z]+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
NAME_MAX = 5  # letters of a Korean given-name syllable: Un, Il, Sung, Chol, Kyong
MIN_PART = 5  # occurrences of each half on its own (and of the name after its word) before a split is trusted


def _tokens(text: str) -> list[tuple[str | None, re.Match]]:
    """Each word with the word just before it when only spaces lie between (else None)."""
    out, previous, end = [], None, 0
    for match in _TOKEN.finditer(text):
        gap = text[end : match.start()]
        out.append((previous if gap.isspace() else None, match))
        previous, end = match.group(), match.end()
    return out


def learn_glued(texts: Iterable[str]) -> dict[str, str]:
    """{glued token: mended text} for the tokens of `texts` that split into known words; a key
    "PREVIOUS TOKEN" holds a split that applies only after that word ("Jong Unvisited")."""
    texts = list(texts)
    counts = Counter(word for text in texts for word in _TOKEN.findall(text))
    mends = {token: camel for token in counts if (camel := _split_camel(token, counts)) != token}
    # Names are learnt from the text with camel case mended: "Il SungandKim" -> "Il Sungand Kim".
    counts = Counter()
    pairs: Counter[tuple[str | None, str]] = Counter()
    for text in texts:
        for previous, match in _tokens(mend(text, mends)):
            counts[match.group()] += 1
            pairs[previous, match.group()] += 1
    for previous, token in pairs:
        if previous is not None:
            mended = _split_name(previous, token, counts, pairs)
            if mended != token:
                mends[f"{previous} {token}"] = mended
    return mends


def _split_camel(token: str, counts: Counter) -> str:
    parts = _CAMEL.split(token)
    # A capital inside a word is evidence enough when each part is a word of its own, in either case
    # ("SungSquare": "Square" is only ever glued, "square" is a word), and one is common.
    seen = [counts[p] + (counts[p.lower()] if p != p.lower() else 0) for p in parts]
    if len(parts) > 1 and all(len(p) >= 2 and n for p, n in zip(parts, seen)) and max(seen) >= MIN_PART:
        return " ".join(parts)
    return token


def _split_name(previous: str, token: str, counts: Counter, pairs: Counter) -> str:
    """'Unvisited' after 'Jong' -> 'Un visited': 'Jong Un' is common, 'Un' is a short name
    (almost) never written in lower case, 'visited' is common, and 'unvisited' is no word of the
    corpus (or far rarer than 'Jong Un'). Only after a capitalised word: the glue follows a name's
    earlier parts."""
    if len(token) < 4 or not previous[0].isupper() or not token[0].isupper() or not token[1:].islower():
        return token
    best, support = token, 0
    for cut in range(2, min(len(token) - 1, NAME_MAX + 1)):
        name, word = token[:cut], token[cut:]
        together = pairs[previous, name]
        if 10 * counts[name.lower()] > counts[name] or counts[word] < MIN_PART or together < MIN_PART:
            continue
        if 10 * counts[token.lower()] > together:  # "Unto" after "Jong" is "Un to"; "unto" is rare
            continue
        if min(together, counts[word]) > support:
            best, support = f"{name} {word}", min(together, counts[word])
    return best


def mend(text: str, mends: dict[str, str]) -> str:
    """`text` with the glued tokens of `mends` (from learn_glued) split: camel case first, then
    the names, which may only show once camel case is split ("Il SungandKim")."""
    if not mends:
        return text
    text = _TOKEN.sub(lambda m: mends.get(m.group(), m.group()), text)
    pieces, end = [], 0
    for previous, match in _tokens(text):
        mended = mends.get(f"{previous} {match.group()}") if previous is not None else None
        if mended:
            pieces += [text[end : match.start()], mended]
            end = match.end()
    return "".join(pieces) + text[end:]
