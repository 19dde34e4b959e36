"""Tests that need a part `make test` may not find (Chromium, a model server): without it they are
left out of the run, and the summary says how many and why, so `make test` passes on a machine
with only Python; where their environment variable says `required` (CI sets it), they run and a
missing part fails them."""

import os
from dataclasses import dataclass, field

import pytest


@dataclass(frozen=True)
class OptionalTests:
    marker: str
    required_by: str
    why_left_out: str
    _left_out: pytest.StashKey[int] = field(default_factory=pytest.StashKey[int])

    def required(self) -> bool:
        return os.environ.get(self.required_by) == "required"

    def leave_out_unless(
        self, available: bool, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        if available or self.required():
            return
        left_out = [item for item in items if item.get_closest_marker(self.marker)]
        if left_out:
            config.hook.pytest_deselected(items=left_out)
            items[:] = [item for item in items if not item.get_closest_marker(self.marker)]
            config.stash[self._left_out] = len(left_out)

    def report(self, terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
        if left_out := config.stash.get(self._left_out, 0):
            terminalreporter.write_line(f"{left_out} {self.why_left_out}", yellow=True)
