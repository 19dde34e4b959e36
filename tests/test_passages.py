import itertools

import pytest

from domain import passages


def test_markdown_headings_become_heading_paths() -> None:
    text = (
        "# Deployment\n\nHow we ship.\n\n## Database\n\n### Rotating passwords\n\n"
        "Use the vault CLI.\n\n## Workers\n\nRestart them.\n"
    )

    outline = passages.split_document(path="ops/deploy.md", text=text)

    assert outline.title == "Deployment"
    assert [(s.heading, s.text) for s in outline.sections] == [
        ("Deployment", "How we ship."),
        ("Deployment › Database › Rotating passwords", "Use the vault CLI."),
        ("Deployment › Workers", "Restart them."),
    ]


def test_hash_lines_inside_fenced_code_are_not_headings() -> None:
    text = "## Setup\n\n```python\n# install first\nimport kraken\n```\n"

    outline = passages.split_document(path="setup.md", text=text)

    assert [s.heading for s in outline.sections] == ["Setup"]
    assert "# install first" in outline.sections[0].text


def test_setext_headings_and_markup_in_headings_are_understood() -> None:
    text = "Guide\n=====\n\nIntro.\n\nThe `run_sync` [method](api.md) {#run}\n---\n\nCall it.\n"

    outline = passages.split_document(path="guide.md", text=text)

    assert [s.heading for s in outline.sections] == ["Guide", "Guide › The run_sync method"]


def test_a_long_section_is_capped_with_overlap() -> None:
    sentences = [f"Sentence number {n} explains step {n} of the rollout." for n in range(60)]
    text = "## Rollout\n\n" + " ".join(sentences)

    outline = passages.split_document(path="rollout.md", text=text, max_chars=300, overlap_chars=60)

    pieces = [s.text for s in outline.sections]
    assert len(pieces) > 5
    assert all(len(piece) <= 300 for piece in pieces)
    assert all(s.heading == "Rollout" for s in outline.sections)
    for before, after in itertools.pairwise(pieces):
        assert after.split(" ", 1)[1][:20] in before
    assert pieces[-1].endswith("Sentence number 59 explains step 59 of the rollout.")


def test_an_overlap_of_half_the_size_or_more_is_refused() -> None:
    with pytest.raises(passages.InvalidPassageSize):
        passages.split_document(path="a.md", text="text", max_chars=100, overlap_chars=50)


def test_restructuredtext_titles_become_heading_paths() -> None:
    text = (
        "=========\nHandbook\n=========\n\nWelcome.\n\nOn call\n-------\n\nCarry the pager.\n\n"
        "Escalation\n~~~~~~~~~~\n\nCall the lead.\n\nHolidays\n--------\n\nBook early.\n"
    )

    outline = passages.split_document(path="handbook.rst", text=text)

    assert outline.title == "Handbook"
    assert [(s.heading, s.text) for s in outline.sections] == [
        ("Handbook", "Welcome."),
        ("Handbook › On call", "Carry the pager."),
        ("Handbook › On call › Escalation", "Call the lead."),
        ("Handbook › Holidays", "Book early."),
    ]


def test_a_file_without_headings_is_one_section_titled_after_its_name() -> None:
    outline = passages.split_document(path="notes/release-checklist.txt", text="Tag, then ship.\n")

    assert outline.title == "Release checklist"
    assert outline.sections == (passages.Section(heading="", text="Tag, then ship."),)


def test_an_index_page_is_titled_after_its_folder() -> None:
    outline = passages.split_document(path="graph/builder/index.md", text="## Intro\n\nNodes.\n")

    assert outline.title == "Builder"


