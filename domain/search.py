"""Document search: the one function every part of the bot uses to find passages.

A search runs in two steps.

1. The database ranks the passages that share a word with the question, from its full-text
   index (`domain.search_index`): SQLite's FTS5 with BM25, or PostgreSQL's `tsvector` with a sum
   of `ts_rank` per word weighted by the word's rarity (inverse document frequency), since
   `ts_rank` alone knows nothing of how common a word is (computed for the best few hundred
   passages by a plain `ts_rank`, as it costs one call per word and passage). The document's
   title and path weigh most, then the heading path, then the text. In a large index, words
   found in a large share of the passages do not make a passage a candidate on their own.
2. The best of those are re-ranked the same way on both databases: the rarer the question's words
   a passage holds, and the closer together it holds words the question has side by side, the
   higher it goes; then files are interleaved so the top hits come from different files (a file's
   best passage first, its next ones after every other file's best).

The question is only ever read as words (`domain.terms`): quotes, operators and SQL in it are
ignored as punctuation, never interpreted.
"""

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.db import connection

from domain import records, search_index, terms
from domain._connections import gives_back_connection

_MAX_TERMS = 32
_CANDIDATES = 100
_COMMON_SHARE = 0.2
_COMMON_MINIMUM = 500
# PostgreSQL weighs words by rarity for this many times the candidates, the best by plain rank.
_POSTGRES_PREFILTER = 5
_SQLITE_WEIGHTS = (4.0, 2.0, 1.0)
_POSTGRES_WEIGHTS = "{0.5, 0.5, 0.8, 1.0}"
_COVERAGE_WEIGHT = 0.5
_PROXIMITY_WEIGHT = 0.5
_PROXIMITY_CHARS = 25
_SNIPPET_CHARS = 240
_SNIPPET_LEAD_CHARS = 40
_FILE_SUPPORT_WEIGHT = 0.5
_FILE_SUPPORT_PASSAGES = 3


class InvalidLimit(ValueError):
    """A search must ask for at least one hit."""


@dataclass(frozen=True, kw_only=True)
class _Candidate:
    passage_id: int
    collection: str
    path: str
    url: str
    title: str
    heading: str
    text: str
    score: float


@dataclass(frozen=True, kw_only=True)
class _Matches:
    candidates: list[_Candidate]
    rarity: dict[str, float]


@gives_back_connection
async def search_passages(
    *, query: str, limit: int = 5, collection: str | None = None
) -> list[records.PassageHit]:
    """Return the passages that best answer `query`, best first, at most `limit` of them, from one
    collection or all. Any text is a valid query; one with no searchable word finds nothing.

    Raises: InvalidLimit, search_index.UnsupportedDatabase.
    """
    if limit < 1:
        raise InvalidLimit(f"A search must ask for at least one hit, not {limit}")
    query_terms = terms.query_terms(text=query)[:_MAX_TERMS]
    if not query_terms:
        return []
    matches = await sync_to_async(_matches)(
        query_terms=query_terms, collection=collection, count=max(limit, _CANDIDATES)
    )
    return _reranked(matches, query_terms=query_terms, limit=limit)


def _matches(*, query_terms: list[str], collection: str | None, count: int) -> _Matches:
    if connection.vendor == "sqlite":
        return _sqlite_matches(query_terms=query_terms, collection=collection, count=count)
    if connection.vendor == "postgresql":
        return _postgres_matches(query_terms=query_terms, collection=collection, count=count)
    raise search_index.UnsupportedDatabase(connection.vendor)


