from django.contrib.auth import get_user_model
from django.test import Client

from tests.factories import FeedbackFactory, QuestionFactory


def _logged_in(*, is_staff: bool, is_superuser: bool = False) -> Client:
    user = get_user_model().objects.create_user(
        username="owner", password="pw", is_staff=is_staff, is_superuser=is_superuser
    )
    client = Client()
    client.force_login(user)
    return client


def test_the_admin_sends_anonymous_visitors_to_the_login_page() -> None:
    response = Client().get("/admin/data/question/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_the_admin_refuses_people_who_are_not_staff() -> None:
    response = _logged_in(is_staff=False).get("/admin/data/question/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_staff_can_list_stored_questions_and_open_one() -> None:
    question = QuestionFactory.create(text="How do I rotate the database password?")
    FeedbackFactory.create(question=question, comment="Spot on")
    client = _logged_in(is_staff=True, is_superuser=True)

    listing = client.get("/admin/data/question/")
    detail = client.get(f"/admin/data/question/{question.pk}/change/")

    assert listing.status_code == 200
    assert "How do I rotate the database password?" in listing.text
    assert detail.status_code == 200
    assert "Spot on" in detail.text
