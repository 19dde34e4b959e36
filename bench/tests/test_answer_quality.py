import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic_evals import Case, Dataset
from pydantic_evals.evaluators import Evaluator
from pydantic_evals.reporting import ReportCase

from bench import answer_quality
from bench.answer_quality import Answered, Expected

_BENCH = Path(__file__).resolve().parent.parent / "answer_quality.py"

_ROTATION = Expected(
    expected_paths=("ops/database.md", "ops/vault.md"), evidence_phrase="Rotate them weekly"
)


def _assertion(evaluator: Evaluator[str, Answered, Expected], output: Answered) -> bool:
    """The evaluator's pass or fail on the output, for a question about rotating passwords."""
    name = evaluator.get_default_evaluation_name()
    return _evaluated(evaluator, output).assertions[name].value


def _score(evaluator: Evaluator[str, Answered, Expected], output: Answered) -> float:
    """The evaluator's score of the output, for a question about rotating passwords."""
    name = evaluator.get_default_evaluation_name()
    return _evaluated(evaluator, output).scores[name].value


def _evaluated(
    evaluator: Evaluator[str, Answered, Expected], output: Answered
) -> ReportCase[str, Answered, Expected]:
    dataset = Dataset(
        name="one question",
        cases=[Case(name="q1", inputs="how do I rotate passwords?", metadata=_ROTATION)],
        evaluators=[evaluator],
    )
    report = dataset.evaluate_sync(lambda _question: output, progress=False)
    (case,) = report.cases
    return case


def _answered(
    *, searched: tuple[str, ...] = (), answer: str = "", cited: tuple[str, ...] = ()
) -> Answered:
    return Answered(searched_paths=searched, answer=answer, cited_paths=cited)


def test_the_dataset_has_a_case_per_question_of_the_file(tmp_path: Path) -> None:
    questions = tmp_path / "qa.jsonl"
    questions.write_text(
        '{"id": "q1", "question": "how do I rotate passwords?", "expected_paths": '
        '["ops/database.md", "ops/vault.md"], "evidence_phrase": "Rotate them weekly"}\n'
        "\n"
        '{"id": "q2", "question": "booking holidays", "expected_paths": ["holidays.md"], '
        '"evidence_phrase": "Book them early"}\n'
    )

    dataset = answer_quality.question_dataset(questions)

    assert [(case.name, case.inputs, case.metadata) for case in dataset.cases] == [
        ("q1", "how do I rotate passwords?", _ROTATION),
        (
            "q2",
            "booking holidays",
            Expected(expected_paths=("holidays.md",), evidence_phrase="Book them early"),
        ),
    ]
    assert [evaluator.get_default_evaluation_name() for evaluator in dataset.evaluators] == [
        "found@1",
        "found@5",
        "found@10",
        "mrr",
        "cites_expected",
        "evidence_phrase",
    ]


@pytest.mark.parametrize(("k", "found"), [(1, False), (2, False), (3, True), (5, True)])
def test_found_at_k_asks_for_an_expected_file_at_rank_k_or_better(k: int, found: bool) -> None:
    searched = ("holidays.md", "holidays.md", "ops/vault.md", "ops/database.md")

    assert _assertion(answer_quality.FoundAt(k=k), _answered(searched=searched)) is found


def test_nothing_expected_found_is_found_at_no_rank_and_scores_no_reciprocal_rank() -> None:
    searched = ("holidays.md", "parking.md")

    assert _assertion(answer_quality.FoundAt(k=10), _answered(searched=searched)) is False
    assert _score(answer_quality.ReciprocalRank(), _answered(searched=searched)) == 0.0


def test_the_reciprocal_rank_is_that_of_the_first_expected_file() -> None:
    searched = ("holidays.md", "ops/vault.md", "ops/database.md")

    assert _score(answer_quality.ReciprocalRank(), _answered(searched=searched)) == 0.5


