import pytest

from archive.gazetteer import is_region_of
from archive.names import clean_name, list_items, normalize_key


@pytest.mark.parametrize(
    ("raw", "kind", "expected"),
    [
        ("Mr. Kanashenkov", "person", "Kanashenkov"),
        ("President Volodymyr Zelensky", "person", "Volodymyr Zelensky"),
        ("Prime Minister Boris Johnson", "person", "Boris Johnson"),
        ("the Ministry of Defense", "organization", "Ministry of Defense"),
        ("Britain’s", "place", "Britain"),
        ("Britain's", "place", "Britain"),
        ("“Izyum”", "place", "Izyum"),
        ("  Kharkiv ,", "place", "Kharkiv"),
        ("Ukraine.", "place", "Ukraine"),
        ("Marcus Bell Jr.", "person", "Marcus Bell Jr."),
        ("Washington, D.C.", "place", "Washington, D.C."),
        ("Patrick O’Neill", "person", "Patrick O'Neill"),
        ("British Airways", "organization", "British Airways"),
        ("east Delhi", "place", "Delhi"),
        ("Ontario city", "place", "Ontario"),
        ("Lucas Cranach the", "person", "Lucas Cranach"),
        ("de Blasio", "person", "de Blasio"),
        ("Real Estate Council of Ontario (RECO", "organization", "Real Estate Council of Ontario"),
        ("Defender Hassan Abbas", "person", "Hassan Abbas"),
        ("Striker Marcus Rashford", "person", "Marcus Rashford"),
        ("Debra Winger", "person", "Debra Winger"),
    ],
)
def test_names_are_cleaned_like_an_editor_would(raw, kind, expected):
    assert clean_name(raw, kind) == expected


@pytest.mark.parametrize(
    "raw", ["government", "a", "'s", "—", "1987", "Previous article\nDavid Cameron", ""]
)
def test_fragments_that_are_not_names_are_rejected(raw):
    assert clean_name(raw, "organization") is None


def test_a_title_alone_is_not_a_person():
    assert clean_name("President", "person") is None
    assert clean_name("the Minister", "person") is None


def test_key_ignores_case_accents_and_punctuation():
    assert normalize_key("José Álvarez") == normalize_key("jose alvarez")
    assert normalize_key("Washington, D.C.") == "washington dc"
    assert normalize_key("AT&T") == "at and t"


@pytest.mark.parametrize(
    ("span", "items"),
    [
        ("Tesla, Uber and Snapchat", ["Tesla", "Uber", "Snapchat"]),
        ("Ernst & Young, PwC and KPMG", ["Ernst & Young", "PwC", "KPMG"]),
        ("Reddit, Twitter, and Spotify", ["Reddit", "Twitter", "Spotify"]),
        # Not lists: no comma, or no conjunction, or lowercase words.
        ("Kisumu, Mombasa", ["Kisumu", "Mombasa"]),
        ("Texas, Oklahoma and Kansas", ["Texas", "Oklahoma", "Kansas"]),
        (
            "Denver, Colorado, Austin, Texas and Boise",
            ["Denver, Colorado", "Austin, Texas", "Boise"],
        ),
        # Not lists: no comma, a place and its state, a firm and its suffix, lowercase words.
        ("Johnson and Johnson", ["Johnson and Johnson"]),
        ("Washington, D.C.", ["Washington, D.C."]),
        ("Portland, Oregon", ["Portland, Oregon"]),
        ("Acme, Inc.", ["Acme, Inc."]),
        ("Smith, the mayor and friends", ["Smith, the mayor and friends"]),
    ],
)
def test_a_span_listing_several_names_is_split_into_them(span, items):
    found = list_items(span, is_region_of)
    assert [span[start:end] for start, end in found] == items


@pytest.mark.parametrize("name", ["Shr 3.07", "Revs 130.2", "F1"])
def test_a_value_with_digits_is_never_a_person_or_place(name):
    assert clean_name(name, "person") is None
    assert clean_name(name, "place") is None


@pytest.mark.parametrize("word", ["Avg", "Revs", "Shr", "Dlrs", "Cts", "Mln", "Pct", "Qtr", "vs"])
def test_table_abbreviations_are_never_names(word):
    for kind in ("person", "place", "organization"):
        assert clean_name(word, kind) is None


def test_months_are_not_organizations_but_may_is_a_person():
    assert clean_name("March", "organization") is None
    assert clean_name("May", "person") == "May"


@pytest.mark.parametrize(
    "label", ["Maize Mar", "Soybean May", "Jun", "Feb", "Sugar Oct", "Wheat Sept"]
)
def test_market_table_months_are_never_names(label):
    for kind in ("person", "place", "organization"):
        assert clean_name(label, kind) is None


@pytest.mark.parametrize("name", ["June Carter", "May", "Gold Fields", "Mar del Plata"])
def test_names_with_a_month_or_a_commodity_stay_names(name):
    kind = "person" if name in ("June Carter", "May") else "organization"
    assert clean_name(name, kind) == name
