from tests.admin_support import logged_in
from tests.factories import ReleaseNoteFactory


def test_staff_see_which_model_wrote_the_release_notes_and_why_it_fell_back() -> None:
    note = ReleaseNoteFactory.create(
        model_name="offline",
        posted_channel="C0RELEASE",
        posted_ts="1767700000.000001",
        llm_error="Unable to write the release notes: the model did not answer in time",
    )
    client = logged_in()

    listing = client.get("/admin/data/releasenote/?model_name=offline")
    detail = client.get(f"/admin/data/releasenote/{note.pk}/change/")

    assert listing.status_code == 200
    assert "C0RELEASE" in listing.text
    assert detail.status_code == 200
    assert "the model did not answer in time" in detail.text


def test_release_notes_are_shown_rendered_from_markdown_with_any_html_in_them_escaped() -> None:
    note = ReleaseNoteFactory.create(
        markdown="## Features\n\n- Answers cite their **sources** (#42)\n"
        "- <script>alert(1)</script>"
    )

    page = logged_in().get(f"/admin/data/releasenote/{note.pk}/change/")

    assert "<h2>Features</h2>" in page.text
    assert "<strong>sources</strong>" in page.text
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
