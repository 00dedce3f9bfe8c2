"""Versions of one story (rag.versions) over the KCNA records: figures, parameters, a hand check.

The records are the documents themselves (not the rag index): source "FILE#POSITION" as the index
cites a record, title = headline, date = date_str, url = link; 1,862 records have text.

1. Default: documents, distinct texts, groups (exact vs edited), group sizes, and the time of
   `group_versions` (median of 3 runs).
2. --sweep: the parameters. For shingles of 1..5 words, the exact Jaccard of every pair of distinct
   texts (scipy.sparse, brute force): the lowest Jaccard of a true edit (two texts under one link:
   KCNA scraped the page again after an edit) against the highest of two texts under different links
   that the particulars check lets through; the rate of names swapped in edits and in other stories;
   then, for 64/128/256 permutations, the LSH recall of the pairs at the threshold, the candidates
   to verify, and the time.
3. --check: 20 edited + 10 exact groups sampled with a fixed seed, with titles, dates, topics and the
   word diff, to be judged by hand (bench/versions_check.md); then the misses: pairs just below the
   threshold, and pairs above it that the particulars check kept apart.
4. --passages: the documents rebuilt from the index's own passages (read, cleaned, chunked, exact
   duplicates merged into `also_in`) by documents_from_passages give the same groups.

Run: .venv/bin/python bench/versions.py [--sweep] [--check] [--passages] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from datasketch import MinHashLSH

from rag import versions
from rag.versions import VersionDoc, VersionGroup, group_versions, word_diff

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
RECORDS = SHARED / "corpora/kcna-stiles/kcna_en_2023-12-24_2024-11-10.json"


def load() -> tuple[list[VersionDoc], dict[str, dict]]:
    """The records with text as documents, and each source's record (for its topic and link)."""
    records = json.loads(RECORDS.read_text())
    docs, by_source = [], {}
    for position, record in enumerate(records):
        if (record.get("story_text") or "").strip():
            source = f"{RECORDS.name}#{position}"
            text, link = record["story_text"], record["link"]
            docs.append(VersionDoc(source, record["headline"], record["date_str"], link, text))
            by_source[source] = record
    return docs, by_source


def summary(docs: list[VersionDoc]) -> list[VersionGroup]:
    times, cpu = [], []
    for _ in range(3):
        started, started_cpu = time.perf_counter(), time.process_time()
        groups = group_versions(docs)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    distinct = len({" ".join(d.text.split()) for d in docs})
    words = sum(len(d.text.split()) for d in docs)
    edited = [g for g in groups if not g.exact]
    grouped = sum(len(g) for g in groups)
    print(f"documents: {len(docs)} ({words:,} words, {distinct} distinct texts)")
    print(f"groups: {len(groups)} holding {grouped} documents; exact {len(groups) - len(edited)}, edited {len(edited)}")
    print("group sizes:", dict(sorted(Counter(len(g) for g in groups).items())))
    print("edited group sizes:", dict(sorted(Counter(len(g) for g in edited).items())))
    runs = ", ".join(f"{t:.2f}" for t in times)
    print(f"time: {statistics.median(times):.2f} s wall (3 runs: {runs}), {statistics.median(cpu):.2f} s CPU")
    return groups


def _distinct(docs: list[VersionDoc], by_source: dict[str, dict]) -> tuple[list[str], list[set[str]]]:
    """The distinct texts and, for each, the links of the records holding it."""
    links: dict[str, set[str]] = {}
    for doc in docs:
        links.setdefault(" ".join(doc.text.split()), set()).add(by_source[doc.source]["link"])
    return list(links), list(links.values())


def exact_jaccard(shingles: list[set[str]]):
    """The exact Jaccard of every pair, as a dense matrix (intersections by a sparse product)."""
    import numpy as np
    from scipy import sparse

    vocabulary: dict[str, int] = {}
    rows, cols = [], []
    for i, sh in enumerate(shingles):
        for s in sh:
            rows.append(i)
            cols.append(vocabulary.setdefault(s, len(vocabulary)))
    m = sparse.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(shingles), len(vocabulary)))
    common = (m @ m.T).toarray()
    sizes = np.array([len(s) for s in shingles], dtype=np.float32)
    return common / (sizes[:, None] + sizes[None, :] - common)


def _lsh_candidates(shingles: list[set[str]], num_perm: int, bands: tuple[int, int], seed: int = 1):
    """The pairs MinHashLSH proposes, as rag.versions builds it, and the seconds it took."""
    started = time.perf_counter()
    found = versions._lsh_candidates(shingles, num_perm, bands, seed)
    return found, time.perf_counter() - started


