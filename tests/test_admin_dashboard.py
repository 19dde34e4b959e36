import datetime as dt
import html
import re
from decimal import Decimal

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from data import models
from domain import records
from kraken_bot.admin import dashboard_figures
from tests.admin_support import bot_owner, logged_in
from tests.factories import AnsweredQuestionFactory, FeedbackFactory, QuestionFactory

NOW = dt.datetime(2026, 1, 10, 12, 0, tzinfo=dt.UTC)
DASHBOARD = "/admin/dashboard/"


def _at(day: int, hour: int) -> dt.datetime:
    return dt.datetime(2026, 1, day, hour, 0, tzinfo=dt.UTC)


def _seed_two_days_of_questions() -> None:
    """Two days of questions: three answered (one by the fallback), one failed, one not answered
    yet."""
    rotate = AnsweredQuestionFactory.create(
        text="rotate password", created_at=_at(9, 10), total_ms=100.0, cost=Decimal("0.01")
    )
    vpn = AnsweredQuestionFactory.create(
        text="vpn access", created_at=_at(9, 11), total_ms=300.0, cost=Decimal("0.02")
    )
    QuestionFactory.create(
        text="why is CI red",
        created_at=_at(10, 9),
        status=models.QuestionStatus.FAILED,
        category="troubleshooting",
        total_ms=1000.0,
    )
    QuestionFactory.create(text="just asked", created_at=_at(10, 10))
    AnsweredQuestionFactory.create(
        text="vpn access",
        created_at=_at(10, 11),
        sources=[],
        total_ms=200.0,
        cost=Decimal("0.005"),
        answered_by_fallback=True,
    )
    AnsweredQuestionFactory.create(
        text="long ago", created_at=dt.datetime(2025, 12, 1, tzinfo=dt.UTC), sources=[]
    )
    FeedbackFactory.create(question=rotate, score=models.FeedbackScore.UP)
    FeedbackFactory.create(question=vpn, score=models.FeedbackScore.DOWN)
    FeedbackFactory.create(question=vpn, score=models.FeedbackScore.UP)


def test_the_figures_count_the_last_30_days_by_day_category_and_outcome() -> None:
    _seed_two_days_of_questions()

    figures = dashboard_figures.dashboard_figures(now=NOW, days=30)

    assert figures.since == dt.date(2025, 12, 12)
    assert len(figures.questions_per_day) == 30
    assert [point.value for point in figures.questions_per_day[-2:]] == [2, 3]
    assert sum(point.value for point in figures.questions_per_day) == 5
    assert figures.questions_per_day[-1].label == "10 Jan"
    assert [point.value for point in figures.cost_per_day[-2:]] == [0.03, 0.005]
    assert figures.total_cost == Decimal("0.035")
    assert [(point.label, point.value) for point in figures.categories] == [
        ("how-to", 3),
        ("(not classified)", 1),
        ("troubleshooting", 1),
    ]
    assert (figures.asked, figures.answered, figures.failed, figures.unanswered) == (5, 3, 1, 1)
    assert figures.by_fallback == 1


def test_the_figures_give_the_thumbs_up_ratio_and_the_median_and_p95_total_time() -> None:
    _seed_two_days_of_questions()

    figures = dashboard_figures.dashboard_figures(now=NOW, days=30)

    assert (figures.thumbs_up, figures.thumbs_down) == (2, 1)
    assert figures.thumbs_up_ratio == 2 / 3
    assert (figures.p50_ms, figures.p95_ms) == (200.0, 1000.0)


def test_documentation_gaps_group_the_same_question_asked_with_a_thumbs_down_or_no_sources() -> (
    None
):
    _seed_two_days_of_questions()

    figures = dashboard_figures.dashboard_figures(now=NOW, days=30)

    [gap] = figures.gaps
    latest = models.Question.objects.filter(text="vpn access").order_by("-id").first()
    assert latest is not None
    assert (gap.text, gap.times, gap.thumbs_down, gap.without_sources) == ("vpn access", 2, 1, 1)
    assert gap.latest_id == latest.pk


def test_a_threads_summary_is_no_documentation_gap_though_it_cites_no_source() -> None:
    AnsweredQuestionFactory.create(
        text="Summarise thread (shortcut)",
        category=records.SUMMARY,
        sources=[],
        created_at=_at(9, 9),
    )
    AnsweredQuestionFactory.create(text="vpn access", sources=[], created_at=_at(9, 10))

    figures = dashboard_figures.dashboard_figures(now=NOW, days=30)

    assert [gap.text for gap in figures.gaps] == ["vpn access"]


