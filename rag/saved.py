"""Saved searches: a question with its filters, kept beside the index (INDEX_DIR/saved_searches.json)
so it survives rebuilds, and run again after every build. A passage that reaches a saved search's
results and was never in them before is marked new, with when it arrived, until it is marked read:
what changed on a beat since the last look. Passages are known by the hash of their text, which a
rebuild keeps (ids do not).

A damaged or foreign file is reported in one line by the commands that read it and never stands
in the way of a search."""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rag.records import Hit

FILE = "saved_searches.json"
FORMAT = 1
DEPTH = 20  # results of a saved search that are watched for new passages
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


class SavedSearchError(RuntimeError):
    """The saved searches cannot be read or changed; the message says why and what to do."""


@dataclass
class SavedSearch:
    name: str
    question: str
    sources: list[str] = field(default_factory=list)
    since: str | None = None
    until: str | None = None
    created: str = ""
    last_run: str = ""
    seen: dict[str, str] = field(default_factory=dict)  # passage hash -> when it first reached the results
    new: dict[str, str] = field(default_factory=dict)  # the unread ones among them -> when they arrived


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def path_of(index_dir: Path) -> Path:
    return index_dir / FILE


@dataclass
class Beat:
    """What the file holds: the saved searches by name, and the corpus files as the last run saw
    them (source -> SHA-256), so that a passage is new only when a file added or changed since
    brought it: a rebuild also moves old passages into a search's results, and those are not news."""

    searches: dict[str, SavedSearch] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)


def read(index_dir: Path) -> Beat:
    path = path_of(index_dir)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Beat()
    except (OSError, ValueError) as err:
        raise SavedSearchError(
            f"cannot read the saved searches in {path} ({type(err).__name__}): move it aside and save them again"
        ) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("searches"), list):
        raise SavedSearchError(f"{path} is not a saved-searches file of this rag: move it aside and save them again")
    try:
        searches = [SavedSearch(**s) for s in data["searches"]]
        files = {str(k): str(v) for k, v in dict(data.get("files") or {}).items()}
    except (TypeError, ValueError) as err:
        raise SavedSearchError(f"{path} holds a saved search this rag cannot read ({err}): move it aside") from None
    return Beat({s.name: s for s in searches}, files)


def load(index_dir: Path) -> dict[str, SavedSearch]:
    """The saved searches by name ({} when none was saved)."""
    return read(index_dir).searches


def _write(index_dir: Path, beat: Beat) -> None:
    path = path_of(index_dir)
    temporary = path.with_name(f".{FILE}.{os.getpid()}")
    searches = [asdict(s) for s in beat.searches.values()]
    temporary.write_text(json.dumps({"format": FORMAT, "files": beat.files, "searches": searches}, indent=1))
    os.replace(temporary, path)  # a reader sees the old file or the new one


@contextmanager
def changing(index_dir: Path) -> Iterator[Beat]:
    """The saved searches to change, written back whole when the block ends; one writer at a time
    (the app's rebuild and a `rag saved` command may meet)."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / f".{FILE}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        beat = read(index_dir)
        yield beat
        _write(index_dir, beat)


def check_name(name: str) -> str:
    if not NAME.fullmatch(name or ""):
        raise SavedSearchError(
            f"a saved search's name is letters, digits, '.', '-' and '_' (it names its feed), not {name!r}"
        )
    return name


def corpus_files(searcher) -> dict[str, str]:
    """The files of the searcher's build: source -> SHA-256."""
    return {f.source: f.sha256 for f in searcher.index.manifest.files if not f.skipped}


def add(index_dir: Path, search: SavedSearch, hits: list[Hit], files: dict[str, str]) -> SavedSearch:
    """Save `search`; `hits` are its results now, which are not new to it; `files` the corpus's."""
    check_name(search.name)
    stamp = now()
    search.created = search.created or stamp
    search.last_run = stamp
    search.seen = {h.passage.hash: stamp for h in hits}
    search.new = {}
    with changing(index_dir) as beat:
        if not beat.searches:
            beat.files = files
        beat.searches[search.name] = search
    return search


