import pytest
from django.core.exceptions import ImproperlyConfigured

from archive.extraction import (
    _Mention,
    entities_from_doc,
    extract_entities,
    extract_many,
    load_pipeline,
    resolve_mentions,
)
from archive.text import normalize_text


def names(entities, kind):
    return sorted(e.name for e in entities if e.kind == kind)


def tagged(text, *spans):
    """A document tagged by hand (the tagger's choices are the input of these rules):
    each span is (text, label), found in order."""
    import spacy

    doc = spacy.blank("en")(text)
    ents, cursor = [], 0
    for span_text, label in spans:
        start = text.index(span_text, cursor)
        cursor = start + len(span_text)
        ents.append(doc.char_span(start, cursor, label=label))
    doc.ents = ents
    return doc


def kinds(entities):
    return sorted((e.kind, e.name) for e in entities)


def mention(kind, name, start=0):
    from archive.names import normalize_key

    return _Mention(kind, name, normalize_key(name), start, start + len(name))


def test_surname_joins_full_name_in_same_article():
    entities = resolve_mentions(
        [mention("person", "Volodymyr Zelensky", 0), mention("person", "Zelensky", 50)]
    )
    assert [(e.name, e.count) for e in entities] == [("Volodymyr Zelensky", 2)]


def test_surname_tagged_as_organization_still_joins_the_person():
    entities = resolve_mentions(
        [mention("person", "David Cameron", 0), mention("organization", "Cameron", 40)]
    )
    assert names(entities, "person") == ["David Cameron"]
    assert names(entities, "organization") == []


def test_ambiguous_surname_is_left_alone():
    entities = resolve_mentions(
        [
            mention("person", "Anna Smith", 0),
            mention("person", "John Smith", 20),
            mention("person", "Smith", 40),
        ]
    )
    assert names(entities, "person") == ["Anna Smith", "John Smith", "Smith"]


def test_same_name_gets_the_kind_most_of_its_mentions_have():
    entities = resolve_mentions(
        [
            mention("organization", "Kupyansk", 0),
            mention("place", "Kupyansk", 10),
            mention("place", "Kupyansk", 20),
        ]
    )
    assert [(e.kind, e.name, e.count) for e in entities] == [("place", "Kupyansk", 3)]


def test_name_mostly_tagged_as_nationality_is_dropped():
    entities = resolve_mentions(
        [
            mention("other", "Ukrainian", 0),
            mention("other", "Ukrainian", 9),
            mention("place", "Ukrainian", 30),
        ]
    )
    assert entities == []


def test_a_tie_between_person_and_organization_goes_to_the_person():
    entities = resolve_mentions(
        [mention("organization", "Duffy", 0), mention("person", "Duffy", 9)]
    )
    assert [(e.kind, e.name) for e in entities] == [("person", "Duffy")]


def test_a_lone_given_name_is_a_person_but_an_acronym_is_not():
    entities = resolve_mentions(
        [mention("organization", "Glenda", 0), mention("organization", "NATO", 10)]
    )
    assert names(entities, "person") == ["Glenda"]
    assert names(entities, "organization") == ["NATO"]


def test_a_lone_given_name_is_recognised_with_its_accents():
    entities = resolve_mentions([mention("organization", "Benoît Paire", 0)])
    assert names(entities, "person") == ["Benoît Paire"]


@pytest.mark.parametrize(
    ("kind", "name", "expected"),
    [
        ("person", "Royal Navy", "organization"),
        ("person", "Lincoln Administrations", "organization"),
        ("organization", "Capitol Hill", "place"),
        ("organization", "International Space Station", "place"),
        ("place", "Bank of Scotland", "organization"),
        # A given name and a surname that is also a word stays a person.
        ("person", "Damon Hill", "person"),
        ("person", "Michael Bay", "person"),
    ],
)
def test_the_head_word_of_a_name_says_what_it_names(kind, name, expected):
    assert kinds(resolve_mentions([mention(kind, name)])) == [(expected, name)]


def test_events_and_shows_are_not_facets():
    found = resolve_mentions(
        [mention("person", "Andrew Marr Show", 0), mention("place", "Rugby Championship", 30)]
    )
    assert found == []


