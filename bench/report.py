"""What the benchmark reports: the summary of `latest.json`, the table it prints, and the chart of
event-to-reply times for the README."""

import os
import platform
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
DATABASES = ("sqlite", "postgresql")

# Summary key: (what it is, the target as text, whether a figure meets it).
TARGETS: dict[str, tuple[str, str, Any]] = {
    "ack_p99_ms_50_senders": ("ack p99, 50 senders (ms)", "< 100", lambda v: v < 100),
    "fanout_speedup": ("fan-out speed-up (p50)", ">= 1.5x", lambda v: v >= 1.5),
    "overhead_p50_ms": ("bot's overhead p50 (ms)", "< 50", lambda v: v < 50),
    "inflight_answered": ("in flight: answered", "all", None),
    "inflight_lost": ("in flight: lost", "0", lambda v: v == 0),
    "inflight_duplicates": ("in flight: duplicates", "0", lambda v: v == 0),
    "inflight_peak_rss_mb": ("in flight: peak RSS (MB)", "< 500", lambda v: v < 500),
    "inflight_peak_connections": ("in flight: peak connections", "<= pool", None),
    "scaleout_duplicates": ("scale-out: duplicates", "0", lambda v: v == 0),
    "scaleout_lost": ("scale-out: lost", "0", lambda v: v == 0),
    "search_p50_ms_20k": ("search p50, 20k passages (ms)", "< 20", lambda v: v < 20),
}


def summary(results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The headline figures, per database (None where a part did not run or does not apply)."""
    figures: dict[str, Any] = {
        key: {database: _figure(key, results.get(database)) for database in DATABASES}
        for key in TARGETS
    }
    figures["machine"] = machine(results)
    return figures


def _figure(key: str, result: dict[str, Any] | None) -> Any:
    if not result:
        return None
    ack, fan_out = result.get("ack"), result.get("fan_out")
    in_flight, scale_out, search = (
        result.get("in_flight"),
        result.get("scale_out"),
        result.get("search"),
    )
    match key:
        case "ack_p99_ms_50_senders" if ack:
            return ack["levels"]["50"]["ack_ms"]["p99"]
        case "fanout_speedup" if fan_out:
            return fan_out["speedup_p50"]
        case "overhead_p50_ms" if fan_out:
            return fan_out["fan_out"]["overhead_ms"]["p50"]
        case "inflight_answered" | "inflight_lost" | "inflight_duplicates" if in_flight:
            return in_flight["answers"][key.removeprefix("inflight_")]
        case "inflight_peak_rss_mb" if in_flight:
            return in_flight["peak_rss_mb"]
        case "inflight_peak_connections" if in_flight:
            return in_flight["connections_peak"]
        case "scaleout_duplicates" | "scaleout_lost" if scale_out:
            count = key.removeprefix("scaleout_")
            return scale_out["answers"][count] + scale_out["left_behind"][count]
        case "search_p50_ms_20k" if search:
            return search["search_ms"]["p50"]
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
    for key, (label, target, _) in TARGETS.items():
        cells = [_cell(key, summary[key][database]) for database in DATABASES]
        rows.append((label, *cells, target))
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def _cell(key: str, value: Any) -> str:
    if value is None:
        return "n/a"
    meets = TARGETS[key][2]
    if meets is None:
        return f"{value}"
    return f"{value} ({'met' if meets(value) else 'MISSED'})"


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
