"""The one-pass indexing of article text gives exactly the terms, frequencies, weights and
positions of Whoosh's analyzer chain, which queries use."""

import pytest
from whoosh.fields import TEXT

from search.engines.whoosh.analysis import FoldedStemText, folded_stemming_analyzer

TEXTS = [
    "",
    "The",
    "a I",
    "The strike in Lisbon ended; the dockworkers' union said it would strike again.",
    "Zürich, São Paulo and Kraków: ÉLYSÉE talks. İstanbul's İ and ß, ﬁnance, Ǆemal.",
    "U.S. GDP rose 2.5 pct in Q3; 1,000,000 shares at $4.50 (vs. 3.9) on 12/03/1987.",
    "Rolls-Royce, year-on-year, e-mail; foo_bar __init__ x.y.z a.b. .net",
    "of the and to a in is it that on was for with as be by at this an are from",
    "Running runs ran runner; organizations organized; nationalization nationally.",
    "Москва и Киев · 東京 · العربية · Ελλάδα · हिन्दी · ٣٤٥ · ①②③ · x²",
    "repeated repeated repeated word, then repeated again and the the the end",
    "\u200bzero\u200bwidth and combining e\u0301 and tabs\tand\nnewlines\r\n",
]


def stock_field():
    return TEXT(stored=False, analyzer=folded_stemming_analyzer())


@pytest.mark.parametrize("text", TEXTS)
def test_one_pass_indexing_matches_the_analyzer_chain(text):
    fast, stock = FoldedStemText(stored=False), stock_field()
    expected = sorted(stock.index(text))
    assert sorted(fast.index(text)) == expected
    assert [t.text for t in fast.analyzer(text)] == [t.text for t in stock.analyzer(text)]


def test_demo_articles_index_the_same_either_way():
    import json
    from pathlib import Path

    demo = Path(__file__).resolve().parents[3] / "demo"
    texts = []
    for path in sorted(demo.rglob("*")):
        if path.suffix == ".jsonl":
            texts += [json.loads(line).get("body", "") for line in path.open()]
        elif path.suffix == ".txt":
            texts.append(path.read_text())
    assert texts
    fast, stock = FoldedStemText(stored=False), stock_field()
    for text in texts:
        assert sorted(fast.index(text)) == sorted(stock.index(text))


def test_an_index_written_before_the_adapter_moved_still_opens():
    import pickle

    # What an older index's table of contents holds for its text field.
    older = pickle.dumps(FoldedStemText(stored=False), protocol=2).replace(
        b"search.engines.whoosh.analysis", b"search.analysis"
    )
    assert isinstance(pickle.loads(older), FoldedStemText)