def test_a_listing_span_becomes_one_entity_per_name_with_its_own_offsets():
    text = "Leaders of Spotify, Tesla, Uber and Snapchat will attend."
    found = entities_from_doc(tagged(text, ("Spotify, Tesla, Uber and Snapchat", "ORG")))
    assert names(found, "organization") == ["Snapchat", "Spotify", "Tesla", "Uber"]
    for entity in found:
        start, end = entity.offsets[0]
        assert text[start:end] == entity.name


def test_words_around_a_name_overrule_the_tagger():
    text = (
        "Gomery, who led the inquiry, grew up in the town of Hillsborough. "
        "He worked to secure the Clyde shipbuilding industry in the Abbotsford area, "
        "and met the Donald Trump impersonator."
    )
    doc = tagged(
        text,
        ("Gomery", "ORG"),
        ("Hillsborough", "ORG"),
        ("Clyde", "PERSON"),
        ("Abbotsford", "PERSON"),
        ("Donald Trump", "PERSON"),
    )
    assert kinds(entities_from_doc(doc)) == [
        ("person", "Donald Trump"),
        ("person", "Gomery"),
        ("place", "Abbotsford"),
        ("place", "Hillsborough"),
    ]


def test_a_name_the_tagger_cut_in_two_is_joined():
    text = "The Pope met him at Casa Santa Marta, then in Rome, Italy."
    doc = tagged(text, ("Casa", "GPE"), ("Santa Marta", "GPE"), ("Rome", "GPE"), ("Italy", "GPE"))
    assert names(entities_from_doc(doc), "place") == ["Casa Santa Marta", "Italy", "Rome"]


def test_worker_processes_return_what_one_process_does_in_order():
    texts = [
        f"Minister Helena Moura met union leader Rui Tavares in Sines on day {n}."
        if n % 3
        else f"The European Investment Bank lent Porto {n} million euros."
        for n in range(12)
    ]
    alone = list(extract_many(range(12), texts.__getitem__, workers=1, batch_size=2))
    # Two workers, with more chunks queued than they have: results still come in order.
    shared = list(extract_many(range(12), texts.__getitem__, workers=2, batch_size=2, lookahead=5))
    assert [item for item, _ in shared] == list(range(12))
    assert shared == alone
    assert names(alone[1][1], "person") == ["Helena Moura", "Rui Tavares"]


@pytest.mark.parametrize(
    "full_name, lone, kind",
    [
        ("Ana Ferreira", "Ferreira", "person"),
        # One headline the model read as a name ("Yeltsin endorses Lebed Chechnya peace
        # plan") must not make the place a person everywhere: no given name begins it.
        ("Lebed Chechnya", "Chechnya", "place"),
    ],
)
def test_a_lone_surname_of_a_person_the_archive_names_in_full_is_that_person(
    db, full_name, lone, kind
):
    from archive.extraction import ExtractedEntity
    from archive.kinds import ArchiveKinds

    known = ArchiveKinds()
    known.load([ExtractedEntity("place", lone, lone.lower(), [])])
    known.record([ExtractedEntity("person", full_name, full_name.lower(), [])])
    settled = known.settle([ExtractedEntity("place", lone, lone.lower(), [])])
    assert [(e.kind, e.name) for e in settled] == [(kind, lone)]


def test_known_country_is_a_place_even_when_tagged_as_organization():
    entities = resolve_mentions([mention("organization", "Ukraine", 0)])
    assert names(entities, "place") == ["Ukraine"]


def test_extraction_finds_people_places_and_organizations():
    text = (
        "Economy minister Helena Moura said in Lisbon on Monday that the European "
        "Investment Bank would lend Portugal 400 million euros. Moura added that "
        "Porto would receive half of the money."
    )
    entities = extract_entities(text)
    assert "Helena Moura" in names(entities, "person")
    assert "Moura" not in names(entities, "person")
    assert {"Lisbon", "Portugal", "Porto"} <= set(names(entities, "place"))
    assert "European Investment Bank" in names(entities, "organization")
    moura = next(e for e in entities if e.name == "Helena Moura")
    assert moura.count == 2
    start, end = moura.offsets[0]
    assert text[start:end] == "Helena Moura"


