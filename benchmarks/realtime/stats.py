"""Percentiles and the figures printed for each server."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def ms(seconds: float) -> float:
    return seconds * 1000.0


def ratio(nitro: float, floor: float) -> float:
    if floor == 0 or math.isnan(floor) or math.isnan(nitro):
        return math.nan
    return nitro / floor
