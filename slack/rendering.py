"""What Slack shows: the model's Markdown as Slack renders it, split within Slack's limits, with the
sources as a numbered list of links and the feedback buttons under the answer.
"""

import re
from collections.abc import Sequence
from typing import Any

from domain import records

# Slack truncates a message's text beyond about 4,000 characters; a section block holds 3,000, a
# markdown block or one stream append 12,000, and a message at most 50 blocks.
MESSAGE_TEXT_LIMIT = 3_900
MARKDOWN_BLOCK_LIMIT = 12_000
STREAM_APPEND_LIMIT = 12_000
# What opens and closes a Markdown code block: a message that ends inside one is closed with
# CODE_CLOSE, and the next message opens with CODE_REOPEN.
_FENCE = "```"
CODE_REOPEN = f"{_FENCE}\n"
CODE_CLOSE = f"\n{_FENCE}"

FEEDBACK_UP = "feedback_up"
FEEDBACK_DOWN = "feedback_down"
SHARE_ANSWER = "share_answer"

_CODE = re.compile(r"```.*?```|`[^`\n]+`", re.S)
# A link's label may hold escaped brackets (`\]`), as a source's title does.
_LINK = re.compile(r"(?<!\\)\[((?:\\.|[^\]\\\n])+)\]\((https?://[^)\s]+)\)")
_ESCAPED_BRACKET = re.compile(r"\\([\[\]])")
_BRACKET = re.compile(r"([\[\]])")
# What would end a link early, in Markdown or in mrkdwn, or open markup after it.
_NOT_IN_ADDRESS = re.compile(r"[\s()<>|]")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*|__(?=\S)(.+?)(?<=\S)__")
_ITALIC = re.compile(r"(?<![*\w])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![*\w])")
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)
_BULLET = re.compile(r"^(\s*)[-*+]\s+", re.M)


def markdown_to_mrkdwn(markdown: str) -> str:
    """Convert Markdown to Slack's mrkdwn: `*bold*`, `_italic_`, `~strike~`, `<url|label>`, `•`.

    Code spans and blocks are kept as they are; `&`, `<` and `>` are escaped as Slack requires.
    """
    pieces: list[str] = []
    position = 0
    for code in _CODE.finditer(markdown):
        pieces.append(_convert_prose(markdown[position : code.start()]))
        pieces.append(_escape(code.group(0)))
        position = code.end()
    pieces.append(_convert_prose(markdown[position:]))
    return "".join(pieces)


def _convert_prose(text: str) -> str:
    links: list[str] = []

    def keep_link(match: re.Match[str]) -> str:
        label = _ESCAPED_BRACKET.sub(r"\1", match[1])
        links.append(f"<{_address(match[2])}|{_escape(label)}>")
        return f"\x00{len(links) - 1}\x00"

    text = _LINK.sub(keep_link, text)
    text = _escape(_ESCAPED_BRACKET.sub(r"\1", text))
    text = _HEADING.sub(lambda match: f"\x01{match[1]}\x01", text)
    text = _BOLD.sub(lambda match: f"\x01{match[1] or match[2]}\x01", text)
    text = _ITALIC.sub(lambda match: f"_{match[1]}_", text)
    text = _STRIKE.sub(lambda match: f"~{match[1]}~", text)
    text = _BULLET.sub(lambda match: f"{match[1]}• ", text)
    text = text.replace("\x01", "*")
    return re.sub("\x00(\\d+)\x00", lambda match: links[int(match[1])], text)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _address(url: str) -> str:
    """The URL with what would end its link early percent-encoded: the same address."""
    return _NOT_IN_ADDRESS.sub(lambda match: f"%{ord(match[0]):02X}", url)


def split_text(text: str, *, limit: int) -> list[str]:
    """Split text into parts of at most `limit` characters, at paragraph, line or word breaks
    when there is one; joined back together, the parts are the whole text."""
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = _break_before(rest, limit)
        parts.append(rest[:cut])
        rest = rest[cut:]
    if rest or not parts:
        parts.append(rest)
    return parts