def test_navigation_residue_names_never_become_facets():
    article = (
        "Ukrainian forces advanced toward Izyum on Saturday, officials in Kyiv said.\n\n"
        "The Russian Defense Ministry said troops had regrouped near Donetsk.\n\n"
        "Previous articleDavid Cameron rehearsed weekly audiences with Charles\n"
        "Next articleThe FIA will not break the rules for Colton Herta"
    )
    text = normalize_text(article)
    assert "Previous article" not in text
    found = {e.name for e in extract_entities(text)}
    assert not found & {"David Cameron", "Cameron", "Charles", "FIA", "Colton Herta"}
    assert {"Kyiv", "Donetsk"} <= found


def test_residue_is_only_stripped_at_the_end():
    text = normalize_text("Read more about it below.\n\nThe mayor of Lisbon spoke.")
    assert text.startswith("Read more")


def test_real_sample_keeps_only_article_entities(shared_data):
    sample = shared_data.parent / "samples" / "kharkiv-counteroffensive.txt"
    text = normalize_text(sample.read_text(encoding="utf-8"))
    found = {e.name for e in extract_entities(text)}
    assert "Volodymyr Zelensky" in found and "Zelensky" not in found
    assert not found & {"David Cameron", "Cameron", "Charles", "FIA", "Colton Herta"}


def test_missing_model_names_every_candidate():
    with pytest.raises(ImproperlyConfigured) as error:
        load_pipeline(["no_such_model", "nor_this_one"])
    assert "no_such_model" in str(error.value) and "nor_this_one" in str(error.value)


def found(text: str) -> list[tuple[str, str]]:
    return sorted((e.kind, e.name) for e in extract_entities(text))


def test_score_lines_give_clubs_not_names_glued_to_numbers():
    assert found("Arsenal 2 Derby 2\nLeeds 1 Southampton 0\n") == [
        ("organization", "Arsenal"),
        ("organization", "Derby"),
        ("organization", "Leeds"),
        ("organization", "Southampton"),
    ]


def test_a_club_named_after_its_city_is_an_organization_in_a_result():
    entities = found("Liverpool beat Arsenal 2-1 on Sunday in London. Chelsea's striker scored.")
    assert ("organization", "Liverpool") in entities
    assert ("organization", "Arsenal") in entities
    assert ("organization", "Chelsea") in entities
    assert ("place", "London") in entities  # no result here: the city stays a city


def test_headlines_and_datelines_in_capitals_do_not_hide_names():
    entities = found("SOCCER - LEEDS BEAT SOUTHAMPTON 2-1 IN LONDON\nLONDON 1996-08-22\nNo more.")
    assert ("organization", "Leeds") in entities
    assert ("organization", "Southampton") in entities
    assert ("place", "London") in entities


def test_market_tables_give_no_names():
    table = "Shr 3.07 dlrs vs 2.95 dlrs\nRevs 130.2 mln vs 120.1 mln\nAvg shrs 12.3 mln\n"
    assert found(table) == []


def test_a_name_broken_by_a_line_wrap_is_one_name():
    text = "Shares of the investment bank rose sharply on Tuesday after Merrill\nLynch said so."
    assert [name for _, name in found(text)] == ["Merrill Lynch"]


def test_well_known_places_the_model_misses_are_found():
    text = "They thwarted a Russian attempt to seize the capital Kyiv early in the war."
    assert ("place", "Kyiv") in found(text)


def test_the_gazetteer_leaves_given_names_and_longer_names_alone():
    entities = found("Florence thanked the Chicago Bulls after the game.")
    assert ("place", "Florence") not in entities
    assert ("place", "Chicago") not in entities


def test_a_place_and_its_state_are_one_place_and_a_list_of_places_is_not():
    assert ("place", "Washington, D.C.") in found("The agency in Washington, D.C. voted.")
    entities = found("Coolhaven will open cold rooms in Kisumu, Mombasa and Eldoret.")
    assert {("place", "Kisumu"), ("place", "Mombasa")} <= set(entities)


