"""Hybrid retrieval: dense (FAISS) and BM25 candidates, fused, repeated texts dropped, and the
sentence that best answers the question marked in each passage."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from rag.asking import asking_part
from rag.chunk import sentence_spans
from rag.embed import get_embedder
from rag.embed_onnx import ensure_export, export_query_encoder, onnx_query_embedder
from rag.embed_onnx import wanted as onnx_wanted
from rag.fusion import Evidence, evidence_scores, fuse, maximal_marginal_relevance
from rag.language import foreign_language
from rag.lexical import LexicalHits, script_of
from rag.messages import agrees, story_roles
from rag.query import Query, names_in, parse_query
from rag.records import Hit, Passage
from rag.settings import MAX_K, Settings, cache_root
from rag.store import open_store
from rag.truecase import caseless, truecase

MAX_QUERY_CHARS = 2000
MMR_POOL = 50  # the top fused passages that MMR re-orders; the rest follow in fused order
CONSTRAINED_POOL = 200  # the top fused passages that a date span or a quoted phrase re-weighs
ORDER_POOL = 50  # the top passages among which "the latest" or "the earliest" is looked for
TRUECASE_POOL = 20  # the top dense passages whose capitals a question typed without them is given


@lru_cache(maxsize=1)
def _thread_pools():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def blas_threads(limit: int):
    """A context in which numpy's BLAS uses at most `limit` threads (restored on leaving)."""
    return _thread_pools().limit(limits=limit, user_api="blas")


class QueryError(ValueError):
    """A question that cannot be searched; the message says what to do."""


def parse_k(value) -> int:
    """How many passages to return, from whatever an API caller sent: a whole number from 1 to
    MAX_K, else a QueryError that says so."""
    try:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ValueError
        number = float(value)
        if not number.is_integer():
            raise ValueError
    except (TypeError, ValueError, OverflowError):
        raise QueryError(f"k must be a whole number from 1 to {MAX_K}, not {value!r}") from None
    if not 1 <= number <= MAX_K:
        raise QueryError(f"k must be a whole number from 1 to {MAX_K}, not {value!r}")
    return int(number)


@dataclass(frozen=True)
class Filters:
    """Hard limits the user sets beside the question: source files, and a date span (inclusive,
    YYYY-MM-DD). Undated passages are left out when a date span is set."""

    sources: tuple[str, ...] = ()
    since: str | None = None
    until: str | None = None

    def __post_init__(self) -> None:
        for label, value in (("From", self.since), ("To", self.until)):
            try:
                if value is not None:
                    dt.date.fromisoformat(value if len(value) == 10 else "invalid")
            except (TypeError, ValueError):
                raise QueryError(f"{label} must be a real date written YYYY-MM-DD, not {value!r}") from None
        if self.since and self.until and self.since > self.until:
            raise QueryError(f"the date span is reversed: From {self.since} is after To {self.until}")

    @property
    def active(self) -> bool:
        return bool(self.sources or self.since or self.until)


