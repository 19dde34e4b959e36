"""Splitting a document into passages: pure functions from text to value objects.

A passage is a section under one heading, with its heading path ("Deployment › Database ›
Rotating passwords"), so that a search hit says where it comes from. Long sections are cut into
pieces of at most `max_chars` characters at paragraph, line or word boundaries, each piece
repeating the last `overlap_chars` characters of the one before, so no sentence is only ever seen
cut in half. Markdown (ATX `#` and setext headings, fenced code ignored, front matter skipped) and
reStructuredText (underlined and overlined titles; also used for `.txt`) are understood; any other
text is one section.

Each passage also knows the anchor that opens its section where the document is published, so a
citation links to the heading rather than the top of a long page: a heading's own `{#id}`, else
for a Markdown file the slug GitHub, GitLab and most site generators give a heading, and for reST
the id docutils gives a title. Text converted to Markdown (HTML, PDF, Notion) carries only the
anchors its converter wrote as `{#id}`: its headings' slugs would be guesses.
"""

import re
import unicodedata
from dataclasses import dataclass
from pathlib import PurePosixPath

MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
RESTRUCTUREDTEXT_SUFFIXES = frozenset({".rst", ".txt"})
SUFFIXES = MARKDOWN_SUFFIXES | RESTRUCTUREDTEXT_SUFFIXES
HEADING_SEPARATOR = " › "
MAX_CHARS = 2500
OVERLAP_CHARS = 250

_ATX_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_SETEXT_UNDERLINE = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_REST_ADORNMENT = re.compile(r"^([!-/:-@\[-`{-~])\1+\s*$")
_FRONT_MATTER_FIELD = re.compile(r"^[A-Za-z_][\w-]*\s*:")
_FRONT_MATTER_TITLE = re.compile(r"^title:\s*['\"]?(.*?)['\"]?\s*$")
_HEADING_ANCHOR = re.compile(r"\s*\{[#.][^}]*\}\s*$")
_HEADING_ID = re.compile(r"\{[^}]*?#([^\s}]+)[^}]*\}\s*$")

_NOT_IN_ID = re.compile(r"[^a-z0-9]+")
_NOT_AT_ID_ENDS = re.compile(r"^[-0-9]+|-+$")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
# In a heading: code spans (kept as written), and outside them emphasis marks, inline HTML tags
# and backslash escapes, which the rendered heading does not show.
_CODE_SPAN = re.compile(r"`+([^`]*)`+")
_MARKUP = re.compile(r"<[^<>]*>|(?<!\\)\*+|(?<![\w\\])_+|_+(?!\w)")
_ESCAPE = re.compile(r"\\([^\w\s])")


class InvalidPassageSize(ValueError):
    """The overlap must be smaller than half the passage size, or splitting would not advance."""


@dataclass(frozen=True, kw_only=True)
class Section:
    """One passage-to-be: the heading path it sits under, its text, and the fragment that opens it
    where the document is published ("" when none is known)."""

    heading: str
    text: str
    anchor: str = ""


@dataclass(frozen=True, kw_only=True)
class Outline:
    """A document as it will be indexed: its title and its sections, in order."""

    title: str
    sections: tuple[Section, ...]


@dataclass(frozen=True, kw_only=True)
class _Heading:
    level: int
    text: str
    anchor: str = ""


def split_document(
    *,
    path: str,
    text: str,
    as_markdown: bool = False,
    max_chars: int = MAX_CHARS,
    overlap_chars: int = OVERLAP_CHARS,
) -> Outline:
    """Split a document's text into sections by heading, capping long ones with overlap.

    The format follows the suffix of `path` (a POSIX path relative to the collection's root), or
    is Markdown with `as_markdown` (HTML, PDF and Notion pages, once turned into it). The title is
    the document's own (Markdown `# Title` or front matter `title:`, the first reST title), else one
    made from the file name.

    Raises: InvalidPassageSize.
    """
    if not 0 <= overlap_chars < max_chars // 2:
        raise InvalidPassageSize(
            f"overlap_chars ({overlap_chars}) must be under half of max_chars ({max_chars})"
        )
    suffix = PurePosixPath(path).suffix.lower()
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if as_markdown or suffix in MARKDOWN_SUFFIXES:
        title, blocks = _markdown_blocks(lines, slugs=suffix in MARKDOWN_SUFFIXES)
    elif suffix in RESTRUCTUREDTEXT_SUFFIXES:
        title, blocks = _rest_blocks(lines)
    else:
        title, blocks = "", [(None, lines)]
    sections = tuple(_sections(blocks, max_chars=max_chars, overlap_chars=overlap_chars))
    return Outline(title=title or _title_from_path(path), sections=sections)


