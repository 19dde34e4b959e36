"""Summing up measurements: percentiles by the nearest-rank method, in milliseconds."""

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], fraction: float) -> float:
    """The smallest value at or above the given fraction of the values (nearest rank)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def distribution(values: Sequence[float]) -> dict[str, float | int | None]:
    """p50, p95, p99 and max of the values, rounded to 0.1; None for each when there are none."""
    if not values:
        return {"count": 0, "p50": None, "p95": None, "p99": None, "max": None}
    return {
        "count": len(values),
        "p50": round(percentile(values, 0.50), 1),
        "p95": round(percentile(values, 0.95), 1),
        "p99": round(percentile(values, 0.99), 1),
        "max": round(max(values), 1),
    }
