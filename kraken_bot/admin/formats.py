"""How the admin writes times, money and statuses, the same on every page."""

from decimal import Decimal

from django.utils.html import format_html
from django.utils.safestring import SafeString

from data import models

STATUS_COLOURS = {
    models.QuestionStatus.RECEIVED: "#6c757d",
    models.QuestionStatus.ANSWERING: "#b8860b",
    models.QuestionStatus.ANSWERED: "#2e7d32",
    models.QuestionStatus.FAILED: "#c62828",
}


def duration(milliseconds: float | None) -> str:
    if milliseconds is None:
        return "–"
    if milliseconds < 1000:
        return f"{milliseconds:.0f} ms"
    return f"{milliseconds / 1000:.1f} s"


def money(cost: Decimal | float | None) -> str:
    if cost is None:
        return "–"
    return f"${Decimal(cost).quantize(Decimal('0.000001')).normalize():f}"


FALLBACK_COLOUR = "#ef6c00"


def status_badge(status: str, *, by_fallback: bool = False) -> SafeString:
    """The status in its colour; an answer by the fallback (the model failed) stands out."""
    label = "Answered by fallback" if by_fallback else models.QuestionStatus(status).label
    colour = FALLBACK_COLOUR if by_fallback else STATUS_COLOURS[models.QuestionStatus(status)]
    return format_html(
        '<span class="kraken-status kraken-status-{}" style="color:#fff;background:{};'
        'padding:1px 6px;border-radius:8px;white-space:nowrap">{}</span>',
        status,
        colour,
        label,
    )
