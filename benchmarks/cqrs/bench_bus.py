"""nitro-cqrs: what ``bus.send`` and the transactional outbox cost, in one run.

    uv run --no-sync python benchmarks/cqrs/bench_bus.py            # tables + verdict
    uv run --no-sync python benchmarks/cqrs/bench_bus.py --profile  # + where bus.send spends

Part 1, the bus on MemoryRepo (target, issue 13: the default bus within 1.15x). One
command handler loads (or creates) one ``nitro.Entity`` through ``uow.repo(...)``,
changes it and saves it. The baseline is what a user writes without the bus::

    with MemoryUnitOfWork() as uow:
        bump(cmd, uow)
        uow.commit()

and the candidates run the same handler function with ``bus.send(cmd)``: a bus
bootstrapped with the default configuration (no middleware), and one with the built-in
middleware ``[LogMessages(), Timing(), RetryOnConflict()]`` (logging at the default
WARNING level, so nothing is written). The async rows do the same with an ``async def``
handler: ``async with AsyncMemoryUnitOfWork()`` against ``await bus.asend(cmd)``.

Part 2, the outbox on SQLite (reported): a file database in a temporary directory,
WAL and ``synchronous=NORMAL`` as nitro.sql sets them, the entity on
``SQLModelBackend``. The baseline is a ``nitro.sql.UnitOfWork`` that saves one entity
and commits. The bus rows run a handler that saves the same entity and publishes one
event (one trivial handler registered): through a bus whose unit is
``nitro.sql.UnitOfWork`` without an outbox (the event is delivered in process after
the commit), and through a bus with ``Outbox()`` (the event row is inserted in the
command's transaction, then claimed, delivered, its handler recorded and the row marked
delivered). A third bus row stores the row but delivers in process, as without an
outbox, which splits the outbox's cost into the insert and the delivery bookkeeping.

Every case is timed in interleaved rounds (baseline, candidates, baseline, ...) of
``--number`` calls; the best and the median round of each are kept.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import datetime as dt
import gc
import io
import json
import os
import platform
import pstats
import sqlite3
import statistics
import sys
import tempfile
import time
import timeit
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pydantic
import sqlalchemy as sa

import nitro
import nitro.cqrs
import nitro.sql
from nitro import Entity
from nitro.cqrs import Bus, Command, Event, LogMessages, RetryOnConflict, Timing, bootstrap
from nitro.cqrs.delivery import Deferred
from nitro.cqrs.outbox import Outbox, outbox_table
from nitro.persistence.registry import use_backend
from nitro.sql import SQLModelBackend, UnitOfWork, use_database
from nitro.uow import AsyncMemoryUnitOfWork, MemoryUnitOfWork

TARGET = 1.15

# -- part 1: the bus on MemoryRepo ---------------------------------------------------------


class Counter(Entity):
    count: int = 0


class Bump(Command):
    counter_id: str


def bump(cmd: Bump, uow: Any) -> int:
    counters = uow.repo(Counter)
    counter = counters.get(cmd.counter_id) or Counter(id=cmd.counter_id)
    counter.count += 1
    counters.save(counter)
    return counter.count


async def abump(cmd: Bump, uow: Any) -> int:
    counters = uow.repo(Counter)
    counter = await counters.get(cmd.counter_id) or Counter(id=cmd.counter_id)
    counter.count += 1
    await counters.save(counter)
    return counter.count


app_bus = Bus()
app_bus.handles(Bump, bump)
app_async_bus = Bus()
app_async_bus.handles(Bump, abump)


def middleware() -> list[Any]:
    return [LogMessages(), Timing(), RetryOnConflict()]


# -- part 2: the outbox on SQLite ------------------------------------------------------------


class Item(Entity):
    name: str = ""


class SaveItem(Command):
    item_id: str
    name: str


class SaveItemQuietly(SaveItem):
    """The same command, handled without publishing an event."""


class ItemSaved(Event):
    item_id: str


delivered = 0


def save_item(cmd: SaveItem, uow: Any) -> None:
    uow.repo(Item).save(Item(id=cmd.item_id, name=cmd.name))


def save_item_and_publish(cmd: SaveItem, uow: Any, bus: Bus) -> None:
    save_item(cmd, uow)
    bus.publish(ItemSaved(item_id=cmd.item_id))


def on_item_saved(evt: ItemSaved) -> None:
    global delivered
    delivered += 1


sql_bus = Bus()
sql_bus.handles(SaveItem, save_item_and_publish)
sql_bus.handles(SaveItemQuietly, save_item)
sql_bus.handles(ItemSaved, on_item_saved)


class StoreOnlyOutbox(Outbox):
    """Inserts the row in the command's transaction like :class:`Outbox`, then delivers
    in process like a bus without one (no claim, done record or finish): the insert's
    share of the outbox's cost."""

    def relayed(self, bus: Bus, event: Event) -> Any:
        return Deferred(bus, event)