_Block = tuple[_Heading | None, list[str]]


def _markdown_blocks(lines: list[str], *, slugs: bool) -> tuple[str, list[_Block]]:
    title, lines = _without_front_matter(lines)
    slugged = _Slugs() if slugs else None
    blocks: list[_Block] = [(None, [])]
    fence = ""
    for line in lines:
        body = blocks[-1][1]
        opening = _FENCE.match(line)
        if fence:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = ""
            body.append(line)
            continue
        if opening:
            fence = opening.group(1)
            body.append(line)
            continue
        atx = _ATX_HEADING.match(line)
        underline = _SETEXT_UNDERLINE.match(line)
        if atx:
            blocks.append((_markdown_heading(len(atx.group(1)), atx.group(2), slugged), []))
        elif underline and body and body[-1].strip() and not _is_markdown_block_line(body[-1]):
            level = 1 if underline.group(1).startswith("=") else 2
            blocks.append((_markdown_heading(level, body.pop(), slugged), []))
        else:
            body.append(line)
    if not title:
        title = next((h.text for h, _ in blocks if h is not None and h.level == 1), "")
    return title, blocks


class _Slugs:
    """GitHub's heading slugs: lower case, punctuation dropped, spaces as hyphens; a slug seen
    before in the document gets -1, -2, ... as GitHub numbers it."""

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def of(self, heading: str) -> str:
        slug = "".join(filter(_in_slug, heading.lower())).replace(" ", "-")
        if not slug:
            return ""
        unique = slug
        while unique in self._seen:
            self._seen[slug] += 1
            unique = f"{slug}-{self._seen[slug]}"
        self._seen[unique] = 0
        return unique


def _in_slug(character: str) -> bool:
    """What GitHub keeps of a heading in its slug: letters and their marks, digits, `_`, `-`, and
    spaces (which become hyphens)."""
    return character in "_- " or unicodedata.category(character)[0] in "LMN"


def _markdown_heading(level: int, line: str, slugged: _Slugs | None) -> _Heading:
    text = _clean(line)
    own_id = _HEADING_ID.search(line)
    if own_id:
        return _Heading(level=level, text=text, anchor=own_id.group(1))
    return _Heading(level=level, text=text, anchor=slugged.of(text) if slugged else "")


def _without_front_matter(lines: list[str]) -> tuple[str, list[str]]:
    """The front matter's title and the lines after it; a `---` that opens a document and is
    not followed by a field (`title: …`) is a rule, and the text under it stays."""
    if len(lines) < 2 or lines[0].strip() != "---" or not _FRONT_MATTER_FIELD.match(lines[1]):
        return "", lines
    for end, line in enumerate(lines[1:], start=1):
        if line.strip() in {"---", "..."}:
            matches = (_FRONT_MATTER_TITLE.match(field) for field in lines[1:end])
            title = next((match.group(1) for match in matches if match), "")
            return title, lines[end + 1 :]
    return "", lines


def _is_markdown_block_line(line: str) -> bool:
    stripped = line.lstrip()
    return stripped.startswith(("|", ">", "- ", "* ", "+ ", "<")) or line.startswith("    ")


def _rest_blocks(lines: list[str]) -> tuple[str, list[_Block]]:
    styles: list[tuple[str, bool]] = []
    blocks: list[_Block] = [(None, [])]
    ids = _DocutilsIds()
    index = 0
    while index < len(lines):
        title_line = _rest_title_at(lines, index)
        if title_line is None:
            blocks[-1][1].append(lines[index])
            index += 1
            continue
        overlined = title_line > index
        style = (lines[title_line + 1].strip()[0], overlined)
        if style not in styles:
            styles.append(style)
        text = _clean(lines[title_line])
        heading = _Heading(level=styles.index(style) + 1, text=text, anchor=ids.of(text))
        blocks.append((heading, []))
        index = title_line + 2
    title = next((h.text for h, _ in blocks if h is not None), "")
    return title, blocks