def test_country_spellings_are_one_place():
    entities = resolve_mentions(
        [
            mention("place", "U.S.", 0),
            mention("place", "United States", 10),
            mention("place", "USA", 30),
            mention("person", "U.K.", 40),
            mention("place", "Britain", 50),
        ]
    )
    assert sorted((e.kind, e.key, e.count) for e in entities) == [
        ("place", "united kingdom", 2),
        ("place", "united states", 3),
    ]


def test_a_code_that_is_a_word_stays_what_the_tagger_said():
    entities = resolve_mentions([mention("organization", "VAT", 0)])
    assert [e.key for e in entities] == ["vat"]


def test_two_spellings_of_one_place_in_an_article_are_one_entity():
    entities = resolve_mentions(
        [
            mention("place", "Balakliya", 0),
            mention("place", "Balaklia", 20),
            mention("place", "Balakliya", 40),
        ]
    )
    assert [(e.name, e.count) for e in entities] == [("Balakliya", 3)]


def test_what_the_article_says_a_name_is_settles_its_kind():
    text = (
        "Troops retook Kupyansk, a city along the main supply route. "
        "Kupyansk fell in February. Officials in Kupyansk said so."
    )
    assert [kind for kind, name in found(text) if name == "Kupyansk"] == ["place"]


def test_a_lone_kind_word_is_not_a_name():
    resolved = resolve_mentions([mention("organization", "Bank", 0), mention("place", "Co Inc", 9)])
    assert resolved == []


def test_sample_article_names_each_person_place_and_organization_once(shared_data, db):
    from archive.importers import read_paths
    from archive.ingest import candidates_from, extracted_batches

    sample = shared_data.parent / "samples" / "kharkiv-counteroffensive.txt"
    [[(_, entities)]] = list(extracted_batches(candidates_from(read_paths([sample])), workers=1))
    # The article names "Igor Kanashenkov", then "Mr. Kanashenkov": one person, in full.
    people = ["Igor Kanashenkov", "Oleg Nikolenko", "Volodymyr Zelensky"]
    assert names(entities, "person") == people
    # It spells the town two ways ("Balakliya", "Balaklia"): one place.
    places = "Balaklia Britain Donbass Donetsk Izyum Kharkiv Kupyansk Kyiv Moscow Russia Ukraine"
    assert names(entities, "place") == places.split()
    assert names(entities, "organization") == [
        "Foreign Ministry",
        "Ministry of Defense",
        "Ministry of Defense of Russia",
        "Security Service of Ukraine",
    ]


def test_a_surname_the_same_batch_names_in_full_is_a_person_but_a_company_keeps_its_kind(db):
    from archive.extraction import ExtractedEntity
    from archive.kinds import ArchiveKinds

    def entity(kind, name):
        return ExtractedEntity(kind, name, name.lower(), [])

    first = [entity("organization", "Trump"), entity("organization", "Ford")]
    second = [entity("person", "Donald Trump"), entity("person", "Gerald Ford")]
    third = [entity("organization", "Ford Motor Co"), entity("organization", "Ford")]
    known = ArchiveKinds()
    known.load(first + second + third)
    assert kinds(known.settle(first)) == [("person", "Ford"), ("person", "Trump")]
    # The same article names the company in full: "Ford" is the company.
    assert ("organization", "Ford") in kinds(known.settle(third))


def test_a_name_the_archive_files_only_as_an_organization_is_no_surname(db):
    from archive.extraction import ExtractedEntity
    from archive.kinds import ArchiveKinds

    def entity(kind, name):
        return ExtractedEntity(kind, name, name.lower().replace(".", ""), [])

    earlier = [entity("organization", "Moody"), entity("person", "A. Moody")]
    article = [entity("organization", "Moody")]
    known = ArchiveKinds()
    known.load(earlier)
    known.record(earlier)
    known.load(article)
    assert kinds(known.settle(article)) == [("organization", "Moody")]