def test_an_answer_citing_a_passage_of_an_expected_file_cites_the_expected() -> None:
    cited = ("holidays.md", "ops/vault.md")

    assert _assertion(answer_quality.CitesExpected(), _answered(cited=cited)) is True


def test_an_answer_citing_other_files_or_nothing_does_not_cite_the_expected() -> None:
    evaluator = answer_quality.CitesExpected()

    assert _assertion(evaluator, _answered(cited=("holidays.md",))) is False
    assert _assertion(evaluator, _answered(cited=())) is False


def test_the_evidence_phrase_is_found_in_any_case_and_spacing() -> None:
    answer = "From the runbook:\n> ROTATE  them\n\tweekly, with `vault rotate db`."

    assert _assertion(answer_quality.ContainsEvidence(), _answered(answer=answer)) is True


def test_an_answer_without_the_evidence_phrase_does_not_contain_it() -> None:
    answer = "Rotate them every month."

    assert _assertion(answer_quality.ContainsEvidence(), _answered(answer=answer)) is False


def _run_the_eval(tmp_path: Path, *minimums: str) -> subprocess.CompletedProcess[str]:
    """The script on a folder of two documents and three questions, on SQLite with the offline
    answerer and words alone: one question is answered from its file, one is found but its phrase
    is not in the answer, and one asks about a file that does not exist."""
    corpus = tmp_path / "docs"
    (corpus / "ops").mkdir(parents=True)
    (corpus / "ops" / "database.md").write_text(
        "# Database\n\n## Passwords\n\nRotate them weekly with the vault.\n"
    )
    (corpus / "holidays.md").write_text("# Holidays\n\nBook them early in the year.\n")
    questions = tmp_path / "qa.jsonl"
    questions.write_text(
        '{"id": "q1", "question": "how do I rotate passwords?", "expected_paths": '
        '["ops/database.md"], "evidence_phrase": "rotate them  WEEKLY"}\n'
        '{"id": "q2", "question": "booking holidays", "expected_paths": ["holidays.md"], '
        '"evidence_phrase": "book them on the first day of the year"}\n'
        '{"id": "q3", "question": "parking", "expected_paths": ["parking.md"], '
        '"evidence_phrase": "park at the back"}\n'
    )
    environment = {**os.environ, "EMBEDDING_MODEL": "none"}
    environment.pop("LLM_MODEL", None)
    return subprocess.run(
        [
            sys.executable,
            str(_BENCH),
            "--corpus",
            str(corpus),
            "--qa",
            str(questions),
            "--json",
            str(tmp_path / "averages.json"),
            *minimums,
        ],
        env=environment,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_eval_writes_its_averages_and_passes_at_or_above_its_minimums(
    tmp_path: Path,
) -> None:
    run = _run_the_eval(
        tmp_path, "--min-found-at-5", "0.6", "--min-cites-expected", "0.6", "--min-mrr", "0.6"
    )

    assert run.returncode == 0, run.stderr
    averages = json.loads((tmp_path / "averages.json").read_text())
    assert averages == {
        "database": "sqlite",
        "questions": 3,
        "answer_model": "offline",
        "embedding_model": "none",
        "judge_model": None,
        "found@1": round(2 / 3, 3),
        "found@5": round(2 / 3, 3),
        "found@10": round(2 / 3, 3),
        "mrr": round(2 / 3, 3),
        "cites_expected": round(2 / 3, 3),
        "evidence_phrase": round(1 / 3, 3),
    }
    assert "Evaluation Summary: docs_answerer" in run.stdout
    assert "evidence_phrase  0.333" in run.stdout


def test_the_eval_fails_naming_each_average_below_its_minimum(tmp_path: Path) -> None:
    run = _run_the_eval(tmp_path, "--min-found-at-5", "0.6", "--min-evidence-phrase", "0.5")

    assert run.returncode == 1
    assert "evidence_phrase 0.333 is below its minimum 0.5" in run.stderr
    assert "found@5" not in run.stderr
