"""Whether a question is written in another language than the corpus, in the corpus's own script:
"¿Qué dijo Kim Jong Un sobre el misil?" over English news. The model reads English, and the names
such a question shares with the corpus ("Kim Jong Un") bring back passages that look confident but
answer nothing. A question in another script is told apart by its letters (rag.lexical.script_of);
one in Latin letters by its words: many of them are words the corpus never writes, and a language
identifier (langid.py, trained on 97 languages) is sure it is not English."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

_WORD = re.compile(r"[^\W\d_]{2,}")
UNKNOWN_SHARE = 0.3  # of the question's words the corpus never writes, before the identifier is asked
# The identifier's probability that the question is not in English. Short keyword queries full of
# names a small corpus lacks ("putin pyongyang visit" over the seeds) get 1e-5 to 2e-3 for English;
# a question in another language mostly below 1e-5 (bench/RESULTS.md).
SURE = 0.99999
NAMED = 0.9  # its probability for the one language it names


def foreign_language(question: str, unknown: Callable[[list[str]], list[str]]) -> str | None:
    """The language code (ISO 639-1: "es", "fr") of a question written in another language than
    English, the language of the model ("" when it is surely not English but its language is not
    sure: Spanish is often taken for Catalan); None for English, or when not sure. `unknown(words)`:
    those of `words` that the corpus never writes, in any spelling."""
    words = _WORD.findall(question)
    if not words or len(unknown(words)) < UNKNOWN_SHARE * len(words):
        return None  # the corpus's own words: the identifier (a second to load) is not needed
    ranked = _identifier().rank(question)  # every language, the likeliest first
    english = next(p for language, p in ranked if language == "en")
    if english > 1 - SURE:
        return None
    language, probability = ranked[0]
    return language if probability >= NAMED else ""


@cache
def _identifier():
    from langid.langid import LanguageIdentifier, model

    return LanguageIdentifier.from_modelstring(model, norm_probs=True)