def sweep(docs: list[VersionDoc], by_source: dict[str, dict]) -> None:
    import numpy as np

    texts, links = _distinct(docs, by_source)
    particulars = [versions._particulars(t) for t in texts]
    iu = np.triu_indices(len(texts), 1)
    k_default = versions.SHINGLE_WORDS
    print(f"\n== shingle size ({len(texts)} distinct texts); edits = two texts under one link")
    for k in (1, 2, 3, 4, 5):
        versions.SHINGLE_WORDS = k
        shingles = [versions._shingles(t) for t in texts]
        jac = exact_jaccard(shingles)
        edits, others = [], []
        for i, j in zip(*iu):
            if jac[i, j] < 0.1:
                continue
            if links[i] & links[j]:
                edits.append(jac[i, j])
            elif not versions._differ(particulars[i], particulars[j]):
                others.append(jac[i, j])
        edits.sort()
        others.sort(reverse=True)
        found, _ = _lsh_candidates(shingles, versions.NUM_PERM, versions.LSH_BANDS)
        print(
            f"k={k}: {len(edits)} edits, lowest Jaccard {', '.join(f'{x:.2f}' for x in edits[:3])}; "
            f"different stories passing the particulars check, highest {', '.join(f'{x:.2f}' for x in others[:3])}; "
            f"margin {edits[0] / others[0]:.2f}x; LSH candidates {len(found)}"
        )
    versions.SHINGLE_WORDS = k_default
    shingles = [versions._shingles(t) for t in texts]
    jac = exact_jaccard(shingles)
    edit_rates, other_rates = [], []
    for i, j in zip(*iu):
        a, b = particulars[i], particulars[j]
        if jac[i, j] >= 0.2 and not (a.numbers - b.numbers and b.numbers - a.numbers):
            (edit_rates if links[i] & links[j] else other_rates).append(versions._names_swapped(a, b))
    print(
        f"\n== names swapped, per name (k={k_default} Jaccard >= 0.2, no numbers differing both ways): "
        f"edits {len(edit_rates)}, highest {', '.join(f'{x:.3f}' for x in sorted(edit_rates)[-3:])}; "
        f"different stories {len(other_rates)}, lowest {', '.join(f'{x:.3f}' for x in sorted(other_rates)[:4])}"
        f" (NAME_RATE = {versions.NAME_RATE})"
    )
    want = {(i, j) for i, j in zip(*iu) if jac[i, j] >= versions.THRESHOLD}
    print(f"\n== permutations (k={k_default}): {len(want)} pairs of distinct texts at Jaccard >= {versions.THRESHOLD}")
    for num_perm, bands in ((64, (32, 2)), (128, None), (128, (64, 2)), (256, (128, 2))):
        if bands is None:  # datasketch's own choice for a threshold of 0.2
            bands = MinHashLSH(threshold=0.2, num_perm=num_perm).b, MinHashLSH(threshold=0.2, num_perm=num_perm).r
        b, r = bands
        expected = sum(1 - (1 - jac[i, j] ** r) ** b for i, j in want)
        recalls, seconds, candidates = [], [], []
        for seed in (1, 2, 3):
            found, took = _lsh_candidates(shingles, num_perm, bands, seed)
            recalls.append(len(want & found))
            seconds.append(took)
            candidates.append(len(found))
        print(
            f"num_perm={num_perm}, bands {b}x{r}: expected recall {expected:.1f}/{len(want)}, "
            f"found {recalls} (seeds 1-3); candidates {min(candidates)}-{max(candidates)}; "
            f"MinHash + LSH {statistics.median(seconds):.2f} s"
        )


def _topics(group: VersionGroup, by_source: dict[str, dict]) -> str:
    return ", ".join(f"{d.source.split('#')[1]}:{by_source[d.source]['topic']}" for d in group.docs)


def _changes(old: str, new: str, context: int = 6, limit: int = 1800) -> str:
    """The word diff as "...context [-deleted-] {+inserted+} context...", cut at limit characters."""
    out = []
    runs = word_diff(old, new)
    for n, (op, text) in enumerate(runs):
        words = text.split()
        if op == "delete":
            out.append(f"[-{' '.join(words)}-]")
        elif op == "insert":
            out.append(f"{{+{' '.join(words)}+}}")
        elif len(words) <= 2 * context:
            out.append(" ".join(words))
        else:
            head = " ".join(words[:context]) + " " if n > 0 else ""
            tail = " " + " ".join(words[-context:]) if n < len(runs) - 1 else ""
            out.append(f"{head}...{tail}")
    text = " ".join(out)
    return text if len(text) <= limit else text[:limit] + " [cut]"


