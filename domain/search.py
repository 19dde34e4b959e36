"""Document search: the one function every part of the bot uses to find passages.

A search runs in three steps.

1. The database ranks the passages that hold one of the question's rarer words (as many of the
   rarest as keep the passages to rank within a budget, from word counts the index keeps: see
   `domain.search_index`), by all of the question's words: SQLite's FTS5 with BM25, or
   PostgreSQL's `tsvector` with `ts_rank`, then, for the best few, a sum of `ts_rank` per word
   weighted by the word's rarity (inverse document frequency), since `ts_rank` alone knows
   nothing of how common a word is (it costs one call per word and passage, hence only for the
   few). The document's title and path weigh most, then the heading path, then the text.
2. The best of those are re-ranked the same way on both databases: the rarer the question's words
   a passage holds, and the closer together it holds words the question has side by side, the
   higher it goes; then files are interleaved so the top hits come from different files (a file's
   best passage first, its next ones after every other file's best).
3. With an embedding model, the passages nearest the question in meaning (`domain.vector_search`)
   are fused with those by reciprocal rank fusion, files again taking turns: a passage written in
   other words than the question's gets in, and one found both ways goes up.

The database only ever reads the question as words (`domain.terms`): quotes, operators and SQL
in it are ignored as punctuation, never interpreted.
"""

import asyncio
import bisect
import itertools
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from asgiref.sync import sync_to_async
from django.db import connection

from data import models
from domain import records, search_index, terms, vector_search
from domain._connections import gives_back_connection

_MAX_TERMS = 32
_CANDIDATES = 50
# Passages ranked by the database at most, counted as the sum of the candidate words' passages.
_CANDIDATE_POSTINGS = 1000
_SQLITE_WEIGHTS = (4.0, 2.0, 1.0)
_POSTGRES_WEIGHTS = "{0.5, 0.5, 0.8, 1.0}"
# A query in a subquery is made once per search, not once per passage it is checked against.
_POSTGRES_WORD = "(SELECT plainto_tsquery('english', %s))"
# PostgreSQL weighs words by rarity for this many times the candidates, the best by plain rank.
_POSTGRES_PREFILTER = 3
_COVERAGE_WEIGHT = 0.5
_PROXIMITY_WEIGHT = 0.5
_PROXIMITY_CHARS = 25
_SNIPPET_CHARS = 240
_SNIPPET_LEAD_CHARS = 40
_FILE_SUPPORT_WEIGHT = 0.5
_FILE_SUPPORT_PASSAGES = 3
# Reciprocal rank fusion's constant: the smaller, the more a ranking's first few places count.
_FUSION_K = 5
# The meaning ranking counts half the words': alone, the offline embedding model puts the right
# file first less often than words do, and with equal weights the fused ranking did too.
_MEANING_WEIGHT = 0.5

logger = logging.getLogger(__name__)


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
class _Ranked:
    ranked: list[tuple[float, _Candidate]]
    rarity: dict[str, float]


@dataclass(frozen=True, kw_only=True)
class _Matches:
    candidates: list[_Candidate]
    rarity: dict[str, float]


class QueryEmbedder(Protocol):
    """The embedding model a search turns the question into a vector with."""

    @property
    def name(self) -> str:
        """The model's name, which its passages' vectors are kept under."""
        ...

    async def embed_query(self, text: str) -> Sequence[float] | None:
        """The question's vector, or None when the model could not give one (it logs why)."""
        ...


@gives_back_connection
async def search_passages(
    *,
    query: str,
    limit: int = 5,
    collections: Sequence[str] = (),
    embedder: QueryEmbedder | None = None,
) -> list[records.PassageHit]:
    """Return the passages that best answer `query`, best first, at most `limit` of them, from
    these collections (none: all). Any text is a valid query. With an embedder whose vectors the
    passages have, the passages nearest in meaning are fused with those found by words; when it
    fails, words alone rank. A query that shares no word with the documentation finds nothing: by
    meaning alone every query has nearest passages, however far from it they are.

    Raises: InvalidLimit, search_index.UnsupportedDatabase.
    """
    if limit < 1:
        raise InvalidLimit(f"A search must ask for at least one hit, not {limit}")
    query_terms = terms.query_terms(text=query)[:_MAX_TERMS]
    by_words, by_meaning = await asyncio.gather(
        _by_words(query_terms, collections=collections, count=max(limit, _CANDIDATES)),
        _by_meaning(query, embedder=embedder, collections=collections, count=_CANDIDATES),
    )
    stems = {terms.stem(word=term): by_words.rarity[term] for term in query_terms}
    if not by_words.ranked:
        return []
    if not by_meaning:
        return [
            _hit(candidate, score=score, stems=stems, word_rank=rank, vector_rank=None)
            for rank, (score, candidate) in enumerate(by_words.ranked[:limit], 1)
        ]
    return await _fused(by_words.ranked, by_meaning, stems=stems, limit=limit)


