"""The Solr configset analyzes text as the Whoosh index does (no Solr needed to check)."""

import pytest

from search.engines.solr.engine import fold as solr_fold
from search.engines.whoosh.spelling import fold as whoosh_fold
from solr.analysis_files import CONF, FILES


@pytest.mark.parametrize("name", sorted(FILES))
def test_the_configsets_analysis_files_are_written_from_the_whoosh_analyzers(name):
    assert (CONF / name).read_text(encoding="utf-8") == FILES[name](), (
        f"{name} is out of date: run .venv/bin/python solr/analysis_files.py"
    )


def test_both_engines_fold_words_alike():
    words = ["Zürich", "Straße", "Æsir", "São Paulo", "ĞÜŞİÖÇ", "Ærø", "naïve", "Łódź", "Øresund"]
    for word in words:
        assert solr_fold(word) == whoosh_fold(word), word
    assert solr_fold("Straße") == "strase"  # Whoosh's map, not Lucene's ASCIIFolding ("ss")
