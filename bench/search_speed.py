"""Part 5, search speed: p50 and p95 of `domain.search.search_passages` over 20,000 passages, by
words and meaning (as the bot searches, the question embedded by the embedding model each time)
and by words alone.

The corpus is generated, the same on every run: 1,000 Markdown files of 20 sections each (one
passage per section), written with the words of this repository's own documentation drawn as often
as the documentation uses them, so common and rare words are spread as in real text. It is indexed
through the indexing use case; each question is a few words of one passage, as a person would pick
them. The passages' vectors are random, of the model's size: embedding 20,000 passages would take
the offline model many minutes, and a search reads every vector whatever its values.
"""

import dataclasses
import datetime as dt
import random
import re
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from agents import embeddings
from application import index_documents
from bench.figures import distribution
from domain import search, vectors
from fakes.servers import PROJECT_DIR

FILES = 1000
SECTIONS_PER_FILE = 20
WORDS_PER_SECTION = (40, 120)
QUESTIONS = 100
WARM_UP_QUESTIONS = 10
HITS = 5
SEED = 20_000
VECTOR_BATCH = 2000
_WORD = re.compile(r"[a-z]{3,}")


@dataclasses.dataclass(frozen=True)
class Vocabulary:
    words: list[str]
    weights: list[int]


async def measure(*, scale: float = 1.0) -> dict[str, Any]:
    files = max(1, round(FILES * scale))
    draw = random.Random(SEED)  # noqa: S311 (the same corpus every run, not a secret)
    vocabulary = _vocabulary()
    with tempfile.TemporaryDirectory(prefix="kraken-bench-corpus-") as folder:
        sections = _write_corpus(Path(folder), files=files, vocabulary=vocabulary, draw=draw)
        started = time.perf_counter()
        report = await index_documents.index_documents(
            root=Path(folder), collection="bench-search", now=dt.datetime.now(tz=dt.UTC)
        )
        indexing_s = time.perf_counter() - started
    questions = [_question(draw.choice(sections), draw) for _ in range(QUESTIONS)]
    embedder = embeddings.configured_embedder()
    if embedder is not None:
        await _random_vectors(embedder, draw)
    hybrid_ms, found = await _timed(questions, embedder=embedder)
    words_ms, _ = await _timed(questions, embedder=None)
    return {
        "passages": report.passages,
        "indexing_s": round(indexing_s, 1),
        "embedding_model": embedder.name if embedder else "none",
        "questions": len(questions),
        "questions_with_hits": found,
        "search_ms": distribution(hybrid_ms),
        "search_mean_ms": round(statistics.fmean(hybrid_ms), 1),
        "search_by_words_ms": distribution(words_ms),
    }


async def _random_vectors(embedder: embeddings.PassageEmbedder, draw: random.Random) -> None:
    """A random vector of the model's size for every passage."""
    size = len((await embedder.embed(["the size of the model's vectors"]))[0])
    while passages := await vectors.passages_to_embed(model=embedder.name, limit=VECTOR_BATCH):
        await vectors.store_vectors(
            model=embedder.name,
            vectors={
                passage.passage_id: [draw.gauss(0.0, 1.0) for _ in range(size)]
                for passage in passages
            },
        )


async def _timed(
    questions: list[str], *, embedder: embeddings.PassageEmbedder | None
) -> tuple[list[float], int]:
    """Each question's search time (after a few to warm up), and how many found something."""
    for question in questions[:WARM_UP_QUESTIONS]:
        await search.search_passages(query=question, limit=HITS, embedder=embedder)
    latencies_ms = []
    found = 0
    for question in questions:
        begun = time.perf_counter()
        hits = await search.search_passages(query=question, limit=HITS, embedder=embedder)
        latencies_ms.append((time.perf_counter() - begun) * 1000)
        found += bool(hits)
    return latencies_ms, found


def _vocabulary() -> Vocabulary:
    texts = [path.read_text() for path in sorted((PROJECT_DIR / "docs").glob("*.md"))]
    counts = Counter(_WORD.findall((PROJECT_DIR / "README.md").read_text().lower()))
    for text in texts:
        counts.update(_WORD.findall(text.lower()))
    words = sorted(counts)
    return Vocabulary(words=words, weights=[counts[word] for word in words])


def _write_corpus(
    folder: Path, *, files: int, vocabulary: Vocabulary, draw: random.Random
) -> list[str]:
    sections = []
    for number in range(files):
        lines = [f"# {_words(vocabulary, draw, 3).capitalize()}", ""]
        for _ in range(SECTIONS_PER_FILE):
            text = _words(vocabulary, draw, draw.randint(*WORDS_PER_SECTION))
            sections.append(text)
            lines += [f"## {_words(vocabulary, draw, 4).capitalize()}", "", f"{text}.", ""]
        (folder / f"page-{number:04d}.md").write_text("\n".join(lines))
    return sections


def _words(vocabulary: Vocabulary, draw: random.Random, count: int) -> str:
    return " ".join(draw.choices(vocabulary.words, weights=vocabulary.weights, k=count))


def _question(section: str, draw: random.Random) -> str:
    return "how do I " + " ".join(draw.sample(section.split(), k=4)) + "?"
