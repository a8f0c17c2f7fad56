"""On 2,000 real Reuters articles (../shared/data; skipped without it), imported as a user
imports them: the most-named people are people, and abbreviations are the entities they
stand for."""

import io
import json

import pytest
from django.core.management import call_command
from django.db.models import Count

from archive.gazetteer import country_key, known_place
from archive.models import Entity
from archive.names import is_market_label

pytestmark = pytest.mark.django_db(transaction=True)

# What the first screen showed as people before (issue 27): organizations, places, holidays,
# state abbreviations, a newspaper, market-table labels, brands and a rating agency.
NOT_PEOPLE = {
    "treasury", "merrill lynch", "us government", "uk government", "america", "basra",
    "nippon", "easter", "tex", "ala", "al qabas", "maize mar", "soybean may", "jun",
    "samuel montagu", "visa", "jeep", "moody", "harris associates lp", "harris graphics",
}  # fmt: skip


@pytest.fixture(scope="module")
def reuters_file(tmp_path_factory):
    from tests.conftest import SHARED_DATA

    source = SHARED_DATA / "reuters21578" / "articles.jsonl"
    if not source.is_file():
        pytest.skip("../shared/data/reuters21578 is not present")
    path = tmp_path_factory.mktemp("reuters") / "first-2000.jsonl"
    written = 0
    with open(source) as records, open(path, "w") as out:
        for line in records:
            record = json.loads(line)
            if record.get("title") and record.get("body"):
                url = f"https://reuters.invalid/{record['id']}"
                out.write(json.dumps({**record, "url": url, "source": "Reuters"}) + "\n")
                written += 1
                if written == 2000:
                    break
    return path


def test_the_most_named_people_are_people_and_abbreviations_are_resolved(reuters_file):
    call_command("import_articles", str(reuters_file), stdout=io.StringIO(), stderr=io.StringIO())
    people = Entity.objects.filter(kind="person").annotate(n=Count("mentions"))
    top = list(people.order_by("-n", "key")[:50])
    assert len(top) == 50
    for person in top:
        assert person.key not in NOT_PEOPLE, person.name
        assert not known_place(person.key), person.name
        assert not country_key(person.name, tagged_place=False), person.name
        assert not is_market_label(person.key), person.name
    for short, long in [
        ("EC", "european community"),
        ("IMF", "international monetary fund"),
        ("SEC", "securities and exchange commission"),
        ("Fed", "federal reserve"),
    ]:
        entity = Entity.objects.get(kind="organization", key=long)
        assert short in entity.aliases, long
        assert not Entity.objects.filter(key=short.lower()).exists(), short
    # The two forms' articles are one facet value.
    community = Entity.objects.get(key="european community")
    assert community.mentions.count() > 40
