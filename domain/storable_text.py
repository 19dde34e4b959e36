"""Text either database can store, cleaned once where it comes in from outside (Slack's payloads,
the admin's query strings), the same way on both.

PostgreSQL stores no NUL character, in text or in JSON, and neither database stores a lone
surrogate (UTF-8 has no encoding for one). Each is replaced by U+FFFD, the replacement character.
"""

import re

_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


def storable(text: str) -> str:
    """The text with every character a database cannot store replaced by U+FFFD."""
    return _UNSTORABLE.sub("\ufffd", text)
