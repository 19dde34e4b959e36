"""Turning a document's content into text the passage splitter reads: pure functions of bytes.

Markdown, reStructuredText and plain text are only decoded; the splitter reads them by the path's
suffix. HTML and PDF become Markdown. Of an HTML page only the main content is kept (`<main>`,
else `<article>`, else the element with `role="main"`, else `<body>`), without the scripts,
navigation, page header and footer, forms and hidden parts that every page of a site repeats:
indexed, they would match every question and drown the page's own words. Its headings become
`#` headings, so passages sit under them, with the heading's id as `{#id}` so a citation opens
the page there; its title opens the text when the content has no `<h1>` of its own. A PDF
becomes one `## Page N {#page=N}` section per page with text, under its title, so that a passage,
and the answer citing it, says on which page it is and opens the PDF there.

Parsing is CPU-bound (a long PDF takes seconds): async callers run it in a thread.
"""

import io
import re
from collections.abc import Callable

import markdownify
import pypdf
from bs4 import BeautifulSoup, Tag
from bs4.dammit import EncodingDetector
from bs4.element import PreformattedString
from pypdf import errors as pdf_errors

# The formats documents are turned into text from, by media type.
MARKDOWN = "text/markdown"
RESTRUCTUREDTEXT = "text/x-rst"
PLAIN_TEXT = "text/plain"
HTML = "text/html"
PDF = "application/pdf"

# The files documentation is kept in, by suffix (`.txt` is split as reST, as `passages` does).
FILE_MEDIA_TYPES = {
    ".md": MARKDOWN,
    ".markdown": MARKDOWN,
    ".rst": RESTRUCTUREDTEXT,
    ".txt": RESTRUCTUREDTEXT,
    ".html": HTML,
    ".htm": HTML,
    ".pdf": PDF,
}

# Tried in order: the first element found holds the page's main content.
_MAIN_CONTENT = ("main:not([hidden])", "article", "[role=main]", "body")
# What is no part of the main content. A `<header>` or `<footer>` inside an article or a section
# is that part's own (its `<h1>`, say), not the page's.
_NOT_CONTENT = ", ".join(
    [
        "head, title, script, style, noscript, template, nav, aside, form, svg, iframe",
        "[hidden], [aria-hidden='true' i]",
        ":is(header, footer):not(:is(article, aside, main, nav, section) *)",
    ]
)
_HEADING_TAGS = ["h1", "h2", "h3", "h4", "h5", "h6"]
_HEADINGS = ", ".join(_HEADING_TAGS)
# The "¶" or "#" link to itself that documentation generators put in every heading.
_HEADING_ANCHORS = f":is({_HEADINGS}) a[href^='#']"
_NOT_IN_AN_ID = re.compile(r"[\s{}]")
_TO_MARKDOWN = markdownify.MarkdownConverter(
    heading_style=markdownify.ATX, bullets="-", escape_asterisks=False, escape_underscores=False
)
_BLANK_LINES = re.compile(r"\n(?:[ \t]*\n){2,}")
# A line of text the splitter would read as a heading, a heading's underline or a code fence.
_MARKDOWN_STRUCTURE = re.compile(r"^( {0,3})(#|```|~~~|=+[ \t]*$|-+[ \t]*$)", re.MULTILINE)


class UnreadableDocument(ValueError):
    """The document could not be turned into text; the message says why, in a few words."""


def markdown_of(*, media_type: str, content: bytes) -> str:
    """Return the text of a document of the given media type, for the splitter: the
    decoded text of Markdown, reStructuredText or plain text, Markdown for HTML and PDF.

    Raises: UnreadableDocument.
    """
    convert = _CONVERTERS.get(media_type)
    if convert is None:
        raise UnreadableDocument(f"unsupported format {media_type}")
    text = convert(content)
    if not text.strip():
        raise UnreadableDocument("empty")
    return text


def _decoded_text(content: bytes) -> str:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UnreadableDocument("not UTF-8 text") from error
    if "\x00" in text:
        raise UnreadableDocument("not UTF-8 text")
    return text


def _markdown_of_html(content: bytes) -> str:
    page = BeautifulSoup(_decoded_html(content), "html.parser")
    title = page.select_one("title:not(svg title)")
    content_root = _main_content(page)
    _write_heading_ids(content_root)
    _drop_what_is_not_content(content_root)
    _escape_structure(content_root)
    try:
        markdown = _TO_MARKDOWN.convert_soup(content_root)
    except RecursionError:
        # Nested deeper than markdownify recurses: html.parser nests each tag left unclosed, and
        # HTML lets `<p>` and `<li>` go unclosed, by the hundred on a long page. Text it is, then.
        markdown = content_root.get_text("\n")
    title_text = " ".join(title.get_text().split()) if title else ""
    if title_text and content_root.find("h1") is None:
        markdown = f"# {title_text}\n\n{markdown}"
    return _tidy(markdown)