async def _by_words(query_terms: list[str], *, collections: Sequence[str], count: int) -> _Ranked:
    if not query_terms:
        return _Ranked(ranked=[], rarity={})
    matches = await sync_to_async(_matches)(
        query_terms=query_terms, collections=collections, count=count
    )
    return _Ranked(ranked=_reranked(matches, query_terms=query_terms), rarity=matches.rarity)


async def _by_meaning(
    query: str, *, embedder: QueryEmbedder | None, collections: Sequence[str], count: int
) -> list[int]:
    if embedder is None or not query.strip():
        return []
    try:
        held = await sync_to_async(vector_search.held_vectors)(model=embedder.name)
        if not held:
            return []
        vector = await embedder.embed_query(query)
        if vector is None:
            return []
        return await asyncio.to_thread(
            held.nearest, vector=vector, collections=collections, count=count
        )
    except vector_search.WrongSize as error:
        logger.warning("Searching by words alone: %s (%s)", error, embedder.name)
        return []


async def _fused(
    by_words: list[tuple[float, _Candidate]],
    by_meaning: list[int],
    *,
    stems: dict[str, float],
    limit: int,
) -> list[records.PassageHit]:
    """Weighted reciprocal rank fusion: a passage scores weight / (k + rank) in each ranking it is
    in, and the files take turns as in the word ranking (each file's best passage, then its next
    ones)."""
    word_ranks = {candidate.passage_id: rank for rank, (_, candidate) in enumerate(by_words, 1)}
    vector_ranks = {passage_id: rank for rank, passage_id in enumerate(by_meaning, 1)}
    candidates = {candidate.passage_id: candidate for _, candidate in by_words}
    missing = [passage_id for passage_id in by_meaning if passage_id not in candidates]
    candidates.update(await sync_to_async(_candidates_by_id)(missing))
    scored = sorted(
        (
            (
                sum(
                    weight / (_FUSION_K + ranks[passage_id])
                    for weight, ranks in ((1.0, word_ranks), (_MEANING_WEIGHT, vector_ranks))
                    if passage_id in ranks
                ),
                candidate,
            )
            for passage_id, candidate in candidates.items()
        ),
        key=lambda pair: (-pair[0], pair[1].passage_id),
    )
    return [
        _hit(
            candidate,
            score=score,
            stems=stems,
            word_rank=word_ranks.get(candidate.passage_id),
            vector_rank=vector_ranks.get(candidate.passage_id),
        )
        for score, candidate in _files_in_turn(scored)[:limit]
    ]


def _matches(*, query_terms: list[str], collections: Sequence[str], count: int) -> _Matches:
    counts = search_index.passage_counts(words=query_terms)
    rarity = _rarity(counts)
    # Words are counted in every collection, so the rarest may be in none of those searched:
    # then the next rarest make the candidates, until some passage of those collections holds one.
    unused = dict(counts.by_word)
    rows: list[Sequence[object]] = []
    while not rows and (candidate_terms := _candidate_terms(unused)):
        rows = _rows(candidate_terms, rarity=rarity, collections=collections, count=count)
        if not collections:
            break
        for term in candidate_terms:
            del unused[term]
    return _Matches(candidates=[_candidate(row) for row in rows], rarity=rarity)


def _rows(
    candidate_terms: list[str],
    *,
    rarity: dict[str, float],
    collections: Sequence[str],
    count: int,
) -> list[Sequence[object]]:
    if connection.vendor == "sqlite":
        return _sqlite_rows(
            candidate_terms=candidate_terms,
            words=list(rarity),
            collections=collections,
            count=count,
        )
    return _postgres_rows(
        candidate_terms=candidate_terms, rarity=rarity, collections=collections, count=count
    )


