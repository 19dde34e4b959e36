"""Faults the fake servers inject into a share of their requests, for the reliability tests.

Which requests fail is drawn from a seeded generator: the same sequence of requests fails the same
way on every run, and the tests can read how many faults of each kind were injected.
"""

import random
from collections import Counter
from collections.abc import Mapping


class RandomFaults:
    def __init__(self, rates: Mapping[str, float], *, seed: int) -> None:
        """`rates` maps a fault's name to the share of requests it hits (together at most 1)."""
        assert sum(rates.values()) <= 1
        self._rates = dict(rates)
        self._random = random.Random(seed)  # noqa: S311 - a test's fault schedule, not a secret
        self.injected: Counter[str] = Counter()

    def draw(self) -> str | None:
        """The fault the next request gets, or None for no fault."""
        roll = self._random.random()
        for name, rate in self._rates.items():
            if roll < rate:
                self.injected[name] += 1
                return name
            roll -= rate
        return None
