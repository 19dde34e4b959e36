"""Helpers for agent tests: a search function over a fixed list of passages."""

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
    """Returns the same passages for every query, and remembers the queries."""

    hits: list[records.PassageHit]
    queries: list[str] = field(default_factory=list)

    async def __call__(self, *, query: str, limit: int) -> list[records.PassageHit]:
        self.queries.append(query)
        return self.hits[:limit]