def test_a_curated_kind_outweighs_the_surname_rule(db):
    from archive.extraction import ExtractedEntity
    from archive.kinds import ArchiveKinds
    from archive.models import Entity

    Entity.objects.create(kind="organization", name="Ford", key="ford", curated=True)
    known = ArchiveKinds()
    batch = [ExtractedEntity("person", "Gerald Ford", "gerald ford", [])]
    lone = [ExtractedEntity("person", "Ford", "ford", [])]
    known.load(batch + lone)
    assert kinds(known.settle(lone)) == [("organization", "Ford")]


@pytest.mark.parametrize(
    "text, spans, expected",
    [
        # A treaty named after a city is not the city.
        ("They met the Paris Agreement targets.", [("Paris", "GPE")], []),
        # The word beside an office is its portfolio.
        ("The former Minister for Justice spoke.", [("Justice", "ORG")], []),
        (
            "Finance Minister Kiichi Miyazawa spoke.",
            [("Finance", "PERSON"), ("Kiichi Miyazawa", "PERSON")],
            [("person", "Kiichi Miyazawa")],
        ),
        # A company's national arm is one organization.
        (
            "Staff at Sony Australia noticed.",
            [("Sony", "ORG"), ("Australia", "GPE")],
            [("organization", "Sony Australia")],
        ),
        # Two names sharing a plural head word are two names of that kind.
        (
            "She was treated at Papworth and Addenbrooke's Hospitals last year.",
            [("Papworth and Addenbrooke's Hospitals", "ORG")],
            [("organization", "Addenbrooke"), ("organization", "Papworth")],
        ),
        # Inner capitals make a brand, except in surnames such as LaBrocca.
        (
            "Customers of SaskTel met Jesse LaBrocca.",
            [("SaskTel", "PERSON"), ("Jesse LaBrocca", "PERSON")],
            [("organization", "SaskTel"), ("person", "Jesse LaBrocca")],
        ),
        # A nationality is not a place, even before "coast".
        ("It was conducted off the Mexican coast.", [("Mexican", "NORP")], []),
        # "on" parts a club and the street it is on.
        (
            "The dinner was at the Metropolitan Club on H Street.",
            [("Metropolitan Club on H Street", "ORG")],
            [("organization", "Metropolitan Club"), ("place", "H Street")],
        ),
        # Economic abbreviations are not organizations.
        ("Nobody knew what G.D.P. growth was.", [("G.D.P.", "ORG")], []),
        # A town after "in" is a place even when tagged as a person.
        ("My next stop was in Bellingham.", [("Bellingham", "PERSON")], [("place", "Bellingham")]),
        # "whose" follows people.
        (
            "Cuaron, whose last film won, was not there.",
            [("Cuaron", "ORG")],
            [("person", "Cuaron")],
        ),
        # A city the model reads as a club in every mention is the club; as a place, the city.
        (
            "Boston 69 66 .511\nTORONTO 63 72 .467\nBoston lost at home.",
            [("Boston", "ORG"), ("Boston", "ORG")],
            [("organization", "Boston")],
        ),
        (
            "Boston won. Fans flooded Boston.",
            [("Boston", "ORG"), ("Boston", "GPE")],
            [("place", "Boston")],
        ),
        # A country that owns what follows in one span is a place of its own.
        (
            "Britain's Ministry of Defense said so.",
            [("Britain's Ministry of Defense", "ORG")],
            [("organization", "Ministry of Defense"), ("place", "Britain")],
        ),
        # What the article says a name is settles it; a description that goes on does not.
        (
            "Coolhaven, a Nairobi company that builds cold rooms, raised money.",
            [("Coolhaven", "GPE")],
            [("organization", "Coolhaven"), ("place", "Nairobi")],
        ),
        ("Ruto, a bank clerk, saw it.", [("Ruto", "PERSON")], [("person", "Ruto")]),
        # A label on a list of towns is not each town's.
        (
            "The money takes the cold rooms to Kisumu, Mombasa and Kampala.",
            [("Kisumu, Mombasa", "ORG"), ("Kampala", "GPE")],
            [("place", "Kampala"), ("place", "Kisumu"), ("place", "Mombasa")],
        ),
        # A country is a place, even as a national side in a result line.
        (
            "Romania 1 Lithuania 0",
            [("Romania", "ORG"), ("Lithuania", "ORG")],
            [("place", "Lithuania"), ("place", "Romania")],
        ),
        # A bank the model calls a place is a shore; otherwise a bank.
        (
            "Settlers moved into the West Bank. Fulda Bank lent more, said Fulda Bank.",
            [("West Bank", "GPE"), ("Fulda Bank", "GPE"), ("Fulda Bank", "ORG")],
            [("organization", "Fulda Bank"), ("place", "West Bank")],
        ),
        # Players named in a result line stay people; the clubs in one are organizations.
        (
            "Irina Spirlea ( Romania ) beat Helena Sukova 6-4 6-3",
            [("Irina Spirlea", "PERSON"), ("Romania", "GPE"), ("Helena Sukova", "PERSON")],
            [("person", "Helena Sukova"), ("person", "Irina Spirlea"), ("place", "Romania")],
        ),
        (
            "P. Simmons took four for 38 as Leicestershire beat Somerset 2-1.",
            [("P. Simmons", "PERSON"), ("Leicestershire", "ORG"), ("Somerset", "PERSON")],
            [
                ("organization", "Leicestershire"),
                ("organization", "Somerset"),
                ("person", "P. Simmons"),
            ],
        ),
        # Where only a person stands, a name the model missed is a person; a word English
        # writes in lower case, a date or a town is not.
        (
            "Wendlandt said on Tuesday that the plant would close.",
            [],
            [("person", "Wendlandt")],
        ),
        (
            "Talbrecht, who chairs the board, left. Osterhagen, now 47, stayed.",
            [],
            [
                ("person", "Osterhagen"),
                ("person", "Talbrecht"),
            ],
        ),
        ("Traders said prices fell. Paper says it. Monday said nothing.", [], []),
        (
            "Grace Wanjiru of Coolhaven said so.",
            [("Grace Wanjiru", "PERSON")],
            [
                ("person", "Grace Wanjiru"),
            ],
        ),
        # The next word says a name the model missed is a region or a street.
        (
            "Floods hit the Haute-Savoie region and K Street.",
            [],
            [("place", "Haute-Savoie"), ("place", "K Street")],
        ),
        # Before what a company sells, a given name is the company's.
        ("The bank serves 9,000 Visa card holders.", [("Visa", "ORG")], [("organization", "Visa")]),
        # A lone word that one of the article's organizations begins with is that organization.
        (
            "Harris Associates L.P. cut its stake. Harris said it sold shares.",
            [("Harris Associates L.P.", "ORG"), ("Harris", "PERSON")],
            [("organization", "Harris Associates L.P.")],
        ),
        # Two surnames that end a full name are that person.
        (
            "Alejandra Ruiz Tagle spoke. Ruiz Tagle says it works.",
            [("Alejandra Ruiz Tagle", "PERSON"), ("Ruiz Tagle", "PERSON")],
            [("person", "Alejandra Ruiz Tagle")],
        ),
        # A company, then a country, is the company's arm there; a region named so is a place.
        (
            "Staff at Nestle Canada noticed. Western Australia voted.",
            [("Nestle Canada", "GPE"), ("Western Australia", "GPE")],
            [("organization", "Nestle Canada"), ("place", "Western Australia")],
        ),
        # A house is a building; the House of Commons is not.
        (
            "Aides at the White House and the House of Commons met.",
            [("White House", "ORG"), ("House of Commons", "ORG")],
            [("organization", "House of Commons"), ("place", "White House")],
        ),
        # What the article says a name is, with an owner: "Oslo's tallest building".
        (
            "The Rivenholt, Oslo's tallest building, opened.",
            [("Rivenholt", "ORG")],
            [("place", "Oslo"), ("place", "Rivenholt")],
        ),
        # "Le" and "El" open newspapers' names; "Le Pen" after a given name is still a person.
        (
            "According to Le Soir, Marine Le Pen spoke.",
            [("Le Soir", "ORG"), ("Marine Le Pen", "PERSON")],
            [("organization", "Le Soir"), ("person", "Marine Le Pen")],
        ),
        (
            "Von Hallberg justified the cost.",
            [("Von Hallberg", "ORG")],
            [("person", "Von Hallberg")],
        ),
        # The model's place beats the given-name list for a name of two words.
        (
            "He played in Monte Carlo in April.",
            [("Monte Carlo", "GPE")],
            [("place", "Monte Carlo")],
        ),
        # Offices, agreements and amendments are no facets.
        ("Criticism of her as First Lady grew.", [("First Lady", "ORG")], []),
        ("They signed the Kigali Amendment.", [("Kigali Amendment", "ORG")], []),
        # A mayor's town is a place.
        (
            "The mayor of Saint-Brevin decided it.",
            [("Saint-Brevin", "ORG")],
            [("place", "Saint-Brevin")],
        ),
        # The model tagged the first of two names sharing a plural head word.
        (
            "She was treated at Papworth and Addenbrooke's Hospitals last year.",
            [("Papworth", "ORG")],
            [("organization", "Addenbrooke"), ("organization", "Papworth")],
        ),
        # A title the model missed, right after what it is.
        (
            'The newspaper "Die ZEITUNG" first reported it.',
            [],
            [("organization", "Die ZEITUNG")],
        ),
        # A common noun opening a sentence is no person.
        ('"Cinema had changed so much," he said.', [("Cinema", "PERSON")], []),
    ],
)
def test_general_rules_on_hand_tagged_text(text, spans, expected):
    assert kinds(entities_from_doc(tagged(text, *spans))) == expected


