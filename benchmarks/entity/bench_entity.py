"""Entity and MemoryRepo overhead against plain Pydantic, side by side in one run.

    uv run python benchmarks/entity/bench_entity.py            # table + verdicts
    uv run python benchmarks/entity/bench_entity.py --json out.json

Each case is timed with ``timeit`` in interleaved rounds (baseline, candidate,
baseline, ...) and the best round of each is kept, so both sides see the same machine
state. Ratios are candidate / baseline; the targets come from issue 4.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import sys
import timeit
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import pydantic
from pydantic import BaseModel, Field

import nitro
from nitro import Entity, MemoryRepo, use_backend
from nitro.persistence import MemoryStore


class Item(Entity):
    name: str
    count: int = 0
    price: float = 0.0
    active: bool = True


class PlainItem(BaseModel):
    id: str
    name: str
    count: int = 0
    price: float = 0.0
    active: bool = True


class PlainItemUuid(BaseModel):
    """The usual plain-Pydantic way to get an id when none is given."""

    id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    name: str
    count: int = 0
    price: float = 0.0
    active: bool = True


class Tagged(Entity):
    name: str
    count: int = 0
    tags: list[str] = []


class PlainTagged(BaseModel):
    id: str
    name: str
    count: int = 0
    tags: list[str] = []


@dataclass
class Result:
    case: str
    baseline: str
    baseline_ns: float
    candidate: str
    candidate_ns: float
    ratio: float
    target: float | None

    @property
    def verdict(self) -> str:
        if self.target is None:
            return "info"
        return "PASS" if self.ratio <= self.target else "FAIL"


def best_ns(funcs: list[Callable[[], Any]], number: int, rounds: int) -> list[float]:
    best = [float("inf")] * len(funcs)
    for _ in range(rounds):
        for i, func in enumerate(funcs):
            best[i] = min(best[i], timeit.timeit(func, number=number) / number * 1e9)
    return best


def compare(
    case: str,
    baseline: tuple[str, Callable[[], Any]],
    candidate: tuple[str, Callable[[], Any]],
    target: float | None,
    number: int,
    rounds: int,
) -> Result:
    base_ns, cand_ns = best_ns([baseline[1], candidate[1]], number, rounds)
    return Result(case, baseline[0], base_ns, candidate[0], cand_ns, cand_ns / base_ns, target)


def run(number: int, rounds: int) -> list[Result]:
    results: list[Result] = []
    fields = {"name": "widget", "count": 3, "price": 9.5, "active": False}

    # -- construction -------------------------------------------------------------------
    results.append(
        compare(
            "construction, same inputs (id given)",
            ("PlainItem(**fields)", lambda: PlainItem(id="item-1", **fields)),
            ("Item(**fields)", lambda: Item(id="item-1", **fields)),
            1.2,
            number,
            rounds,
        )
    )
    results.append(
        compare(
            "construction, id generated",
            ("plain + uuid4().hex factory", lambda: PlainItemUuid(**fields)),
            ("Item() with UUIDv7 id", lambda: Item(**fields)),
            None,
            number,
            rounds,
        )
    )
    results.append(
        compare(
            "construction, id generated vs none to generate",
            ("PlainItem(id=...)", lambda: PlainItem(id="item-1", **fields)),
            ("Item() with UUIDv7 id", lambda: Item(**fields)),
            None,
            number,
            rounds,
        )
    )

    record = {"id": "item-1", **fields}
    results.append(
        compare(
            "validation from a dict",
            ("PlainItem.model_validate(d)", lambda: PlainItem.model_validate(record)),
            ("Item.model_validate(d)", lambda: Item.model_validate(record)),
            None,
            number,
            rounds,
        )
    )

    # -- save + get -----------------------------------------------------------------------
    store = MemoryStore()
    with use_backend(functools.partial(MemoryRepo, store=store)):
        entity = Item(**fields)
        plain = PlainItem(id=entity.id, **fields)
        repo = Item.repository()
        copies: dict[str, PlainItem] = {}

        def dict_save_get() -> Any:
            copies[plain.id] = plain.model_copy()
            return copies[plain.id]

        def repo_save_get() -> Any:
            repo.save(entity)
            return repo.get(entity.id)

        def entity_save_get() -> Any:
            entity.save()
            return Item.get(entity.id)

        results.append(
            compare(
                "save+get, MemoryRepo",
                ("dict[id] = model_copy(); dict[id]", dict_save_get),
                ("repo.save(e); repo.get(id)", repo_save_get),
                2.0,
                number,
                rounds,
            )
        )
        results.append(
            compare(
                "save+get, Entity API",
                ("dict[id] = model_copy(); dict[id]", dict_save_get),
                ("e.save(); Item.get(id)", entity_save_get),
                None,
                number,
                rounds,
            )
        )

        tagged = Tagged(name="t", tags=["a", "b", "c"])
        plain_tagged = PlainTagged(id=tagged.id, name="t", tags=["a", "b", "c"])
        tagged_repo = Tagged.repository()
        tagged_copies: dict[str, PlainTagged] = {}

        def dict_tagged() -> Any:
            tagged_copies[plain_tagged.id] = plain_tagged.model_copy()
            return tagged_copies[plain_tagged.id]

        def repo_tagged() -> Any:
            tagged_repo.save(tagged)
            return tagged_repo.get(tagged.id)

        results.append(
            compare(
                "save+get with a list field (repo copies it, model_copy shares it)",
                ("dict[id] = model_copy(); dict[id]", dict_tagged),
                ("repo.save(e); repo.get(id)", repo_tagged),
                None,
                number,
                rounds,
            )
        )
    return results


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            names = (line.split(":", 1)[1] for line in fh if line.startswith("model name"))
            cpu = next(names).strip()
    except (OSError, StopIteration):
        pass
    return f"{cpu} x{os.cpu_count()} {platform.system()}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=10_000, help="calls per round")
    parser.add_argument("--rounds", type=int, default=15, help="interleaved rounds")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = parser.parse_args(argv)

    results = run(args.number, args.rounds)
    meta = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "pydantic": pydantic.VERSION,
        "nitro-core": nitro.__version__,
        "machine": machine(),
        "number": args.number,
        "rounds": args.rounds,
    }
    print(" ".join(f"{k}={v}" for k, v in meta.items()))
    print(f"{'case':<66} {'baseline':>10} {'nitro':>10} {'ratio':>7} {'target':>7}  verdict")
    for r in results:
        target = "-" if r.target is None else f"<={r.target:g}x"
        print(
            f"{r.case:<66} {r.baseline_ns:>8.0f}ns {r.candidate_ns:>8.0f}ns "
            f"{r.ratio:>6.2f}x {target:>7}  {r.verdict}"
        )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"meta": meta, "results": [asdict(r) for r in results]}, fh, indent=2)
    return 0 if all(r.verdict != "FAIL" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