def _known(beat: Beat, name: str) -> SavedSearch:
    if name not in beat.searches:
        raise SavedSearchError(f"no saved search {name!r}; `rag saved list` shows them")
    return beat.searches[name]


def remove(index_dir: Path, name: str) -> None:
    with changing(index_dir) as beat:
        del beat.searches[_known(beat, name).name]


def mark_read(index_dir: Path, name: str) -> int:
    """Nothing of `name` is new any more; how many passages were."""
    with changing(index_dir) as beat:
        search = _known(beat, name)
        count, search.new = len(search.new), {}
    return count


def refresh(index_dir: Path, run, files: dict[str, str]) -> dict[str, int]:
    """Run every saved search again (`run(search) -> hits`, after a build whose corpus files are
    `files`) and mark as new the passages that reach its results for the first time from a file
    added or changed since the last run; the count of new passages per search."""
    from rag.index import files_of

    if not path_of(index_dir).exists():
        return {}
    stamp = now()
    with changing(index_dir) as beat:
        changed = {source for source, digest in files.items() if beat.files.get(source) != digest}
        for search in beat.searches.values():
            for hit in run(search):
                if hit.passage.hash in search.seen:
                    continue
                search.seen[hit.passage.hash] = stamp
                if changed.intersection(files_of(hit.passage)):
                    search.new[hit.passage.hash] = stamp
            search.last_run = stamp
        beat.files = files
        return {name: len(s.new) for name, s in beat.searches.items()}


def results(searcher, search: SavedSearch, highlight: bool = False) -> list[Hit]:
    """A saved search's question and filters, searched to DEPTH."""
    from rag.retrieve import Filters

    filters = Filters(sources=tuple(search.sources), since=search.since, until=search.until)
    return searcher.search(search.question, k=DEPTH, filters=filters if filters.active else None, highlight=highlight)


def runner(searcher):
    """`run` for `refresh`."""
    return lambda search: results(searcher, search)


def new_hits(searcher, search: SavedSearch) -> list[tuple[Hit, str]]:
    """The unread new passages of `search` still in its results, with when each arrived, newest first."""
    found = [(h, search.new[h.passage.hash]) for h in runner(searcher)(search) if h.passage.hash in search.new]
    return sorted(found, key=lambda pair: pair[1], reverse=True)


def atom_feed(search: SavedSearch, hits: list[tuple[Hit, str]], link: str | None = None) -> bytes:
    """The new passages of a saved search as an Atom feed, one entry each with its citation."""
    from feedgen.feed import FeedGenerator

    from rag.present import citation, reference

    feed = FeedGenerator()
    feed.id(f"urn:rag:saved:{search.name}")
    feed.title(f"New passages for: {search.question}")
    feed.subtitle(f"Saved search {search.name!r}; passages that reached its results since it was saved")
    feed.updated(max([arrived for _, arrived in hits], default=search.last_run or search.created or now()))
    if link:
        feed.link(href=link, rel="self")
    feed.generator("rag")
    for hit, arrived in reversed(hits):  # feedgen puts the last added first
        p = hit.passage
        entry = feed.add_entry()
        entry.id(f"urn:rag:passage:{p.hash}")
        entry.title(p.title or " ".join(p.text.split()[:12]))
        entry.updated(arrived)
        if p.date and re.fullmatch(r"\d{4}-\d{2}-\d{2}", p.date):
            entry.published(f"{p.date}T00:00:00+00:00")
        if p.url:
            entry.link(href=p.url)
        entry.summary(citation(hit))
        entry.content(f"{p.text}\n\n{reference(hit)}", type="text")
    return feed.atom_str(pretty=True)


def refresh_after_build(settings, searcher=None) -> str:
    """`refresh` with the new build (a fresh Searcher unless given); what changed, in one line
    ("" when nothing is saved). A damaged saved-searches file is said, never raised: the build stands."""
    if not path_of(settings.index_dir).exists():
        return ""
    try:
        if searcher is None:
            from rag.retrieve import Searcher

            searcher = Searcher(settings)
        counts = refresh(settings.index_dir, runner(searcher), corpus_files(searcher))
    except SavedSearchError as err:
        return f"saved searches not run again: {err}"
    return "saved searches: " + ", ".join(f"{name} {count} new" for name, count in counts.items())
