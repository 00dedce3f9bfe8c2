"""The index in Milvus: passages, vectors, BM25 and filter fields in one collection, served by a
Milvus deployment that any number of app processes share (through pymilvus.MilvusClient; Milvus
Lite, a local file, speaks the same API).

A build writes three new collections and then points the alias (settings.collection, "rag") at
the first in one call, so a search sees the old build or the new one, never half of one:

    <alias>_<stamp>             id, vector, text, lexical -> sparse (Milvus's BM25 function),
                                source, title, section, lines, date, url, hash, also_in, files
    <alias>_<stamp>_sentences   passage, position, vector: each passage's sentence vectors
    <alias>_<stamp>_side        the manifest, the BM25 vocabulary, each file's chunks (for the
                                next incremental build), as JSON text

The BM25 field is filled by Milvus's own BM25 function, over the passage's words as rag's
tokenizer gives them (stop words out, Snowball stems): Milvus Lite has no stemmer, and the same
words on both stores make their BM25 rankings agree.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields

import numpy as np

from rag.chunk import passage_hash
from rag.index import FileEntry, IndexUnusable, IndexWriteError, Manifest, check_manifest, files_of
from rag.lexical import LexicalHits, scripts_of, spelling_variants, tokenize, unknown_words
from rag.records import Passage
from rag.store import StoreAddress

BATCH = 500  # rows an insert sends: well under the 64 MB gRPC message limit for 384-float vectors
PART = 60_000  # characters of JSON per side row (a VARCHAR holds at most 65,535 bytes)
TEXT_LIMIT = 65_535
_FIELDS = tuple(f.name for f in fields(Passage))
_OPTIONAL_TEXT = ("title", "section", "date", "url", "lead")  # None in a Passage, "" in Milvus
_STAMP = re.compile(r"_(\d{8}T\d{6}\d{6}Z)$")


@dataclass(frozen=True)
class MilvusSelection:
    """Passages a search may return: a Milvus filter expression, and how many passages match it."""

    expression: str
    size: int

    def __len__(self) -> int:
        return self.size


def _connect(address: StoreAddress):
    from pymilvus import MilvusClient

    try:
        # pymilvus pings every 10 s even while idle; a gRPC server that keeps gRPC's default policy
        # (Milvus Lite's) answers "too many pings" and drops the connection of an app left idle a
        # minute. Pinging only during calls, at the default's 5-minute floor, suits every server.
        keepalive = {"grpc.keepalive_time_ms": 300_000, "grpc.keepalive_permit_without_calls": False}
        return MilvusClient(uri=address.uri, token=address.token or "", grpc_options=keepalive)
    except Exception as err:  # grpc, connection refused, a Lite file in use...
        raise IndexUnusable(
            f"cannot reach Milvus at {address.uri} ({_one_line(err)}): start it, or point RAG_STORE elsewhere"
        ) from None


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split()) or type(err).__name__
    return text[:160]


def _literal(value: str) -> str:
    """A string as a Milvus expression literal: double-quoted, quotes and backslashes escaped."""
    return json.dumps(value, ensure_ascii=False)


def _target(client, alias: str) -> str | None:
    """The collection the alias points to (asked so that a missing alias is not an error logged)."""
    if alias not in client.list_aliases().get("aliases", []):
        return None
    return client.describe_alias(alias).get("collection_name") or None


def build_exists(address: StoreAddress, alias: str) -> bool:
    client = _connect(address)
    try:
        return _target(client, alias) is not None
    finally:
        client.close()


def read_manifest(address: StoreAddress, alias: str) -> Manifest | None:
    """The current build's manifest, or None when there is no build (or it cannot be read)."""
    client = _connect(address)
    try:
        real = _target(client, alias)
        return None if real is None else _manifest(client, real)
    except Exception:
        return None
    finally:
        client.close()


def _manifest(client, real: str) -> Manifest:
    for name in (real, f"{real}_sentences", f"{real}_side"):
        client.load_collection(name)  # a no-op where the server has it loaded already
    data = json.loads(_side_json(client, real, "manifest"))
    data["files"] = [FileEntry(**f) for f in data.get("files", [])]
    known = set(Manifest.__dataclass_fields__)
    return Manifest(**{k: v for k, v in data.items() if k in known})


