"""BM25 over passages (bm25s: sparse-matrix BM25, Lucene's scoring variant, Robertson et al. 1994),
with English stop words and the Snowball stemmer, saved as plain .npy/.json files.

Korean, Chinese and Japanese words also give their character bigrams, as Lucene's CJK analyser
does: a Korean noun is written with its particle attached ("과학기술전당에서"), so the bare
noun in a question matches only through the pieces the two share."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from rag.champions import PRUNED_INDEX, Champions, write_champions


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


# Country names and the adjectives English forms from them: Turkmen(istan), Uzbek(istan), Kazakh(stan),
# Lao(s); Egypt(ian), Syria(n), Vietnam(ese), Pakistan(i), Belarus(ian), Polish -> Pol(and) is left out.
COUNTRY_ENDINGS = ("istan", "stan", "s", "a", "ia")
ADJECTIVE_ENDINGS = ("ian", "an", "n", "ese", "i")
_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3]{3,}")


# Abbreviations BM25 would lose, written out: "U.S." has no word of two letters, "US" lowercased is the
# pronoun "us", and "UN" the "Un" of Kim Jong Un. Case matters: only the capitals are the abbreviation.
_ABBREVIATIONS = [
    (re.compile(r"\bU\.\s?S\.(?:\s?A\.)?|\bUSA?\b"), " United States "),
    (re.compile(r"\bU\.\s?K\.|\bUK\b"), " United Kingdom "),
    (re.compile(r"(?<!Jong )(?<!JONG )(?<!Jong-)\bUN\b"), " United Nations "),
]


def _spelled_out(text: str) -> str:
    for pattern, words in _ABBREVIATIONS:
        text = pattern.sub(words, text)
    return text


def tokenize(texts: list[str]) -> list[list[str]]:
    import bm25s

    texts = [_spelled_out(t) for t in texts]
    tokens = bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False)
    return [_with_cjk_bigrams(words) for words in tokens]


def _with_cjk_bigrams(words: list[str]) -> list[str]:
    bigrams = [run[i : i + 2] for word in words for run in _CJK_RUN.findall(word) for i in range(len(run) - 1)]
    return words + bigrams if bigrams else words


class LexicalIndex:
    def __init__(self, retriever, size: int, champions: Champions | None = None):
        self.retriever = retriever
        self.size = size
        self.champions = champions
        self._sorted_vocabulary: list[str] | None = None
        self._known: dict = {}
        self._scripts: set[str] | None = None

    @classmethod
    def build(cls, texts: list[str]) -> LexicalIndex:
        import bm25s

        retriever = bm25s.BM25()
        if texts:
            retriever.index(tokenize(texts), show_progress=False)
        return cls(retriever, len(texts))

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        if self.size:
            self.retriever.save(str(folder), show_progress=False)
        if self.size >= PRUNED_INDEX:
            write_champions(folder)

    @classmethod
    def load(cls, folder: Path, size: int) -> LexicalIndex:
        import bm25s

        if size == 0:
            return cls.build([])
        retriever = bm25s.BM25.load(str(folder), mmap=True, show_progress=False)
        return cls(retriever, size, Champions.load(folder, retriever.scores))

    def scores(self, query: str, variants: bool = False) -> np.ndarray:
        """BM25 score of every passage for the query (zeros when no query word is indexed); with
        `variants`, the corpus's spellings of the question's names count too."""
        return self._scores(query, variants).astype(np.float32)

    def _terms(self, query: str, variants: bool = False) -> list[int]:
        tokens = tokenize([query])[0] if self.size else []
        if variants and tokens:
            tokens += self._variants(query, tokens)
        return self.retriever.get_tokens_ids(tokens) if tokens else []

    def _scores(self, query: str, variants: bool = False) -> np.ndarray:
        ids = self._terms(query, variants)
        if not ids:
            return np.zeros(self.size)
        # The postings of the query's words, summed per passage in one pass (bincount): bm25s's own
        # numpy path uses np.add.at, several times slower on the long postings of a large corpus.
        matrix = self.retriever.scores
        indptr, indices, data = matrix["indptr"], matrix["indices"], matrix["data"]
        spans = [(int(indptr[t]), int(indptr[t + 1])) for t in ids]
        rows = np.concatenate([indices[a:b] for a, b in spans])
        weights = np.concatenate([data[a:b] for a, b in spans])
        scores = np.bincount(rows, weights=weights, minlength=self.size)
        nonoccurrence = getattr(self.retriever, "nonoccurrence_array", None)
        if nonoccurrence is not None:  # BM25L/BM25+ variants; the default (Lucene) has none
            scores += nonoccurrence[ids].sum()
        return scores

    def _variants(self, query: str, tokens: list[str]) -> list[str]:
        self._vocabulary()
        return spelling_variants(query, tokens, self._known, self._sorted_vocabulary)

    def unknown(self, words: list[str]) -> list[str]:
        vocabulary = self._vocabulary()  # first: it fills self._known
        return unknown_words(words, self._known, vocabulary)

    def scripts(self) -> set[str]:
        """The writing systems of the indexed words ('LATIN', 'HANGUL', 'CJK', 'CYRILLIC'...)."""
        if self._scripts is None:
            self._scripts = scripts_of(self._vocabulary())
        return self._scripts

    def _vocabulary(self) -> list[str]:
        if self._sorted_vocabulary is None:
            self._known = self.retriever.vocab_dict if self.size else {}
            self._sorted_vocabulary = sorted(self._known)
        return self._sorted_vocabulary

    def vocabulary(self) -> list[str]:
        """Every indexed word, sorted (a Milvus store keeps them for the question's spelling variants)."""
        return list(self._vocabulary())

    def search(
        self, query: str, n: int, allowed: np.ndarray | None = None, also=(), variants: bool = False
    ) -> LexicalHits:
        """The lexical seam (see rag.store.LexicalSearch), over the whole score array of the corpus,
        or, for an index with champion lists and no filter, over the passages they find."""
        also = np.asarray(list(also), dtype=np.int64)
        if self.champions is not None and allowed is None:
            return self._pruned(self._terms(query, variants), n, also)
        scores = self.scores(query, variants)
        return LexicalHits(
            top=self.top(query, n, allowed, scores),
            scores=dict(zip(also.tolist(), scores[also].tolist())) if len(also) else {},
            best=float(scores.max()) if len(scores) else 0.0,
        )

    def _pruned(self, terms: list[int], n: int, also: np.ndarray) -> LexicalHits:
        asked = np.union1d(self.champions.candidates(terms), also)  # sorted: `also` found by bisection
        exact = self.champions.exact(terms, asked).astype(np.float32)
        best = top_n(exact, n)
        best = best[exact[best] > 0]
        return LexicalHits(
            top=dict(zip(asked[best].tolist(), exact[best].tolist())),
            scores=dict(zip(also.tolist(), exact[np.searchsorted(asked, also)].tolist())),
            best=float(exact.max()) if len(exact) else 0.0,
        )

    def top(
        self, query: str, n: int, allowed: np.ndarray | None = None, scores: np.ndarray | None = None
    ) -> dict[int, float]:
        """The (at most) n passages with the highest positive BM25 score, among `allowed` ids when
        given: {passage id: score}. `scores`: the query's scores() when already computed."""
        scores = self._scores(query) if scores is None else scores
        ids = None if allowed is None else np.asarray(allowed, dtype=np.int64)
        if ids is not None:
            scores = scores[ids]
        top = top_n(scores, n)
        top = top[scores[top] > 0]
        values = scores[top].astype(np.float32).tolist()
        return dict(zip((top if ids is None else ids[top]).tolist(), values))


@dataclass
class LexicalHits:
    """What a lexical search found: the best passages, the scores of the other ids asked about, and
    the corpus's best score for the question (which makes a score comparable across questions)."""

    top: dict[int, float]
    scores: dict[int, float]
    best: float

    def score(self, pid: int) -> float:
        return self.top.get(pid, self.scores.get(pid, 0.0))


def spelling_variants(query: str, tokens: list[str], known, vocabulary: list[str]) -> list[str]:
    """Words of the corpus that a question's words may stand for: the country behind an adjective
    among its names, its capitalised words ("Turkmen" -> Turkmenistan, "Egyptian" -> Egypt); and,
    for a word the corpus never uses, its spellings that the corpus does ("Hamgyeong" -> Hamgyong,
    "Phyongyang" -> Pyongyang, "Gangwon" -> Kangwon: Korean names reach English in several
    romanisations; "annivresary" -> anniversary: a typing slip).
    `known`: a container of the corpus's words; `vocabulary`: the same words as a sorted list."""
    from rapidfuzz import fuzz, process

    names = set(tokenize([" ".join(re.findall(r"\b[A-Z][a-z]{2,}", query))])[0])
    out: list[str] = []
    for token in tokens:
        if token in names:  # a country's name from its adjective, and back
            out += [token + end for end in COUNTRY_ENDINGS if token + end in known]
            out += [token[: -len(e)] for e in ADJECTIVE_ENDINGS if token.endswith(e) and len(token) > len(e) + 3]
        if token not in known and len(token) >= 5:
            # The closest spellings only, closeness judged once the romanisations' letter pairs are
            # folded: "Phyongyang" is Pyongyang, not Phyongan; "Gangwon" is Kangwon, not Sangwon,
            # though both are one letter away.
            close = process.extract(token, vocabulary, scorer=fuzz.ratio, score_cutoff=85, limit=5)
            key = romanisation_key(token)
            folded = [(fuzz.ratio(key, romanisation_key(v)), v) for v, _, _ in close]
            best = max((score for score, _ in folded), default=0)
            out += [v for score, v in folded if score >= best - 3]
    out += compound_parts(query, known)
    if _NORTH_KOREA.search(query):  # state media write "the DPRK" where a reader writes "North Korea"
        out += tokenize(["DPRK"])[0]
    return list(dict.fromkeys(t for t in out if t in known and t not in tokens))


def unknown_words(words: list[str], known, vocabulary: list[str]) -> list[str]:
    """Those of `words` (a question's names) that the corpus never writes, in any spelling
    `spelling_variants` knows: "Lazarus" over state media; not "Phyongyang" or "Turkmen".
    `known` and `vocabulary` as for spelling_variants."""
    out = []
    for word in words:
        tokens = tokenize([word])[0]
        if tokens and not any(t in known for t in tokens) and not spelling_variants(word, tokens, known, vocabulary):
            out.append(word)
    return out


# Letters that Korean romanisations (McCune-Reischauer, Revised, the state media's own) write for
# one sound: Kangwon / Gangwon, Phyongyang / Pyongyang, Hamgyong / Hamgyeong, Chongjin / Jongjin.
_ROMANISATION_PAIRS = (
    ("ph", "p"),
    ("th", "t"),
    ("kh", "k"),
    ("ch", "j"),
    ("sh", "s"),
    ("eo", "o"),
    ("eu", "u"),
    ("ae", "e"),
    ("k", "g"),
    ("t", "d"),
    ("p", "b"),
    ("l", "r"),
    ("-", ""),
)


def romanisation_key(word: str) -> str:
    """`word` with each romanisation's spelling of a sound folded to one."""
    for spelled, folded in _ROMANISATION_PAIRS:
        word = word.replace(spelled, folded)
    return word


_NORTH_KOREA = re.compile(r"\bnorth\s+korea", re.IGNORECASE)


def compound_parts(query: str, known) -> list[str]:
    """The two corpus words a question's word is made of when the corpus lacks it whole
    ("antivirus" -> anti, virus; "counterattack" -> counter, attack), of the split whose shorter
    part is the longest."""
    out: list[str] = []
    for word in re.findall(r"[A-Za-z]{7,}", query):
        cuts = range(3, len(word) - 2)
        # One tokenizer call a word (this runs on every question): the word, then each head, each tail.
        whole, *parts = tokenize([word] + [word[:c] for c in cuts] + [word[c:] for c in cuts])
        if not whole or whole[0] in known:
            continue
        splits = []
        for cut, head, tail in zip(cuts, parts[: len(cuts)], parts[len(cuts) :]):
            if len(head) == len(tail) == 1 and head[0] in known and tail[0] in known:
                splits.append((min(cut, len(word) - cut), head[0], tail[0]))
        if splits:
            out += max(splits)[1:]
    return out


def scripts_of(words) -> set[str]:
    return {script_of(word) for word in words} - {None}


def script_of(text: str) -> str | None:
    """The writing system most of the letters of `text` are in, by their Unicode names."""
    import unicodedata
    from collections import Counter

    counts = Counter(unicodedata.name(c, "?").split()[0] for c in text if c.isalpha())
    return counts.most_common(1)[0][0] if counts else None


def top_n(scores: np.ndarray, n: int) -> np.ndarray:
    """Positions of the n highest scores (any order), without a selection over every score: the
    n-th highest of the block maxima bounds the n-th highest score from below, so only the scores at
    or above it need sorting (exact; at a million passages several times faster than argpartition)."""
    size = len(scores)
    if n <= 0 or not size:
        return np.zeros(0, dtype=np.int64)
    if n >= size:
        return np.arange(size)
    block = size // (4 * n)
    if block < 16:
        return np.argpartition(scores, size - n)[size - n :]
    full = size - size % block
    maxima = scores[:full].reshape(-1, block).max(axis=1)
    bound = np.partition(maxima, len(maxima) - n)[len(maxima) - n]
    candidates = np.flatnonzero(scores >= bound)
    if len(candidates) <= n:
        return candidates
    return candidates[np.argpartition(scores[candidates], len(candidates) - n)[len(candidates) - n :]]
