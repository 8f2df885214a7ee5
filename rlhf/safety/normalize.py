"""Text normalisation that every safety check reads through (red flags, scope rules, reply checks, PHI).

A rule that matches "chest pain" must also match "chest\u00a0pain", "chest-pain", "chеst pain" with a
Cyrillic "е", fullwidth "ｃｈｅｓｔ ｐａｉｎ" or "my\u00adself" with a soft hyphen: formatting must never beat a
check. The steps, in order:

1. Unicode NFKC (fullwidth and compatibility forms become their plain letters);
2. letters confusable with a Latin letter (Unicode's confusables data, from the kept
   `confusable_homoglyphs` package) become that letter;
3. invisible format characters (zero-width space and joiners, soft hyphen, BOM, bidi marks) go, and
   typographic apostrophes and quotes become ASCII ones;
4. dashes and hyphens become spaces, and so does a slash between two words ("licked/eaten"); optional:
   identifiers such as 555-867-5309 keep theirs for the PHI detector; every run of white space
   becomes one space.

The checks read the normalised text; what the patient receives and what the model sees are unchanged.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from confusable_homoglyphs.confusables import confusables_data

# Hyphens, dashes and minus signs of every script (NFKC keeps most of them apart from "-").
_DASHES = re.compile(r"[\-\u2010-\u2015\u2212\u2E3A\u2E3B\uFE58\uFE63\uFF0D_]+")
_SPACE = re.compile(r"\s+")
# A slash between letters joins two words ("licked/eaten"), not two numbers (a date, a blood pressure).
_WORD_SLASH = re.compile(r"(?<=[^\W\d_])/(?=[^\W\d_])")
# Typographic apostrophes and quotes (NFKC keeps them): "can’t" must read as "can't".
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u02bc": "'", "\u2032": "'", "\u201c": '"', "\u201d": '"'})


@lru_cache(maxsize=4096)
def _latin(ch: str) -> str:
    """The ASCII letter or digit `ch` is confusable with, or `ch` itself."""
    if ch.isascii() or not ch.isalnum():
        return ch
    for glyph in confusables_data.get(ch, ()):
        target = glyph.get("c", "")
        if len(target) == 1 and target.isascii() and target.isalnum():
            return target
    return ch


def _visible(ch: str) -> bool:
    # Category Cf holds the zero-width characters, the soft hyphen, BOM and the bidi controls.
    return unicodedata.category(ch) != "Cf"


def normalize(text: str | None, *, keep_hyphens: bool = False, invisible_as_space: bool = False) -> str:
    """`text` as the safety checks read it (see the module docstring); None reads as "".

    An invisible character can stand inside a word ("ch\u200best") or for the space between two
    ("chest\u200bpain"): by default it is dropped, with `invisible_as_space` it becomes a space. A check
    that must not be beaten reads both (`variants`).
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(_latin(ch) if _visible(ch) else (" " if invisible_as_space else "") for ch in text
                   if _visible(ch) or invisible_as_space)
    text = text.translate(_QUOTES)
    if not keep_hyphens:
        text = _WORD_SLASH.sub(" ", _DASHES.sub(" ", text))
    return _SPACE.sub(" ", text).strip()


def variants(text: str | None, *, keep_hyphens: bool = False) -> list[str]:
    """The normalised readings of `text`: one, or two when it holds invisible characters."""
    first = normalize(text, keep_hyphens=keep_hyphens)
    second = normalize(text, keep_hyphens=keep_hyphens, invisible_as_space=True)
    return [first] if second == first else [first, second]
