"""Common English words, to tell a capitalised word from a name: the noun list of the
installed en_core_web_sm's lemmatizer (drawn from WordNet)."""

from __future__ import annotations

import functools
import logging

from django.conf import settings

logger = logging.getLogger(__name__)


def is_common_noun(word: str) -> bool:
    """ "Cinema", "Sulphur", "Traders": a word English writes in lower case, singular or
    plural, going by the noun list of en_core_web_sm's lemmatizer (from WordNet). Many
    surnames are in it too ("Baker", "Weber"): a rule that reads it must want that."""
    lower = word.lower()
    nouns = _common_nouns()
    forms = [lower]
    if lower.endswith("s"):
        forms += [lower[:-1], lower[:-2], lower[:-3] + "y"]  # traders, witnesses, parties
    return any(form in nouns for form in forms)


@functools.cache
def _common_nouns() -> frozenset[str]:
    """The nouns of the first installed English pipeline that has a lemmatizer (the trained
    model keeps only its entity recogniser); none if there is none, and the rules that read
    them then do nothing."""
    from spacy.lookups import Lookups
    from spacy.util import get_package_path

    for name in settings.SPACY_MODEL_FALLBACKS:
        try:
            package = get_package_path(name)
        except (ImportError, OSError):
            continue
        for lookups in sorted(package.glob("*/lemmatizer/lookups")):
            return frozenset(Lookups().from_disk(lookups).get_table("lemma_index")["noun"])
    logger.warning(
        "No English lemmatizer found in %s: no noun list", settings.SPACY_MODEL_FALLBACKS
    )
    return frozenset()
