"""Article text: normalization, page residue, titles and content hashes."""

from __future__ import annotations

import hashlib
import re
import unicodedata

# Lines a scraper picks up from around the article: navigation, sharing and sign-up prompts.
# They are matched by what they say, not by where a page puts them, so any site's residue goes.
_RESIDUE_LINE = re.compile(
    r"""^\s*(
        (previous|next|prev|older|newer)\s*(article|post|story|page|entry)
      | (read|see)\s+(more|also|next)\b
      | related(\s+(articles?|stories|posts|coverage|content))?\s*:?\s*$
      | related\s*:
      | (more|also)\s+(from|on|in)\s+\w+\s*:
      | share\s+(this|on|via)\b
      | (sign\s+up|subscribe)\b
      | follow\s+us\b
      | advertisement\s*$
      | click\s+here\b
      | (copyright|©|\(c\))\s
      | all\s+rights\s+reserved
      | tags?\s*:
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# Control characters; the bidi embeddings, overrides, isolates and marks that can make a line
# display reversed ("Trojan Source"; right-to-left scripts display correctly without them);
# zero-width joiners, word joiners and byte-order marks, which split one name into two
# look-alike names; and lone surrogates (valid in JSON, not encodable as UTF-8).
_CONTROL = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff"
    r"\ud800-\udfff]"
)
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def normalize_text(text: str) -> str:
    """NFC, one kind of newline and space, no control characters, no trailing residue."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    text = _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
    return strip_page_residue(text)


def clean_line(text: str) -> str:
    """One line of text (a name, a source, an author): no invisible or control characters,
    single spaces."""
    return " ".join(_CONTROL.sub("", unicodedata.normalize("NFC", text)).split())


def is_residue_line(line: str) -> bool:
    return bool(_RESIDUE_LINE.match(line))


def strip_page_residue(text: str) -> str:
    """Drop the run of navigation lines that scrapers leave at the end of an article."""
    lines = text.split("\n")
    while lines and (not lines[-1].strip() or is_residue_line(lines[-1])):
        lines.pop()
    return "\n".join(lines).strip()


def derive_title(body: str, max_length: int = 120) -> str:
    """A title for text that came without one: its first sentence, shortened at a word."""
    first_line = next((line for line in body.split("\n") if line.strip()), "").strip()
    sentence = re.split(r"(?<=[.!?])\s", first_line, maxsplit=1)[0]
    if len(sentence) <= max_length:
        return sentence.rstrip(".")
    cut = sentence[:max_length].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def content_hash(body: str) -> str:
    """Same words, same hash: case and spacing differences don't make a new article."""
    folded = " ".join(body.casefold().split())
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()


# Acronyms newswires put in headlines; a headline in capitals keeps these (and any word with
# inner dots, "U.S.", or without a vowel, "BP", "NBC") in capitals.
_ACRONYMS = (
    "OPEC IMF EC EEC EU GATT SEC FED GM IBM AT&T ATT UN NATO OECD UK USA USSR ANC PLO IRA FBI "
    "CIA NASA NYSE ASEAN WHO ECB BOJ BOE IPO CEO CFO GDP GNP OTC LDC PC TV AIDS ABC CBS ITT "
    "GE RJR KKR UAL TWA RTZ ICI BHP LME CBT CME NYMEX API"
)
KNOWN_ACRONYMS = frozenset(_ACRONYMS.split())
_VOWELS = frozenset("aeiouy")
_LETTERS = re.compile(r"[^\W\d_][^\W_]*")


def tidy_title(title: str) -> str:
    """Newswire titles often come in capitals; give those ordinary capitalization, keeping
    acronyms ("BP", "OPEC", "U.S.") and ordinals ("3rd"). Any other title is left as written."""
    title = " ".join(title.split())
    letters = [c for c in title if c.isalpha()]
    if letters and sum(c.isupper() for c in letters) / len(letters) > 0.9 and len(letters) > 3:
        title = " ".join(_capitalized(word) for word in title.split(" "))
    return title


def _capitalized(word: str) -> str:
    core = word.strip("\"'()[]<>,;:!?")
    if (
        core.upper() in KNOWN_ACRONYMS
        or "." in core.rstrip(".")
        or (core.isalpha() and len(core) <= 4 and not _VOWELS & set(core.lower()))
    ):
        return word
    if core[:1].isdigit():  # 3RD, 1987-88
        return word.lower()
    return _LETTERS.sub(lambda m: m.group()[0].upper() + m.group()[1:].lower(), word)
