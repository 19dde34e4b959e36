"""Words as search sees them, the same for what is indexed and for what is asked.

Code identifiers are split into the words they are made of, and kept whole too, so `usage_limits`,
`UsageLimits` and "usage limits" all meet: `FallbackModel` gives `fallbackmodel fallback model`.
Everything else (punctuation, quotes, operators, emoji) separates words and is otherwise ignored,
which is what makes any user text safe to search with.
"""

import functools
import re

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
    return [word for _, _, found in word_spans(text=text) for word in found]


def word_spans(*, text: str) -> list[tuple[int, int, tuple[str, ...]]]:
    """Return where each word of `text` starts and ends, with the words `words` makes of it."""
    spans: list[tuple[int, int, tuple[str, ...]]] = []
    for match in _WORD.finditer(text):
        raw = match.group()
        parts = _IDENTIFIER_PART.findall(raw) if _is_mixed_case(raw) else []
        spans.append((match.start(), match.end(), (raw.lower(), *(p.lower() for p in parts))))
    return spans


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


def stems(*, text: str) -> list[str]:
    """Return the rough stems (see `stem`) of the lowercase words of `text`, in order: quick,
    for what ranking does with whole passages, so identifiers are not split here.
    """
    return [_stem(word) for word in _WORD.findall(text.lower())]


def stem(*, word: str) -> str:
    """Return a rough stem of a lowercase word, enough to see that `retries` matches `retry`.

    The databases stem properly when they rank; this is for what happens around the ranking
    (phrase bonuses, snippets), where the same rough stem is applied to both sides.
    """
    return _stem(word)


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
