"""Evaluate the bot's answers on a documentation folder and a file of questions with known answers,
with pydantic-evals.

    uv run python bench/answer_quality.py --corpus DIR --qa FILE [--database-url URL] [--json OUT]
        [--min-found-at-5 F] [--min-mrr F] [--min-cites-expected F] [--min-evidence-phrase F]
        [--judge]

The folder is indexed (and embedded, unless `EMBEDDING_MODEL=none`) into a fresh, throwaway
database as `bench/search_quality.py` does it. Each question is then searched and answered as the
bot would answer it in Slack: on the offline models unless `LLM_MODEL` is set. The evaluators
judge the search (`found@1`, `found@5`, `found@10`: a passage of an expected file at that rank or
better; `mrr`: the reciprocal rank of the first one) and the answer (`cites_expected`: it cites a
passage of an expected file; `evidence_phrase`: it contains the question's evidence phrase, in
any case and spacing). With `--judge` and `LLM_MODEL`, the model also judges each answer against a
rubric; never by default, as it costs a model's time and money.

It prints pydantic-evals' report and the averages, and writes the averages as JSON with `--json`.
The `--min-…` options guard against regressions: an average below its minimum is named and the
run exits non-zero.

The question file is JSON Lines: `{"id", "question", "expected_paths", "evidence_phrase"}`, with
the expected paths relative to the folder. Without `--database-url` the database is a temporary
SQLite file; with a `postgres://` URL, a database named `kraken_bench_answers` is created on that
server and dropped at the end.
"""

import argparse
import asyncio
import dataclasses
import datetime as dt
import functools
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic_evals import Case, Dataset
from pydantic_evals.evaluators import Evaluator, EvaluatorContext, LLMJudge
from pydantic_evals.reporting import EvaluationReport

# Run as a script, this folder is first on the path, not the project: put the project there too.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import search_quality

if TYPE_CHECKING:
    from agents.embeddings import PassageEmbedder
    from domain.records import PassageHit

EVAL_DATABASE = "kraken_bench_answers"
COLLECTION = "eval"
RANKS_COUNTED = 10
# Questions answered at once: enough to overlap one answer's waits (a real model's replies) with
# another's work, few enough to stay well inside a PostgreSQL connection pool.
CONCURRENCY = 4
JUDGE_RUBRIC = """\
The answer responds to the question with what the documentation says, and the passages it quotes
or cites are about the question. It invents no commands, settings or links."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class Expected:
    """What a question's answer should show: a file that answers it, and a phrase from that file."""

    expected_paths: tuple[str, ...]
    evidence_phrase: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class Answered:
    """What the bot did with a question: the files of the passages its search found, best first,
    its answer, and the files of the passages the answer cites."""

    searched_paths: tuple[str, ...]
    answer: str
    cited_paths: tuple[str, ...]


Context = EvaluatorContext[str, Answered, Expected]


class NoExpectation(Exception):
    """A case has no expected files and phrase to judge its output by."""


@dataclasses.dataclass
class FoundAt(Evaluator[str, Answered, Expected]):
    """Retrieval: a passage of an expected file is among the first `k` the search found."""

    k: int

    def get_default_evaluation_name(self) -> str:
        return f"found@{self.k}"

    def evaluate(self, ctx: Context) -> bool:
        rank = _first_expected_rank(ctx)
        return rank is not None and rank <= self.k


@dataclasses.dataclass
class ReciprocalRank(Evaluator[str, Answered, Expected]):
    """Retrieval: one over the rank of the first passage of an expected file, zero when none was
    found. Named for its mean over the questions, the mean reciprocal rank."""

    def get_default_evaluation_name(self) -> str:
        return "mrr"

    def evaluate(self, ctx: Context) -> float:
        rank = _first_expected_rank(ctx)
        return 1 / rank if rank is not None else 0.0