def test_a_markdown_file_s_sections_link_to_their_headings_as_github_slugs_them() -> None:
    text = (
        "# Deploying\n\nIntro.\n\n## Roll back, *fast*!\n\nOne.\n\n## Roll back, fast!\n\n"
        "Two.\n\n### Notes {#own-id .wide}\n\nThree.\n\n#### Fine print\n\nFour.\n\n"
        "## ???\n\nFive.\n"
    )

    outline = passages.split_document(path="deploy.md", text=text)

    assert [(s.heading, s.anchor) for s in outline.sections] == [
        ("Deploying", "deploying"),
        ("Deploying › Roll back, fast!", "roll-back-fast"),
        ("Deploying › Roll back, fast!", "roll-back-fast-1"),
        ("Deploying › Roll back, fast! › Notes", "own-id"),
        ("Deploying › Roll back, fast! › Notes › Fine print", "fine-print"),
        # A heading with nothing to slug leaves the nearest heading above to link to.
        ("Deploying › ???", "deploying"),
    ]


@pytest.mark.parametrize(
    ("heading", "shown", "slug"),
    [
        ("The `__init__` hook", "The __init__ hook", "the-__init__-hook"),
        ("`SELECT *` queries", "SELECT * queries", "select--queries"),
        ("`_private` helpers", "_private helpers", "_private-helpers"),
        ("Use __bold__ and *it*", "Use bold and it", "use-bold-and-it"),
        ("Use \\* wildcards", "Use * wildcards", "use--wildcards"),
        ('<a name="legacy"></a>Legacy setup', "Legacy setup", "legacy-setup"),
        ("`[PROVIDER]_API_KEY`", "[PROVIDER]_API_KEY", "provider_api_key"),
        ("हिन्दी गाइड", "हिन्दी गाइड", "हिन्दी-गाइड"),
    ],
)
def test_a_markdown_heading_reads_and_links_as_github_shows_it(
    heading: str, shown: str, slug: str
) -> None:
    outline = passages.split_document(path="guide.md", text=f"## {heading}\n\nText.\n")

    assert [(s.heading, s.anchor) for s in outline.sections] == [(shown, slug)]


def test_converted_markdown_links_only_to_the_anchors_its_converter_wrote() -> None:
    text = "# Policy\n\nIntro.\n\n## Page 2 {#page=2}\n\nLeave.\n\n### Carry-over\n\nUntil March.\n"

    outline = passages.split_document(path="policy.pdf", text=text, as_markdown=True)

    assert [(s.heading, s.anchor) for s in outline.sections] == [
        ("Policy", ""),
        ("Policy › Page 2", "page=2"),
        ("Policy › Page 2 › Carry-over", "page=2"),
    ]


def test_restructuredtext_titles_link_to_the_ids_docutils_gives_them() -> None:
    text = "Déploying Guide\n===============\n\nIntro.\n\n2. Roll back!\n-------------\n\nRun it.\n"

    outline = passages.split_document(path="deploy.rst", text=text)

    assert [s.anchor for s in outline.sections] == ["deploying-guide", "roll-back"]


def test_a_restructuredtext_title_used_twice_links_to_the_id_docutils_numbers() -> None:
    text = (
        "Install\n=======\n\nConfiguration\n-------------\n\nSet A.\n\n"
        "Upgrade\n=======\n\nConfiguration\n-------------\n\nSet B.\n"
    )

    outline = passages.split_document(path="guide.rst", text=text)

    assert [(s.heading, s.anchor) for s in outline.sections if s.text.startswith("Set")] == [
        ("Install › Configuration", "configuration"),
        ("Upgrade › Configuration", "id1"),
    ]


def test_front_matter_gives_the_title_and_is_not_text() -> None:
    text = "---\ntitle: Onboarding\nowner: it\n---\n\nDay one: collect your laptop.\n"

    outline = passages.split_document(path="onboarding.md", text=text)

    assert outline.title == "Onboarding"
    assert [s.text for s in outline.sections] == ["Day one: collect your laptop."]


def test_a_rule_that_opens_a_document_is_not_front_matter() -> None:
    text = (
        "---\n\nWelcome! VPN access is requested via the IT portal.\n\n---\n\n"
        "# Onboarding\n\nDay one.\n"
    )

    outline = passages.split_document(path="onboarding.md", text=text)

    assert "VPN access is requested via the IT portal." in " ".join(
        s.text for s in outline.sections
    )
