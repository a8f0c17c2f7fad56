"""The people, places and organizations each demo article (demo/articles.jsonl) names, by line,
written by hand from the text: what a reader expects the facets to show."""

PER, LOC, ORG = "person", "place", "organization"

DEMO_FACETS: dict[int, dict[str, set[str]]] = {
    1: {
        PER: {"Rui Tavares"},
        LOC: {"Lisbon", "Porto", "Madrid"},
        ORG: {"Atlantic Dockworkers Union", "Port Authority of Lisbon"},
    },
    2: {
        PER: {"Rui Tavares", "Helena Moura"},
        LOC: {"Setúbal"},
        ORG: {"Atlantic Dockworkers Union", "Port Authority of Lisbon", "Marítima Services"},
    },
    3: {
        PER: {"Helena Moura"},
        LOC: {"Portugal", "Lisbon", "Sines", "Spain"},
        ORG: {"European Investment Bank", "Atlantic Dockworkers Union"},
    },
    4: {
        PER: {"Grace Wanjiru"},
        LOC: {"Nairobi", "Kisumu", "Mombasa", "Kampala", "Kenya"},
        ORG: {"Coolhaven", "Savanna Capital", "Kenya Agricultural Research Institute"},
    },
    5: {
        PER: {"Grace Wanjiru", "Peter Mwangi"},
        LOC: {"Kisumu", "Nairobi"},
        ORG: {"Coolhaven", "Kenya Agricultural Research Institute"},
    },
    6: {
        PER: {"Sofia Lindqvist"},
        LOC: {"Belgium", "Netherlands", "Germany", "Rotterdam"},
        ORG: {"European Commission", "European Rail Freight Association"},
    },
    7: {
        PER: {"Sofia Lindqvist"},
        LOC: {"Antwerp", "Rotterdam"},
        ORG: {"European Commission", "Rhine Cargo Lines", "European Rail Freight Association"},
    },
    8: {
        PER: {"Sofia Lindqvist"},
        LOC: {"Strasbourg", "Dublin", "Frankfurt"},
        ORG: {"Northwind Cloud", "Parallax Media"},
    },
    9: {
        PER: {"Samuel Adeyemi"},
        LOC: {"Dublin", "Galway", "Ireland"},
        ORG: {"Northwind Cloud", "EirGrid"},
    },
    10: {
        PER: {"Patrick O'Neill"},
        LOC: {"Dublin", "Frankfurt"},
        ORG: {"EirGrid", "Northwind Cloud"},
    },
    11: {
        PER: {"Patrick O'Neill", "Samuel Adeyemi"},
        LOC: {"Ireland", "Dublin", "Cork"},
        ORG: {"Northwind Cloud", "Green Shore Ireland"},
    },
    12: {PER: {"Ana Ferreira", "Helena Moura"}, LOC: {"Porto", "Lisbon", "Douro"}, ORG: set()},
    13: {
        PER: {"Ana Ferreira", "Helena Moura"},
        LOC: {"Douro"},
        ORG: {"European Investment Bank", "Douro Winegrowers Association"},
    },
    14: {
        PER: {"Marcus Bell Jr."},
        LOC: {"Washington, D.C.", "Virginia", "Maryland"},
        ORG: {"Metro Transit Authority", "Federal Transit Administration"},
    },
    15: {
        PER: {"Marcus Bell Jr.", "Denise Carter"},
        LOC: {"Baltimore", "Washington, D.C."},
        ORG: {"Metro Transit Authority", "Federal Transit Administration"},
    },
    16: {
        PER: {"Lukas Brunner"},
        LOC: {"Zürich"},
        ORG: {"Helvetia Private Bank", "US Treasury Department"},
    },
    17: {
        PER: {"José Álvarez", "Lukas Brunner"},
        LOC: {"Zürich", "Cyprus"},
        ORG: {"Helvetia Private Bank"},
    },
    18: {
        PER: {"José Álvarez"},
        LOC: {"Cyprus"},
        ORG: {"Helvetia Private Bank", "Central Bank of Cyprus", "US Treasury Department"},
    },
    19: {
        PER: {"Joyce Kamau", "Grace Wanjiru"},
        LOC: {"Uganda", "Kenya", "Rwanda", "Tanzania", "Kampala"},
        ORG: {"East African Community", "Coolhaven"},
    },
    20: {
        PER: {"Joyce Kamau"},
        LOC: {"Malaba", "Kenya", "Uganda", "Busia"},
        ORG: {"East African Community", "Kenya Revenue Authority"},
    },
    21: {
        PER: {"Niamh Gallagher", "Sofia Lindqvist"},
        LOC: {"Ireland", "Brussels"},
        ORG: {"Data Protection Commission", "Parallax Media"},
    },
    22: {
        PER: {"Niamh Gallagher"},
        LOC: {"Dublin"},
        ORG: {"Parallax Media", "High Court", "Data Protection Commission", "Green Shore Ireland"},
    },
    23: {
        PER: {"Sofia Lindqvist"},
        LOC: {"Rotterdam", "Antwerp"},
        ORG: {"Port of Rotterdam", "Rhine Cargo Lines"},
    },
    24: {
        PER: {"Sofia Lindqvist"},
        LOC: {"Antwerp"},
        ORG: {"European Commission", "Rhine Cargo Lines"},
    },
    25: {
        PER: {"Rui Tavares", "Helena Moura"},
        LOC: set(),
        ORG: {"Atlantic Dockworkers Union", "Port Authority of Lisbon", "Marítima Services"},
    },
    26: {
        PER: {"Grace Wanjiru", "Peter Mwangi"},
        LOC: {"Mombasa"},
        ORG: {"Coolhaven", "Savanna Capital"},
    },
    27: {
        PER: {"Denise Carter"},
        LOC: {"Baltimore", "Maryland", "Washington, D.C."},
        ORG: {"Federal Transit Administration"},
    },
    28: {
        PER: {"Denise Carter", "Marcus Bell Jr."},
        LOC: {"Washington, D.C."},
        ORG: {"Metro Transit Authority", "Federal Transit Administration"},
    },
    29: {
        PER: {"Claire Dubois", "Lukas Brunner"},
        LOC: {"Geneva", "Zürich"},
        ORG: {"Helvetia Private Bank"},
    },
    30: {
        PER: {"Samuel Adeyemi", "Patrick O'Neill"},
        LOC: {"Galway", "Dublin"},
        ORG: {"Northwind Cloud", "EirGrid"},
    },
    31: {
        PER: {"Helena Moura", "Ana Ferreira"},
        LOC: {"Lisbon", "Sines", "Porto", "Douro"},
        ORG: set(),
    },
    32: {
        PER: {"Joyce Kamau", "Grace Wanjiru"},
        LOC: {"Malaba", "Kampala", "Kigali", "Kenya", "Rwanda"},
        ORG: {"East African Community", "Coolhaven"},
    },
    33: {
        PER: {"Patrick O'Neill"},
        LOC: {"Dublin"},
        ORG: {"Green Shore Ireland", "High Court", "Northwind Cloud"},
    },
}


def demo_scores(predicted: dict[int, dict[str, list[str]]]) -> tuple[float, float, float]:
    """Micro precision, recall and F1 of predicted facets (by line) against DEMO_FACETS."""
    from archive.names import normalize_key

    tp = fp = fn = 0
    for line, expected in DEMO_FACETS.items():
        for kind, names in expected.items():
            want = {normalize_key(n) for n in names}
            got = {normalize_key(n) for n in predicted.get(line, {}).get(kind, [])}
            tp += len(want & got)
            fp += len(got - want)
            fn += len(want - got)
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    return precision, recall, 2 * precision * recall / (precision + recall)
