"""What the service counts and times, read by Prometheus from `/metrics`.

Every counter and histogram is defined here, once, so their names and labels are in one place (the
job queue's gauges are counted where it is scraped, `kraken_bot/metrics.py`). They live in the
lowest layer that records them (the use cases time their steps and count their outcomes; the Slack
interface counts events and API calls) rather than behind a port: a metric is an in-memory counter
with nothing to swap out, and a port would have to be handed to every entry point of every use case.

Labels take values from small fixed sets (outcomes, step names, Slack method names, model names):
never an id, a text or a token. For `serve`, `manage.py` sets `PROMETHEUS_MULTIPROC_DIR` before
prometheus_client is imported, and each uvicorn worker it starts (with the jobs it runs, on SQLite)
writes its values there.
"""

from collections.abc import Mapping

from prometheus_client import Counter, Histogram

from domain import records

_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)

slack_events = Counter(
    "kraken_slack_events",
    "Slack events received: recorded, duplicate (dropped), ignored, or unrecorded (refused with "
    "a 503, so Slack delivers them again).",
    ["outcome"],
)
slack_retries = Counter(
    "kraken_slack_retries",
    "Events Slack delivered again, by Slack's reason (http_timeout: an earlier delivery was not "
    "acknowledged within 3 s).",
    ["reason"],
)
slack_requests_refused = Counter(
    "kraken_slack_requests_refused",
    "Requests to the Slack endpoint refused before any listener ran.",
    ["reason"],
)
questions = Counter(
    "kraken_questions",
    "Questions finished, by outcome (answered, answered by the fallback when the model failed, "
    "or failed) and the reason of a failure.",
    ["outcome", "reason"],
)
step_seconds = Histogram(
    "kraken_step_seconds",
    "How long each step took: the event's ack, then the steps of answering a question.",
    ["step"],
    buckets=_SECONDS,
)
llm_tokens = Counter(
    "kraken_llm_tokens", "Tokens the model read (input) and wrote (output).", ["model", "kind"]
)
llm_cost = Counter(
    "kraken_llm_cost_usd", "What the model's answers cost, where its price is known.", ["model"]
)
embedding_tokens = Counter(
    "kraken_embedding_tokens", "Tokens the embedding model read: passages and questions.", ["model"]
)
embedding_cost = Counter(
    "kraken_embedding_cost_usd", "What embedding cost, where the model's price is known.", ["model"]
)
slack_api_calls = Counter(
    "kraken_slack_api_calls", "Slack Web API requests, retries included.", ["method"]
)
slack_api_rate_limited = Counter(
    "kraken_slack_api_rate_limited", "Slack Web API requests answered 429.", ["method"]
)


def time_steps(timings_ms: Mapping[str, float]) -> None:
    """Observe each step of an answer (`status`, `store`, …) in `kraken_step_seconds`."""
    for step, elapsed_ms in timings_ms.items():
        step_seconds.labels(step=step).observe(elapsed_ms / 1000)


def count_usage(usage: records.Usage) -> None:
    model = usage.model_name or "unknown"
    llm_tokens.labels(model=model, kind="input").inc(usage.input_tokens or 0)
    llm_tokens.labels(model=model, kind="output").inc(usage.output_tokens or 0)
    if usage.cost is not None:
        llm_cost.labels(model=model).inc(float(usage.cost))


def count_embedding_usage(usage: records.Usage) -> None:
    model = usage.model_name or "unknown"
    embedding_tokens.labels(model=model).inc(usage.input_tokens or 0)
    if usage.cost is not None:
        embedding_cost.labels(model=model).inc(float(usage.cost))


def count_answered(question: records.Question) -> None:
    outcome = "fallback" if question.answered_by_fallback else "answered"
    questions.labels(outcome=outcome, reason="").inc()
    time_steps(question.timings_ms)
    count_usage(question.usage)


def count_failed(*, reason: str, timings_ms: Mapping[str, float]) -> None:
    """Count a failed question; `reason` is one of a few fixed words (`reply`, `store`, …)."""
    questions.labels(outcome="failed", reason=reason).inc()
    time_steps(timings_ms)
