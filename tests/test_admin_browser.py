"""The admin in a real browser: log in, find the failed questions, open one, export them as CSV,
open the dashboard; change a channel's settings; with screenshots of the pages in
test-output/screenshots/."""

import asyncio
import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from playwright.async_api import Browser, Page, expect

from data import models
from fakes.servers import Served
from tests.browser_fixtures import SCREENSHOTS
from tests.factories import (
    AnsweredQuestionFactory,
    DocumentFactory,
    FeedbackFactory,
    QuestionFactory,
)

pytestmark = pytest.mark.browser

PASSWORD = "a-local-password"
TOPICS = [
    ("How do I rotate the database password?", "how-to"),
    ("Why does the deploy pipeline fail on the migrations step?", "troubleshooting"),
    ("Can I get access to the billing dashboard?", "access-request"),
    ("What changed in the 2.4 release?", "release"),
    ("Where is the VPN set-up guide?", "how-to"),
]


async def _seed_two_weeks_of_questions(now: dt.datetime) -> models.Question:
    """Questions over the last two weeks, most answered, some failed, some with 👎 or no sources;
    returns the latest failed one."""
    failed: models.Question | None = None
    for n in range(42):
        text, category = TOPICS[n % len(TOPICS)]
        asked = now - dt.timedelta(days=n % 14, hours=n % 5, minutes=n)
        if n % 7 == 3:
            question = await QuestionFactory.acreate(
                text=text,
                category=category,
                created_at=asked,
                status=models.QuestionStatus.FAILED,
                error="Unable to answer: the model did not answer in time",
                timings={"status": 90.0, "store": 10.0, "classify": 400.0, "answer": 60000.0},
                total_ms=60010.0,
            )
            failed = failed or question
            continue
        answer_ms = 900.0 + 150 * (n % 9)
        without_sources: dict[str, list[object]] = {"sources": []} if n % 6 == 1 else {}
        question = await AnsweredQuestionFactory.acreate(
            text=text,
            category=category,
            created_at=asked,
            answered_at=asked,
            **without_sources,
            cost=Decimal("0.0010") * (1 + n % 4),
            timings={
                "status": 70.0,
                "store": 9.0,
                "classify": 380.0,
                "answer": answer_ms,
                "reply": 210.0,
                "total": answer_ms + 210.0,
            },
            total_ms=answer_ms + 210.0,
        )
        score = models.FeedbackScore.DOWN if n % 5 == 1 else models.FeedbackScore.UP
        await FeedbackFactory.acreate(question=question, score=score, comment="Thanks!")
    assert failed is not None
    return failed


async def _log_in(page: Page, service: Served) -> None:
    await page.goto(f"{service.url}/admin/")
    await page.fill("#id_username", "owner")
    await page.fill("#id_password", PASSWORD)
    await page.click("input[type=submit]")
    await expect(page.locator("#user-tools")).to_contain_text("owner")


async def _screenshot(page: Page, name: str) -> None:
    await asyncio.to_thread(SCREENSHOTS.mkdir, parents=True, exist_ok=True)
    await page.screenshot(path=SCREENSHOTS / name, full_page=True)


async def test_an_owner_reviews_failed_questions_exports_them_and_opens_the_dashboard(
    browser: Browser, admin_service: Served
) -> None:
    failed = await _seed_two_weeks_of_questions(dt.datetime.now(dt.UTC))
    await sync_to_async(_create_owner)()
    context = await browser.new_context(
        accept_downloads=True, viewport={"width": 1600, "height": 900}
    )
    page = await context.new_page()

    await _log_in(page, admin_service)
    await page.get_by_role("link", name="Questions", exact=True).click()
    await expect(page.locator("#result_list tbody tr")).to_have_count(42)
    await _screenshot(page, "changelist.png")

    await page.click("#changelist-filter >> text=Failed")
    rows = page.locator("#result_list tbody tr")
    await expect(rows).to_have_count(6)
    await expect(page.locator("#result_list .kraken-status-answered")).to_have_count(0)

    await page.click("#action-toggle")
    await page.select_option("select[name=action]", "export_as_csv")
    async with page.expect_download() as download_info:
        await page.click("button[name=index]")
    download = await download_info.value
    exported = await asyncio.to_thread(_read_text, await download.path())

    await page.click(f"#result_list a[href*='/question/{failed.pk}/change/']")
    await expect(page.locator(".field-error")).to_contain_text("did not answer in time")
    await expect(page.locator(".field-timing_chart svg")).to_be_visible()
    await _screenshot(page, "question.png")

    await page.goto(f"{admin_service.url}/admin/")
    await page.click("#kraken-dashboard >> text=Dashboard")
    await expect(page.locator("svg.kraken-chart")).to_have_count(3)
    await expect(page.locator("#documentation-gaps")).to_contain_text("Where is the VPN")
    await _screenshot(page, "dashboard.png")
    await context.close()

    rows_exported = list(csv.DictReader(io.StringIO(exported)))
    assert download.suggested_filename == "questions.csv"
    assert len(rows_exported) == 6
    assert {row["status"] for row in rows_exported} == {"failed"}
    for name in ("changelist.png", "question.png", "dashboard.png"):
        assert await asyncio.to_thread(_size, SCREENSHOTS / name) > 10_000


async def test_an_owner_sets_a_channel_to_answer_every_question_from_one_collection(
    browser: Browser, admin_service: Served
) -> None:
    await DocumentFactory.acreate(collection="handbook")
    await DocumentFactory.acreate(collection="runbooks")
    await models.ChannelSettings.objects.acreate(channel_id="C0001", name="general")
    await sync_to_async(_create_owner)()
    context = await browser.new_context(viewport={"width": 1600, "height": 900})
    page = await context.new_page()

    await _log_in(page, admin_service)
    await page.get_by_role("link", name="Channel settings", exact=True).click()
    await page.click("#result_list >> text=#general (C0001)")
    await page.select_option("#id_answers", models.ChannelAnswers.EVERY_QUESTION)
    await page.check("input[name=collections][value=handbook]")
    await page.click("input[name=_save]")

    await expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    listed = page.locator("#result_list tbody tr", has_text="#general (C0001)")
    await expect(listed.locator(".field-answers")).to_have_text(
        "Every question posted in the channel"
    )
    await expect(listed.locator(".field-collections_searched")).to_have_text("handbook")
    await _screenshot(page, "channel_settings.png")
    await context.close()

    saved = await models.ChannelSettings.objects.aget(channel_id="C0001")
    assert (saved.answers, saved.collections) == (
        models.ChannelAnswers.EVERY_QUESTION,
        ["handbook"],
    )
    assert await asyncio.to_thread(_size, SCREENSHOTS / "channel_settings.png") > 10_000


def _create_owner() -> None:
    """A superuser whose password the service can check: it hashes as production does, while
    the tests' settings use a fast hasher it does not know."""
    hasher = PBKDF2PasswordHasher()
    owner = get_user_model()(username="owner", is_staff=True, is_superuser=True)
    owner.password = hasher.encode(PASSWORD, hasher.salt())
    owner.save()


def _read_text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _size(path: Path) -> int:
    return path.stat().st_size
