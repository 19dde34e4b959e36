"""What the benchmark reports: the summary of `latest.json`, the table it prints, and the chart of
event-to-reply times for the README."""

import os
import platform
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
DATABASES = ("sqlite", "postgresql")


@dataclass(frozen=True)
class Target:
    """A summary figure: what it is, where in a database's results it is read, and the target it
    is held to (as text, and as a check) on the databases the target applies to."""

    label: str
    read: Callable[[dict[str, Any]], Any]
    text: str = ""
    meets: Callable[[Any], bool] | None = None
    databases: tuple[str, ...] = DATABASES


def _people(level: int, *path: str) -> Callable[[dict[str, Any]], Any]:
    return lambda result: _at(result["people"]["levels"][str(level)], path)


def _step_cpu_ms(step: str) -> Callable[[dict[str, Any]], Any]:
    return lambda result: result["steps"]["cpu_ms"][step]


def _at(figures: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        figures = figures[key]
    return figures


POSTGRESQL_ONLY = ("postgresql",)

# The summary keys first, then the figures kept from earlier runs.
TARGETS: dict[str, Target] = {
    "status_p50_ms_c100": Target(
        "100 at once: status p50 (ms)",
        _people(100, "status_ms", "p50"),
        "< 300 (PostgreSQL)",
        lambda v: v < 300,
        POSTGRESQL_ONLY,
    ),
    "status_p99_ms_c100": Target(
        "100 at once: status p99 (ms)",
        _people(100, "status_ms", "p99"),
        "< 1000",
        lambda v: v < 1000,
    ),
    "answers_per_min_c100": Target(
        "100 at once: answers a minute",
        _people(100, "answers_per_min"),
        ">= 1000 (PostgreSQL)",
        lambda v: v >= 1000,
        POSTGRESQL_ONLY,
    ),
    "late_acks_c100": Target(
        "100 at once: acks later than 3 s",
        _people(100, "acks_later_than_slack_waits"),
        "0",
        lambda v: v == 0,
    ),
    "answer_p50_ms_c10": Target(
        "10 at once: answer p50 (ms)", _people(10, "answer_ms", "p50"), "< 2300", lambda v: v < 2300
    ),
    "status_p99_ms_c10": Target(
        "10 at once: status p99 (ms)", _people(10, "status_ms", "p99"), "< 300", lambda v: v < 300
    ),
    "overhead_p50_ms_c1": Target(
        "1 at a time: answer less model, p50 (ms)",
        _people(1, "answer_less_model_ms", "p50"),
        "< 100",
        lambda v: v < 100,
    ),
    "retries_lost": Target(
        "delivered twice: lost",
        lambda result: result["scale_out"]["twice_delivered"]["answers"]["lost"],
        "0",
        lambda v: v == 0,
    ),
    "retries_doubled": Target(
        "delivered twice: doubled",
        lambda result: result["scale_out"]["twice_delivered"]["answers"]["duplicates"],
        "0",
        lambda v: v == 0,
    ),
    "inflight_answered": Target(
        "1,000 in flight: answered",
        lambda result: result["in_flight"]["answers"]["answered"],
        "all",
    ),
    "inflight_lost": Target(
        "1,000 in flight: lost",
        lambda result: result["in_flight"]["answers"]["lost"],
        "0",
        lambda v: v == 0,
    ),
    "inflight_duplicates": Target(
        "1,000 in flight: doubled",
        lambda result: result["in_flight"]["answers"]["duplicates"],
        "0",
        lambda v: v == 0,
    ),
    "inflight_late_acks": Target(
        "1,000 in flight: acks later than 3 s",
        lambda result: result["in_flight"]["acks_later_than_slack_waits"],
        "0",
        lambda v: v == 0,
    ),
    "inflight_peak_rss_mb": Target(
        "1,000 in flight: peak RSS, all processes (MB)",
        lambda result: result["in_flight"]["peak_rss_mb"],
        "< 500",
        lambda v: v < 500,
    ),
    "inflight_peak_connections": Target(
        "1,000 in flight: peak connections",
        lambda result: result["in_flight"]["connections_peak"],
        databases=POSTGRESQL_ONLY,
    ),
    "killed_worker_answered_once": Target(
        "worker killed, 50 in flight: each answered once",
        lambda result: _killed_worker_answered_once(result["scale_out"]["killed_worker"]),
        "True",
        lambda v: v is True,
        POSTGRESQL_ONLY,
    ),
    "killed_worker_last_answer_s": Target(
        "worker killed: last answer after the kill (s)",
        lambda result: result["scale_out"]["killed_worker"]["last_answer_after_kill_s"],
        databases=POSTGRESQL_ONLY,
    ),
    "cpu_ms_per_question": Target(
        "CPU per question, all the service's processes (ms)",
        _people(100, "server_cpu_ms_per_question"),
    ),
    **{
        f"cpu_ms_step_{step}": Target(
            f"CPU by step, alone: {step} (ms)",
            _step_cpu_ms(step),
        )
        for step in ("status", "store", "classify", "search", "answer", "reply", "record_answer")
    },
    "cpu_ms_steps_at_once": Target(
        "CPU of the use case, steps at once (ms)", lambda result: result["steps"]["whole_ms"]
    ),
    "fanout_speedup": Target(
        "fan-out speed-up (p50)",
        lambda result: result["fan_out"]["speedup_p50"],
        ">= 1.5x",
        lambda v: v >= 1.5,
    ),
    "overhead_p50_ms": Target(
        "fan-out: bot's overhead p50 (ms)",
        lambda result: result["fan_out"]["fan_out"]["overhead_ms"]["p50"],
        "< 50",
        lambda v: v < 50,
    ),
    "search_p50_ms_20k": Target(
        "search p50, 20k passages (ms)",
        lambda result: result["search"]["search_ms"]["p50"],
        "< 20",
        lambda v: v < 20,
    ),
}


def _killed_worker_answered_once(killed: dict[str, Any]) -> bool | None:
    """Whether every question was answered exactly once; None when the killed worker held none
    of them (the kill then tested nothing)."""
    if not killed["jobs_run_again"]:
        return None
    return bool(killed["answered_once"] == killed["questions"])


def summary(results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The headline figures, per database (None where a part did not run or does not apply)."""
    figures: dict[str, Any] = {
        key: {database: _figure(target, results.get(database)) for database in DATABASES}
        for key, target in TARGETS.items()
    }
    figures["machine"] = machine(results)
    return figures


def targets() -> dict[str, dict[str, Any]]:
    """The targets, as `latest.json` keeps them."""
    return {
        key: {"target": target.text, "databases": list(target.databases)}
        for key, target in TARGETS.items()
        if target.text
    }


def _figure(target: Target, result: dict[str, Any] | None) -> Any:
    if not result:
        return None
    try:
        return target.read(result)
    except (KeyError, TypeError):
        return None


def machine(results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "cores": os.cpu_count(),
        "memory_gb": round(_memory_kb() / 1024 / 1024, 1),
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "databases": {name: result.get("version") for name, result in results.items()},
    }


def _memory_kb() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1])
    return 0


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def table(summary: dict[str, Any]) -> str:
    """The summary as a fixed-width table, with the target and whether each figure meets it."""
    rows: list[tuple[str, ...]] = [("", "SQLite", "PostgreSQL", "target")]
    for key, target in TARGETS.items():
        cells = [_cell(target, database, summary[key][database]) for database in DATABASES]
        rows.append((target.label, *cells, target.text))
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def _cell(target: Target, database: str, value: Any) -> str:
    if value is None:
        return "n/a"
    if target.meets is None or database not in target.databases:
        return f"{value}"
    return f"{value} ({'met' if target.meets(value) else 'MISSED'})"


def draw_chart(results: dict[str, dict[str, Any]], path: Path) -> None:
    """Histograms of event-to-reply times, fan-out against sequential, one panel a database."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    measured = [name for name in DATABASES if (results.get(name) or {}).get("fan_out")]
    figure, axes = pyplot.subplots(
        1, max(1, len(measured)), figsize=(5.5 * max(1, len(measured)), 3.6), squeeze=False
    )
    for axis, name in zip(axes[0], measured, strict=False):
        fan_out = results[name]["fan_out"]
        samples = {
            "fan-out (TaskGroup)": fan_out["fan_out"]["event_to_reply_all_ms"],
            "one after another": fan_out["sequential"]["event_to_reply_all_ms"],
        }
        values = [value for series in samples.values() for value in series]
        bins = _bins(min(values), max(values))
        for (label, series), colour in zip(
            samples.items(), ("tab:blue", "tab:orange"), strict=True
        ):
            axis.hist(series, bins=bins, alpha=0.6, label=label, color=colour)
        database = " ".join(str(results[name]["version"]).split()[:2])
        axis.set_title(f"{database}: speed-up {fan_out['speedup_p50']}x (p50)")
        axis.set_xlabel("event to reply (ms)")
        axis.set_ylabel("questions")
        axis.legend()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    pyplot.close(figure)


def _bins(low: float, high: float, count: int = 30) -> list[float]:
    step = max(1.0, (high - low) / count)
    return [low + step * index for index in range(count + 2)]
