"""nitro-cqrs background jobs: Nitro against each library's own API, in one run.

    uv run --no-sync python benchmarks/jobs/bench_jobs.py                # 10,000 jobs
    uv run --no-sync python benchmarks/jobs/bench_jobs.py --jobs 2000 --rounds 1
    uv run --no-sync python benchmarks/jobs/bench_jobs.py --profile      # + Nitro's steps

Starts its own redis-server (a free loopback port, a temporary directory, no
persistence). For each engine (Celery, Dramatiq, RQ) and each side:

* **nitro**: ``@job def noop(i: int)`` (nitro_jobs.py) sent with ``noop.enqueue(i=i)``
  after ``configure_jobs("<engine>+redis://...")``, run by ``nitro worker --url ...
  --import nitro_jobs -c C``;
* **native**: the same function body as a plain Celery task, Dramatiq actor or RQ job
  function (native_*.py), sent with ``noop.delay(i)``, ``noop.send(i)`` or
  ``queue.enqueue(noop, i)``, run by the library's own worker command with the same
  settings: ``celery worker -P threads -c C`` (JSON, acks_late, prefetch 1, no result
  backend), ``dramatiq -p 1 -t C``, or C ``rq worker -w rq.SimpleWorker`` processes
  (JSON serializer).

Every job body is one ``HSET`` of its start time in Redis (_marks.py), on both sides.
A round of one side: start its worker, send 20 warm-up jobs and wait for them, then

1. **burst**: enqueue N jobs as fast as the loop goes (noting ``time.time()`` before
   each send) while the worker runs them; throughput = N / (last job's start - first
   enqueue), and the enqueue-to-start latencies (mostly time spent in the backlog);
2. **paced**: ``--paced`` jobs sent at ``--rate`` per second, well under what the
   workers manage, so the latency is the queue's own (no backlog);

then stop the worker (SIGTERM) and empty Redis. Rounds interleave the sides
(nitro, native; then native, nitro) and the engines. The ratio is nitro / native
throughput of the same round (target, issue 14: at least 0.8x for each engine); the
verdict uses the median of the rounds' ratios.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import io
import json
import os
import platform
import pstats
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import redis

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
ENGINES = ("celery", "dramatiq", "rq")
TARGET = 0.8
WARM_UP = 20

sys.path.insert(0, str(HERE))
from _marks import MARKS, URL_VAR  # noqa: E402

# -- redis-server and worker processes -----------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_redis(tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    server = subprocess.Popen(
        [
            shutil.which("redis-server") or "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(tmp),
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while True:
        try:
            redis.Redis.from_url(url).ping()
            return server, url
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                server.kill()
                raise
            time.sleep(0.05)


def worker_commands(engine: str, side: str, url: str, concurrency: int) -> list[list[str]]:
    """The worker process(es) of one side: one command each."""
    c = str(concurrency)
    if side == "nitro-quiet":  # diagnosis: nitro worker with Celery's loggers at WARNING
        code = (
            "import logging, sys; logging.getLogger('celery').setLevel(logging.WARNING); "
            "from nitro.cqrs.jobs.cli import run_worker; "
            "sys.exit(run_worker(sys.argv[1], ['nitro_jobs'], ['default'], int(sys.argv[2])))"
        )
        return [[sys.executable, "-c", code, f"{engine}+{url}", c]]
    if side == "nitro":
        nitro_url = f"{engine}+{url}"
        return [
            [str(BIN / "nitro"), "worker", "--url", nitro_url, "--import", "nitro_jobs", "-c", c]
        ]
    if engine == "celery":
        return [
            [
                str(BIN / "celery"),
                "-A",
                "native_celery",
                "worker",
                "-P",
                "threads",
                "-c",
                c,
                "-Q",
                "default",
                "--without-mingle",
                "--without-gossip",
                "--without-heartbeat",
            ]
        ]
    if engine == "dramatiq":
        return [[str(BIN / "dramatiq"), "native_dramatiq", "-p", "1", "-t", c, "-Q", "default"]]
    return [
        [
            str(BIN / "rq"),
            "worker",
            "-u",
            url,
            "-w",
            "rq.worker.SimpleWorker",
            "-S",
            "rq.serializers.JSONSerializer",
            "default",
        ]
        for _ in range(concurrency)
    ]


class Workers:
    """The worker processes of one side, each in its own session (so a SIGTERM reaches
    the processes they fork, and only those)."""

    def __init__(self, commands: list[list[str]], url: str, log: Path) -> None:
        env = {**os.environ, URL_VAR: url, "PYTHONPATH": str(HERE)}
        self.log = log
        self._out = log.open("ab")
        self.procs = [
            subprocess.Popen(
                cmd,
                cwd=HERE,
                env=env,
                stdout=self._out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            for cmd in commands
        ]

    def cpu(self) -> float:
        return group_cpu({proc.pid for proc in self.procs})

    def check(self) -> None:
        for proc in self.procs:
            if proc.poll() is not None:
                raise RuntimeError(f"a worker exited ({proc.returncode}); see {self.log}")

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
        self._out.close()


def group_cpu(pgids: set[int]) -> float:
    """CPU seconds used so far by the live processes of the process groups *pgids*."""
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) in pgids:  # pgrp; then utime, stime (clock ticks)
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def redis_cpu(r: redis.Redis) -> float:
    info: Any = r.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


# -- the two sides' senders ----------------------------------------------------------------


def sender(engine: str, side: str, url: str) -> Callable[[int], Any]:
    """A function that enqueues job *i* through one side's API (set up, connected)."""
    if side.startswith("nitro"):
        import nitro_jobs

        from nitro.cqrs.jobs import configure_jobs

        configure_jobs(f"{engine}+{url}")
        return lambda i: nitro_jobs.noop.enqueue(i=i)
    if engine == "celery":
        import native_celery

        return native_celery.noop.delay
    if engine == "dramatiq":
        import native_dramatiq

        return native_dramatiq.noop.send
    import native_rq
    from rq import Queue
    from rq.serializers import JSONSerializer

    queue = Queue("default", connection=redis.Redis.from_url(url), serializer=JSONSerializer)
    return lambda i: queue.enqueue(native_rq.noop, i)