def test_the_figures_count_questions_and_votes_per_channel_most_asked_first() -> None:
    _seed_two_days_of_questions()  # five in C0001 (the factory's channel) in the period
    models.ChannelSettings.objects.create(channel_id="C0OPS", name="ops")
    for _ in range(2):
        question = AnsweredQuestionFactory.create(channel_id="C0OPS", created_at=_at(10, 8))
        FeedbackFactory.create(question=question, score=models.FeedbackScore.DOWN)
    AnsweredQuestionFactory.create(channel_id="", created_at=_at(10, 8))  # from a terminal
    AnsweredQuestionFactory.create(
        channel_id="C0OLD", created_at=dt.datetime(2025, 12, 1, tzinfo=dt.UTC)
    )

    figures = dashboard_figures.dashboard_figures(now=NOW, days=30)

    assert [
        (channel.label, channel.asked, channel.thumbs_up, channel.thumbs_down)
        for channel in figures.channels
    ] == [("C0001", 5, 2, 1), ("#ops (C0OPS)", 2, 0, 2), ("not asked in Slack", 1, 0, 0)]


def test_with_no_questions_the_figures_are_empty_not_errors() -> None:
    figures = dashboard_figures.dashboard_figures(now=NOW, days=30)

    assert figures.asked == 0
    assert figures.thumbs_up_ratio is None
    assert (figures.p50_ms, figures.p95_ms) == (None, None)
    assert figures.gaps == []
    assert figures.channels == []


def test_the_dashboard_page_draws_its_charts_and_lists_the_channels_and_the_gaps() -> None:
    _seed_two_days_of_questions()
    models.Question.objects.exclude(text="long ago").update(created_at=dt.datetime.now(dt.UTC))

    page = logged_in().get(DASHBOARD)

    assert page.status_code == 200
    assert page.text.count('<svg class="kraken-chart"') == 3
    assert "Documentation gaps" in page.text
    assert "vpn access" in page.text
    assert '<a href="/admin/data/question/?channel_id=C0001&amp;created_at__gte=' in page.text
    assert "67%" in page.text  # 👍 ratio
    assert "$0.035" in page.text
    assert 'src="http' not in page.text
    assert 'href="http' not in page.text


def test_the_dashboards_links_list_the_questions_its_figures_count() -> None:
    QuestionFactory.create(
        text="failed long ago",
        status=models.QuestionStatus.FAILED,
        created_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
    )
    QuestionFactory.create(
        text="failed today", status=models.QuestionStatus.FAILED, created_at=dt.datetime.now(dt.UTC)
    )
    client = logged_in()
    page = client.get(DASHBOARD)
    found = re.search(r'href="([^"]*status__exact=failed[^"]*)"', page.text)
    assert found is not None

    listing = client.get(html.unescape(found[1]))

    assert "failed today" in listing.text
    assert "failed long ago" not in listing.text


def test_the_dashboard_costs_the_same_queries_however_many_questions() -> None:
    client = logged_in()

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(DASHBOARD).status_code == 200
        return len(captured)

    _seed_two_days_of_questions()
    few = queries()
    for question in AnsweredQuestionFactory.create_batch(50, created_at=NOW, sources=[]):
        FeedbackFactory.create(question=question, score=models.FeedbackScore.DOWN)
    many = queries()

    assert few == many


def test_the_dashboard_is_linked_from_the_index_and_only_for_staff() -> None:
    index = logged_in().get("/admin/")
    anonymous = Client().get(DASHBOARD)

    assert 'href="/admin/dashboard/"' in index.text
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/admin/login/")


def test_bot_owners_open_the_dashboard() -> None:
    page = logged_in(bot_owner()).get(DASHBOARD)

    assert page.status_code == 200


def test_what_people_and_the_classifier_wrote_is_escaped_in_the_charts_and_gaps() -> None:
    AnsweredQuestionFactory.create(
        text="<img src=x onerror=alert(1)>",
        category="<script>alert(2)</script>",
        created_at=dt.datetime.now(dt.UTC),
        sources=[],
    )

    page = logged_in().get(DASHBOARD)

    assert "<script>alert(2)</script>" not in page.text
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page.text
    assert "<img src=x" not in page.text