def _sqlite_rows(
    *, candidate_terms: list[str], words: list[str], collections: Sequence[str], count: int
) -> list[Sequence[object]]:
    table = search_index.SQLITE_TABLE
    weights = ", ".join(str(weight) for weight in _SQLITE_WEIGHTS)
    with connection.cursor() as cursor:
        # A candidate word makes a passage a match, and BM25 scores every word of the question
        # it holds (the candidates twice: they are the rarest, which BM25 favours anyway). Only
        # the best few are joined to their text: joining first would read every match's text.
        cursor.execute(
            "WITH ranked AS ("  # noqa: S608
            f"SELECT rowid AS id, -bm25({table}, {weights}) AS score FROM {table} "
            f"WHERE {table} MATCH %s {_in_collections('rowid', collections)}"
            "ORDER BY score DESC, rowid LIMIT %s) "
            "SELECT p.id, d.collection, d.path, d.url, p.anchor, d.title, p.heading, p.text, "
            "ranked.score "
            "FROM ranked JOIN data_passage AS p ON p.id = ranked.id "
            "JOIN data_document AS d ON d.id = p.document_id "
            "ORDER BY ranked.score DESC, p.id",
            [
                f"({_sqlite_any(candidate_terms)}) AND ({_sqlite_any(words)})",
                *collections,
                count,
            ],
        )
        rows: list[Sequence[object]] = cursor.fetchall()
    return rows


def _sqlite_any(words: list[str]) -> str:
    return " OR ".join(search_index.sqlite_phrase(word) for word in words)


