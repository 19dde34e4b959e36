"""Faults the fake servers inject into their requests.

`RandomFaults`, for the reliability tests, hits a share of the requests: which ones is drawn from a
seeded generator, so the same sequence of requests fails the same way on every run, and the tests
can read how many faults of each kind were injected. `ScriptedFaults` hits exactly the requests a
test names: the next few that match answer a rate limit or an error.
"""

import random
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field


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


@dataclass(frozen=True, kw_only=True)
class ScriptedFault:
    status: int
    retry_after_s: int | None
    where: str

    @property
    def headers(self) -> dict[str, str]:
        """The response's headers: `Retry-After` when the fault sets one."""
        return {} if self.retry_after_s is None else {"Retry-After": str(self.retry_after_s)}


@dataclass
class ScriptedFaults:
    """Faults a test asks for: the next few matching requests answer a rate limit or an error.

    A fake server is one of these (Confluence, Notion): the test calls `rate_limit` or `fail`, and
    the server's middleware asks `take` with what it matches `where` against (its path, or its path
    and query) before it answers.
    """

    _scripted: list[ScriptedFault] = field(default_factory=list)

    def rate_limit(self, *, retry_after_s: int = 0, times: int = 1, where: str = "") -> None:
        """The next `times` requests that contain `where` answer 429 with `Retry-After`."""
        self._scripted += [
            ScriptedFault(status=429, retry_after_s=retry_after_s, where=where)
        ] * times

    def fail(self, status: int = 500, *, times: int = 1, where: str = "") -> None:
        """The next `times` requests that contain `where` answer `status`."""
        self._scripted += [ScriptedFault(status=status, retry_after_s=None, where=where)] * times

    def take(self, target: str) -> ScriptedFault | None:
        """The first scripted fault whose `where` is in `target`, now used up; or None."""
        for fault in self._scripted:
            if fault.where in target:
                self._scripted.remove(fault)
                return fault
        return None