def _side_json(client, real: str, kind: str) -> str:
    rows = client.query(f"{real}_side", filter=f"kind == {_literal(kind)}", output_fields=["position", "value"])
    return "".join(row["value"] for row in sorted(rows, key=lambda r: r["position"]))


# --- writing a build ---------------------------------------------------------------------------


def write_collection(
    address: StoreAddress,
    alias: str,
    manifest: Manifest,
    passages: list[Passage],
    vectors,
    chunks: dict[str, list[Passage]],
) -> str:
    """Write a whole build into new collections, then switch the alias to it (see the module doc).
    `vectors` is a rag.vectors.BuildVectors."""
    build = MilvusBuild.begin(address, alias, manifest, len(passages))
    try:
        words: set[str] = set()
        for start in range(0, len(passages), BATCH):
            ids = range(start, min(start + BATCH, len(passages)))
            words |= build.insert(ids, [passages[i] for i in ids], vectors.vectors[ids.start : ids.stop],
                                  vectors.sentences[ids.start : ids.stop])  # fmt: skip
        return build.commit(manifest, chunks, words)
    except IndexWriteError:
        raise
    except Exception as err:
        build.abort()
        raise build.failed(err) from None


@dataclass
class MilvusBuild:
    """A build being written into its own new collections: rows inserted from any process (a Ray
    build's workers insert straight into a Milvus server), then made current by `commit`. Plain
    data, so that it travels to the workers; each process connects on its first insert."""

    address: StoreAddress
    alias: str
    real: str  # the new collection: <alias>_<stamp>
    made: list[str]
    # Upserts, where a batch may be written twice (Ray retries a lost worker's batch); Milvus Lite
    # has no upsert of its own (it logs an error and falls back), so only where needed.
    upsert: bool = False

    @classmethod
    def begin(
        cls, address: StoreAddress, alias: str, manifest: Manifest, count: int, upsert: bool = False
    ) -> MilvusBuild:
        """The new, empty collections of a build of `count` passages (the manifest says their
        dimension and whether the vector index is exact)."""
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        build = cls(address, alias, f"{alias}_{stamp}", [], upsert)
        manifest.passages = count
        exact = count <= manifest.ann_threshold or manifest.faiss_kind == "flat"
        index = ("FLAT", {}) if exact else ("HNSW", {"M": 32, "efConstruction": 64})
        manifest.faiss_index = f"Milvus {index[0]}"
        manifest.faiss_params = {"ef": 128} if not exact else {}
        manifest.artifacts, manifest.checksums = {}, {}
        try:
            _create(build.client, build.real, manifest.dimension, index, build.made)
        except Exception as err:
            build.abort()
            raise build.failed(err) from None
        return build

    @property
    def client(self):
        client = self.__dict__.get("_client")
        if client is None:
            client = self.__dict__["_client"] = _connect(self.address)
        return client

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "_client"}

    def insert(
        self, ids: Sequence[int], passages: Sequence[Passage], vectors: np.ndarray, sentences: Sequence[np.ndarray]
    ) -> set[str]:
        """Passages `ids` with their vectors and sentence vectors; returns the words BM25 indexes."""
        words: set[str] = set()
        rows = []
        for pid, passage, vector, tokens in zip(ids, passages, vectors, tokenize([p.lexical_text for p in passages])):
            words.update(tokens)
            rows.append(_passage_row(int(pid), passage, vector, " ".join(tokens)))
        write = self.client.upsert if self.upsert else self.client.insert
        write(self.real, rows)
        for start in range(0, len(ids), BATCH // 10):
            part = slice(start, start + BATCH // 10)
            if own := _sentence_rows(list(ids)[part], sentences[part]):
                write(f"{self.real}_sentences", own)
        return words

    def commit(self, manifest: Manifest, chunks: dict[str, list[Passage]], words: set[str]) -> str:
        """Write the side collection, seal and load the build, and point the alias at it."""
        client = self.client
        try:
            manifest.built_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
            side = [
                {"kind": "chunk", "key": file, "position": n, "value": json.dumps(_plain(p))}
                for file, items in chunks.items()
                for n, p in enumerate(items)
            ]
            side += _parts("vocabulary", json.dumps(sorted(words)))
            side += _parts("manifest", json.dumps(asdict(manifest)))  # last: a build without it is not whole
            _insert(client, f"{self.real}_side", [{"id": i, "dummy": [0.0, 0.0], **row} for i, row in enumerate(side)])
            for name in self.made:
                client.flush(name)  # sealed and indexed before any search is pointed at it
                client.load_collection(name)
            before = _target(client, self.alias)
            if before is None:
                client.create_alias(self.real, self.alias)
            else:
                client.alter_alias(self.real, self.alias)
        except Exception as err:
            self.abort()
            raise self.failed(err) from None
        _drop_old_builds(client, self.alias, keep={self.real, before})
        client.close()
        return f"{self.address.uri}, collection {self.real} (alias {self.alias})"

    def abort(self) -> None:
        """Drop what was made of this build; the alias still points to the previous one."""
        for name in self.made:
            with contextlib.suppress(Exception):
                self.client.drop_collection(name)
        with contextlib.suppress(Exception):
            self.client.close()

    def failed(self, err: BaseException) -> IndexWriteError:
        return IndexWriteError(
            f"cannot write the new build into Milvus at {self.address.uri} ({_one_line(err)}); "
            "the previous build is kept"
        )


def _create(client, real: str, dimension: int, index: tuple[str, dict], made: list[str]) -> None:
    from pymilvus import DataType, Function, FunctionType

    schema = client.create_schema(auto_id=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)
    analyzer = {"tokenizer": "standard"}  # on words rag's tokenizer already split, stopped and stemmed
    schema.add_field("lexical", DataType.VARCHAR, max_length=TEXT_LIMIT, enable_analyzer=True, analyzer_params=analyzer)
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    for name in ("text", "source", "title", "section", "url", "lead"):
        schema.add_field(name, DataType.VARCHAR, max_length=TEXT_LIMIT)
    schema.add_field("date", DataType.VARCHAR, max_length=16)
    schema.add_field("hash", DataType.VARCHAR, max_length=128)
    schema.add_field("start_line", DataType.INT64)
    schema.add_field("end_line", DataType.INT64)
    schema.add_field("also_in", DataType.JSON)
    schema.add_field("files", DataType.ARRAY, element_type=DataType.VARCHAR, max_capacity=4096, max_length=4096)
    schema.add_function(
        Function(
            name="bm25", function_type=FunctionType.BM25, input_field_names=["lexical"], output_field_names=["sparse"]
        )
    )
    params = client.prepare_index_params()
    params.add_index("vector", index_type=index[0], metric_type="IP", params=index[1])
    # k1 and b as bm25s uses them (Lucene's scoring), so both stores score alike. Milvus Lite ignores
    # these and scores with k1 1.5 whatever is asked (measured), so bm25s stays at 1.5 too.
    bm25 = {"bm25_k1": 1.5, "bm25_b": 0.75}
    params.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25", params=bm25)
    # Strong consistency: a search right after the alias switch sees every row of the build.
    client.create_collection(real, schema=schema, index_params=params, consistency_level="Strong")
    made.append(real)

    schema = client.create_schema(auto_id=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("passage", DataType.INT64)
    schema.add_field("position", DataType.INT64)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)
    params = client.prepare_index_params()
    params.add_index("vector", index_type="FLAT", metric_type="IP")
    client.create_collection(f"{real}_sentences", schema=schema, index_params=params)
    made.append(f"{real}_sentences")

    schema = client.create_schema(auto_id=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("kind", DataType.VARCHAR, max_length=32)
    schema.add_field("key", DataType.VARCHAR, max_length=TEXT_LIMIT)
    schema.add_field("position", DataType.INT64)
    schema.add_field("value", DataType.VARCHAR, max_length=TEXT_LIMIT)
    schema.add_field("dummy", DataType.FLOAT_VECTOR, dim=2)  # Milvus wants a vector field in every collection
    params = client.prepare_index_params()
    params.add_index("dummy", index_type="FLAT", metric_type="L2")
    client.create_collection(f"{real}_side", schema=schema, index_params=params)
    made.append(f"{real}_side")


def _insert(client, name: str, rows: list[dict]) -> None:
    for start in range(0, len(rows), BATCH):
        client.insert(name, rows[start : start + BATCH])


def _plain(passage: Passage) -> dict:
    return {c: getattr(passage, c) for c in _FIELDS}


def _passage_row(pid: int, passage: Passage, vector: np.ndarray, lexical: str) -> dict:
    row = _plain(passage)
    row.update(
        id=pid,
        vector=vector.tolist(),
        lexical=lexical,
        files=files_of(passage),
        start_line=-1 if passage.start_line is None else passage.start_line,
        end_line=-1 if passage.end_line is None else passage.end_line,
        **{c: row[c] or "" for c in _OPTIONAL_TEXT},
    )
    return row


SENTENCES_A_PASSAGE = 1 << 16  # a sentence row's id is passage * this + position: the same from any worker


def _sentence_rows(ids: Sequence[int], sentences: Sequence[np.ndarray]) -> list[dict]:
    rows = []
    for pid, vectors in zip(ids, sentences):
        # Rounded through float16 as the local store keeps them, so both give the same cosines.
        for position, vector in enumerate(np.asarray(vectors, dtype=np.float16).astype(np.float32)):
            row_id = int(pid) * SENTENCES_A_PASSAGE + position
            rows.append({"id": row_id, "passage": int(pid), "position": position, "vector": vector.tolist()})
    return rows


def _parts(kind: str, text: str) -> list[dict]:
    return [
        {"kind": kind, "key": "", "position": n, "value": text[start : start + PART]}
        for n, start in enumerate(range(0, max(len(text), 1), PART))
    ]


def _drop_old_builds(client, alias: str, keep: set[str | None]) -> None:
    """Every earlier build of this alias but the one it pointed to before: a process that resolved
    the alias just before the switch may still be reading that one. Builds cut short go too."""
    builds = {n for n in client.list_collections() if n.startswith(alias + "_") and _STAMP.search(n)}
    for name in builds - keep:
        for table in (name, f"{name}_sentences", f"{name}_side"):
            with contextlib.suppress(Exception):
                client.drop_collection(table)


# --- searching ---------------------------------------------------------------------------------


class MilvusStore:
    """The current build of a Milvus collection alias, opened for searching (rag.store.VectorStore).
    Holds no index in memory: every call is a request to the Milvus server."""

    def __init__(self, address: StoreAddress, alias: str, model: str | None = None):
        self.address, self.alias, self.model = address, alias, model
        self.client = _connect(address)
        self.lexical = MilvusLexical(self)
        self.real = ""
        self.refresh()

    @property
    def path(self) -> str:
        return f"{self.address.uri}#{self.real}"

    def refresh(self) -> None:
        real = _target(self.client, self.alias)
        if real is None:
            raise IndexUnusable(
                f"no index in Milvus collection {self.alias!r} at {self.address.uri}: build one with "
                f"`rag index --store {self._option()}`"
            )
        if real == self.real:
            return
        try:
            manifest = _manifest(self.client, real)
        except Exception as err:
            raise IndexUnusable(
                f"the Milvus build {real} has no readable manifest ({_one_line(err)}); "
                f"rebuild with `rag index --full --store {self._option()}`"
            ) from None
        check_manifest(manifest, self.model, f"--store {self._option()}")
        self.manifest, self.real = manifest, real
        self.lexical.forget()

    def _option(self) -> str:
        if self.address.lite:
            return f"milvus:{self.address.uri}"
        return "milvus://" + self.address.uri.split("://", 1)[1]

    def __len__(self) -> int:
        return self.manifest.passages

    def search(self, query_vectors: np.ndarray, n: int, allowed: MilvusSelection | None = None):
        queries = np.asarray(query_vectors, dtype=np.float32)
        scores = np.full((len(queries), n), -np.inf, dtype=np.float32)
        ids = np.full((len(queries), n), -1, dtype=np.int64)
        params = {"metric_type": "IP", "params": dict(self.manifest.faiss_params)}
        found = self.client.search(
            self.real,
            data=queries.tolist(),
            anns_field="vector",
            limit=n,
            filter=allowed.expression if allowed is not None else "",
            search_params=params,
            output_fields=["id"],
        )
        for row, hits in enumerate(found):
            for col, hit in enumerate(list(hits)[:n]):
                ids[row, col], scores[row, col] = int(hit["id"]), float(hit["distance"])
        return scores, ids

    def select(self, sources: Sequence[str] = (), since: str | None = None, until: str | None = None):
        clauses = []
        if sources:
            clauses.append(f"array_contains_any(files, [{', '.join(map(_literal, sources))}])")
        if since:
            clauses.append(f"date >= {_literal(since)}")
        if until:
            clauses.append(f'date <= {_literal(until)} and date != ""')
        expression = " and ".join(clauses)
        rows = self.client.query(self.real, filter=expression, output_fields=["count(*)"])
        return MilvusSelection(expression, int(rows[0]["count(*)"]) if rows else 0)

    def get(self, ids: Sequence[int]) -> list[Passage]:
        if not len(ids):
            return []
        rows = self.client.query(self.real, ids=[int(i) for i in ids], output_fields=["id", *_FIELDS])
        by_id = {int(row["id"]): _passage(row) for row in rows}
        return [by_id[int(i)] for i in ids]

    def ids_containing(self, phrases: list[str], limit: int = 200) -> list[int]:
        """Passages holding every phrase (case-insensitive): BM25 finds those with its words,
        their text is then checked (Milvus's LIKE would be case-sensitive)."""
        found = self.lexical.search(" ".join(phrases), limit)
        wanted = [p.casefold() for p in phrases]
        ids = list(found.top)
        return [i for i, p in zip(ids, self.get(ids)) if all(w in p.text.casefold() for w in wanted)]

    def vectors_of(self, ids: Sequence[int]) -> np.ndarray:
        if not len(ids):
            return np.zeros((0, self.manifest.dimension), dtype=np.float32)
        rows = self.client.query(self.real, ids=[int(i) for i in ids], output_fields=["id", "vector"])
        by_id = {int(row["id"]): row["vector"] for row in rows}
        return np.asarray([by_id[int(i)] for i in ids], dtype=np.float32)

    def best_sentences(self, query_vector: np.ndarray, ids: Sequence[int]) -> list[tuple[int, float] | None]:
        """Computed by Milvus: a search of the sentence vectors among these passages, grouped by passage."""
        if not len(ids):
            return []
        wanted = [int(i) for i in ids]
        found = self.client.search(
            f"{self.real}_sentences",
            data=[np.asarray(query_vector, dtype=np.float32).tolist()],
            anns_field="vector",
            limit=len(wanted),
            filter=f"passage in {wanted}",
            group_by_field="passage",
            output_fields=["passage", "position"],
            search_params={"metric_type": "IP"},
        )
        best = {int(h["entity"]["passage"]): (int(h["entity"]["position"]), float(h["distance"])) for h in found[0]}
        return [best.get(i) for i in wanted]

    def file_chunks(self, file: str) -> list[Passage]:
        rows = self.client.query(
            f"{self.real}_side",
            filter=f'kind == "chunk" and key == {_literal(file)}',
            output_fields=["position", "value"],
            limit=16_384,
        )
        passages = [Passage(**json.loads(r["value"])) for r in sorted(rows, key=lambda r: r["position"])]
        for passage in passages:
            passage.also_in = []
        return passages

    def reusable(self) -> dict[str, tuple[int, int]]:
        counts: dict[int, int] = {}
        for row in self._rows(f"{self.real}_sentences", ["passage"], key="passage"):
            counts[int(row["passage"])] = counts.get(int(row["passage"]), 0) + 1
        return {
            passage_hash(_passage(row).embedding_text): (int(row["id"]), counts.get(int(row["id"]), 0))
            for row in self._rows(self.real, ["id", *_FIELDS])
        }

    def sentence_vectors_of(self, ids: Sequence[int]) -> list[np.ndarray]:
        wanted = [int(i) for i in ids]
        rows = self.client.query(
            f"{self.real}_sentences",
            filter=f"passage in {wanted}",
            output_fields=["passage", "position", "vector"],
            limit=16_384,  # Milvus's most a query returns: the build asks for a few hundred passages at a time
        )
        own: dict[int, list] = {}
        for row in sorted(rows, key=lambda r: (r["passage"], r["position"])):
            own.setdefault(int(row["passage"]), []).append(row["vector"])
        dim = self.manifest.dimension
        return [np.asarray(own.get(i, []), dtype=np.float32).reshape(-1, dim) for i in wanted]

    def _rows(self, name: str, fields: list[str], page: int = 1000, key: str = "id") -> Iterable[dict]:
        """Every row, a page of passages at a time (a build numbers its passages 0, 1, 2...;
        pymilvus's query_iterator needs a timestamp service that Milvus Lite lacks)."""
        for start in range(0, len(self), page):
            yield from self.client.query(
                name, filter=f"{key} >= {start} and {key} < {start + page}", output_fields=fields
            )

    def sources(self) -> list[str]:
        return sorted({f.source for f in self.manifest.files if not f.skipped})

    def problem(self) -> str | None:
        return None  # Milvus keeps its own data whole

    def verify(self) -> str | None:
        return None

    def close(self) -> None:
        self.client.close()


class MilvusLexical:
    """BM25 by Milvus (rag.store.LexicalSearch): the question's words as rag's tokenizer gives
    them, plus the corpus's spellings of its names, scored by Milvus over the `lexical` field."""

    def __init__(self, store: MilvusStore):
        self.store = store
        self.forget()

    def forget(self) -> None:
        self._sorted: list[str] | None = None
        self._known: set[str] = set()
        self._scripts: set[str] | None = None

    def _vocabulary(self) -> list[str]:
        if self._sorted is None:
            self._sorted = json.loads(_side_json(self.store.client, self.store.real, "vocabulary") or "[]")
            self._known = set(self._sorted)
        return self._sorted

    def unknown(self, words: list[str]) -> list[str]:
        vocabulary = self._vocabulary()  # first: it fills self._known
        return unknown_words(words, self._known, vocabulary)

    def scripts(self) -> set[str]:
        if self._scripts is None:
            self._scripts = scripts_of(self._vocabulary())
        return self._scripts

    def search(
        self, query: str, n: int, allowed: MilvusSelection | None = None, also: Iterable[int] = (), variants=False
    ) -> LexicalHits:
        tokens = tokenize([query])[0]
        if variants and tokens:
            vocabulary = self._vocabulary()  # first: it fills self._known
            tokens += spelling_variants(query, tokens, self._known, vocabulary)
        if not tokens:
            return LexicalHits({}, {}, 0.0)
        words = " ".join(tokens)
        top = self._bm25(words, n, allowed.expression if allowed is not None else "")
        overall = top if allowed is None else self._bm25(words, 1, "")  # the best score of the whole corpus
        best = max(overall.values(), default=0.0)
        rest = [int(i) for i in also if int(i) not in top]
        scores = self._bm25(words, len(rest), f"id in {rest}") if rest else {}
        return LexicalHits(top, scores, best)

    def _bm25(self, words: str, n: int, expression: str) -> dict[int, float]:
        found = self.store.client.search(
            self.store.real,
            data=[words],
            anns_field="sparse",
            limit=max(1, n),
            filter=expression,
            search_params={"metric_type": "BM25"},
            output_fields=["id"],
        )
        # Milvus Lite reports a BM25 hit's distance as the negated score; Milvus itself as the score.
        return {int(hit["id"]): abs(float(hit["distance"])) for hit in found[0] if hit["distance"]}


def _passage(row: dict) -> Passage:
    values = {c: row.get(c) for c in _FIELDS}
    values["also_in"] = list(values["also_in"] or [])
    for name in ("start_line", "end_line"):
        values[name] = None if values[name] is None or values[name] < 0 else int(values[name])
    for name in _OPTIONAL_TEXT:
        values[name] = values[name] or None
    return Passage(**values)