def test_one_name_may_be_two_entities_of_two_kinds(db):
    from archive.extraction import ExtractedEntity
    from archive.kinds import ArchiveKinds
    from archive.models import Entity

    Entity.objects.create(kind="place", name="Clinton", key="clinton")
    Entity.objects.create(kind="organization", name="Treasury", key="treasury")
    known = ArchiveKinds()
    article = [
        ExtractedEntity("person", "Clinton", "clinton", []),
        ExtractedEntity("person", "Treasury", "treasury", []),
    ]
    known.load(article)
    # The article's context says a person named Clinton; no given name makes "Treasury" one.
    assert kinds(known.settle(article)) == [("organization", "Treasury"), ("person", "Clinton")]


def test_an_institution_the_model_left_untagged_is_an_organization():
    doc = tagged(
        "The Security Service of Ukraine said the Foreign Ministry agreed.", ("Ukraine", "GPE")
    )
    found = entities_from_doc(doc)
    assert kinds(found) == [
        ("organization", "Foreign Ministry"),
        ("organization", "Security Service of Ukraine"),
    ]


def test_a_common_word_opening_a_sentence_is_not_a_name():
    doc = tagged(
        "Earlier, videos showed the town. Videos appeared later, Reuters said.",
        ("Videos", "ORG"),
        ("Reuters", "ORG"),
    )
    assert kinds(entities_from_doc(doc)) == [("organization", "Reuters")]