@dataclasses.dataclass
class CitesExpected(Evaluator[str, Answered, Expected]):
    """Answer: it cites at least one passage of an expected file."""

    def get_default_evaluation_name(self) -> str:
        return "cites_expected"

    def evaluate(self, ctx: Context) -> bool:
        expected = _expected(ctx).expected_paths
        return any(path in expected for path in ctx.output.cited_paths)


@dataclasses.dataclass
class ContainsEvidence(Evaluator[str, Answered, Expected]):
    """Answer: it contains the evidence phrase, whatever its case and spacing (a quoted passage
    may be wrapped or reflowed)."""

    def get_default_evaluation_name(self) -> str:
        return "evidence_phrase"

    def evaluate(self, ctx: Context) -> bool:
        return _normalised(_expected(ctx).evidence_phrase) in _normalised(ctx.output.answer)


def _expected(ctx: Context) -> Expected:
    if ctx.metadata is None:
        raise NoExpectation(f"Case {ctx.name!r} has no expected files and evidence phrase")
    return ctx.metadata


def _first_expected_rank(ctx: Context) -> int | None:
    expected = _expected(ctx).expected_paths
    ranked = enumerate(ctx.output.searched_paths, start=1)
    return next((rank for rank, path in ranked if path in expected), None)


def _normalised(text: str) -> str:
    return " ".join(text.split()).casefold()


def question_dataset(path: Path) -> Dataset[str, Answered, Expected]:
    """One case per question of the JSON Lines file, judged by every evaluator but the LLM's."""
    cases = [
        Case(
            name=str(record["id"]),
            inputs=record["question"],
            metadata=Expected(
                expected_paths=tuple(record["expected_paths"]),
                evidence_phrase=record["evidence_phrase"],
            ),
        )
        for record in search_quality.question_records(path)
    ]
    return Dataset(
        name=path.stem,
        cases=cases,
        evaluators=[
            FoundAt(k=1),
            FoundAt(k=5),
            FoundAt(k=10),
            ReciprocalRank(),
            CitesExpected(),
            ContainsEvidence(),
        ],
    )


@dataclasses.dataclass(frozen=True, kw_only=True)
class Measured:
    """The averages of a run, and what they were measured on."""

    database: str
    questions: int
    answer_model: str
    embedding_model: str
    judge_model: str | None
    averages: dict[str, float]


# The averages a run can be made to fail below, and their options.
GUARDED = {
    "found@5": "--min-found-at-5",
    "mrr": "--min-mrr",
    "cites_expected": "--min-cites-expected",
    "evidence_phrase": "--min-evidence-phrase",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True, help="The documentation folder.")
    parser.add_argument("--qa", type=Path, required=True, help="The questions (JSON Lines).")
    parser.add_argument("--database-url", default="", help="postgres://... (default: SQLite).")
    parser.add_argument("--json", type=Path, help="Write the averages to this file as JSON.")
    parser.add_argument(
        "--judge", action="store_true", help="Have LLM_MODEL judge each answer too (costs money)."
    )
    for name, option in GUARDED.items():
        parser.add_argument(
            option, dest=name, type=float, default=0.0, help=f"Fail below this {name}."
        )
    arguments = parser.parse_args()
    dataset = question_dataset(arguments.qa)
    with search_quality.fresh_database(arguments.database_url, name=EVAL_DATABASE) as url:
        search_quality.use_database(url)
        measured = asyncio.run(_evaluate(dataset, corpus=arguments.corpus, judge=arguments.judge))
    _print_averages(measured)
    if arguments.json:
        arguments.json.write_text(json.dumps(_as_json(measured), indent=2) + "\n")
    below = [
        f"{name} {measured.averages.get(name, 0.0)} is below its minimum {minimum}"
        for name in GUARDED
        if measured.averages.get(name, 0.0) < (minimum := vars(arguments)[name])
    ]
    if below:
        sys.exit("Answer quality fell:\n  " + "\n  ".join(below))


