"""nitro.ids: sortable, URL-safe, unique UUIDv7 ids."""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from nitro.ids import id_timestamp_ms, is_valid_id, new_id


def test_format_is_32_lowercase_hex_uuid7() -> None:
    value = new_id()
    assert len(value) == 32
    assert value == value.lower()
    assert set(value) <= set("0123456789abcdef")
    parsed = uuid.UUID(value)
    assert parsed.version == 7
    assert parsed.variant == uuid.RFC_4122
    assert is_valid_id(value)


def test_ids_sort_in_creation_order() -> None:
    ids = [new_id() for _ in range(20_000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_timestamp_is_the_creation_time() -> None:
    before = time.time_ns() // 1_000_000
    value = new_id()
    after = time.time_ns() // 1_000_000
    assert before <= id_timestamp_ms(value) <= after + 1


def test_unique_across_threads() -> None:
    results: list[list[str]] = [[] for _ in range(8)]

    def work(slot: list[str]) -> None:
        slot.extend(new_id() for _ in range(5_000))

    threads = [threading.Thread(target=work, args=(slot,)) for slot in results]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [i for slot in results for i in slot]
    assert len(set(everything)) == 40_000
    for slot in results:
        assert slot == sorted(slot)


def test_random_part_differs_between_neighbours() -> None:
    a, b = new_id(), new_id()
    assert a[16:] != b[16:]


@pytest.mark.parametrize("bad", ["", "x" * 32, new_id().upper(), new_id()[:-1], 42, None])
def test_invalid_ids(bad: object) -> None:
    assert not is_valid_id(bad)


def test_timestamp_of_a_bad_id_names_it() -> None:
    with pytest.raises(ValueError, match=r"'nope' is not an id made by nitro\.ids\.new_id"):
        id_timestamp_ms("nope")
