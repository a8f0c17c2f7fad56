"""An abbreviation is the entity it stands for when the archive's text says so: beside its
long form in one article ("the European Community (EC)"), and then in every other article,
however they are imported (one batch or several)."""

import io
import json

import pytest
from django.core.management import call_command

from archive.extraction import extract_entities
from archive.models import Entity, MergeRecord

DEFINES = "The European Community (EC) agreed on farm prices. EC ministers met on Monday."
ALONE = "Farm ministers of the EC met again in Luxembourg, and the EC said prices would rise."


def keys(text: str) -> dict[str, tuple[str, list]]:
    return {e.key: (e.kind, e.abbreviations) for e in extract_entities(text)}


def test_an_abbreviation_beside_its_long_form_is_that_entity():
    found = keys(DEFINES)
    assert found["european community"] == ("organization", ["EC"])
    assert "ec" not in found
    fed = keys("The Federal Reserve raised rates on Tuesday. The Fed said inflation would fall.")
    assert fed["federal reserve"] == ("organization", ["Fed"]) and "fed" not in fed
    sec = keys("The Securities and Exchange Commission said on Friday the SEC would act.")
    assert sec["securities and exchange commission"][1] == ["SEC"]


def test_a_name_that_begins_a_longer_one_is_not_its_abbreviation():
    from archive.abbreviations import is_abbreviation

    found = keys("Apple showed its new Macintosh at the AppleWorld Conference in Boston. "
                 "Apple said sales rose.")  # fmt: skip
    assert found["apple"][1] == [] and found["appleworld conference"][1] == []
    assert is_abbreviation("Fed") and not is_abbreviation("Apple")


def test_an_abbreviation_two_long_forms_fit_stays_apart():
    text = (
        "The European Commission and the European Council disagreed. The EC said it would "
        "not change its plan."
    )
    found = keys(text)
    assert {"european commission", "european council"} <= found.keys()
    assert not any("EC" in abbreviations for _, abbreviations in found.values())


def import_texts(tmp_path, name: str, *texts: str) -> None:
    path = tmp_path / f"{name}.jsonl"
    with open(path, "w") as out:
        for n, body in enumerate(texts):
            out.write(
                json.dumps(
                    {"title": f"{name} {n}", "body": body, "url": f"https://x.test/{name}/{n}"}
                )
                + "\n"
            )
    call_command("import_articles", str(path), stdout=io.StringIO(), stderr=io.StringIO())


@pytest.mark.django_db(transaction=True)
def test_the_archive_resolves_an_abbreviation_one_article_explained(tmp_path):
    import_texts(tmp_path, "before", ALONE)  # the archive does not know "EC" yet
    assert Entity.objects.filter(key="ec").exists()
    import_texts(tmp_path, "defines", DEFINES)
    community = Entity.objects.get(key="european community")
    assert "EC" in community.aliases and not community.curated
    assert not Entity.objects.filter(key="ec").exists()  # merged in, and a curator may undo it
    assert MergeRecord.objects.filter(old_name="EC", survivor=community).exists()
    import_texts(tmp_path, "after", ALONE.replace("Luxembourg", "Brussels"))
    assert not Entity.objects.filter(key="ec").exists()
    assert community.mentions.count() == 3
