"""Written release notes as every output renders them, and the Markdown and JSON renderings.

The JSON rendering follows `docs/release-notes.schema.json`; change both together (and bump
`SCHEMA_VERSION` when a consumer would notice).
"""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from domain import history

SCHEMA_VERSION = 1
NO_CHANGES = "No user-visible changes."
GITHUB_WEB_URL = "https://github.com"

# A reference as the writer ends each line with it: `(#42)` or `(a1b2c3d)`; a line of a change
# made of several carries them all: `(#41, #42)`.
_ONE_REFERENCE = r"#\d+|[0-9a-f]{7,40}"
_REFERENCES = re.compile(rf"\(((?:{_ONE_REFERENCE})(?:,\s*(?:{_ONE_REFERENCE}))*)\)")
_REFERENCE = re.compile(_ONE_REFERENCE)
_FULL_SHA = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True, kw_only=True)
class Section:
    title: str
    items: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class ReleaseNotesDocument:
    """The notes of one range: sections of one-line changes ending with their reference (`#42`
    or a short sha), the contributors, and how they were written (model, warnings).

    `github_repo` (`owner/name`, or empty) is where the references link to, on the GitHub at
    `github_web_url` (github.com, or a GitHub Enterprise host).
    """

    release_range: history.ReleaseRange
    commit_count: int
    sections: tuple[Section, ...]
    contributors: tuple[str, ...]
    model_name: str
    warnings: tuple[str, ...] = ()
    github_repo: str = ""
    github_web_url: str = GITHUB_WEB_URL

    @property
    def heading(self) -> str:
        """What the notes cover, in words: `Changes from v1.2.0 to HEAD (12 commits)`."""
        start = _short(self.release_range.from_ref) or "the first commit"
        count = f"{self.commit_count} commit{'' if self.commit_count == 1 else 's'}"
        return f"Changes from {start} to {_short(self.release_range.to_ref)} ({count})"

    def link(self, reference: str) -> str:
        """The GitHub page of a reference (`#42` or a short sha); empty when no repo is known."""
        if not self.github_repo:
            return ""
        base = f"{self.github_web_url}/{self.github_repo}"
        if reference.startswith("#"):
            return f"{base}/pull/{reference[1:]}"
        return f"{base}/commit/{reference}"

    def linked(self, item: str, as_link: Callable[[str, str], str]) -> str:
        """The item with each reference written as `as_link(reference, url)` when it has a URL."""
        if not self.github_repo:
            return item
        return _REFERENCES.sub(
            lambda group: _REFERENCE.sub(
                lambda match: as_link(match[0], self.link(match[0])), group[0]
            ),
            item,
        )


def render_markdown(notes: ReleaseNotesDocument) -> str:
    """A Markdown page: a heading per section, a bullet per change, linked references, and the
    contributors."""
    lines = [f"# {notes.heading}", ""]
    for section in notes.sections:
        lines += [f"## {section.title}", ""]
        lines += [
            f"- {notes.linked(item, lambda label, url: f'[{label}]({url})')}"
            for item in section.items
        ]
        lines.append("")
    if not notes.sections:
        lines += [NO_CHANGES, ""]
    if notes.contributors:
        lines += ["## Contributors", "", ", ".join(notes.contributors), ""]
    return "\n".join(lines)


def render_json(notes: ReleaseNotesDocument) -> str:
    """The notes as JSON, in the documented schema (`docs/release-notes.schema.json`)."""
    release_range = notes.release_range
    document = {
        "schema_version": SCHEMA_VERSION,
        "repository": release_range.repository,
        "github_repo": notes.github_repo or None,
        "range": {
            "from_ref": release_range.from_ref or None,
            "from_sha": release_range.from_sha or None,
            "to_ref": release_range.to_ref,
            "to_sha": release_range.to_sha,
        },
        "commit_count": notes.commit_count,
        "sections": [
            {
                "title": section.title,
                "items": [{"text": item, "links": _links(notes, item)} for item in section.items],
            }
            for section in notes.sections
        ],
        "contributors": list(notes.contributors),
        "model": notes.model_name,
        "warnings": list(notes.warnings),
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _short(ref: str) -> str:
    """A ref as people write it: a full commit id shortened to 7 characters."""
    return ref[:7] if _FULL_SHA.match(ref) else ref


def _links(notes: ReleaseNotesDocument, item: str) -> dict[str, str]:
    if not notes.github_repo:
        return {}
    return {
        match[0]: notes.link(match[0])
        for group in _REFERENCES.finditer(item)
        for match in _REFERENCE.finditer(group[1])
    }
