"""Versions of one story: the same article filed under several topics, a KCNA item reprinted
elsewhere, a page scraped again after an edit.

The index already merges identical *passages* (`Passage.also_in`); this module groups near-identical
*documents*, so that a result can say "3 versions" and show what changed between them.

How (the measurements behind each choice are in bench/versions.py and bench/versions_check.md):

1. Each distinct text (after whitespace normalisation) is one candidate; identical texts are
   versions of each other by definition ("exact").
2. Word 3-shingles, MinHash (128 permutations) and MinHashLSH propose candidate pairs; every pair is
   then verified on the exact shingle sets, so an LSH false positive costs a set intersection and
   never a wrong group.
3. A verified pair is an edit only when the two texts do not differ in their *particulars*: a number
   present only on one side *and* another only on the other (a date, a count), or proper names
   swapped both ways (another country, another province, another minister). KCNA writes many
   stories from one template ("greetings to the president of X", "the delegation of Y arrived",
   "new houses built in Z county"): those siblings reach the same 3-shingle Jaccard as a reworded
   edit (0.65 against 0.31 measured), and only the particulars tell them apart.
4. Pairs are joined into groups most similar first, and two groups never merge when any document of
   one differs in its particulars from any of the other: no chain of edits can link two siblings.
"""

from __future__ import annotations

import difflib
import html
import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rag.records import Passage