def _sqlite_matches(*, query_terms: list[str], collection: str | None, count: int) -> _Matches:
    table = search_index.SQLITE_TABLE
    phrases = [f'"{term}"' for term in query_terms]
    weights = ", ".join(str(weight) for weight in _SQLITE_WEIGHTS)
    with connection.cursor() as cursor:
        frequencies = ", ".join(
            f"(SELECT count(*) FROM {table} WHERE {table} MATCH %s)"  # noqa: S608
            for _ in phrases
        )
        cursor.execute(f"SELECT (SELECT count(*) FROM {table}), {frequencies}", phrases)  # noqa: S608
        total, *document_frequencies = cursor.fetchone()
        selective = _selective(query_terms, document_frequencies, total=total)
        cursor.execute(
            f"SELECT p.id, d.collection, d.path, d.url, d.title, p.heading, p.text, "  # noqa: S608
            f"-bm25({table}, {weights}) AS score "
            f"FROM {table} JOIN data_passage AS p ON p.id = {table}.rowid "
            "JOIN data_document AS d ON d.id = p.document_id "
            f"WHERE {table} MATCH %s AND (%s IS NULL OR d.collection = %s) "
            "ORDER BY score DESC, p.id LIMIT %s",
            [" OR ".join(f'"{term}"' for term in selective), collection, collection, count],
        )
        rows = cursor.fetchall()
    return _Matches(
        candidates=[_candidate(row) for row in rows],
        rarity=_rarity(query_terms, document_frequencies, total=total),
    )


def _postgres_matches(*, query_terms: list[str], collection: str | None, count: int) -> _Matches:
    column = search_index.POSTGRES_COLUMN
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM data_passage")
        (total,) = cursor.fetchone()
        frequencies = ", ".join(
            f"(SELECT count(*) FROM (SELECT FROM data_passage "  # noqa: S608
            f"WHERE {column} @@ plainto_tsquery('english', %s) LIMIT %s) AS found)"
            for _ in query_terms
        )
        # Counting stops past the share that makes a word common: its exact count changes little.
        cap = int(_common(total=total)) + 1
        cursor.execute(
            f"SELECT {frequencies}",
            [value for term in query_terms for value in (term, cap)],
        )
        document_frequencies = cursor.fetchone()
        rarity = _rarity(query_terms, document_frequencies, total=total)
        selective = _selective(query_terms, document_frequencies, total=total)
        ranks = " + ".join(
            f"%s * ts_rank('{_POSTGRES_WEIGHTS}', matched.{column}, "
            "plainto_tsquery('english', %s), 1)"
            for _ in query_terms
        )
        any_term = " || ".join("plainto_tsquery('english', %s)" for _ in selective)
        cursor.execute(
            "WITH matched AS ("  # noqa: S608
            f"SELECT p.id, p.{column} FROM data_passage AS p "
            "JOIN data_document AS d ON d.id = p.document_id "
            f"WHERE p.{column} @@ ({any_term}) AND (%s::text IS NULL OR d.collection = %s) "
            f"ORDER BY ts_rank('{_POSTGRES_WEIGHTS}', p.{column}, ({any_term}), 1) DESC, p.id "
            "LIMIT %s) "
            "SELECT p.id, d.collection, d.path, d.url, d.title, p.heading, p.text, "
            f"{ranks} AS score FROM matched JOIN data_passage AS p ON p.id = matched.id "
            "JOIN data_document AS d ON d.id = p.document_id "
            "ORDER BY score DESC, p.id LIMIT %s",
            [
                *selective,
                collection,
                collection,
                *selective,
                count * _POSTGRES_PREFILTER,
                *(value for term in query_terms for value in (rarity[term], term)),
                count,
            ],
        )
        rows = cursor.fetchall()
    return _Matches(candidates=[_candidate(row) for row in rows], rarity=rarity)


def _candidate(row: Sequence[object]) -> _Candidate:
    passage_id, collection, path, url, title, heading, text, score = row
    return _Candidate(
        passage_id=int(str(passage_id)),
        collection=str(collection),
        path=str(path),
        url=str(url),
        title=str(title),
        heading=str(heading),
        text=str(text),
        score=float(str(score)),
    )


def _selective(
    query_terms: list[str], document_frequencies: Sequence[int], *, total: int
) -> list[str]:
    """Return the words that make a passage a candidate: all but those found in a large share of
    a large index, which would make most passages candidates while adding little to any rank.
    When every word found is that common, all of them are used.
    """
    common = _common(total=total)
    frequencies = dict(zip(query_terms, document_frequencies, strict=True))
    selective = [term for term in query_terms if frequencies[term] <= common]
    if any(frequencies[term] for term in selective):
        return selective
    return query_terms


def _common(*, total: int) -> float:
    return max(total * _COMMON_SHARE, _COMMON_MINIMUM)