def test_company_suffixes_publications_and_agency_abbreviations_settle_kinds():
    doc = tagged(
        "Samuel Montagu and Co Ltd said so. The local daily al-Qabas quoted officials in "
        "Austin, Tex. and in America.",
        ("Samuel Montagu", "PERSON"),
        ("al-Qabas", "PERSON"),
        ("Austin", "GPE"),
        ("Tex.", "PERSON"),
        ("America", "PERSON"),
    )
    assert kinds(entities_from_doc(doc)) == [
        ("organization", "Samuel Montagu"),
        ("organization", "al-Qabas"),
        ("place", "America"),
        ("place", "Austin"),
        ("place", "Texas"),
    ]


def test_a_name_that_begins_an_organizations_name_is_no_person_unless_a_given_name(db):
    from archive.extraction import ExtractedEntity
    from archive.kinds import ArchiveKinds

    def entity(kind, name):
        return ExtractedEntity(kind, name, name.lower(), [])

    companies = [
        entity("organization", "Merrill Lynch Capital Markets"),
        entity("organization", "Martin Marietta"),
    ]
    article = [entity("person", "Merrill Lynch"), entity("person", "Martin")]
    known = ArchiveKinds()
    known.load(companies + article)
    assert kinds(known.settle(article)) == [("organization", "Merrill Lynch"), ("person", "Martin")]
