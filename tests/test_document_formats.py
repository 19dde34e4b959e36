import pytest
from fpdf import FPDF

from domain import document_formats, passages

PAGE = """<!doctype html>
<html>
<head>
  <meta charset="utf-8">
  <title>Deployment | Acme docs</title>
  <style>body { color: red; }</style>
  <script>trackVisit("deploy");</script>
</head>
<body>
  <header><a href="/">Acme docs</a> Site banner</header>
  <nav><ul><li><a href="/other">Other page</a></li></ul></nav>
  <main>
    <article>
      <header><h1>Deploying<a class="headerlink" href="#deploying">¶</a></h1></header>
      <p>How we <strong>ship</strong> the <code>run_sync</code> service.
         See <a href="/db">the database page</a>.</p>
      <h2>Rotating passwords</h2>
      <ol><li>Open the vault.</li><li>Rotate the password.</li></ol>
      <pre><code># restart them all
kraken restart --all</code></pre>
      <img src="data:image/png;base64,iVBORw0KGgo=" alt="The deployment pipeline">
      <div hidden>Hidden draft</div>
      <span aria-hidden="true">Decorative icon</span>
      <form><label>Was this page helpful?</label><button>Yes</button></form>
    </article>
  </main>
  <aside>Related pages</aside>
  <footer>Copyright Acme</footer>
  <script>loadChat();</script>
</body>
</html>
"""


def _html(markup: str) -> str:
    return document_formats.markdown_of(media_type=document_formats.HTML, content=markup.encode())


def _pdf(*, title: str = "", pages: tuple[str, ...] = ()) -> bytes:
    pdf = FPDF()
    if title:
        pdf.set_title(title)
    pdf.set_font("helvetica", size=12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 10, text)
    return bytes(pdf.output())


def _refusal(*, media_type: str, content: bytes) -> str:
    with pytest.raises(document_formats.UnreadableDocument) as refused:
        document_formats.markdown_of(media_type=media_type, content=content)
    return str(refused.value)


def test_an_html_page_keeps_its_main_content_as_markdown() -> None:
    markdown = _html(PAGE)

    assert markdown.startswith(
        "# Deploying {#deploying}\n\nHow we **ship** the `run_sync` service."
    )
    assert "[the database page](/db)" in markdown
    assert "## Rotating passwords\n\n1. Open the vault.\n2. Rotate the password." in markdown
    assert "```\n# restart them all\nkraken restart --all\n```" in markdown
    assert "The deployment pipeline" in markdown
    assert "\n\n\n" not in markdown
    left_out = ["trackVisit", "color: red", "Site banner", "Other page", "¶", "base64"]
    left_out += ["Hidden draft", "Decorative icon", "helpful", "Related", "Copyright", "loadChat"]
    assert [text for text in left_out if text in markdown] == []


def test_the_page_banner_navigation_and_footer_are_dropped_when_there_is_only_a_body() -> None:
    markup = """<title>Runbook</title><body>
      <header>Site banner</header><nav>Menu</nav>
      <h2>Restarting</h2><p>Restart the workers.</p>
      <footer>Copyright Acme</footer></body>"""

    markdown = _html(markup)

    assert markdown == "# Runbook\n\n## Restarting\n\nRestart the workers."


def test_main_is_preferred_over_the_rest_of_the_body() -> None:
    markup = """<body><div class="sidebar"><p>Every page says this.</p></div>
      <main><h1>Install</h1><p>Run the installer.</p></main></body>"""

    assert _html(markup) == "# Install\n\nRun the installer."


def test_an_article_or_an_element_in_the_main_role_is_the_main_content_without_main() -> None:
    article = "<body><p>Sidebar</p><article><p>The article.</p></article></body>"
    role_main = "<body><p>Sidebar</p><div role='main'><p>The content.</p></div></body>"

    assert _html(article) == "The article."
    assert _html(role_main) == "The content."


def test_the_title_opens_a_page_whose_content_has_no_h1() -> None:
    markup = "<head><title> Release   process </title></head><body><p>We ship weekly.</p></body>"

    assert _html(markup) == "# Release process\n\nWe ship weekly."


def test_a_page_with_its_own_h1_does_not_repeat_the_title() -> None:
    markup = "<title>Install | Acme</title><body><h1>Install</h1><p>Run it.</p></body>"

    assert _html(markup) == "# Install\n\nRun it."


def test_malformed_html_still_gives_its_text() -> None:
    markup = "<title>Notes</title></head><p>Unclosed <b>bold <div>and a div</span><p>Last paragraph"

    markdown = _html(markup)

    assert markdown.startswith("# Notes\n\n")
    for text in ("Unclosed", "bold", "and a div", "Last paragraph"):
        assert text in markdown


def test_a_page_of_a_thousand_unclosed_paragraphs_still_gives_its_text() -> None:
    markup = "<title>Old FAQ</title>" + "".join(f"<p>Answer {n}." for n in range(1000))

    markdown = _html(markup)

    assert markdown.startswith("# Old FAQ\n\nAnswer 0.")
    assert markdown.endswith("Answer 999.")


def test_html_is_decoded_with_its_declared_charset() -> None:
    markup = '<html><head><meta charset="latin-1"></head><body><p>Café crème</p></body></html>'

    markdown = document_formats.markdown_of(
        media_type=document_formats.HTML, content=markup.encode("latin-1")
    )

    assert markdown == "Café crème"


def test_html_without_a_charset_is_read_as_utf_8_and_bad_bytes_are_replaced() -> None:
    content = "<p>Café</p>".encode() + b"<p>Bad \xff byte</p>"

    markdown = document_formats.markdown_of(media_type=document_formats.HTML, content=content)

    assert markdown == "Café\n\nBad \ufffd byte"