async def _evaluate(
    dataset: Dataset[str, Answered, Expected], *, corpus: Path, judge: bool
) -> Measured:
    """Index and embed the folder, answer every question, print the report, and return the
    averages with what they were measured on."""
    from asgiref.sync import sync_to_async
    from django.db import connection, connections

    from agents import docs_answerer, embeddings, models
    from application import embed_passages, index_documents

    answer_model = models.select_model(offline=docs_answerer.OFFLINE_MODEL)
    if judge:
        if answer_model is docs_answerer.OFFLINE_MODEL:
            sys.exit("--judge needs a language model: set LLM_MODEL")
        dataset.add_evaluator(LLMJudge(rubric=JUDGE_RUBRIC, model=answer_model, include_input=True))
    await index_documents.index_documents(
        root=corpus, collection=COLLECTION, now=dt.datetime.now(tz=dt.UTC)
    )
    embedder = embeddings.configured_embedder()
    if embedder is not None:
        embedded = await embed_passages.embed_new_passages(embedder=embedder)
        if embedded.stopped_by:
            sys.exit(f"Embedding the passages stopped: {embedded.stopped_by}")
    report = await dataset.evaluate(
        functools.partial(_answer, embedder=embedder),
        name="docs_answerer",
        max_concurrency=CONCURRENCY,
        progress=False,
    )
    report.print()
    vendor = connection.vendor
    await sync_to_async(connections.close_all)()
    return Measured(
        database=vendor,
        questions=len(dataset.cases),
        answer_model=answer_model.model_name,
        embedding_model=embedder.name if embedder else embeddings.NONE,
        judge_model=answer_model.model_name if judge else None,
        averages=_averages(
            report,
            names=[evaluator.get_default_evaluation_name() for evaluator in dataset.evaluators],
            questions=len(dataset.cases),
        ),
    )


async def _answer(question: str, *, embedder: "PassageEmbedder | None") -> Answered:
    """Search as the bot's search command does, then answer as the bot does in Slack, noting the
    file of every passage the answerer was given: a citation names its passage, not its file."""
    from agents import docs_answerer
    from domain import search

    paths: dict[int, str] = {}

    async def search_noting_paths(*, query: str, limit: int) -> "list[PassageHit]":
        hits = await search.search_passages(query=query, limit=limit, embedder=embedder)
        paths.update((hit.passage_id, hit.path) for hit in hits)
        return hits

    found = await search.search_passages(query=question, limit=RANKS_COUNTED, embedder=embedder)
    answered = await docs_answerer.answer_question(question=question, search=search_noting_paths)
    return Answered(
        searched_paths=tuple(hit.path for hit in found),
        answer=answered.text,
        cited_paths=tuple(paths[citation.passage_id] for citation in answered.citations),
    )


def _averages(
    report: EvaluationReport[str, Answered, Expected], *, names: list[str], questions: int
) -> dict[str, float]:
    """The mean of each named evaluation over all the questions. A question whose task failed
    counts as a miss: the report's own averages would leave it out (and pool every assertion into
    one rate)."""
    totals = dict.fromkeys(names, 0.0)
    for case in report.cases:
        for name, result in [*case.scores.items(), *case.assertions.items()]:
            totals[name] += float(result.value)
    return {name: round(total / questions, 3) for name, total in totals.items()}


def _print_averages(measured: Measured) -> None:
    print(
        f"\nAverages over {measured.questions} questions on {measured.database} "
        f"(answers: {measured.answer_model}, embeddings: {measured.embedding_model})"
    )
    for name, value in measured.averages.items():
        print(f"  {name:<16} {value:.3f}")


def _as_json(measured: Measured) -> dict[str, object]:
    """One flat object: what the run was measured on, then each average by name."""
    facts = dataclasses.asdict(measured)
    averages = facts.pop("averages")
    return {**facts, **averages}


if __name__ == "__main__":
    main()