class Searcher:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.index = open_store(settings, settings.model)
        model, exported = self.index.manifest.model, False
        self.embedder = onnx_query_embedder(model, settings.index_dir) if onnx_wanted(settings) else None
        if self.embedder is None and onnx_wanted(settings):
            # An older build's index, or a damaged export (removed by onnx_query_embedder): made now.
            exported = ensure_export(model, settings.index_dir, cache_root(settings))
            self.embedder = onnx_query_embedder(model, settings.index_dir) if exported else None
        if self.embedder is None:
            self.embedder = get_embedder(model)
            if exported is None:  # the export's process did not run: made here, for the next search
                export_query_encoder(self.embedder, settings.index_dir, cache_root(settings))
        if settings.reranker:  # loaded now, so that a wrong name fails at start, not at the first question
            from rag.rerank import get_reranker

            get_reranker(settings.reranker)

    def search(
        self,
        query: str,
        k: int | None = None,
        fusion: str | None = None,
        highlight: bool = True,
        filters: Filters | None = None,
    ) -> list[Hit]:
        """The k passages that best answer `query`, best first, each with its best sentence marked."""
        # The search's matrix products are small, and OpenBLAS's threads spin for a while after each
        # one, taking the cores from the model's next forward pass: on 2 cores the KCNA tune questions
        # took 88 ms at p50 with them, 34 ms with one BLAS thread (bench/search_threads.py).
        with blas_threads(1):
            return self._search(query, k, fusion, highlight, filters)

    def _search(
        self, query: str, k: int | None, fusion: str | None, highlight: bool, filters: Filters | None
    ) -> list[Hit]:
        if query is not None and not isinstance(query, str):
            raise QueryError(f"the question must be text, not {type(query).__name__}")
        # Lone surrogates (broken emoji from a clipboard) cannot be tokenised: replace them.
        query = (query or "").encode("utf-8", "replace").decode("utf-8")
        query = " ".join(query.split())[:MAX_QUERY_CHARS]
        if not query:
            raise QueryError("the question is empty: type a few words to search for")
        if not any(c.isalnum() for c in query):  # "???", "🙂🙂": any passage would come back, as confidently
            raise QueryError("the question has no words, only punctuation or symbols: type a few words to search for")
        query = asking_part(query)
        k = parse_k(self.settings.k if k is None else k)
        self.index.refresh()
        if damage := self.index.problem():
            raise QueryError(f"the index is damaged ({damage}): rebuild it with `rag index --full`")
        size = len(self.index)
        if size == 0:
            return []
        script = script_of(query)
        if script not in (None, "LATIN") and script not in self.index.lexical.scripts():
            # The model reads English: a question in a script the corpus lacks gets unrelated passages
            # with confident scores, which is worse than saying so.
            raise QueryError(
                f"the question is in {script.title()} script and no indexed document is: ask it in the "
                "language of the documents (English)"
            )
        if (language := foreign_language(query, self.index.lexical.unknown)) is not None:
            named = f" (it reads as language {language!r})" if language else ""
            raise QueryError(
                f"the question does not read as English{named}, and the model reads English: ask it in English"
            )
        allowed = None
        if filters is not None and filters.active:
            allowed = self.index.select(filters.sources, filters.since, filters.until)
            if not len(allowed):
                return []
        # Every depth below is fixed, not a multiple of k: the first five results must not depend on
        # how many were asked for (the app asks for 50 to draw its timeline, the CLI for 5).
        n = min(max(self.settings.candidates, k), size if allowed is None else len(allowed))
        query_vector = self.embedder.encode_query(query)
        scores, ids = self.index.search(query_vector[None, :], n, allowed)
        dense = {int(i): float(s) for i, s in zip(ids[0], scores[0]) if i >= 0}
        if caseless(query):  # the model is uncased, so the vector stays; the reading of names needs capitals
            query = truecase(query, [p.text for p in self.index.get(list(dense)[:TRUECASE_POOL])])
        found = self.index.lexical.search(query, n, allowed, also=dense, variants=self.settings.spelling_variants)
        lexical = found.top
        s = self.settings
        method = fusion or s.fusion
        if method == "evidence":
            evidence = self._evidence(query_vector, list(dict.fromkeys([*dense, *lexical])), found)
            fused = evidence_scores(evidence)
            dense = dict(zip(evidence.ids, map(float, evidence.passage)))  # every candidate's cosine
        else:
            fused = fuse(dense, lexical, method, s.alpha, s.rrf_k)
        asked = parse_query(query, self._today())
        ranked = self._apply_constraints(asked, fused, k)
        reranked = self._rerank(query, ranked) if s.reranker else {}
        if reranked:
            ranked = sorted(reranked, key=lambda pid: -reranked[pid]) + ranked[len(reranked) :]
        if s.diversity > 0:
            pool, relevance = ranked[: len(reranked) or MMR_POOL], reranked or fused
            diverse = maximal_marginal_relevance(
                pool, [relevance[pid] for pid in pool], self.index.vectors_of(pool), s.diversity
            )
            ranked = diverse + ranked[len(pool) :]
        if asked.order:
            ranked = self._in_order(asked.order, ranked, reranked or fused)
        hits: list[Hit] = []
        ids: list[int] = []
        shown: list[str] = []
        # Fetch a few more than k: some may repeat text already shown.
        for passage, pid in zip(self.index.get(ranked[: k * 3]), ranked[: k * 3]):
            key = " ".join(passage.text.casefold().split())
            if any(key in other or other in key for other in shown):
                continue
            shown.append(key)
            in_period = asked.speaks_of(passage.date, s.report_lag_days, passage.lexical_text) if asked.dated else None
            hits.append(
                Hit(
                    passage,
                    fused[pid],
                    len(hits) + 1,
                    dense_score=dense.get(pid),
                    rerank_score=reranked.get(pid),
                    in_period=in_period,
                )
            )
            ids.append(pid)
            if len(hits) == k:
                break
        if highlight:
            self._highlight(query_vector, hits, ids)
        return hits

    def _today(self) -> dt.date:
        """The day a question's "in June" or "last June" counts back from: the newest story's, for a
        corpus that stopped before today (an archive, a scrape of last year)."""
        today, newest = dt.date.today(), self.index.manifest.newest_date
        return min(today, dt.date.fromisoformat(newest)) if newest else today

    def _evidence(self, query_vector: np.ndarray, ids: list[int], found: LexicalHits) -> Evidence:
        """Each candidate's cosine, closest-sentence cosine (from the sentence vectors stored at
        build time; the passage's own cosine for an index without them) and relative BM25 score."""
        passage = self.index.vectors_of(ids) @ query_vector if ids else np.zeros(0, dtype=np.float32)
        sentence = passage.copy()
        for i, best in enumerate(self.index.best_sentences(query_vector, ids)):
            if best is not None:
                sentence[i] = best[1]
        bm25 = np.asarray([found.score(pid) for pid in ids], dtype=np.float32)
        lexical = bm25 / found.best if found.best > 0 else np.zeros(len(ids), dtype=np.float32)
        return Evidence(ids, passage, sentence, lexical)

    def _apply_constraints(self, query: Query, fused: dict[int, float], k: int) -> list[int]:
        """Candidate ids, best first, after the question's own constraints: passages dated within the
        time span it names are boosted, so are those holding the numbers it names (by the share they
        hold) and the stories of a message sent the way it says; passages lacking a quoted phrase are
        dropped."""
        ranked = sorted(fused, key=lambda pid: (-fused[pid], pid))
        if not (query.dated or query.phrases or query.numbers or query.roles):
            return ranked
        pool = ranked[: max(k, CONSTRAINED_POOL)]
        if query.phrases:
            # The phrase may be in passages neither retriever ranked high: look it up directly too.
            extra = [pid for pid in self.index.ids_containing(query.phrases) if pid not in fused]
            pool += extra
            fused.update(dict.fromkeys(extra, 0.0))
        passages = dict(zip(pool, self.index.get(pool)))
        if query.phrases:
            pool = [pid for pid in pool if query.matches_phrases(passages[pid].text)]
        for pid in pool:
            boost = 1.0
            if query.in_span(passages[pid].date, self.settings.report_lag_days, passages[pid].lexical_text):
                boost *= 1 + self.settings.date_boost
            boost *= 1 + self.settings.number_boost * query.share_of_numbers_in(passages[pid].lexical_text)
            if query.roles and agrees(query.roles, story_roles(passages[pid].lead or passages[pid].text)):
                boost *= 1 + self.settings.sender_boost
            if boost > 1.0:
                fused[pid] = fused[pid] * boost + 1e-6
        return sorted(pool, key=lambda pid: (-fused[pid], pid))

    def _in_order(self, order: str, ranked: list[int], relevance: dict[int, float]) -> list[int]:
        """For "the latest statement" ("the earliest"): the dated passages among the top ones that come
        within `order_margin` of the best score, newest (oldest) first; undated passages keep their
        places, and so does the rest. A fixed pool, so that the first results do not depend on k."""
        top = ranked[:ORDER_POOL]
        if not top:
            return ranked
        floor = relevance[top[0]] * (1 - self.settings.order_margin)
        near = [pid for pid in top if relevance[pid] >= floor]
        dates = {pid: p.date for pid, p in zip(near, self.index.get(near)) if p.date}
        places = [i for i, pid in enumerate(top) if pid in dates]
        # sorted() is stable with reverse=True too: one day's passages keep their order by score.
        by_date = sorted(dates, key=dates.__getitem__, reverse=order == "newest")
        out = list(ranked)
        for place, pid in zip(places, by_date):
            out[place] = pid
        return out

    def _rerank(self, query: str, ranked: list[int]) -> dict[int, float]:
        """The cross-encoder's score for each of the top `rerank_depth` candidates."""
        from rag.rerank import get_reranker

        top = ranked[: self.settings.rerank_depth]
        texts = [p.embedding_text for p in self.index.get(top)]
        return dict(zip(top, map(float, get_reranker(self.settings.reranker).scores(query, texts))))

    def _highlight(self, query_vector: np.ndarray, hits: list[Hit], ids: list[int]) -> None:
        """Mark in each hit the sentence closest in meaning to the question: by the sentence
        vectors stored at build time, or, for an index without them, by encoding the sentences now."""
        unscored = []
        for hit, best in zip(hits, self.index.best_sentences(query_vector, ids)):
            spans = sentence_spans(hit.passage.text)
            if best is not None and best[0] < len(spans):
                hit.highlight = spans[best[0]]
            else:
                unscored.append((hit, spans))
        sentences = [hit.passage.text[a:b] for hit, spans in unscored for a, b in spans]
        if not sentences:
            return
        similarity = self.embedder.encode(sentences) @ query_vector
        offset = 0
        for hit, spans in unscored:
            hit.highlight = spans[int(np.argmax(similarity[offset : offset + len(spans)]))]
            offset += len(spans)

    def unknown_names(self, query: str) -> list[str]:
        """The question's names that no passage of the index writes, in any spelling: the extractive
        answer asks more of its best sentence when the question is about something the corpus lacks."""
        return self.index.lexical.unknown(names_in(asking_part(query)))

    def context(self, passage: Passage, lines: int = 5) -> str | None:
        """The lines around a passage in its source file, for checking it in place."""
        return read_context(self.index.manifest.corpus_root, passage, lines)

    def close(self) -> None:
        self.index.close()


def read_context(corpus_root: str, passage: Passage, around: int = 5) -> str | None:
    if passage.start_line is None or "#" in passage.source:
        return None
    from rag.load import SkipFile, decode

    path = Path(corpus_root) / passage.source
    try:
        # Decoded as the loader decoded it (UTF-16, EUC-KR, CP949...), or the lines would be mojibake.
        lines = decode(path.read_bytes()).split("\n")
    except (OSError, SkipFile):
        return None
    first = max(1, passage.start_line - around)
    last = min(len(lines), (passage.end_line or passage.start_line) + around)
    cited = range(passage.start_line, (passage.end_line or passage.start_line) + 1)
    return "\n".join(f"{'>' if n in cited else ' '}{n:>5}  {lines[n - 1]}" for n in range(first, last + 1))