def show_group(number: int, group: VersionGroup, by_source: dict[str, dict]) -> None:
    kind = "exact" if group.exact else f"edited, lowest Jaccard {group.similarity}"
    print(f"\n#{number} ({kind}; {len(group)} docs; records {_topics(group, by_source)})")
    for doc in group.docs:
        print(f"   {doc.date}  {doc.title}  [{len(doc.text.split())} words]")
    if not group.exact:
        first = group.docs[0]
        seen = {" ".join(first.text.split())}
        for doc in group.docs[1:]:
            key = " ".join(doc.text.split())
            if key not in seen:
                seen.add(key)
                old, new = first.source.split("#")[1], doc.source.split("#")[1]
                print(f"   diff {old} -> {new}: {_changes(first.text, doc.text)}")


def check(docs: list[VersionDoc], groups: list[VersionGroup], by_source: dict[str, dict], seed: int) -> None:
    import numpy as np

    rng = random.Random(seed)
    edited = [g for g in groups if not g.exact]
    exact = [g for g in groups if g.exact]
    n_edited = min(20, len(edited))
    sample = rng.sample(edited, n_edited) + rng.sample(exact, min(30 - n_edited, len(exact)))
    print(f"\n== hand check: {n_edited} of {len(edited)} edited groups, {len(sample) - n_edited} of {len(exact)} exact")
    for n, group in enumerate(sample, 1):
        show_group(n, group, by_source)

    texts, _ = _distinct(docs, by_source)
    first_doc = {}
    for doc in docs:
        first_doc.setdefault(" ".join(doc.text.split()), doc)
    group_of = versions.versions_of(groups)
    jac = exact_jaccard([versions._shingles(t) for t in texts])
    below, kept_apart = [], []
    for i, j in zip(*np.triu_indices(len(texts), 1)):
        a, b = first_doc[texts[i]], first_doc[texts[j]]
        if group_of.get(a.source) is not None and group_of.get(a.source) is group_of.get(b.source):
            continue
        if 0.2 <= jac[i, j] < versions.THRESHOLD:
            below.append((float(jac[i, j]), a, b))
        elif jac[i, j] >= versions.THRESHOLD:
            kept_apart.append((float(jac[i, j]), a, b))
    sets = (("just below the threshold (Jaccard 0.2-0.3)", below), ("kept apart by particulars", kept_apart))
    for name, pairs in sets:
        print(f"\n== misses? {len(pairs)} pairs {name}; 10 sampled")
        for n, (similarity, a, b) in enumerate(sorted(rng.sample(pairs, min(10, len(pairs))), reverse=True), 1):
            ra, rb = by_source[a.source], by_source[b.source]
            print(f"\n{name[:5]}-{n} Jaccard {similarity:.3f}")
            print(f"   {a.date}  {a.title}  [{a.source.split('#')[1]}:{ra['topic']}, {len(a.text.split())} words]")
            print(f"   {b.date}  {b.title}  [{b.source.split('#')[1]}:{rb['topic']}, {len(b.text.split())} words]")
            print(f"   diff: {_changes(a.text, b.text, context=3, limit=900)}")


def passages_route(groups: list[VersionGroup]) -> None:
    """The documents as the index sees them (read, cleaned, chunked, duplicates merged), rebuilt by
    documents_from_passages: the groups should be those of the records."""
    from dataclasses import replace

    from rag.build import merge_duplicates
    from rag.chunk import chunk_document
    from rag.clean import clean_document, recurring_lines
    from rag.glue import learn_glued, mend
    from rag.load import load_file

    started = time.perf_counter()
    documents = load_file(RECORDS, RECORDS.parent)
    recurring = recurring_lines(documents)
    glued = learn_glued(t for d in documents for t in (d.title or "", *(line.text for line in d.lines)))
    passages = [
        p
        for d in documents
        for p in chunk_document(
            replace(d, title=mend(d.title or "", glued) or None), clean_document(d, recurring, glued)
        )
    ]
    merged = merge_duplicates(passages)
    print(f"\n== the index's passages: {len(passages)}, {len(merged)} after merging duplicates "
          f"({time.perf_counter() - started:.1f} s)")  # fmt: skip
    want = {frozenset(g.sources) for g in groups}
    for name, chosen in (("before merging", passages), ("after merging", merged)):
        started = time.perf_counter()
        docs = versions.documents_from_passages(chosen)
        got = {frozenset(g.sources) for g in group_versions(docs)}
        print(
            f"{name}: {len(docs)} documents, {len(got)} groups, {len(got & want)} the same as the records' "
            f"({len(want - got)} missing, {len(got - want)} new); {time.perf_counter() - started:.2f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sweep", action="store_true", help="measure shingle size and permutations")
    parser.add_argument("--check", action="store_true", help="print groups and near misses to judge by hand")
    parser.add_argument("--passages", action="store_true", help="the same through the index's passages")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    docs, by_source = load()
    groups = summary(docs)
    if args.sweep:
        sweep(docs, by_source)
    if args.passages:
        passages_route(groups)
    if args.check:
        check(docs, groups, by_source, args.seed)


if __name__ == "__main__":
    main()
