"""Load test of the app's HTTP API: `rag app` on a free 127.0.0.1 port over an index of the seeds,
CLIENTS concurrent gradio clients sending QUESTIONS questions in total, one rebuild triggered a third
of the way through (it adds a held-back seed file and a new story, so it really embeds and swaps);
then a soak of SOAK more questions with the app's resident memory read before and after.

Reports throughput, p50/p95/p99 latency, errors (an exception or a malformed answer) and lost requests
(sent, never answered within --request-timeout), and whether the new index went live.
Loopback only; bounded in count and in time (--max-seconds stops everything).

Run: .venv/bin/python bench/load.py [--questions 500] [--clients 8] [--soak 2000] [--max-seconds 1800]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import itertools
import json
import math
import os
import platform
import queue
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # gradio_client's telemetry is on unless this says no

HOST = "127.0.0.1"  # never anything but loopback
HELD_BACK = "002_e735870d7619d657.txt"  # the long paper: added before the rebuild, ~170 passages to embed
NEW_STORY = (
    "Pyongyang zoo opens a new penguin house\n\n"
    "The Central Zoo in Pyongyang opened a penguin house with a chilled pool for twelve Humboldt penguins, "
    "the first penguins the zoo has kept, and visitors queued through the morning to see them fed.\n"
)
NEW_STORY_QUESTION = "Which zoo opened a penguin house?"


@dataclass
class Phase:
    name: str
    latencies: list[float] = field(default_factory=list)  # seconds, answered requests
    finished_at: list[float] = field(default_factory=list)  # monotonic time each answer came back
    errors: list[str] = field(default_factory=list)
    lost: int = 0  # sent, not answered within the request timeout
    not_sent: int = 0  # never sent: the hard stop came first
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


def questions(n: int) -> list[str]:
    texts = [json.loads(line)["q"] for line in (REPO / "tests" / "data" / "dev_seeds.jsonl").open()]
    texts += [json.loads(line)["claim"] for line in (REPO / "bench" / "dev_claims_seeds.jsonl").open()]
    return list(itertools.islice(itertools.cycle(texts), n))


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


def rounded(value: float) -> int | None:
    return None if math.isnan(value) else round(value)


def client(url: str):
    from gradio_client import Client

    return Client(url, verbose=False, analytics_enabled=False, download_files=False)


def valid(result) -> bool:
    return (
        isinstance(result, dict)
        and isinstance(result.get("results"), list)
        and len(result["results"]) > 0
        and all(isinstance(r, dict) and r.get("text") and r.get("source") for r in result["results"])
    )


def run_phase(
    phase: Phase,
    url: str,
    texts: list[str],
    clients: int,
    request_timeout: float,
    deadline: float,
    on_answer=None,
) -> None:
    """`clients` threads, each with its own client, take questions from one queue until it is empty."""
    work: queue.Queue[str] = queue.Queue()
    for text in texts:
        work.put(text)
    started = time.monotonic()

    def worker() -> None:
        own = client(url)
        try:
            while True:
                try:
                    text = work.get_nowait()
                except queue.Empty:
                    return
                if time.monotonic() > deadline:
                    with phase.lock:
                        phase.not_sent += 1
                    continue
                sent = time.perf_counter()
                job = own.submit(text, 5, api_name="/search")
                try:
                    result = job.result(timeout=max(1.0, min(request_timeout, deadline - time.monotonic() + 5)))
                except concurrent.futures.TimeoutError:
                    job.cancel()
                    with phase.lock:
                        phase.lost += 1
                    continue
                except Exception as err:
                    with phase.lock:
                        phase.errors.append(f"{type(err).__name__}: {str(err)[:200]}")
                    continue
                elapsed = time.perf_counter() - sent
                with phase.lock:
                    if valid(result):
                        phase.latencies.append(elapsed)
                        phase.finished_at.append(time.monotonic())
                    else:
                        phase.errors.append(f"malformed answer: {str(result)[:200]}")
                    answered = len(phase.latencies) + len(phase.errors)
                if on_answer:
                    on_answer(answered)
        finally:
            own.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()) + request_timeout + 30)
    phase.seconds = time.monotonic() - started
    stuck = sum(thread.is_alive() for thread in threads)
    if stuck:
        phase.errors.append(f"{stuck} client threads still waiting at the hard stop")


def describe(phase: Phase) -> str:
    answered = len(phase.latencies)
    ms = [1000 * v for v in phase.latencies]
    return (
        f"{phase.name}: {answered} answered, {len(phase.errors)} errors, {phase.lost} lost, "
        f"{phase.not_sent} not sent, in {phase.seconds:.1f} s = {answered / phase.seconds:.1f} questions/s\n"
        f"  latency ms: p50 {percentile(ms, 0.5):.0f}  p95 {percentile(ms, 0.95):.0f}  "
        f"p99 {percentile(ms, 0.99):.0f}  max {max(ms, default=float('nan')):.0f}"
    )


def machine() -> str:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "?")
    load = " ".join(f"{v:.1f}" for v in os.getloadavg())
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}, load average {load}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=500, help="questions in the load phase")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument("--soak", type=int, default=2000, help="questions in the memory soak (0: none)")
    parser.add_argument("--max-seconds", type=float, default=1800, help="hard stop for the whole run")
    parser.add_argument("--request-timeout", type=float, default=120, help="seconds before a request counts as lost")
    parser.add_argument("--work", type=Path, default=Path("/tmp/rag-load"), help="corpus, index and app log")
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers to this file")
    args = parser.parse_args()
    if not (0 < args.questions <= 100_000 and 0 < args.clients <= 64 and 0 <= args.soak <= 100_000):
        parser.error("keep --questions, --clients and --soak bounded (1-100000, 1-64, 0-100000)")
    t0 = time.monotonic()
    deadline = t0 + args.max_seconds

    from rag.build import build_index
    from rag.settings import Settings

    shutil.rmtree(args.work, ignore_errors=True)
    corpus = args.work / "corpus" / "seeds"
    corpus.mkdir(parents=True)
    for seed in sorted((REPO / "seeds").glob("*.txt")):
        if seed.name != HELD_BACK:
            shutil.copy(seed, corpus / seed.name)
    settings = Settings.from_env(environ={}, index_dir=args.work / "index", corpus=[corpus])
    report = build_index(settings, progress=False)
    print(f"machine: {machine()}")
    print(f"index: {report.passages} passages from {len(report.files)} files, built in {report.seconds:.1f} s")

    port = free_port()
    url = f"http://{HOST}:{port}/"
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    command = [sys.executable, "-m", "rag", "app", "--host", HOST, "--port", str(port)]
    command += ["--index", str(settings.index_dir), "--corpus", str(corpus)]
    with open(args.work / "app.log", "wb") as log:
        app = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            return exercise(args, url, app, corpus, settings.index_dir, t0, deadline)
        finally:
            app.terminate()
            try:
                app.wait(timeout=30)
            except subprocess.TimeoutExpired:
                app.kill()
                app.wait()


def exercise(args, url: str, app: subprocess.Popen, corpus: Path, index: Path, t0: float, deadline: float) -> int:
    """The load phase with its rebuild, then the soak; prints the numbers, returns the exit status."""
    numbers: dict = {"machine": machine(), "questions": args.questions, "clients": args.clients}
    numbers["soak_questions"] = args.soak
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            break
        except OSError:
            if app.poll() is not None or time.monotonic() > min(deadline, t0 + 300):
                print("the app did not start:\n" + (args.work / "app.log").read_text()[-3000:])
                return 2
            time.sleep(0.3)
    print(f"app: pid {app.pid} on {url}, RSS {rss_mib(app.pid):.0f} MiB at start")
    warm = client(url)
    for text in questions(10):  # the first searches load code paths; not part of the numbers
        warm.predict(text, 5, api_name="/search")

    # --- load, with a rebuild a third of the way through ------------------------------------
    rebuild: dict = {}
    trigger_at = max(1, args.questions // 3)
    rebuild_client = client(url)
    trigger_lock = threading.Lock()

    def maybe_rebuild(answered: int) -> None:
        if answered < trigger_at or rebuild:
            return
        with trigger_lock:
            if rebuild:
                return
            rebuild["triggered_after"] = answered
            shutil.copy(REPO / "seeds" / HELD_BACK, corpus / HELD_BACK)
            (corpus / "zoo.txt").write_text(NEW_STORY, encoding="utf-8")
            rebuild["start"] = time.monotonic()
            rebuild["job"] = rebuild_client.submit(api_name="/rebuild")
            threading.Thread(target=watch_rebuild, daemon=True).start()

    def watch_rebuild() -> None:
        """When the app took the build lock, swapped `current` and answered: polled, not reported by it."""
        lock, link, job = index / ".build.lock", index / "current", rebuild["job"]
        first = os.readlink(link)
        while time.monotonic() < deadline:
            now = time.monotonic()
            if "locked" not in rebuild and lock.exists() and lock.read_text().strip() == str(app.pid):
                rebuild["locked"], rebuild["rss_locked"] = now, rss_mib(app.pid)
            if "swapped" not in rebuild and os.readlink(link) != first:
                rebuild["swapped"], rebuild["rss_swapped"] = now, rss_mib(app.pid)
            if job.done():
                rebuild["done"] = now
                return
            time.sleep(0.05)

    load = Phase("load")
    rss_before_load = rss_mib(app.pid)
    run_phase(load, url, questions(args.questions), args.clients, args.request_timeout, deadline, maybe_rebuild)
    print(describe(load))
    for error in load.errors[:5]:
        print(f"  error: {error}")
    if rebuild:
        job = rebuild["job"]
        try:
            summary = job.result(timeout=max(1.0, deadline - time.monotonic()))[0]  # the rebuild log
            rebuild["summary"] = summary.splitlines()[0]
        except Exception as err:
            rebuild["error"] = f"{type(err).__name__}: {err}"
        time.sleep(0.2)  # the watcher's last poll
        start, end = rebuild["start"], rebuild.get("done", float("inf"))
        during = [lat for lat, done in zip(load.latencies, load.finished_at) if start <= done <= end]
        live = warm.predict(NEW_STORY_QUESTION, 3, api_name="/search")
        switched = bool(live["results"]) and live["results"][0]["source"].endswith("zoo.txt")
        ms = [1000 * v for v in during]

        def after(key: str) -> float | None:
            return round(rebuild[key] - start, 1) if key in rebuild else None

        print(f"rebuild: triggered after {rebuild['triggered_after']} answers; " + (rebuild.get("summary") or ""))
        print(
            f"  build lock taken +{after('locked')} s, new index swapped in +{after('swapped')} s, "
            f"answer back +{after('done')} s" + (f"; FAILED: {rebuild['error']}" if "error" in rebuild else "")
        )
        if "rss_locked" in rebuild and "rss_swapped" in rebuild:
            before, at_swap = rebuild["rss_locked"], rebuild["rss_swapped"]
            print(f"  app RSS {before:.0f} MiB as it started, {at_swap:.0f} MiB at the swap")
        print(
            f"  {len(during)} searches answered while it ran: p50 {percentile(ms, 0.5):.0f} ms, "
            f"p95 {percentile(ms, 0.95):.0f} ms; new index live afterwards: {'yes' if switched else 'NO'}"
        )
        numbers["rebuild"] = {
            "summary": rebuild.get("summary"),
            "error": rebuild.get("error"),
            "seconds_to_lock": after("locked"),
            "seconds_to_swap": after("swapped"),
            "seconds_to_answer": after("done"),
            "answered_during": len(during),
            "p50_ms_during": rounded(percentile(ms, 0.5)),
            "p95_ms_during": rounded(percentile(ms, 0.95)),
            "new_index_live": switched,
            "rss_mib_at_start": rounded(rebuild.get("rss_locked", math.nan)),
            "rss_mib_at_swap": rounded(rebuild.get("rss_swapped", math.nan)),
        }
    numbers["load"] = summarise(load)
    numbers["load"]["rss_mib_before"] = round(rss_before_load)
    numbers["load"]["rss_mib_after"] = round(rss_mib(app.pid))
    print(f"  app RSS: {rss_before_load:.0f} MiB before the load, {numbers['load']['rss_mib_after']} MiB after it")

    # --- soak: memory over many more questions ---------------------------------------------
    if args.soak:
        soak = Phase("soak")
        rss_start = rss_mib(app.pid)
        samples = [rss_start]
        by_count = [(0, rss_start)]  # (answers so far, RSS MiB) every tenth of the soak
        step = max(1, args.soak // 10)
        sampling = threading.Event()

        def sample() -> None:
            while not sampling.wait(5):
                samples.append(rss_mib(app.pid))

        def on_answer(answered: int) -> None:
            if answered % step == 0:
                by_count.append((answered, rss_mib(app.pid)))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        run_phase(soak, url, questions(args.soak), args.clients, args.request_timeout, deadline, on_answer)
        sampling.set()
        sampler.join()
        rss_end = rss_mib(app.pid)
        peak = max([*samples, rss_end])
        print(describe(soak))
        for error in soak.errors[:5]:
            print(f"  error: {error}")
        print(
            f"  app RSS: {rss_start:.0f} MiB at the start, {rss_end:.0f} MiB at the end "
            f"({rss_end - rss_start:+.0f} MiB), max {peak:.0f} MiB (sampled every 5 s)"
        )
        print("  RSS by answers: " + ", ".join(f"{n}: {mib:.0f}" for n, mib in sorted(by_count)))
        numbers["soak"] = summarise(soak)
        numbers["soak"].update(
            rss_mib_start=round(rss_start),
            rss_mib_end=round(rss_end),
            rss_mib_max=round(peak),
            rss_mib_by_answers=[(n, round(mib)) for n, mib in sorted(by_count)],
        )
    tracebacks = (args.work / "app.log").read_text(errors="replace").count("Traceback")
    print(f"app log: {tracebacks} tracebacks; total {time.monotonic() - t0:.0f} s")
    numbers["app_log_tracebacks"] = tracebacks
    if args.json:
        args.json.write_text(json.dumps(numbers, indent=1))
    phases = [load] + ([soak] if args.soak else [])
    clean = all(not p.errors and not p.lost and not p.not_sent for p in phases)
    return 0 if clean and not rebuild.get("error") else 1


def summarise(phase: Phase) -> dict:
    ms = [1000 * v for v in phase.latencies]
    return {
        "answered": len(phase.latencies),
        "errors": len(phase.errors),
        "first_errors": phase.errors[:5],
        "lost": phase.lost,
        "not_sent": phase.not_sent,
        "seconds": round(phase.seconds, 1),
        "per_second": round(len(phase.latencies) / phase.seconds, 2) if phase.seconds else None,
        "p50_ms": rounded(percentile(ms, 0.5)),
        "p95_ms": rounded(percentile(ms, 0.95)),
        "p99_ms": rounded(percentile(ms, 0.99)),
        "max_ms": round(max(ms, default=0)),
    }


if __name__ == "__main__":
    sys.exit(main())