def test_an_html_page_with_nothing_but_navigation_is_refused_as_empty() -> None:
    content = b"<body><nav>Home | Docs</nav><script>go()</script></body>"

    assert _refusal(media_type=document_formats.HTML, content=content) == "empty"


def test_the_markdown_of_a_page_splits_into_sections_under_its_headings() -> None:
    outline = passages.split_document(path="page.md", text=_html(PAGE))

    assert outline.title == "Deploying"
    assert [section.heading for section in outline.sections] == [
        "Deploying",
        "Deploying › Rotating passwords",
    ]
    assert "kraken restart --all" in outline.sections[1].text


def test_a_paragraph_of_a_page_that_starts_with_a_hash_is_not_a_heading() -> None:
    page = (
        "<h2 id='seats'>Seats</h2><!-- # draft --><p># of seats per team is 5, ask IT for more.</p>"
        "<h2 id='cost'>Cost</h2><p>Free.</p>"
    )

    outline = passages.split_document(path="page.md", text=_html(page))

    assert [(section.heading, section.anchor) for section in outline.sections] == [
        ("Seats", "seats"),
        ("Cost", "cost"),
    ]
    assert "of seats per team is 5" in outline.sections[0].text
    assert "draft" not in outline.sections[0].text


def test_a_pdf_gives_its_title_and_a_heading_per_page() -> None:
    content = _pdf(
        title="Operations manual",
        pages=("Rotate the database password.", "Restart the workers."),
    )

    markdown = document_formats.markdown_of(media_type=document_formats.PDF, content=content)

    assert markdown == (
        "# Operations manual\n\n"
        "## Page 1 {#page=1}\n\nRotate the database password.\n\n"
        "## Page 2 {#page=2}\n\nRestart the workers."
    )


def test_pdf_lines_that_look_like_markdown_headings_stay_on_their_page() -> None:
    content = _pdf(pages=("Install it:\n# run as root\n```\nDone.", "Next page."))

    markdown = document_formats.markdown_of(media_type=document_formats.PDF, content=content)
    outline = passages.split_document(path="manual.md", text=markdown)

    assert [section.heading for section in outline.sections] == ["Page 1", "Page 2"]
    assert "\\# run as root\n\\```\nDone." in outline.sections[0].text


def test_a_pdf_without_text_is_refused_as_scanned() -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 60, style="F")

    refusal = _refusal(media_type=document_formats.PDF, content=bytes(pdf.output()))

    assert refusal == "no text (a scanned PDF?)"


def test_a_pdf_locked_with_a_password_is_refused_as_encrypted() -> None:
    pdf = FPDF()
    pdf.set_encryption(owner_password="owner", user_password="reader")
    pdf.set_font("helvetica", size=12)
    pdf.add_page()
    pdf.cell(text="Secret plans.")

    refusal = _refusal(media_type=document_formats.PDF, content=bytes(pdf.output()))

    assert refusal == "encrypted PDF"


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not a PDF at all",
        b"%PDF-1.7\n\x00\xff garbage",
        _pdf(pages=("A page cut short.",))[:400],
    ],
)
def test_bytes_that_are_no_pdf_are_refused(content: bytes) -> None:
    assert _refusal(media_type=document_formats.PDF, content=content) == "not a readable PDF"


def test_text_formats_are_only_decoded() -> None:
    text = "# Title\n\nBody with *markup*.\n"

    for media_type in (
        document_formats.MARKDOWN,
        document_formats.RESTRUCTUREDTEXT,
        document_formats.PLAIN_TEXT,
    ):
        content = b"\xef\xbb\xbf" + text.encode()
        markdown = document_formats.markdown_of(media_type=media_type, content=content)
        assert markdown == text


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"caf\xe9", "not UTF-8 text"),
        (b"text\x00with a NUL", "not UTF-8 text"),
        (b" \n\t\n", "empty"),
    ],
)
def test_text_that_is_not_utf_8_or_is_empty_is_refused(content: bytes, reason: str) -> None:
    assert _refusal(media_type=document_formats.MARKDOWN, content=content) == reason


def test_an_unsupported_format_is_refused() -> None:
    refusal = _refusal(media_type="application/msword", content=b"\xd0\xcf\x11\xe0")

    assert refusal == "unsupported format application/msword"


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ('<h2 id="rollback">Rolling back</h2>', "rollback"),
        ('<h2>Rolling back<a class="headerlink" href="#rollback">¶</a></h2>', "rollback"),
        ('<h2><a name="rollback"></a>Rolling back</h2>', "rollback"),
        ('<section id="rollback"><h2>Rolling back</h2><p>More.</p></section>', "rollback"),
    ],
)
def test_an_html_heading_keeps_its_id_for_citations_to_open_the_page_there(
    heading: str, anchor: str
) -> None:
    markdown = _html(f"<main><h1>Deploying</h1>{heading}<p>Run it.</p></main>")

    assert f"## Rolling back {{#{anchor}}}\n\n" in markdown


def test_an_html_heading_without_an_id_of_its_own_gets_no_anchor() -> None:
    markup = (
        '<main><h1>Deploying</h1><h2>See <a href="#setup">setup</a></h2><p>Text.</p>'
        '<section id="rollback"><h3>Rolling back</h3><p>Intro.</p><h4>Notes</h4></section></main>'
    )

    markdown = _html(markup)

    assert "\n## See [setup](#setup)\n" in markdown
    assert "\n### Rolling back {#rollback}\n" in markdown
    assert markdown.endswith("\n#### Notes")
