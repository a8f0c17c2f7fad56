"""Snippets find the same word starts as the case-blind regex that marks them."""

import pytest

from search.snippets import _match_starts, _pattern, _stems, snippet

BODIES = [
    "Trade talks: TRADE, trader, Free-trade and re-trade; contrade and trade_mark, 2trade.",
    "Tradeoffs. trade\ntrade\ttrade",
    "İstanbul traders met in İzmir; the trade office closed.",  # "İ" lowers to two characters
    "Strike! strikes, striker; restrike and STRIKING workers",
    "oiloil oil Oil OIL_ oil",
    "",
]


@pytest.mark.parametrize("body", BODIES)
@pytest.mark.parametrize("terms", [["trade"], ["strikes", "oil"], ["oil", "trade", "tra"]])
def test_word_starts_are_the_regex_matches(body, terms):
    stems = _stems(terms)
    pattern = _pattern(stems)
    assert _match_starts(body, stems, pattern) == [m.start() for m in pattern.finditer(body)]


def test_no_terms_no_marks():
    assert _match_starts("trade", [], None) == []
    assert "<mark>" not in snippet("Trade talks resumed.", [])


def test_the_passage_shown_is_where_matches_are_densest():
    body = "oil " + "filler words here. " * 40 + "trade and trade and trade again. " + "tail " * 80
    shown = snippet(body, ["trade"])
    assert shown.count("<mark>trade</mark>") == 3
    assert shown.startswith("… ")