# -- timing ------------------------------------------------------------------------------


@dataclass
class Timed:
    name: str
    best_us: float
    median_us: float


@contextmanager
def gc_off() -> Iterator[None]:
    """No garbage collection inside a timed round, as ``timeit`` does."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def interleaved(
    funcs: dict[str, Callable[[], Any]], number: int, rounds: int, warmup: int = 200
) -> list[Timed]:
    """µs per call of each function: best and median of *rounds* interleaved rounds."""
    for func in funcs.values():
        for _ in range(warmup):
            func()
    samples: dict[str, list[float]] = {name: [] for name in funcs}
    for _ in range(rounds):
        for name, func in funcs.items():
            with gc_off():
                start = time.perf_counter()
                for _ in range(number):
                    func()
                samples[name].append((time.perf_counter() - start) / number * 1e6)
    return [Timed(name, min(s), statistics.median(s)) for name, s in samples.items()]


def ainterleaved(
    funcs: dict[str, Callable[[], Awaitable[Any]]], number: int, rounds: int, warmup: int = 200
) -> list[Timed]:
    """:func:`interleaved` for coroutine functions, all rounds in one event loop."""

    async def main() -> list[Timed]:
        for func in funcs.values():
            for _ in range(warmup):
                await func()
        samples: dict[str, list[float]] = {name: [] for name in funcs}
        for _ in range(rounds):
            for name, func in funcs.items():
                with gc_off():
                    start = time.perf_counter()
                    for _ in range(number):
                        await func()
                    samples[name].append((time.perf_counter() - start) / number * 1e6)
        return [Timed(name, min(s), statistics.median(s)) for name, s in samples.items()]

    return asyncio.run(main())


# -- the cases -----------------------------------------------------------------------------


def bus_cases(number: int, rounds: int) -> dict[str, list[Timed]]:
    cmd = Bump(counter_id="c1")
    default_bus = bootstrap(app_bus)
    mw_bus = bootstrap(app_bus, middleware=middleware())

    def baseline() -> int:
        with MemoryUnitOfWork() as uow:
            result = bump(cmd, uow)
            uow.commit()
        return result

    found = Counter.get("c1")
    before = found.count if found is not None else 0
    assert baseline() == before + 1
    assert default_bus.send(cmd) == before + 2
    assert mw_bus.send(cmd) == before + 3
    sync = interleaved(
        {
            "baseline": baseline,
            "bus.send": lambda: default_bus.send(cmd),
            "bus.send + middleware": lambda: mw_bus.send(cmd),
        },
        number,
        rounds,
    )

    adefault_bus = bootstrap(app_async_bus)
    amw_bus = bootstrap(app_async_bus, middleware=middleware())

    async def abaseline() -> int:
        async with AsyncMemoryUnitOfWork() as uow:
            result = await abump(cmd, uow)
            await uow.commit()
        return result

    async def check() -> None:
        before = Counter.get_or_raise("c1").count
        assert await abaseline() == before + 1
        assert await adefault_bus.asend(cmd) == before + 2
        assert await amw_bus.asend(cmd) == before + 3

    asyncio.run(check())
    aresults = ainterleaved(
        {
            "baseline": abaseline,
            "bus.asend": lambda: adefault_bus.asend(cmd),
            "bus.asend + middleware": lambda: amw_bus.asend(cmd),
        },
        number,
        rounds,
    )
    return {"sync": sync, "async": aresults}


def outbox_cases(number: int, rounds: int, tmp: Path) -> list[Timed]:
    with (
        use_database(f"sqlite:///{tmp / 'bench.db'}") as db,
        use_backend(SQLModelBackend, Item),
    ):
        plain_bus = bootstrap(sql_bus, uow=UnitOfWork)
        outbox_bus = bootstrap(sql_bus, outbox=Outbox())
        store_bus = bootstrap(sql_bus, outbox=StoreOnlyOutbox())
        cmd = SaveItem(item_id="i1", name="one")
        quiet = SaveItemQuietly(item_id="i1", name="one")

        def baseline() -> None:
            with UnitOfWork() as uow:
                save_item(cmd, uow)
                uow.commit()

        baseline()
        Item.get_or_raise("i1")
        for bus in (plain_bus, outbox_bus, store_bus):
            bus.send(cmd)
        assert delivered == 3
        outbox_bus.outbox.ensure_tables()  # type: ignore[union-attr]

        results = interleaved(
            {
                "baseline": baseline,
                "bus.send, no event": lambda: plain_bus.send(quiet),
                "bus.send + event, no outbox": lambda: plain_bus.send(cmd),
                "bus.send + event, outbox": lambda: outbox_bus.send(cmd),
                "bus.send + event, outbox row, in-process": lambda: store_bus.send(cmd),
            },
            number,
            rounds,
            warmup=50,
        )
        # Every outboxed row was delivered and marked, except the store-only ones.
        t = outbox_table.c
        with db.engine.connect() as conn:
            undelivered = conn.execute(
                sa.select(sa.func.count()).where(t.delivered_at.is_(None))
            ).scalar_one()
            total = conn.execute(sa.select(sa.func.count()).select_from(outbox_table)).scalar_one()
        store_calls = 1 + 50 + number * rounds
        assert undelivered == store_calls, (undelivered, store_calls)
        assert total == 2 * store_calls, total
        db.dispose()
    return results


class StepOutbox(Outbox):
    """:class:`Outbox` with a stopwatch on each step, for the breakdown."""

    def __init__(self) -> None:
        super().__init__()
        self.spent: dict[str, list[float]] = {}

    def _timed(self, step: str, func: Callable[..., Any], *args: Any) -> Any:
        start = time.perf_counter()
        try:
            return func(*args)
        finally:
            self.spent.setdefault(step, []).append(time.perf_counter() - start)

    def store(self, event: Event) -> bool:
        unit = self._unit()
        if unit is not None:  # the entity's pending save and BEGIN: not the outbox's
            with unit.connection():
                pass
        return self._timed("store: INSERT in the command's transaction", super().store, event)  # type: ignore[no-any-return]

    def deliver(self, bus: Bus, event: Event) -> Any:
        return self._timed(
            "relay after the commit (the three below + handler)", super().deliver, bus, event
        )

    def claim(self, event_id: str) -> Any:
        return self._timed(
            "  claim: UPDATE + SELECT done, own transaction", super().claim, event_id
        )

    def mark_done(self, event_id: str, handler: Any, unit: Any) -> None:
        self._timed(
            "  mark_done: INSERT, own transaction", super().mark_done, event_id, handler, unit
        )

    def finish(self, event_id: str, failures: Any) -> None:
        self._timed(
            "  finish: UPDATE delivered_at, own transaction", super().finish, event_id, failures
        )


def outbox_steps(number: int, tmp: Path) -> list[str]:
    """Median µs of each outbox step over *number* ``bus.send`` calls."""
    with (
        use_database(f"sqlite:///{tmp / 'steps.db'}") as db,
        use_backend(SQLModelBackend, Item),
    ):
        outbox = StepOutbox()
        bus = bootstrap(sql_bus, outbox=outbox)
        cmd = SaveItem(item_id="i1", name="one")
        for _ in range(50):
            bus.send(cmd)
        outbox.spent.clear()
        for _ in range(number):
            bus.send(cmd)
        t = outbox_table.c

        def build_claim() -> Any:  # the UPDATE of Outbox._claim, as it builds it per call
            now = time.time()
            return (
                outbox_table.update()
                .where(
                    t.id == "e1",
                    t.delivered_at.is_(None),
                    t.dead_at.is_(None),
                    sa.or_(t.claimed_until.is_(None), t.claimed_until < now),
                )
                .values(claimed_until=now + 30)
            )

        def empty_transaction() -> None:
            with db.engine.begin():
                pass

        parts = {
            "  empty engine.begin() transaction": best_of(empty_transaction, 200),
            "  building the claim's UPDATE expression": best_of(build_claim, 200),
        }
        db.dispose()
    lines = [f"outbox steps over {number} bus.send calls (µs): {'best':>8} {'median':>8}"]
    for step, spent in outbox.spent.items():
        lines.append(f"  {step:50} {min(spent) * 1e6:8.1f} {statistics.median(spent) * 1e6:8.1f}")
    lines += [f"  {name:50} {us:8.1f}" for name, us in parts.items()]
    return lines


def best_of(func: Callable[[], Any], number: int = 5000, repeat: int = 15) -> float:
    """Best µs per call of *func* (``timeit`` style, GC off)."""
    timer = timeit.Timer(func)
    return min(timer.repeat(repeat, number)) / number * 1e6


def send_steps() -> list[str]:
    """What each step of ``bus.send`` (default bus) costs on its own, in µs."""
    from nitro.cqrs import bus as bus_module

    cmd = Bump(counter_id="c1")
    bus = bootstrap(app_bus)
    bound = bus._single(cmd, Command, "send")
    handling = bus_module._handling

    def noop(cmd: Bump, uow: Any) -> None:
        return None

    noop_bus = Bus()
    noop_bus.handles(Bump, noop)
    noop_bound = bootstrap(noop_bus)._single(cmd, Command, "send")

    def context() -> None:
        token = handling.set(bus)
        handling.reset(token)

    def baseline() -> None:
        with MemoryUnitOfWork() as uow:
            bump(cmd, uow)
            uow.commit()

    steps = {
        "bus._effective() (ContextVar get)": lambda: bus._effective(),
        "bus._single() (isinstance + bound_handlers)": lambda: bus._single(cmd, Command, "send"),
        "bus.bound_handlers(Bump)": lambda: bus.bound_handlers(Bump),
        "_refuse_async()": lambda: bus_module._refuse_async(bound, "send", "asend"),
        "partial(...) + _through(), no middleware": lambda: bus._through(
            cmd, partial(noop, uow=None)
        ),
        "_handling.set() + reset()": context,
        "bus.unit_factory (property)": lambda: bus.unit_factory,
        "BoundHandler.__call__ of a no-op handler": lambda: noop_bound(cmd, None, bus),
        "  the no-op handler called directly": lambda: noop(cmd, None),
    }
    lines = ["bus.send steps on their own (best µs per call, GC off):"]
    for name, func in steps.items():
        lines.append(f"  {name:50} {best_of(func):8.3f}")
    buses = {
        name: bootstrap(app_bus, middleware=mw)
        for name, mw in (
            ("bus.send", []),
            ("bus.send + LogMessages()", [LogMessages()]),
            ("bus.send + Timing()", [Timing()]),
            ("bus.send + RetryOnConflict()", [RetryOnConflict()]),
            ("bus.send + the three", middleware()),
        )
    }
    cases: dict[str, Callable[[], Any]] = {"baseline (unit + handler + commit)": baseline}
    cases.update({name: partial(b.send, cmd) for name, b in buses.items()})
    timed = interleaved(cases, 1000, 25)
    base = timed[0].best_us
    lines.append("interleaved, best of 25 rounds of 1000 (µs, and over the baseline):")
    for t in timed:
        lines.append(f"  {t.name:50} {t.best_us:8.3f} {t.best_us - base:+8.3f}")
    return lines + asend_steps()


def abest_of(func: Callable[[], Awaitable[Any]], number: int = 2000, repeat: int = 15) -> float:
    """:func:`best_of` for a coroutine function, in one event loop."""

    async def main() -> float:
        best = float("inf")
        for _ in range(repeat):
            with gc_off():
                start = time.perf_counter()
                for _ in range(number):
                    await func()
                best = min(best, time.perf_counter() - start)
        return best / number * 1e6

    return asyncio.run(main())


def asend_steps() -> list[str]:
    """The async path: what ``bus.asend`` adds to ``async with AsyncMemoryUnitOfWork()``."""
    cmd = Bump(counter_id="c1")
    bus = bootstrap(app_async_bus)

    async def baseline() -> None:
        async with AsyncMemoryUnitOfWork() as uow:
            await abump(cmd, uow)
            await uow.commit()

    async def twin() -> None:  # the bus's default unit factory is the sync class
        async with MemoryUnitOfWork() as uow:
            await abump(cmd, uow)
            await uow.commit()

    async def empty() -> None:
        async with AsyncMemoryUnitOfWork():
            pass

    async def empty_twin() -> None:
        async with MemoryUnitOfWork():
            pass

    rows = {
        "empty async with AsyncMemoryUnitOfWork()": empty,
        "empty async with MemoryUnitOfWork() (its twin)": empty_twin,
        "baseline, async": baseline,
        "baseline through MemoryUnitOfWork's twin": twin,
        "bus.asend": lambda: bus.asend(cmd),
    }
    lines = ["bus.asend (best µs per call, GC off):"]
    for name, func in rows.items():
        lines.append(f"  {name:50} {abest_of(func):8.3f}")
    return lines


def profile_send(number: int) -> str:
    """cProfile of the default bus's ``bus.send``: nitro-cqrs functions by own time."""
    cmd = Bump(counter_id="c1")
    bus = bootstrap(app_bus)

    def send() -> None:
        for _ in range(number):
            bus.send(cmd)

    out = io.StringIO()
    profiler = cProfile.Profile()
    profiler.runcall(send)
    out.write(f"cProfile of {number} bus.send calls, nitro-cqrs functions (own time):\n")
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats("nitro/cqrs", 12)
    return out.getvalue()