def message_parts(text: str, *, limit: int) -> list[str]:
    """Split text into messages of at most `limit` characters, as `split_text` does; a code block
    cut in two is closed at the end of one message and opened again at the start of the next, so
    that neither the code's second half nor the text after it shows the wrong way."""
    in_code = False
    messages = []
    for part in split_text(text, limit=limit - len(CODE_REOPEN) - len(CODE_CLOSE)):
        if in_code:
            part = CODE_REOPEN + part
        in_code = ends_in_code(part)
        messages.append(part.rstrip("\n") + CODE_CLOSE if in_code else part)
    return messages


def ends_in_code(text: str) -> bool:
    """Whether the text ends inside a code block it opened."""
    return text.count(_FENCE) % 2 == 1


def _break_before(text: str, limit: int) -> int:
    for separator in ("\n\n", "\n", " "):
        cut = text.rfind(separator, limit // 2, limit)
        if cut > 0:
            return cut + len(separator)
    return limit


def sources_markdown(citations: Sequence[records.Citation]) -> str:
    """The sources under an answer, as a numbered Markdown list of links."""
    if not citations:
        return ""
    lines = ["**Sources**"]
    for number, citation in enumerate(citations, start=1):
        # A title's brackets are escaped, so that no title can make a link of its own.
        where = _BRACKET.sub(r"\\\1", citation.place)
        lines.append(
            f"{number}. [{where}]({_address(citation.url)})"
            if citation.url
            else f"{number}. {where}"
        )
    return "\n".join(lines)


def feedback_blocks(*, question_id: int, shareable: bool = False) -> list[dict[str, Any]]:
    """👍 / 👎 buttons that carry the question's id; under a private answer, a button that shows
    it to everyone too."""
    share = [_button(SHARE_ANSWER, "Show to everyone", question_id)] if shareable else []
    return [
        {
            "type": "actions",
            "block_id": f"feedback-{question_id}",
            "elements": [
                _button(FEEDBACK_UP, "👍 Helpful", question_id),
                _button(FEEDBACK_DOWN, "👎 Not helpful", question_id),
                *share,
            ],
        }
    ]


def _button(action_id: str, label: str, question_id: int) -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": label, "emoji": True},
        "value": str(question_id),
    }


def markdown_blocks(markdown: str) -> list[dict[str, Any]]:
    """Markdown blocks that Slack renders as Markdown, each within the block limit."""
    return [
        {"type": "markdown", "text": part}
        for part in split_text(markdown, limit=MARKDOWN_BLOCK_LIMIT)
        if part.strip()
    ]


_COMMENT_BLOCK = "comment"
_COMMENT_ACTION = "comment_text"


def feedback_modal(*, question_id: int) -> dict[str, Any]:
    """The optional "what was wrong?" form after a 👎."""
    return {
        "type": "modal",
        "callback_id": "feedback_comment",
        "private_metadata": str(question_id),
        "title": {"type": "plain_text", "text": "What was wrong?"},
        "submit": {"type": "plain_text", "text": "Send"},
        "close": {"type": "plain_text", "text": "Skip"},
        "blocks": [
            {
                "type": "input",
                "block_id": _COMMENT_BLOCK,
                "optional": True,
                "label": {"type": "plain_text", "text": "Tell the bot's owners what was wrong"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": _COMMENT_ACTION,
                    "multiline": True,
                    "max_length": 2000,
                },
            }
        ],
    }


def feedback_comment(view: dict[str, Any]) -> str:
    """The comment typed into the feedback form, or "" (also when the form is not this one)."""
    found: Any = view
    for key in ("state", "values", _COMMENT_BLOCK, _COMMENT_ACTION, "value"):
        found = found.get(key) if isinstance(found, dict) else None
    return found.strip() if isinstance(found, str) else ""
