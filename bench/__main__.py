"""Kraken Bot's benchmark: `make bench`, or

    uv run python -m bench [--databases sqlite postgresql] [--postgres-url URL] [--scale S]

Runs every part on each database (in a process of its own, `bench.database`): people at once,
fan-out gain, many questions in flight, scale-out and search speed; then writes the figures to
`bench/results/latest.json`, the chart to `bench/results/event_to_reply.png`, and prints a table.
A missed target is reported, not an error: the exit status is non-zero only when a part could not
run. The PostgreSQL database the URL names is created afresh and dropped at the end.
"""

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import processes, report

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/kraken_bench_load"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--databases", nargs="+", choices=report.DATABASES, default=report.DATABASES
    )
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--scale", type=float, default=1.0, help="Fewer events (0 < S <= 1).")
    parser.add_argument("--out", type=Path, default=RESULTS, help="Where results go.")
    arguments = parser.parse_args()
    if not 0 < arguments.scale <= 1:
        parser.error("--scale must be above 0 and at most 1")
    started = time.perf_counter()
    busy_before_s, all_before_s = processes.machine_cpu_s()
    load_before = os.getloadavg()
    results: dict[str, dict[str, Any]] = {}
    failed = []
    for database in arguments.databases:
        url = "sqlite:" if database == "sqlite" else arguments.postgres_url
        measured = _measure(url, scale=arguments.scale)
        if measured is None:
            failed.append(database)
        else:
            results[database] = measured
    summary = report.summary(results)
    busy_s, all_s = processes.machine_cpu_s()
    busy_s, all_s = busy_s - busy_before_s, all_s - all_before_s
    # Other engineers' work shares the machine: how busy it was, the benchmark's work included.
    summary["machine"]["while_measuring"] = {
        "cores_busy_share": round(busy_s / all_s, 2) if all_s else None,
        "load_average_before": [round(load, 2) for load in load_before],
        "load_average_after": [round(load, 2) for load in os.getloadavg()],
    }
    arguments.out.mkdir(parents=True, exist_ok=True)
    document = {
        "measured_at": dt.datetime.now(tz=dt.UTC).isoformat(timespec="seconds"),
        "duration_s": round(time.perf_counter() - started, 1),
        "scale": arguments.scale,
        "summary": summary,
        "targets": report.targets(),
        **results,
    }
    (arguments.out / "latest.json").write_text(json.dumps(document, indent=2) + "\n")
    if results:
        report.draw_chart(results, arguments.out / "event_to_reply.png")
    print(report.table(summary))
    print(f"\n{_machine_line(summary['machine'])}; {document['duration_s']} s in all")
    if failed:
        sys.exit(f"bench: could not run on {', '.join(failed)} (see above)")


def _measure(database_url: str, *, scale: float) -> dict[str, Any] | None:
    """One database's figures, from a process of its own; None when it could not run."""
    with tempfile.TemporaryDirectory(prefix="kraken-bench-") as folder:
        figures = Path(folder) / "figures.json"
        finished = subprocess.run(  # noqa: S603
            [
                sys.executable,
                "-m",
                "bench.database",
                "--database-url",
                database_url,
                "--json",
                str(figures),
                "--scale",
                str(scale),
            ],
            cwd=report.PROJECT_DIR,
            check=False,
        )
        if finished.returncode != 0 or not figures.exists():
            return None
        result: dict[str, Any] = json.loads(figures.read_text())
        return result


def _machine_line(machine: dict[str, Any]) -> str:
    databases = ", ".join(str(version) for version in machine["databases"].values())
    shared = machine.get("while_measuring") or {}
    return (
        f"{machine['cores']} cores ({machine['cpu']}), {machine['memory_gb']} GB, "
        f"Python {machine['python']}, {databases}; cores busy {shared.get('cores_busy_share')} "
        f"of the time, load average {shared.get('load_average_before')} before and "
        f"{shared.get('load_average_after')} after"
    )


if __name__ == "__main__":
    main()
