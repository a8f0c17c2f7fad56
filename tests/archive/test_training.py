"""The curators' corrections become training data, and the model retrained on them names the
curated names right in an article it has never seen; a retrained model that scores worse on
the dev set is refused and the model in use stays."""

import json

import pytest
from django.core.management import CommandError, call_command

from archive import curation, retraining
from archive.extraction import load_pipeline
from archive.models import Entity
from tests.factories import make_article

pytestmark = pytest.mark.django_db

UNSEEN = "Tessaly Vunk met Kestrel Mobility managers in Brenholt on Tuesday."
# Gold documents in the shared dev set's form, which any sound model gets right.
DEV = [
    ("Angela Merkel met Emmanuel Macron in Berlin on Monday.",
     [("Angela Merkel", "PER"), ("Emmanuel Macron", "PER"), ("Berlin", "LOC")]),
    ("Microsoft said its office in London would close.",
     [("Microsoft", "ORG"), ("London", "LOC")]),
    ("The United Nations sent aid to Kenya, said Antonio Guterres.",
     [("United Nations", "ORG"), ("Kenya", "LOC"), ("Antonio Guterres", "PER")]),
]  # fmt: skip


def entities(nlp, text: str) -> set[tuple[str, str]]:
    return {(e.text, e.label_) for e in nlp(text).ents}


@pytest.fixture
def dev_file(tmp_path):
    path = tmp_path / "dev.jsonl"
    with open(path, "w") as out:
        for text, names in DEV:
            gold = [
                {"start": text.index(n), "end": text.index(n) + len(n), "label": label}
                for n, label in names
            ]
            out.write(json.dumps({"text": text, "entities": gold}) + "\n")
    return path


@pytest.fixture
def curated():
    """Three articles, each corrected by a curator: a rename, a kind change, a removal."""
    vunk = make_article(
        "Harbour plan goes ahead",
        "Tessaly Vunk said the harbour plan would go ahead. Vunk told reporters in Brenholt "
        "that the work would start in spring, and Tessaly Vunk thanked the dock workers.",
        person=("Vunk",),
        place=("Brenholt",),
    )
    make_article(
        "Kestrel hires",
        "Kestrel Mobility hired 200 workers in Brenholt. Kestrel Mobility said on Monday it "
        "was pleased with the harbour plan, and Kestrel Mobility will build a depot.",
        person=("Kestrel Mobility",),
        place=("Brenholt",),
    )
    holiday = make_article(
        "A holiday in Brenholt",
        "Quarry Sunday was a holiday in Brenholt, and the harbour was quiet, said Tessaly Vunk.",
        person=("Quarry", "Tessaly Vunk"),
        place=("Brenholt",),
    )
    for n, (city, company) in enumerate([("Oslo", "Statoil"), ("Lyon", "Renault")] * 3):
        make_article(
            f"Port news {n}",
            f"Officials in {city} said {company} would invest {n + 2} million in the port, "
            "Reuters reported.",
            place=(city,),
            organization=(company, "Reuters"),
        )  # the rest of the archive, rehearsed
    curation.rename_entity(Entity.objects.get(name="Vunk"), "Tessaly Vunk")
    curation.reclassify_entity(Entity.objects.get(name="Kestrel Mobility"), "organization")
    quarry = Entity.objects.get(name="Quarry")
    curation.correct_article(holiday, quarry, removed=True)
    curation.detach_entity(quarry, [holiday])
    return vunk


def test_corrections_are_exported_as_examples(curated, tmp_path):
    out = tmp_path / "examples.jsonl"
    call_command("export_training_data", str(out))
    examples = [json.loads(line) for line in out.read_text().splitlines()]
    named = {(ex["text"][s:e], label) for ex in examples for s, e, label in ex["spans"]}
    assert {("Tessaly Vunk", "PERSON"), ("Vunk", "PERSON")} <= named
    assert ("Kestrel Mobility", "ORG") in named
    assert ("Kestrel Mobility", "PERSON") not in named
    not_names = {ex["text"][s:e] for ex in examples for s, e in ex["not_names"]}
    assert not_names == {"Quarry"}


def test_the_retrained_model_names_the_curated_names_in_an_unseen_article(
    curated, dev_file, tmp_path
):
    before = entities(load_pipeline(), UNSEEN)
    assert ("Kestrel Mobility", "ORG") not in before  # what there is to learn
    examples, model = tmp_path / "examples.jsonl", tmp_path / "model"
    call_command("export_training_data", str(examples))
    call_command(
        "retrain_entity_model", str(examples), "--seconds", "60", "--dev", str(dev_file),
        "--out", str(model),
    )  # fmt: skip
    after = entities(load_pipeline([str(model)]), UNSEEN)
    assert {("Tessaly Vunk", "PERSON"), ("Kestrel Mobility", "ORG")} <= after
    assert not any(text.startswith("Quarry") for text, _ in after)