# -- report ------------------------------------------------------------------------------


def table(title: str, timed: list[Timed]) -> list[str]:
    base = timed[0]
    lines = [
        title,
        f"  {'case':44} {'best µs':>9} {'median µs':>10} {'ratio best':>11} {'ratio med':>10}",
    ]
    for t in timed:
        lines.append(
            f"  {t.name:44} {t.best_us:9.2f} {t.median_us:10.2f} "
            f"{t.best_us / base.best_us:10.2f}x {t.median_us / base.median_us:9.2f}x"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=41)
    parser.add_argument("--number", type=int, default=500, help="bus calls per round")
    parser.add_argument("--sql-rounds", type=int, default=21)
    parser.add_argument("--sql-number", type=int, default=50, help="SQLite calls per round")
    parser.add_argument("--profile", action="store_true", help="also profile bus.send")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)

    load_before = os.getloadavg()
    started = dt.datetime.now(dt.UTC)
    memory = bus_cases(args.number, args.rounds)
    with tempfile.TemporaryDirectory() as tmp:
        outbox = outbox_cases(args.sql_number, args.sql_rounds, Path(tmp))
    load_after = os.getloadavg()

    print(
        f"nitro-cqrs {nitro.cqrs.__version__}, nitro-sql {nitro.sql.__version__}, "
        f"pydantic {pydantic.VERSION}, SQLAlchemy {sa.__version__}, "
        f"SQLite {sqlite3.sqlite_version}, Python {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs"
    )
    print(
        f"{started:%Y-%m-%d %H:%M} UTC; load average {load_before[0]:.2f} before, "
        f"{load_after[0]:.2f} after; {args.rounds} rounds of {args.number} "
        f"(SQLite: {args.sql_rounds} of {args.sql_number})"
    )
    lines = table("bus on MemoryRepo, sync", memory["sync"])
    lines += table("bus on MemoryRepo, async", memory["async"])
    lines += table("SQLite, one entity saved per transaction", outbox)
    print("\n".join(lines))

    plain, full, store = outbox[2], outbox[3], outbox[4]
    print("outbox cost per committed event (bus with outbox - bus without), µs:")
    for label, attr in (("best", "best_us"), ("median", "median_us")):
        total = getattr(full, attr) - getattr(plain, attr)
        insert = getattr(store, attr) - getattr(plain, attr)
        print(
            f"  {label:6} {total:7.1f} = insert in the transaction {insert:6.1f}"
            f" + claim/record/finish {total - insert:6.1f}"
        )

    ratio = memory["sync"][1].best_us / memory["sync"][0].best_us
    verdict = "PASS" if ratio <= TARGET else "FAIL"
    print(f"bus.send vs handler in a unit of work: {ratio:.2f}x (target ≤ {TARGET}x): {verdict}")
    if max(load_before[0], load_after[0]) > (os.cpu_count() or 1):
        print("warning: load average above the CPU count; the figures are not reliable")
    if args.profile:
        print("\n".join(send_steps()))
        with tempfile.TemporaryDirectory() as tmp:
            print("\n".join(outbox_steps(args.sql_number * 5, Path(tmp))))
        print(profile_send(20_000))
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "date": started.isoformat(timespec="seconds"),
                    "load": [load_before, load_after],
                    "python": sys.version,
                    "nitro": nitro.__version__,
                    "memory": {k: [asdict(t) for t in v] for k, v in memory.items()},
                    "outbox": [asdict(t) for t in outbox],
                    "ratio": ratio,
                    "verdict": verdict,
                },
                indent=2,
            )
        )
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
