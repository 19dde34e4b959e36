from django.contrib.auth import get_user_model
from django.test import Client

from tests.factories import ReleaseNoteFactory


def test_staff_see_which_model_wrote_the_release_notes_and_why_it_fell_back() -> None:
    note = ReleaseNoteFactory.create(
        model_name="offline",
        posted_channel="C0RELEASE",
        posted_ts="1767700000.000001",
        llm_error="Unable to write the release notes: the model did not answer in time",
    )
    owner = get_user_model().objects.create_superuser(username="owner", password="pw")
    client = Client()
    client.force_login(owner)

    listing = client.get("/admin/data/releasenote/?model_name=offline")
    detail = client.get(f"/admin/data/releasenote/{note.pk}/change/")

    assert listing.status_code == 200
    assert "C0RELEASE" in listing.text
    assert detail.status_code == 200
    assert "the model did not answer in time" in detail.text