def _rarity(
    query_terms: list[str], document_frequencies: Sequence[int], *, total: int
) -> dict[str, float]:
    """BM25's inverse document frequency of each word: high for rare words, near 0 for common."""
    return {
        term: math.log(1 + (total - frequency + 0.5) / (frequency + 0.5))
        for term, frequency in zip(query_terms, document_frequencies, strict=True)
    }


def _reranked(matches: _Matches, *, query_terms: list[str], limit: int) -> list[records.PassageHit]:
    if not matches.candidates:
        return []
    stems = {terms.stem(word=term): matches.rarity[term] for term in query_terms}
    ordered = [terms.stem(word=term) for term in query_terms]
    pairs = list(itertools.pairwise(ordered))
    best = max(candidate.score for candidate in matches.candidates) or 1.0
    scored = sorted(
        (
            (_score(candidate, best=best, stems=stems, pairs=pairs), candidate)
            for candidate in matches.candidates
        ),
        key=lambda pair: (-pair[0], pair[1].passage_id),
    )
    by_file: dict[tuple[str, str], list[tuple[float, _Candidate]]] = {}
    for score, candidate in scored:
        by_file.setdefault((candidate.collection, candidate.path), []).append((score, candidate))
    interleaved: list[tuple[int, float, _Candidate]] = []
    for entries in by_file.values():
        support = _FILE_SUPPORT_WEIGHT * sum(
            score / 2**n for n, (score, _) in enumerate(entries[1 : _FILE_SUPPORT_PASSAGES + 1], 1)
        )
        for place, (score, candidate) in enumerate(entries):
            interleaved.append((place, -(score + support if place == 0 else score), candidate))
    interleaved.sort(key=lambda entry: (entry[0], entry[1], entry[2].passage_id))
    return [
        _hit(candidate, score=-negative_score, stems=stems)
        for _, negative_score, candidate in interleaved[:limit]
    ]


def _score(
    candidate: _Candidate,
    *,
    best: float,
    stems: dict[str, float],
    pairs: list[tuple[str, str]],
) -> float:
    positions = terms.find_stems(
        text=f"{candidate.title} {candidate.path} {candidate.heading} {candidate.text}",
        stems=stems,
    )
    total_rarity = sum(stems.values()) or 1.0
    coverage = sum(stems[word] for word in positions) / total_rarity
    proximity = sum(
        stems[first] + stems[second]
        for first, second in pairs
        if _near(positions.get(first, []), positions.get(second, []))
    ) / (2 * total_rarity)
    return candidate.score / best + _COVERAGE_WEIGHT * coverage + _PROXIMITY_WEIGHT * proximity


def _near(first: list[int], second: list[int]) -> bool:
    return any(0 < b - a <= _PROXIMITY_CHARS for a in first for b in second)


def _hit(candidate: _Candidate, *, score: float, stems: dict[str, float]) -> records.PassageHit:
    return records.PassageHit(
        passage_id=candidate.passage_id,
        collection=candidate.collection,
        path=candidate.path,
        url=candidate.url,
        title=candidate.title,
        heading=candidate.heading,
        text=candidate.text,
        snippet=_snippet(candidate.text, stems=stems),
        score=round(score, 6),
    )


def _snippet(text: str, *, stems: dict[str, float]) -> str:
    """Return the part of `text` around the densest run of the question's words."""
    found = sorted(
        (offset, stems[stem])
        for stem, offsets in terms.find_stems(text=text, stems=stems).items()
        for offset in offsets
    )
    start, best = 0, 0.0
    for offset, _ in found:
        weight = sum(rarity for at, rarity in found if offset <= at < offset + _SNIPPET_CHARS)
        if weight > best:
            start, best = offset, weight
    start = min(max(0, start - _SNIPPET_LEAD_CHARS), max(0, len(text) - _SNIPPET_CHARS))
    if start > 0 and " " in text[start : start + _SNIPPET_LEAD_CHARS]:
        start = text.index(" ", start) + 1
    cut = text[start : start + _SNIPPET_CHARS]
    if start + _SNIPPET_CHARS < len(text) and " " in cut:
        cut = cut[: cut.rfind(" ")]
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + len(cut) < len(text.rstrip()) else ""
    return f"{prefix}{' '.join(cut.split())}{suffix}"