def _postgres_rows(
    *,
    candidate_terms: list[str],
    rarity: dict[str, float],
    collections: Sequence[str],
    count: int,
) -> list[Sequence[object]]:
    column = search_index.POSTGRES_COLUMN
    any_word = _postgres_any(len(rarity))
    ranks = " + ".join(
        f"%s * ts_rank('{_POSTGRES_WEIGHTS}', matched.{column}, {_POSTGRES_WORD}, 1)"
        for _ in rarity
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH matched AS ("  # noqa: S608
            f"SELECT p.id, p.{column} FROM data_passage AS p "
            f"WHERE p.{column} @@ {_postgres_any(len(candidate_terms))} "
            f"{_in_collections('p.id', collections)}"
            f"ORDER BY ts_rank('{_POSTGRES_WEIGHTS}', p.{column}, {any_word}, 1) DESC, p.id "
            "LIMIT %s) "
            "SELECT p.id, d.collection, d.path, d.url, p.anchor, d.title, p.heading, p.text, "
            f"{ranks} AS score FROM matched JOIN data_passage AS p ON p.id = matched.id "
            "JOIN data_document AS d ON d.id = p.document_id "
            "ORDER BY score DESC, p.id LIMIT %s",
            [
                *candidate_terms,
                *collections,
                *rarity,
                count * _POSTGRES_PREFILTER,
                *(value for term, weight in rarity.items() for value in (weight, term)),
                count,
            ],
        )
        rows: list[Sequence[object]] = cursor.fetchall()
    return rows


def _in_collections(passage: str, collections: Sequence[str]) -> str:
    """The condition that keeps passages to the collections, with a parameter for each; empty
    for all collections."""
    if not collections:
        return ""
    named = ", ".join(["%s"] * len(collections))
    return (
        f"AND {passage} IN (SELECT p.id FROM data_passage AS p "  # noqa: S608
        "JOIN data_document AS d ON d.id = p.document_id "
        f"WHERE d.collection IN ({named})) "
    )


def _postgres_any(words: int) -> str:
    return "(SELECT " + " || ".join(["plainto_tsquery('english', %s)"] * words) + ")"


def _candidate(row: Sequence[object]) -> _Candidate:
    passage_id, collection, path, url, anchor, title, heading, text, score = row
    return _Candidate(
        passage_id=int(str(passage_id)),
        collection=str(collection),
        path=str(path),
        url=records.passage_link(document_url=str(url), anchor=str(anchor)),
        title=str(title),
        heading=str(heading),
        text=str(text),
        score=float(str(score)),
    )


def _candidate_terms(frequencies: dict[str, int]) -> list[str]:
    """Return the words that make a passage a candidate: the rarest found, as many as keep the
    passages to rank within a budget (at least one word). Ranking is the cost of a search, and
    it grows with the passages ranked, so this bounds it whatever the index size; a passage that
    holds only the commoner words of a question is rarely its answer.
    """
    found = sorted(
        (term for term, frequency in frequencies.items() if frequency), key=frequencies.__getitem__
    )
    chosen: list[str] = []
    postings = 0
    for term in found:
        if chosen and postings + frequencies[term] > _CANDIDATE_POSTINGS:
            break
        chosen.append(term)
        postings += frequencies[term]
    return chosen


def _rarity(counts: search_index.PassageCounts) -> dict[str, float]:
    """BM25's inverse document frequency of each word: high for rare words, near 0 for common."""
    return {
        term: math.log(1 + max(0.0, counts.total - frequency + 0.5) / (frequency + 0.5))
        for term, frequency in counts.by_word.items()
    }


def _reranked(matches: _Matches, *, query_terms: list[str]) -> list[tuple[float, _Candidate]]:
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
    return _files_in_turn(scored, support=_FILE_SUPPORT_WEIGHT)


def _files_in_turn(
    scored: list[tuple[float, _Candidate]], *, support: float = 0.0
) -> list[tuple[float, _Candidate]]:
    """Order best-first passages so that files take turns: every file's best passage, then every
    file's second best, and so on. With `support`, a file's best passage also gains from the
    file's next few (a file that holds several good passages is likelier the answer)."""
    by_file: dict[tuple[str, str], list[tuple[float, _Candidate]]] = {}
    for score, candidate in scored:
        by_file.setdefault((candidate.collection, candidate.path), []).append((score, candidate))
    in_turn: list[tuple[int, float, _Candidate]] = []
    for entries in by_file.values():
        gained = support * sum(
            score / 2**n for n, (score, _) in enumerate(entries[1 : _FILE_SUPPORT_PASSAGES + 1], 1)
        )
        for place, (score, candidate) in enumerate(entries):
            in_turn.append((place, -(score + gained if place == 0 else score), candidate))
    in_turn.sort(key=lambda entry: (entry[0], entry[1], entry[2].passage_id))
    return [(-negative_score, candidate) for _, negative_score, candidate in in_turn]


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
    """Whether a word at one of `second` (ascending offsets) follows one at `first` closely."""
    for offset in first:
        after = bisect.bisect_right(second, offset)
        if after < len(second) and second[after] - offset <= _PROXIMITY_CHARS:
            return True
    return False


def _candidates_by_id(passage_ids: list[int]) -> dict[int, _Candidate]:
    rows = (
        models.Passage.objects.filter(pk__in=passage_ids)
        .select_related("document")
        .only(
            "heading",
            "anchor",
            "text",
            "document__collection",
            "document__path",
            "document__url",
            "document__title",
        )
    )
    return {
        row.pk: _Candidate(
            passage_id=row.pk,
            collection=row.document.collection,
            path=row.document.path,
            url=records.passage_link(document_url=row.document.url, anchor=row.anchor),
            title=row.document.title,
            heading=row.heading,
            text=row.text,
            score=0.0,
        )
        for row in rows
    }


def _hit(
    candidate: _Candidate,
    *,
    score: float,
    stems: dict[str, float],
    word_rank: int | None,
    vector_rank: int | None,
) -> records.PassageHit:
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
        word_rank=word_rank,
        vector_rank=vector_rank,
    )


def _snippet(text: str, *, stems: dict[str, float]) -> str:
    """Return the part of `text` around the densest run of the question's words."""
    found = sorted(
        (offset, stems[stem])
        for stem, offsets in terms.find_stems(text=text, stems=stems).items()
        for offset in offsets
    )
    start, best, end = 0, 0.0, 0
    for first, (offset, _) in enumerate(found):
        while end < len(found) and found[end][0] < offset + _SNIPPET_CHARS:
            end += 1
        weight = sum(rarity for _, rarity in found[first:end])
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
