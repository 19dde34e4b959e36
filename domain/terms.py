"""Words as search sees them, the same for what is indexed and for what is asked.

Code identifiers are split into the words they are made of, and kept whole too, so `usage_limits`,
`UsageLimits` and "usage limits" all meet: `FallbackModel` gives `fallbackmodel fallback model`.
Letters are compared in one Unicode form (NFKC), so a PDF's ligature (ﬁ) is the letters it joins
and an accent typed apart (e + ´, as macOS writes names) is the accented letter.
Everything else (punctuation, quotes, operators, emoji) separates words and is otherwise ignored,
which is what makes any user text safe to search with.
"""

import functools
import re
import unicodedata
from collections.abc import Collection

_WORD = re.compile(r"[^\W_]+")
_IDENTIFIER_PART = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")

# Words a question has but documentation rarely uses for meaning: English function words and the
# words people wrap a question in ("how do I", "is there a way to", "why").
_STOP_WORDS_TEXT = """
    a about above after again all also am an and any anyone anything are aren as at be because
    been before being below between both but by can cannot could couldn did didn do does doesn
    doing don down during each either else etc even ever every few for from further get gets
    getting got had hadn has hasn have haven having he her here hers herself him himself his how
    i if in into is isn it its itself just let lets like ll may me might mine more most much must
    my myself need needs no nor not now of off ok okay on once only or other our ours ourselves
    out over own please re really s same shall she should shouldn so some somehow something still
    such t than thanks that the their theirs them themselves then there these they thing things
    this those though through to too under until up us ve very via want wants was wasn way we
    were weren what whats when where whether which while who whom why will with without won
    would wouldn yes yet you your yours yourself yourselves
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())


def words(*, text: str) -> list[str]:
    """Return the lowercase words of `text`, identifiers followed by the words they are made of."""
    found: list[str] = []
    for raw in _WORD.findall(unicodedata.normalize("NFKC", text)):
        found.append(raw.lower())
        if _is_mixed_case(raw):
            found.extend(part.lower() for part in _IDENTIFIER_PART.findall(raw))
    return found


def query_terms(*, text: str) -> list[str]:
    """Return the distinct words of a question worth searching for, in the order asked.

    Stop words and single letters go; numbers stay (`404`, `429` are often what is asked about).
    """
    terms: list[str] = []
    for word in words(text=text):
        if word in STOP_WORDS or (len(word) == 1 and not word.isdigit()) or word in terms:
            continue
        terms.append(word)
    return terms


def find_stems(*, text: str, stems: Collection[str]) -> dict[str, list[int]]:
    """Return where (character offsets) words with the given rough stems (see `stem`) start in
    `text`, by stem. Quick enough to run over every candidate of a search.
    """
    found: dict[str, list[int]] = {}
    if not stems:
        return found
    lowered = text.lower().replace("_", " ")
    for match in _stem_pattern(frozenset(stems)).finditer(lowered):
        start = match.start()
        # The pattern finds the prefixes anywhere (which lets `re` jump between their first
        # letters); one inside a word is passed over with the rest of that word.
        if start and lowered[start - 1].isalnum():
            continue
        word_stem = _stem(match.group())
        if word_stem in stems:
            found.setdefault(word_stem, []).append(start)
    return found


def stem(*, word: str) -> str:
    """Return a rough stem of a lowercase word, enough to see that `retries` matches `retry`.

    The databases stem properly when they rank; this is for what happens around the ranking
    (phrase bonuses, snippets), where the same rough stem is applied to both sides.
    """
    return _stem(word)


@functools.lru_cache(maxsize=256)
def _stem_pattern(stems: frozenset[str]) -> re.Pattern[str]:
    """A pattern for the words that may have one of `stems`: those starting like one of them, up
    to their end (underscores, turned into spaces, end them as they do in `words`).
    """
    prefixes = sorted({word[:-1] if len(word) > 3 else word for word in stems}, key=len)
    alternatives = "|".join(re.escape(prefix) for prefix in reversed(prefixes))
    return re.compile(rf"(?:{alternatives})[^\W_]*")


@functools.lru_cache(maxsize=65_536)
def _stem(word: str) -> str:
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + replacement
    return word


_SUFFIXES = (
    ("ations", "ate"),
    ("ation", "ate"),
    ("ings", ""),
    ("ing", ""),
    ("ies", "y"),
    ("ied", "y"),
    ("ed", ""),
    ("s", ""),
)


def _is_mixed_case(raw: str) -> bool:
    return any(char.isupper() for char in raw[1:]) and any(char.islower() for char in raw)
