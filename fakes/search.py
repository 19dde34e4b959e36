"""A fake search: the same passages for any query, for the tests of the agents and the use cases."""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from domain import records


def hit(
    passage_id: int, *, title: str = "Runbook", heading: str = "", text: str = ""
) -> records.PassageHit:
    return records.PassageHit(
        passage_id=passage_id,
        collection="handbook",
        path=f"page-{passage_id}.md",
        url=f"https://docs.example.com/page-{passage_id}",
        title=title,
        heading=heading,
        text=text or f"Passage {passage_id} text.",
        snippet=text[:80],
        score=1.0 / passage_id,
    )


@dataclass
class FixedSearch:
    """Returns the same passages for every query, and remembers the queries; can be told to
    wait for other steps."""

    hits: list[records.PassageHit]
    queries: list[str] = field(default_factory=list)
    wait_for: asyncio.Barrier | None = None

    collections: list[Sequence[str]] = field(default_factory=list)

    async def __call__(
        self, *, query: str, limit: int, collections: Sequence[str] = (), embedder: object = None
    ) -> list[records.PassageHit]:
        """Takes `search_passages`' arguments and remembers the collections asked for; they and
        the embedder change nothing here."""
        self.queries.append(query)
        self.collections.append(collections)
        if self.wait_for is not None:
            await self.wait_for.wait()
        return self.hits[:limit]
