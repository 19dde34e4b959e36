import json
import subprocess
import sys
from pathlib import Path

_BENCH = Path(__file__).resolve().parent.parent / "search_quality.py"


def test_the_search_quality_bench_measures_any_folder_and_question_file(tmp_path: Path) -> None:
    corpus = tmp_path / "docs"
    (corpus / "ops").mkdir(parents=True)
    (corpus / "ops" / "database.md").write_text("# Database\n\n## Passwords\n\nRotate them.\n")
    (corpus / "holidays.md").write_text("# Holidays\n\nBook them early.\n")
    questions = tmp_path / "qa.jsonl"
    questions.write_text(
        '{"id": "q1", "question": "how do I rotate passwords?", "expected_paths": '
        '["ops/database.md"]}\n'
        '{"id": "q2", "question": "booking holidays", "expected_paths": ["holidays.md"]}\n'
        '{"id": "q3", "question": "parking", "expected_paths": ["parking.md"]}\n'
    )
    figures_file = tmp_path / "figures.json"

    subprocess.run(
        [
            sys.executable,
            str(_BENCH),
            "--corpus",
            str(corpus),
            "--qa",
            str(questions),
            "--json",
            str(figures_file),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )

    figures = json.loads(figures_file.read_text())
    assert figures["database"] == "sqlite"
    assert figures["questions"] == 3
    assert figures["recall@1"] == figures["recall@5"] == figures["mrr"] == round(2 / 3, 3)