def _rest_title_at(lines: list[str], index: int) -> int | None:
    """Return the index of the title line of a reST section title starting at `index`, if any."""
    if _REST_ADORNMENT.match(lines[index]) and index + 2 < len(lines):
        over, title, under = lines[index], lines[index + 1], lines[index + 2]
        if under.strip() == over.strip() and title.strip() and len(over.strip()) >= 2:
            return index + 1
    if index + 1 < len(lines):
        title, under = lines[index], lines[index + 1]
        if (
            title.strip()
            and not title[0].isspace()
            and not _REST_ADORNMENT.match(title)
            and _REST_ADORNMENT.match(under)
            and len(under.strip()) >= max(2, len(title.strip()))
        ):
            return index
    return None


class _DocutilsIds:
    """The ids docutils (and so Sphinx) gives section titles: ASCII, lower case, hyphens; a title
    whose id is taken gets the next of `id1`, `id2`, … instead."""

    def __init__(self) -> None:
        self._taken: set[str] = set()
        self._numbered = 0

    def of(self, title: str) -> str:
        ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
        section_id = _NOT_AT_ID_ENDS.sub("", _NOT_IN_ID.sub("-", ascii_title.lower()))
        while not section_id or section_id in self._taken:
            self._numbered += 1
            section_id = f"id{self._numbered}"
        self._taken.add(section_id)
        return section_id


def _clean(heading: str) -> str:
    """The heading's text as a page shows it."""
    heading = _HEADING_ANCHOR.sub("", heading.strip())
    heading = _LINK.sub(r"\1", heading)
    # Split by a code span, the pieces alternate: outside, inside, outside, …
    shown = "".join(
        piece if index % 2 else _ESCAPE.sub(r"\1", _MARKUP.sub("", piece))
        for index, piece in enumerate(_CODE_SPAN.split(heading))
    )
    return " ".join(shown.split())


def _sections(blocks: list[_Block], *, max_chars: int, overlap_chars: int) -> list[Section]:
    sections: list[Section] = []
    path: list[_Heading] = []
    for heading, lines in blocks:
        if heading is not None:
            path = [*(h for h in path if h.level < heading.level), heading]
        body = "\n".join(lines).strip()
        if not body:
            continue
        heading_path = HEADING_SEPARATOR.join(h.text for h in path if h.text)
        anchor = next((h.anchor for h in reversed(path) if h.anchor), "")
        sections.extend(
            Section(heading=heading_path, text=piece, anchor=anchor)
            for piece in _pieces(body, max_chars=max_chars, overlap_chars=overlap_chars)
        )
    return sections


def _pieces(text: str, *, max_chars: int, overlap_chars: int) -> list[str]:
    pieces: list[str] = []
    start = 0
    while len(text) - start > max_chars:
        end = _break_before(text, start=start + max_chars // 2, end=start + max_chars)
        pieces.append(text[start:end].strip())
        start = _word_start_after(text, position=end - overlap_chars, limit=end)
    pieces.append(text[start:].strip())
    return [piece for piece in pieces if piece]


def _break_before(text: str, *, start: int, end: int) -> int:
    """Return the best place to cut `text` in [start, end]: a blank line, a line end, a space."""
    for separator in ("\n\n", "\n", " "):
        found = text.rfind(separator, start, end)
        if found != -1:
            return found + len(separator)
    return end


def _word_start_after(text: str, *, position: int, limit: int) -> int:
    space = text.find(" ", position, limit)
    line = text.find("\n", position, limit)
    candidates = [found + 1 for found in (space, line) if found != -1]
    return min(candidates, default=position)


def _title_from_path(path: str) -> str:
    pure = PurePosixPath(path)
    name = pure.stem
    if name.lower() in {"index", "readme"} and pure.parent.name:
        name = pure.parent.name
    title = " ".join(name.replace("_", " ").replace("-", " ").split())
    return title[:1].upper() + title[1:] if title else path