def test_a_model_worse_on_the_dev_set_is_refused(curated, dev_file, tmp_path, monkeypatch):
    examples, model = tmp_path / "examples.jsonl", tmp_path / "model"
    call_command("export_training_data", str(examples))
    scores = iter([1.0, 0.5])  # before, after

    def fake_score(nlp, dev):
        f1 = next(scores)
        return retraining.Score(f1, f1, f1, {})

    monkeypatch.setattr(retraining, "score", fake_score)
    with pytest.raises(CommandError, match=r"scores F1 0.500 on the dev set, worse than 1.000"):
        call_command(
            "retrain_entity_model", str(examples), "--seconds", "5", "--dev", str(dev_file),
            "--out", str(model),
        )  # fmt: skip
    assert not model.exists()


def test_retraining_without_examples_says_so(dev_file, tmp_path):
    empty = tmp_path / "examples.jsonl"
    empty.write_text("")
    with pytest.raises(CommandError, match="holds no examples"):
        call_command("retrain_entity_model", str(empty), "--dev", str(dev_file))
    empty.write_text("not json\n")
    with pytest.raises(CommandError, match=r"Line 1 .* is not an export_training_data example"):
        call_command("retrain_entity_model", str(empty), "--dev", str(dev_file))


def test_a_saved_model_keeps_the_one_it_replaces(tmp_path):
    import spacy

    out = tmp_path / "entity_model"
    for version in ("first", "second"):
        nlp = spacy.blank("en")
        nlp.meta["version_note"] = version
        retraining._save(nlp, out)
    assert spacy.load(out).meta["version_note"] == "second"
    assert spacy.load(out.with_name("entity_model.previous")).meta["version_note"] == "first"
    assert not out.with_name("entity_model.new").exists()


def test_the_archive_prefers_its_retrained_model_to_the_shipped_one(tmp_path):
    import os
    import subprocess
    import sys

    from django.conf import settings

    def model_in_use() -> str:
        env = {k: v for k, v in os.environ.items() if k != "SPACY_MODEL"}
        env["ARCHIVE_DATA_DIR"] = str(tmp_path)
        code = "from django.conf import settings; print(settings.SPACY_MODEL)"
        run = subprocess.run(
            [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
            cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        return run.stdout.strip().splitlines()[-1]

    assert model_in_use() == str(settings.SHIPPED_ENTITY_MODEL)
    (tmp_path / "entity_model").mkdir()
    assert model_in_use() == str(tmp_path / "entity_model")


def test_gold_readers_keep_hashtags_as_words_and_leave_handles_unknown(tmp_path):
    from archive.training import read_columns, read_tweets

    tweets = tmp_path / "btc.conll"
    tweets.write_text(
        "@\tB-ORG\nReutersUK\tB-ORG\n:\tO\n#Ebola\tB-MISC\nreaches\tO\n \tO\nKenya\tB-LOC\n"
        "says\tO\nTurkish\tB-LOC\nminister\tO\n\n"
    )
    [tweet] = read_tweets(tweets)
    assert tweet.words[3] == "#Ebola"
    assert tweet.tags == ["B-MISC", "B-MISC", "O", "B-MISC", "O", "B-LOC", "O", "B-MISC", "O"]
    wiki = tmp_path / "wikigold.conll"
    wiki.write_text("-DOCSTART- O\n\nThe I-ORG\nMad I-ORG\nCapsule I-ORG\nplayed O\n\n")
    [sentence] = read_columns(wiki, 0, 1)
    assert sentence.words == ["The", "Mad", "Capsule", "played"]


def test_a_damaged_training_source_is_named_not_a_stack_trace(tmp_path):
    from archive.training import GOLD_SOURCES, HELD_OUT_FILE

    for name in [source.file for source in GOLD_SOURCES] + [HELD_OUT_FILE]:
        (tmp_path / name).write_text("Lisbon###B-LOC rose###O\n")
    (tmp_path / GOLD_SOURCES[0].file).write_bytes(b"\xff\xfe broken")
    news = tmp_path / "news.jsonl"
    news.write_text('{"body": "Port traffic in Lisbon rose."}\n')
    with pytest.raises(CommandError, match=rf"{GOLD_SOURCES[0].file} is not the file"):
        call_command(
            "train_entity_model", str(tmp_path), "--news", str(news), "--out", str(tmp_path / "m")
        )
    with pytest.raises(CommandError, match="No Reuters-21578"):
        call_command("train_entity_model", str(tmp_path), "--news", str(tmp_path / "none.jsonl"))