# -- one round of one side -----------------------------------------------------------------


@dataclass
class Round:
    engine: str
    side: str
    jobs: int
    wall_s: float
    enqueue_s: float
    burst_latency_ms: list[float] = field(repr=False)
    paced_latency_ms: list[float] = field(repr=False)
    #: CPU µs per job during the burst: the enqueuing process, the workers, redis-server.
    cpu_us: dict[str, float] = field(default_factory=dict)
    round_no: int = 0

    @property
    def throughput(self) -> float:
        return self.jobs / self.wall_s

    @property
    def enqueue_rate(self) -> float:
        return self.jobs / self.enqueue_s


def wait_marks(r: redis.Redis, count: int, workers: Workers, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while r.hlen(MARKS) < count:
        workers.check()
        if time.monotonic() > deadline:
            raise TimeoutError(f"{r.hlen(MARKS)} of {count} jobs started; see {workers.log}")
        time.sleep(0.02)


def latencies(r: redis.Redis, sent: list[float]) -> list[float]:
    started = {int(k): float(v) for k, v in r.hgetall(MARKS).items()}
    return [(started[i] - at) * 1000 for i, at in enumerate(sent)]


def run_side(engine: str, side: str, url: str, args: argparse.Namespace, log: Path) -> Round:
    r = redis.Redis.from_url(url)
    r.flushall()
    send = sender(engine, side, url)
    workers = Workers(worker_commands(engine, side, url, args.concurrency), url, log)
    try:
        for i in range(WARM_UP):
            send(i)
        wait_marks(r, WARM_UP, workers, timeout=120)
        r.delete(MARKS)

        n = args.jobs
        sent = [0.0] * n
        clock = time.time
        cpu = (time.process_time(), workers.cpu(), redis_cpu(r))
        for i in range(n):
            sent[i] = clock()
            send(i)
        enqueued = clock()
        wait_marks(r, n, workers, timeout=600)
        used = (time.process_time(), workers.cpu(), redis_cpu(r))
        cpu_us = {
            part: round((after - before) / n * 1e6, 1)
            for part, before, after in zip(("enqueuer", "workers", "redis"), cpu, used, strict=True)
        }
        started = {int(k): float(v) for k, v in r.hgetall(MARKS).items()}
        wall = max(started.values()) - sent[0]
        burst = [(started[i] - at) * 1000 for i, at in enumerate(sent)]
        r.delete(MARKS)

        paced_sent = [0.0] * args.paced
        first = clock() + 0.05
        for i in range(args.paced):
            pause = first + i / args.rate - clock()
            if pause > 0:
                time.sleep(pause)
            paced_sent[i] = clock()
            send(i)
        wait_marks(r, args.paced, workers, timeout=120)
        paced = latencies(r, paced_sent)
        if side.startswith("nitro"):
            check_store(r, WARM_UP + n + args.paced)
    finally:
        workers.stop()
    return Round(engine, side, n, wall, enqueued - sent[0], burst, paced, cpu_us)


def check_store(r: redis.Redis, expected: int) -> None:
    """Every Nitro job is recorded done (the last one's record may take a moment)."""
    deadline = time.monotonic() + 10
    while (done := int(r.zcard("nitro:jobs:state:done"))) < expected:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the Nitro job store has {done} jobs done, not {expected}")
        time.sleep(0.05)


# -- profile of Nitro's per-job steps ------------------------------------------------------


def profile(engine_name: str, url: str, count: int, threads: int) -> dict[str, Any]:
    """Time, in this process against the benchmark's Redis, each step Nitro adds to a
    job: the enqueue path and the worker's ``runner.execute`` (the job body is the same
    one ``HSET`` as on the native side); then cProfile ``execute``."""
    import nitro_jobs

    from nitro.cqrs.jobs import configure_jobs, hooks
    from nitro.cqrs.jobs.envelope import Envelope
    from nitro.cqrs.jobs.runner import _renewing, execute

    r = redis.Redis.from_url(url)
    r.flushall()
    engine = configure_jobs(f"{engine_name}+{url}")
    store = engine.store
    job = nitro_jobs.noop

    def per_call(fn: Callable[[int], Any], n: int = count) -> float:
        """Best µs per call of 3 loops of *n*; each call gets its own index (its own
        envelope), so a stateful step never sees a job it handled already."""
        fn(3 * n)
        best = float("inf")
        for loop in range(3):
            t = time.perf_counter()
            for i in range(loop * n, (loop + 1) * n):
                fn(i)
            best = min(best, (time.perf_counter() - t) / n * 1e6)
        return best

    envelopes = [Envelope(job=job.name, args={"i": i}) for i in range(3 * count + 1)]
    payloads = [e.to_json() for e in envelopes]
    steps: dict[str, float] = {}
    steps["enqueue: noop.serialise(i=i) (signature bind + validate + TypeAdapter)"] = per_call(
        lambda i: job.serialise(i=i)
    )
    steps["enqueue: Envelope(...) (id, timestamp)"] = per_call(
        lambda i: Envelope(job=job.name, args={"i": i})
    )
    steps["enqueue: store.queued(envelope) (Lua _QUEUED, 1 round trip)"] = per_call(
        lambda i: store.queued(envelopes[i])
    )
    r.flushall()
    steps[f"enqueue: engine.submit(envelope) ({engine_name})"] = per_call(
        lambda i: engine.submit(envelopes[i])
    )
    steps["enqueue: hooks.job_enqueued.send"] = per_call(
        lambda i: hooks.job_enqueued.send(job.name, envelope=envelopes[i], delay=0.0)
    )
    r.flushall()
    steps["enqueue: noop.enqueue(i=i), whole"] = per_call(lambda i: job.enqueue(i=i))
    r.flushall()
    steps["worker: Envelope.from_json(payload)"] = per_call(
        lambda i: Envelope.from_json(payloads[i])
    )
    steps["worker: store.start(envelope) (Lua _START, 1 round trip)"] = per_call(
        lambda i: store.start(envelopes[i], engine.lease)
    )
    steps["worker: hooks.job_started.send"] = per_call(
        lambda i: hooks.job_started.send(job.name, envelope=envelopes[i], waited=0.0)
    )
    steps["worker: job.arguments(args) (validate)"] = per_call(
        lambda i: job.arguments(envelopes[i].args)
    )

    def renewing(i: int) -> None:
        with _renewing(engine, envelopes[i]):
            pass

    steps["worker: _renewing enter+exit (a thread started and joined)"] = per_call(renewing)
    steps["worker: the job body (one HSET, same as native)"] = per_call(lambda i: job.func(i=i))
    steps["worker: store.finish(envelope, 'done') (Lua _FINISH, 1 round trip)"] = per_call(
        lambda i: store.finish(envelopes[i], "done")
    )
    steps["worker: hooks.job_succeeded.send"] = per_call(
        lambda i: hooks.job_succeeded.send(job.name, envelope=envelopes[i], duration=0.0)
    )
    steps["reference: one redis PING round trip"] = per_call(lambda i: r.ping())
    steps[f"reference: the native send ({engine_name})"] = per_call(
        sender(engine_name, "native", url)
    )
    r.flushall()
    steps["worker: runner.execute(payload, engine), whole"] = per_call(
        lambda i: execute(payloads[i], engine)
    )
    r.flushall()
    prof = cProfile.Profile()
    prof.enable()
    for payload in payloads[:count]:
        execute(payload, engine)
    prof.disable()
    text = io.StringIO()
    pstats.Stats(prof, stream=text).sort_stats("tottime").print_stats(18)
    r.flushall()
    threaded = contended(engine, job, payloads, threads)
    engine.close()
    r.flushall()
    return {
        "engine": engine_name,
        "steps_us": steps,
        "threaded_cpu_us": threaded,
        "cprofile": text.getvalue(),
    }


def contended(engine: Any, job: Any, payloads: list[str], threads: int) -> dict[str, float]:
    """CPU µs per job of ``runner.execute`` run by *threads* threads at once (as a
    worker's pool runs it), and what is left when its parts are switched off one by
    one (patched here, for the diagnosis only): the lease-renewal thread, then the
    store's ``start`` and ``finish`` round trips. The first row is the job body alone,
    what the native worker runs."""
    from contextlib import nullcontext
    from unittest import mock

    import nitro.cqrs.jobs.runner as runner
    from nitro.cqrs.jobs.engine import Engine

    def cpu_per_job(fn: Callable[[int], Any], offset: int, count: int) -> float:
        indices = list(range(offset, offset + count))
        chunks = [indices[k::threads] for k in range(threads)]
        pool = [threading.Thread(target=lambda c=c: [fn(i) for i in c]) for c in chunks]
        before = time.process_time()
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
        return round((time.process_time() - before) / count * 1e6, 1)

    count = len(payloads) // 4
    store = engine.store
    out = {"job body only (one HSET)": cpu_per_job(lambda i: job.func(i=i), 0, count)}
    out["runner.execute, as shipped"] = cpu_per_job(
        lambda i: runner.execute(payloads[i], engine), 0, count
    )
    if engine.submit_new.__func__ is not Engine.submit_new:  # type: ignore[attr-defined]
        out["runner.execute of a first delivery (start written behind)"] = cpu_per_job(
            lambda i: runner.execute(payloads[i], engine, first=True), 0, count
        )
    with mock.patch.object(runner, "_renewing", return_value=nullcontext()):
        out["execute without the renewal thread"] = cpu_per_job(
            lambda i: runner.execute(payloads[i], engine), count, count
        )
        with (
            mock.patch.object(store, "start", return_value=None),
            mock.patch.object(store, "finish", return_value=None),
        ):
            out["execute without the thread, store.start and store.finish"] = cpu_per_job(
                lambda i: runner.execute(payloads[i], engine), 2 * count, count
            )
    return out


# -- report --------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summarise(rounds: list[Round], engine: str) -> dict[str, Any]:
    out: dict[str, Any] = {"engine": engine}
    for side in ("nitro", "native", "nitro-quiet"):
        mine = [x for x in rounds if x.engine == engine and x.side == side]
        if not mine:
            continue
        burst = [v for x in mine for v in x.burst_latency_ms]
        paced = [v for x in mine for v in x.paced_latency_ms]
        out[side] = {
            "jobs_per_s": [round(x.throughput, 1) for x in mine],
            "median_jobs_per_s": round(statistics.median(x.throughput for x in mine), 1),
            "enqueue_per_s": round(statistics.median(x.enqueue_rate for x in mine), 1),
            "burst_p50_ms": round(pct(burst, 0.5), 1),
            "burst_p90_ms": round(pct(burst, 0.9), 1),
            "paced_p50_ms": round(pct(paced, 0.5), 2),
            "paced_p90_ms": round(pct(paced, 0.9), 2),
            "cpu_us_per_job": {
                part: round(statistics.median(x.cpu_us[part] for x in mine), 1)
                for part in ("enqueuer", "workers", "redis")
            },
        }
    pairs = [
        a.throughput / b.throughput
        for a in rounds
        for b in rounds
        if a.engine == b.engine == engine
        and (a.side, b.side) == ("nitro", "native")
        and a.round_no == b.round_no
    ]
    # Each round's nitro/native pair ran minutes apart at most: the median of the
    # paired ratios follows the machine's load less than a ratio of medians.
    out["ratio"] = round(statistics.median(pairs), 2)
    out["ratio_per_round"] = [round(p, 2) for p in pairs]
    out["pass"] = out["ratio"] >= TARGET
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10_000, help="jobs per burst (N)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per side and engine")
    parser.add_argument("--concurrency", "-c", type=int, default=4, help="worker slots (C)")
    parser.add_argument("--paced", type=int, default=200, help="jobs of the paced phase")
    parser.add_argument("--rate", type=float, default=50.0, help="paced jobs per second")
    parser.add_argument("--engine", action="append", choices=ENGINES, help="(repeatable)")
    parser.add_argument(
        "--quiet-celery",
        action="store_true",
        help="add a side: nitro worker with Celery's loggers at WARNING (Celery's default)",
    )
    parser.add_argument("--profile", action="store_true", help="time Nitro's per-job steps")
    parser.add_argument("--profile-only", action="store_true", help="only the profile")
    parser.add_argument("--keep-logs", action="store_true", help="keep the workers' logs")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    engines = args.engine or list(ENGINES)

    load_before = os.getloadavg()
    began = dt.datetime.now(dt.UTC)
    tmp = Path(tempfile.mkdtemp(prefix="nitro-bench-jobs-"))
    server, url = start_redis(tmp)
    os.environ[URL_VAR] = url
    rounds: list[Round] = []
    profiles: list[dict[str, Any]] = []
    try:
        if not args.profile_only:
            for n in range(args.rounds):
                for engine in engines:
                    order: tuple[str, ...] = ("nitro", "native")
                    if args.quiet_celery and engine == "celery":
                        order += ("nitro-quiet",)
                    if n % 2:
                        order = order[::-1]
                    for side in order:
                        done = run_side(engine, side, url, args, tmp / f"{engine}-{side}.log")
                        done.round_no = n + 1
                        rounds.append(done)
                        print(
                            f"round {n + 1} {engine:<8} {side:<6} {done.throughput:8.1f} jobs/s"
                            f"  (enqueue {done.enqueue_rate:7.1f}/s, wall {done.wall_s:.2f} s,"
                            f" load {os.getloadavg()[0]:.2f}; CPU µs/job {done.cpu_us})",
                            flush=True,
                        )
        if args.profile or args.profile_only:
            for engine in engines:
                profiles.append(profile(engine, url, 2000, args.concurrency))
    except BaseException:
        print(f"worker logs kept in {tmp}", file=sys.stderr)
        server.terminate()
        server.wait(10)
        raise
    server.terminate()
    server.wait(10)
    if args.keep_logs:
        print(f"worker logs kept in {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    load_after = os.getloadavg()

    summaries = [summarise(rounds, e) for e in engines] if rounds else []
    if summaries:
        print()
        print(
            f"{'engine':<9} {'nitro jobs/s':>12} {'native jobs/s':>13} {'ratio':>6}  "
            f"{'per round':<18} {'burst p50/p90 ms, nitro | native':<34} "
            f"{'paced p50/p90 ms, nitro | native':<34} enqueue/s nitro | native"
        )
        for s in summaries:
            a, b = s["nitro"], s["native"]
            verdict = "pass" if s["pass"] else "FAIL"
            print(
                f"{s['engine']:<9} {a['median_jobs_per_s']:>12.1f} {b['median_jobs_per_s']:>13.1f}"
                f" {s['ratio']:>5.2f}x  {','.join(map(str, s['ratio_per_round'])):<18} "
                f"{a['burst_p50_ms']:>7.0f}/{a['burst_p90_ms']:<7.0f}| "
                f"{b['burst_p50_ms']:>7.0f}/{b['burst_p90_ms']:<7.0f}          "
                f"{a['paced_p50_ms']:>6.1f}/{a['paced_p90_ms']:<6.1f}| "
                f"{b['paced_p50_ms']:>6.1f}/{b['paced_p90_ms']:<6.1f}          "
                f"{a['enqueue_per_s']:>7.0f} | {b['enqueue_per_s']:.0f}   "
                f">= {TARGET}x: {verdict}"
            )
            if "nitro-quiet" in s:
                q = s["nitro-quiet"]
                print(
                    f"  (diagnosis: nitro worker with Celery's loggers at WARNING: "
                    f"{q['median_jobs_per_s']:.1f} jobs/s, "
                    f"{q['median_jobs_per_s'] / b['median_jobs_per_s']:.2f}x native; "
                    f"CPU µs/job {q['cpu_us_per_job']})"
                )
    if summaries:
        print("\nCPU µs per job during the burst (median of rounds), nitro | native:")
        for s in summaries:
            a, b = s["nitro"]["cpu_us_per_job"], s["native"]["cpu_us_per_job"]
            print(
                f"  {s['engine']:<9} "
                + "  ".join(
                    f"{part} {a[part]:7.0f} | {b[part]:<7.0f}"
                    for part in ("enqueuer", "workers", "redis")
                )
                + f"  total {sum(a.values()):7.0f} | {sum(b.values()):.0f}"
            )
    for p in profiles:
        print(f"\nNitro's steps per job, {p['engine']} (best of 3 loops of 2,000 calls):")
        for name, us in p["steps_us"].items():
            print(f"  {us:8.1f} µs  {name}")
        print(
            f"  CPU µs per job, {p['engine']} engine's store, {args.concurrency} threads at once:"
        )
        for name, us in p["threaded_cpu_us"].items():
            print(f"  {us:8.1f} µs  {name}")
        print(p["cprofile"])

    versions = {}
    for name in ("celery", "kombu", "dramatiq", "rq", "redis", "pydantic"):
        with contextlib.suppress(ImportError, AttributeError):
            versions[name] = __import__(name).__version__
    meta = {
        "date": began.strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs",
        "python": platform.python_version(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
        "redis_server": subprocess.run(
            [shutil.which("redis-server") or "redis-server", "--version"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.split()[2],
        "versions": versions,
        "settings": {k: v for k, v in vars(args).items() if k not in ("json", "keep_logs")},
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
    }
    print(json.dumps(meta))
    if args.json:
        payload = {
            "meta": meta,
            "summary": summaries,
            "rounds": [
                {
                    **asdict(x),
                    "burst_latency_ms": None,
                    "paced_latency_ms": None,
                    "jobs_per_s": round(x.throughput, 1),
                }
                for x in rounds
            ],
            "profiles": profiles,
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
    return 0 if all(s["pass"] for s in summaries) else 1


if __name__ == "__main__":
    sys.exit(main())