def _write_heading_ids(content_root: Tag) -> None:
    """Write each heading's id after its text, as `{#id}`: its own, else that of the link to
    itself in it, of a named anchor in it, or of the section it opens (as Sphinx writes them)."""
    for heading in content_root.select(_HEADINGS):
        found = (
            heading.get("id")
            or _self_link_id(heading)
            or _named_anchor(heading)
            or _id_of_section_opened_by(heading)
        )
        if isinstance(found, str) and found and not _NOT_IN_AN_ID.search(found):
            heading.append(f" {{#{found}}}")


def _self_link_id(heading: Tag) -> str:
    for link in heading.select("a[href^='#']"):
        if not any(character.isalnum() for character in link.get_text()):
            return str(link["href"])[1:]
    return ""


def _id_of_section_opened_by(heading: Tag) -> str:
    section = heading.parent
    if section is None or section.name != "section" or section.select_one(_HEADINGS) is not heading:
        return ""
    return str(section.get("id") or "")


def _named_anchor(heading: Tag) -> str:
    anchor = heading.select_one("a[id], a[name]")
    return str(anchor.get("id") or anchor.get("name")) if anchor else ""


def _drop_what_is_not_content(content_root: Tag) -> None:
    for element in content_root.select(_NOT_CONTENT):
        element.extract()
    for anchor in content_root.select(_HEADING_ANCHORS):
        if not any(character.isalnum() for character in anchor.get_text()):
            anchor.extract()
    for image in content_root.select("img"):
        image.replace_with(str(image.get("alt") or ""))


def _escape_structure(content_root: Tag) -> None:
    """Escape what in the page's text would read as a Markdown heading, heading underline or
    fence ("# of seats"): only its headings are headings. Code is fenced by markdownify."""
    for text in content_root.find_all(string=_MARKDOWN_STRUCTURE):
        if isinstance(text, PreformattedString) or text.find_parent(
            ["pre", "code", *_HEADING_TAGS]
        ):
            continue
        text.replace_with(escaped(text))


def _decoded_html(content: bytes) -> str:
    """Decode by the byte order mark, else the declared charset, else as UTF-8, as browsers do."""
    data, encoding = EncodingDetector.strip_byte_order_mark(content)
    try:
        return data.decode(encoding or _declared_charset(data), errors="replace")
    except (LookupError, ValueError):  # a charset Python does not know, or not a text encoding
        return data.decode("utf-8", errors="replace")


def _declared_charset(data: bytes) -> str:
    declared = EncodingDetector.find_declared_encoding(data, is_html=True) or "utf-8"
    # A declaration readable as ASCII is not in UTF-16 or UTF-32, whatever it says.
    return "utf-8" if declared.startswith(("utf-16", "utf-32")) else declared


def _main_content(page: BeautifulSoup) -> Tag:
    for selector in _MAIN_CONTENT:
        found = page.select_one(selector)
        if found is not None:
            return found
    return page


def _markdown_of_pdf(content: bytes) -> str:
    try:
        reader = pypdf.PdfReader(io.BytesIO(content))
        title = reader.metadata.title if reader.metadata else None
        pages = [page.extract_text() for page in reader.pages]
    except (pdf_errors.FileNotDecryptedError, pdf_errors.DependencyError) as error:
        # DependencyError: AES encryption, which pypdf decrypts only with a library we do not ship.
        raise UnreadableDocument("encrypted PDF") from error
    except Exception as error:
        # Besides its own errors, pypdf lets plain ones (AttributeError, KeyError,
        # NotImplementedError, ...) out of a damaged file's depths: all mean the same here.
        raise UnreadableDocument("not a readable PDF") from error
    if not any(text.strip() for text in pages):
        raise UnreadableDocument("no text (a scanned PDF?)")
    # A damaged file's title may be a number or a reference rather than text.
    title_text = " ".join(title.split()) if isinstance(title, str) else ""
    parts = [f"# {title_text}"] if title_text else []
    parts.extend(
        f"## Page {number} {{#page={number}}}\n\n{escaped(text)}"
        for number, text in enumerate(pages, start=1)
        if text.strip()
    )
    return _tidy("\n\n".join(parts))


def escaped(text: str) -> str:
    """Return text (a PDF's, a paragraph's) with a backslash before what would read as a Markdown
    heading, fence or heading underline: in a document's text, only its headings are headings."""
    return _MARKDOWN_STRUCTURE.sub(r"\1\\\2", text)


def _tidy(markdown: str) -> str:
    """Return the text with one line ending, no NUL (no database stores it), single blank lines."""
    text = markdown.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return _BLANK_LINES.sub("\n\n", text).strip()


_CONVERTERS: dict[str, Callable[[bytes], str]] = {
    MARKDOWN: _decoded_text,
    RESTRUCTUREDTEXT: _decoded_text,
    PLAIN_TEXT: _decoded_text,
    HTML: _markdown_of_html,
    PDF: _markdown_of_pdf,
}