SHINGLE_WORDS = 3  # 1-3 words separate edits from non-versions equally well; 3 proposes far fewer LSH candidates
NUM_PERM = 128  # 64 bands of 2; 64 permutations (32 bands) lose pairs, 256 double the time for no more found
THRESHOLD = 0.3  # lowest verified Jaccard: KCNA's re-edited speeches reach 0.31, the closest non-version 0.26
# LSH bands of 2 rows over all the permutations: a pair at Jaccard J is proposed with probability
# 1 - (1 - J^2)^64: 0.998 at 0.3 (datasketch's own choice for a 0.2 threshold, 28x2, gives 0.93 and
# lost one of KCNA's 55 pairs); the price is more candidates (~4,000), each a set intersection.
LSH_BANDS = (NUM_PERM // 2, 2)
NAME_RATE = 0.05  # names swapped both ways, per name of the document with fewer: edits <= 0.03, siblings >= 0.08
SEED = 1

_CALENDAR = {
    *("january", "february", "march", "april", "may", "june", "july", "august", "september", "october"),
    *("november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov"),
    *("dec", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
}  # a date is told by its numbers; "Tuesday" for "October 1" is a rewording, not another event
_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'})
_GLUED = re.compile(r"(?<=[a-z])(?=[A-Z])")  # "ComradeKim": scraped HTML spans that lost their space
_TOKEN = re.compile(r"[^\W\d_][\w'-]*|\d+")
_LOCATION = re.compile(r"^(?P<source>.*), lines? (?P<start>\d+)(?:-\d+)?$")


@dataclass
class VersionDoc:
    """One document, as the grouping sees it."""

    source: str  # as cited: "kcna_en_....json#12", "papers/report.html"
    title: str | None
    date: str | None  # YYYY-MM-DD
    url: str | None
    text: str


@dataclass
class VersionGroup:
    """Documents that are versions of one story, oldest first (undated ones last)."""

    docs: list[VersionDoc]
    exact: bool  # every text identical after whitespace normalisation; else at least one was edited
    similarity: float  # the lowest 3-shingle Jaccard of the pairs that joined the group (1.0 when exact)

    @property
    def sources(self) -> list[str]:
        return [d.source for d in self.docs]

    def __len__(self) -> int:
        return len(self.docs)


def documents_from_passages(passages: Iterable[Passage]) -> list[VersionDoc]:
    """Each document's text rebuilt from its passages, in passage order.

    A passage merged as an exact duplicate stands for every place in its `also_in` ("FILE#ID" or
    "FILE, lines 3-5") as well, so a document whose passages were all merged into another's gets its
    text back. Pieces are put in line order where every piece of a document has a line number, else
    in the order given: for JSON records (no line numbers) a merged passage then sits where its first
    holder had it. Calling this on the passages before `merge_duplicates` gives every document in its
    own order. A document known only through `also_in` borrows the holder's title and date (the text
    is the same) but no url, which would name the holder's page.
    """
    pieces: dict[str, list[tuple[int | None, int, str]]] = {}
    own: dict[str, list[str | None]] = {}  # source -> [title, date, url] from its own passages
    borrowed: dict[str, list[str | None]] = {}  # source -> [title, date] of the first passage holding its text
    for order, passage in enumerate(passages):
        places = [(passage.source, passage.start_line)] + [_place(p) for p in passage.also_in]
        for source, line in dict.fromkeys(places):  # the same place listed twice holds the text once
            pieces.setdefault(source, []).append((line, order, passage.text))
            borrowed.setdefault(source, [passage.title, passage.date])
        known = own.setdefault(passage.source, [None, None, None])
        for i, value in enumerate((passage.title, passage.date, passage.url)):
            known[i] = known[i] or value
    docs = []
    for source, parts in pieces.items():
        if all(line is not None for line, _, _ in parts):
            parts.sort(key=lambda p: (p[0], p[1]))
        title, date, url = own.get(source, [None, None, None])
        docs.append(
            VersionDoc(
                source, title or borrowed[source][0], date or borrowed[source][1], url,
                "\n".join(text for _, _, text in parts),
            )
        )  # fmt: skip
    return docs


def group_versions(docs: Sequence[VersionDoc], threshold: float = THRESHOLD) -> list[VersionGroup]:
    """Groups of two or more documents that are versions of one story (see the module docstring).

    `threshold` is the lowest 3-shingle Jaccard of two distinct texts that may be versions; pairs
    above it still need the same particulars. The LSH stage proposes a pair at 0.3 with probability
    0.998, at 0.2 with 0.93: a threshold much below 0.3 misses pairs. Documents without a word are
    left out; the result is sorted by the date of each group's oldest document.
    """
    by_text: dict[str, list[int]] = {}
    for i, doc in enumerate(docs):
        if re.search(r"\w", doc.text):
            by_text.setdefault(_normalised(doc.text), []).append(i)
    texts = list(by_text)  # one entry per distinct text; its documents are exact versions of each other
    shingles = [_shingles(t) for t in texts]
    edges = _verified_pairs(texts, shingles, threshold)

    particulars: dict[int, _Particulars] = {}  # only texts in a verified pair need theirs

    def differ(x: int, y: int) -> bool:
        for i in (x, y):
            if i not in particulars:
                particulars[i] = _particulars(texts[i])
        return _differ(particulars[x], particulars[y])

    parent = list(range(len(texts)))
    members = {i: [i] for i in range(len(texts))}
    lowest = {i: 1.0 for i in range(len(texts))}
    for similarity, a, b in sorted(edges, reverse=True):
        ra, rb = _root(parent, a), _root(parent, b)
        if ra == rb or any(differ(x, y) for x in members[ra] for y in members[rb]):
            continue
        parent[rb] = ra
        members[ra] += members.pop(rb)
        lowest[ra] = min(lowest[ra], lowest.pop(rb), similarity)

    groups = []
    for root, texts_in in members.items():
        group = [docs[i] for t in texts_in for i in by_text[texts[t]]]
        if len(group) > 1:
            group.sort(key=lambda d: (d.date is None, d.date or ""))
            groups.append(VersionGroup(group, exact=len(texts_in) == 1, similarity=round(lowest[root], 3)))
    groups.sort(key=lambda g: (g.docs[0].date is None, g.docs[0].date or "", g.docs[0].source))
    return groups


def versions_of(groups: Iterable[VersionGroup]) -> dict[str, VersionGroup]:
    """Each grouped document's source -> its group, for a result card's "3 versions"."""
    return {doc.source: group for group in groups for doc in group.docs}


def stored(groups: Iterable[VersionGroup]) -> list[dict]:
    """The groups as plain data for the index's manifest: each document without its text (the
    index holds the text; a result card needs only who, when and how many)."""
    return [
        {"exact": g.exact, "similarity": g.similarity, "docs": [[d.source, d.title, d.date, d.url] for d in g.docs]}
        for g in groups
    ]


def from_stored(records: Iterable[dict]) -> list[VersionGroup]:
    """`stored` read back; texts are empty."""
    return [
        VersionGroup([VersionDoc(*doc, text="") for doc in r["docs"]], r["exact"], r["similarity"]) for r in records
    ]


class StoryVersions:
    """The version groups of one build (from its manifest), looked up by passage; a document's text
    is read back from the store's chunks of its file when a diff asks for it, once per file."""

    def __init__(self, store):
        self._store = store
        self._by_source = versions_of(from_stored(store.manifest.versions))
        self._texts: dict[str, dict[str, str]] = {}

    def of(self, passage: Passage) -> VersionGroup | None:
        """The group of the document a passage is in (or is repeated in), None when it stands alone."""
        for place in (passage.source, *passage.also_in):
            group = self._by_source.get(_place(place)[0])
            if group is not None:
                return group
        return None

    def text(self, source: str) -> str:
        file = source.split("#")[0]
        if file not in self._texts:
            docs = documents_from_passages(self._store.file_chunks(file))
            self._texts[file] = {d.source: d.text for d in docs}
        return self._texts[file].get(source, "")


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """What changed from old to new, word by word: ("equal" | "delete" | "insert", text) runs. The
    equal and insert runs, joined, give back new exactly; the equal and delete runs give old, up to
    its whitespace (an equal run is written as new has it).

    Words are compared without their whitespace, so re-wrapped lines are no change; a replaced
    stretch comes as its deletion followed by its insertion. difflib's autojunk is off: it would
    treat "the" and "of" of a long text as junk and align the rest badly.
    """
    a, b = _words_with_space(old), _words_with_space(new)
    matcher = difflib.SequenceMatcher(None, [w.strip() for w in a], [w.strip() for w in b], autojunk=False)
    runs: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            _add(runs, "equal", "".join(b[j1:j2]))
            continue
        _add(runs, "delete", "".join(a[i1:i2]))
        _add(runs, "insert", "".join(b[j1:j2]))
    return runs


def diff_html(old: str, new: str) -> str:
    """The word diff as HTML: <del> for removed text, <ins> for added, everything escaped; newlines
    are kept as they are (show it in an element with `white-space: pre-wrap`)."""
    tags = {"delete": "del", "insert": "ins"}
    out = []
    for op, text in word_diff(old, new):
        escaped = html.escape(text)
        out.append(f"<{tags[op]}>{escaped}</{tags[op]}>" if op in tags else escaped)
    return "".join(out)


def _place(location: str) -> tuple[str, int | None]:
    """("FILE", 3) from "FILE, lines 3-5"; ("FILE#ID", None) from a place without lines."""
    match = _LOCATION.match(location)
    return (match["source"], int(match["start"])) if match else (location, None)


def _normalised(text: str) -> str:
    return " ".join(text.split())


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", _GLUED.sub(" ", text.translate(_QUOTES)).casefold())


def _shingles(text: str) -> set[str]:
    words = _words(text)
    k = SHINGLE_WORDS
    return {" ".join(words[i : i + k]) for i in range(max(1, len(words) - k + 1))}


def _verified_pairs(texts: list[str], shingles: list[set[str]], threshold: float) -> list[tuple[float, int, int]]:
    """(Jaccard, i, j) of the distinct texts whose exact shingle Jaccard reaches threshold, among the
    pairs that MinHashLSH proposes."""
    pairs = []
    for i, j in sorted(_lsh_candidates(shingles)):
        common = len(shingles[i] & shingles[j])
        jaccard = common / (len(shingles[i]) + len(shingles[j]) - common)
        if jaccard >= threshold:
            pairs.append((jaccard, i, j))
    return pairs


def _lsh_candidates(
    shingles: Sequence[set[str]], num_perm: int = NUM_PERM, bands: tuple[int, int] = LSH_BANDS, seed: int = SEED
) -> set[tuple[int, int]]:
    """The pairs (i < j) of shingle sets that MinHashLSH proposes as similar (the bench measures its
    recall with other settings)."""
    if len(shingles) < 2:
        return set()
    # Imported here: datasketch pulls in SciPy (0.3 s), which only a build's grouping needs, not the app's start
    from datasketch import LeanMinHash, MinHash, MinHashLSH

    # crc32 for SHA-1: the permutations do the mixing, and it hashes the ~300k shingles 10x faster
    encoded = ([s.encode() for s in sh] for sh in shingles)
    lean = [LeanMinHash(m) for m in MinHash.bulk(encoded, num_perm=num_perm, seed=seed, hashfunc=zlib.crc32)]
    lsh = MinHashLSH(num_perm=num_perm, params=bands)
    with lsh.insertion_session() as session:
        for i, m in enumerate(lean):
            session.insert(i, m)
    return {(i, j) for i, m in enumerate(lean) for j in lsh.query(m) if j > i}


@dataclass
class _Particulars:
    names: set[str]  # capitalised words inside a sentence, casefolded
    numbers: set[str]  # runs of digits
    words: set[str]  # every word, casefolded, to look the other text's names up in


def _particulars(text: str) -> _Particulars:
    text = _GLUED.sub(" ", text.translate(_QUOTES))
    names, numbers = set(), set()
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token.isdigit():
            numbers.add(token)
            continue
        before = text[max(0, match.start() - 8) : match.start()].rstrip(" \"'(")
        if not token[0].isupper() or (before[-1:] or ".") in ".!?:;\n-":
            continue  # a lower-case word, or the first of a sentence, capitalised whatever it is
        token = token.casefold()
        if len(token) > 1 and token not in _CALENDAR:
            names.add(token)
    return _Particulars(names, numbers, set(_words(text)))


def _differ(a: _Particulars, b: _Particulars) -> bool:
    """Two texts tell different events: numbers, or proper names, that each has and the other lacks."""
    return bool(a.numbers - b.numbers and b.numbers - a.numbers) or _names_swapped(a, b) > NAME_RATE


def _names_swapped(a: _Particulars, b: _Particulars) -> float:
    """How many names each text has that the other does not mention (the fewer of the two counts),
    per name of the text with fewer names."""
    only_a = sum(not _mentions(b.words, n) for n in a.names)
    only_b = sum(not _mentions(a.words, n) for n in b.names)
    return min(only_a, only_b) / max(1, min(len(a.names), len(b.names)))


def _mentions(words: set[str], name: str) -> bool:
    """Whether a text (its words) mentions a name: every part of it, in the singular or the plural,
    or, for one word, as two glued words ("Unsaid" is "Un said" that lost its space)."""
    parts = [p for p in re.findall(r"\w+", name) if len(p) > 1]
    if all(p in words or p + "s" in words or (p.endswith("s") and p[:-1] in words) for p in parts):
        return True
    return len(parts) == 1 and any(name[:i] in words and name[i:] in words for i in range(2, len(name) - 1))


def _root(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def _words_with_space(text: str) -> list[str]:
    """Text as words, each with the whitespace after it (the first also with any before it)."""
    tokens = re.findall(r"\S+\s*", text)
    lead = text[: len(text) - len(text.lstrip())]
    if tokens and lead:
        tokens[0] = lead + tokens[0]
    return tokens or ([text] if text else [])


def _add(runs: list[tuple[str, str]], op: str, text: str) -> None:
    if not text:
        return
    if runs and runs[-1][0] == op:
        runs[-1] = (op, runs[-1][1] + text)
    else:
        runs.append((op, text))
