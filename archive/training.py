"""Teaching the entity model: examples from gold-annotated text, from the model's own
predictions (rehearsal, so it keeps what it knew) and from curators' corrections; fine-tuning
within a time budget; and the kind-level score a model is kept or refused by.

The model is a spaCy pipeline of a tokenizer and "ner" (en_core_web_sm's, trimmed as
archive/extraction.py loads it). Only "ner" learns; its labels stay spaCy's, and
archive/entity_kinds.py maps them to the archive's kinds.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from archive.entity_kinds import LABEL_KINDS
from archive.extraction import ner_text
from archive.names import normalize_key

# Gold corpora's labels as the model's: PER/ORG/LOC are the archive's three kinds. A gold
# MISC span (nationalities, events, products) is left unknown rather than "not an entity",
# so the model keeps its own labels there (NORP, EVENT, ...), which extraction's rules read.
GOLD_LABELS = {"PER": "PERSON", "PERSON": "PERSON", "ORG": "ORG", "LOC": "GPE", "GPE": "GPE"}
# Tokens after which (or before which) gold token lists had no space in the original text.
_NO_SPACE_BEFORE = {".", ",", ":", ";", "?", "!", ")", "]", "}", "'s", "n't", "'", "%", "'re",
                    "'ve", "'ll", "'m", "'d"}  # fmt: skip
_NO_SPACE_AFTER = {"(", "[", "{", "$", "#"}


@dataclass
class Sentence:
    """A gold sentence: its tokens and their IOB tags in the corpus's own labels."""

    words: list[str]
    tags: list[str]


def read_conll_lines(path: Path) -> Iterator[Sentence]:
    """A sentence a line, each token `word###TAG` (the CoNLL-2003 copy the recipe names)."""
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            pairs = [t.rsplit("###", 1) for t in line.split()]
            if pairs:
                yield Sentence([w for w, _ in pairs], [t for _, t in pairs])


def read_columns(path: Path, word: int, tag: int, strip: str = "") -> Iterator[Sentence]:
    """Blank-line separated sentences, a token a line in columns parted by tabs (UNER's
    `.iob2`, WikiANN, the Broad Twitter Corpus) or spaces (Wikigold); "# key = value" lines
    are comments, and "-DOCSTART-" parts documents."""
    words: list[str] = []
    tags: list[str] = []
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            line = line.rstrip("\n")
            if line.startswith("# ") and len(line.split()) > 2:
                continue  # "# sent_id = …", not the token "#" or a hashtag
            columns = line.split("\t") if "\t" in line else line.split()
            if columns[:1] == ["-DOCSTART-"]:
                columns = []
            if len(columns) <= max(word, tag):
                if words:
                    yield Sentence(words, tags)
                words, tags = [], []
                continue
            text = columns[word].removeprefix(strip)
            if not text.strip():
                continue  # a token of whitespace alone (some tweets have them) is no word
            words.append(text)
            tags.append(columns[tag])
    if words:
        yield Sentence(words, tags)


def read_tweets(path: Path) -> Iterator[Sentence]:
    """The Broad Twitter Corpus (CoNLL columns). What a news article never holds is left
    unknown: user handles ("@ 4corners") and hashtags ("#Pistorius"). So are nationalities,
    which it labels places ("Turkish authorities") where the archive keeps them apart: any
    one-word place that ends like one (which leaves "Pakistan" and "Dubai" unknown too)."""
    for sentence in read_columns(path, 0, 1):
        words, tags = sentence.words, list(sentence.tags)
        for i, word in enumerate(words):
            handle = word == "@" or (i > 0 and words[i - 1] == "@") or word.startswith("#")
            if tags[i] != "O" and (handle or (tags[i].endswith("LOC") and _nationality(word))):
                tags[i] = tags[i][:2] + "MISC"
        yield Sentence(words, tags)


_NATIONALITY_ENDINGS = ("ian", "ians", "ish", "ese", "an", "ans", "i", "is", "ic", "ch")


def _nationality(word: str) -> bool:
    return word.lower().endswith(_NATIONALITY_ENDINGS)


def _spaces(words: list[str]) -> list[bool]:
    spaces = []
    for word, following in zip(words, [*words[1:], None], strict=True):
        spaces.append(
            following is not None
            and word not in _NO_SPACE_AFTER
            and following not in _NO_SPACE_BEFORE
        )
    return spaces


def gold_example(nlp, sentence: Sentence):
    """A training example: the gold spans of the archive's kinds, other spans unknown."""
    from spacy.tokens import Doc
    from spacy.training import Example, iob_to_biluo

    doc = Doc(nlp.vocab, words=sentence.words, spaces=_spaces(sentence.words))
    tags = []
    for tag in iob_to_biluo([_known(t) for t in sentence.tags]):
        label = tag[2:]
        tags.append("-" if label == "MISC" else tag if tag == "O" else f"{tag[:2]}{label}")
    return Example.from_dict(doc, {"entities": tags})


def _known(tag: str) -> str:
    if tag == "O" or "-" not in tag:
        return "O"
    prefix, label = tag.split("-", 1)
    return f"{prefix}-{GOLD_LABELS.get(label, 'MISC')}"


def rehearsal_examples(nlp, texts: Iterable[str], batch_size: int = 64) -> list:
    """The model's own entities on unlabelled text, as examples: mixed into training they
    keep it from forgetting what it knew of styles the gold text lacks."""
    from spacy.training import Example

    examples = []
    for doc in nlp.pipe(texts, batch_size=batch_size):
        examples.append(Example(nlp.make_doc(doc.text), doc))
    return examples


def text_example(nlp, text: str, spans: Iterable[tuple[int, int, str]]):
    """An example from gold text and its character spans (start, end, model label); every
    token outside them is "not a name"."""
    from spacy.training import Example, offsets_to_biluo_tags

    doc = nlp.make_doc(text)
    # A span that does not fall on token edges teaches nothing: its tokens come back "-".
    tags = offsets_to_biluo_tags(doc, sorted(set(spans)), missing="O")
    return Example.from_dict(doc, {"entities": tags})


@dataclass
class Score:
    precision: float
    recall: float
    f1: float
    kinds: dict[str, float]

    def __str__(self) -> str:
        kinds = ", ".join(f"{kind} {f:.3f}" for kind, f in sorted(self.kinds.items()))
        return f"P {self.precision:.3f} R {self.recall:.3f} F1 {self.f1:.3f} ({kinds})"


def kind_names(doc) -> set[tuple[str, str]]:
    """The (kind, name key) pairs a document names, as the archive would file them: "The
    United Nations" and "United Nations" are one name, a place labelled LOC or GPE a place."""
    return {
        (LABEL_KINDS[e.label_], normalize_key(e.text)) for e in doc.ents if e.label_ in LABEL_KINDS
    }


def score(nlp, examples: list) -> Score:
    """Micro scores over each document's set of distinct (kind, name) pairs, the facets a
    reader sees (the shared eval's way, without its surname and country matching)."""
    totals = [0, 0, 0]
    per_kind: dict[str, list[int]] = {kind: [0, 0, 0] for kind in set(LABEL_KINDS.values())}
    docs = nlp.pipe((eg.reference.text for eg in examples), batch_size=64)
    for eg, predicted in zip(examples, docs, strict=True):
        gold, got = kind_names(eg.reference), kind_names(predicted)
        for kind, counts in [(None, totals), *per_kind.items()]:
            mine = {g for g in gold if kind in (None, g[0])}
            found = {g for g in got if kind in (None, g[0])}
            counts[0] += len(mine & found)
            counts[1] += len(found)
            counts[2] += len(mine)
    return Score(*_prf(*totals), {kind: _prf(*counts)[2] for kind, counts in per_kind.items()})


def _prf(right: int, found: int, wanted: int) -> tuple[float, float, float]:
    precision = right / found if found else 0.0
    recall = right / wanted if wanted else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def fine_tune(
    nlp,
    train: list,
    *,
    seconds: float,
    dev: list | None = None,
    epochs: int = 30,
    dropout: float = 0.2,
    seed: int = 0,
    log: Callable[[str], None] = print,
) -> Score | None:
    """Update the pipeline's "ner" on `train` for up to `seconds` (or `epochs`), keeping the
    weights that scored best on `dev` after each epoch (the last ones without `dev`)."""
    from spacy.util import compounding, fix_random_seed, minibatch

    fix_random_seed(seed)
    rng = random.Random(seed)
    ner = nlp.get_pipe("ner")
    optimizer = nlp.resume_training()
    best, best_weights = (score(nlp, dev) if dev else None), ner.to_bytes()
    if best:
        log(f"before: {best}")
    deadline = time.monotonic() + seconds
    for epoch in range(epochs):
        rng.shuffle(train)
        losses: dict[str, float] = {}
        with nlp.select_pipes(enable=["ner"]):
            for batch in minibatch(train, size=compounding(4.0, 32.0, 1.001)):
                nlp.update(batch, drop=dropout, sgd=optimizer, losses=losses)
                if time.monotonic() > deadline:
                    break
        now = score(nlp, dev) if dev else None
        log(f"epoch {epoch + 1}: loss {losses.get('ner', 0):.0f}" + (f"; dev {now}" if now else ""))
        if now is None or best is None or now.f1 > best.f1:
            best, best_weights = now, ner.to_bytes()
        if time.monotonic() > deadline:
            break
    ner.from_bytes(best_weights)
    return best


def curated_example(nlp, item: dict):
    """An example from export_training_data's line: its spans are names of their labels, its
    `not_names` are not names, and elsewhere the model's own entities stand (rehearsal), so
    that learning the correction unlearns nothing else in the article."""
    from spacy.training import Example, biluo_tags_to_spans, offsets_to_biluo_tags

    doc = nlp.make_doc(item["text"])
    tags = offsets_to_biluo_tags(doc, [tuple(s) for s in item["spans"]], missing="-")
    for start, end in item["not_names"]:
        span = doc.char_span(start, end, alignment_mode="expand")
        if span is not None:
            for i in range(span.start, span.end):
                if tags[i] == "-":
                    tags[i] = "O"
    own = nlp(item["text"])
    for ent in own.ents:
        if len(own) == len(doc) and all(tags[i] == "-" for i in range(ent.start, ent.end)):
            if ent.end - ent.start == 1:
                tags[ent.start] = f"U-{ent.label_}"
            else:
                tags[ent.start : ent.end] = (
                    [f"B-{ent.label_}"] + [f"I-{ent.label_}"] * (len(ent) - 2) + [f"L-{ent.label_}"]
                )
    tags = ["O" if t == "-" else t for t in tags]
    doc.ents = biluo_tags_to_spans(doc, tags)
    return Example(nlp.make_doc(item["text"]), doc)


def dev_examples(nlp, path: Path, genre: str | None = "news") -> list:
    """Gold documents in the shared dev set's form (JSON Lines: text, entities with start,
    end and a PER/ORG/LOC label), every word outside them "not a name"."""
    examples = []
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            doc = json.loads(line)
            if genre and doc.get("genre", genre) != genre:
                continue
            spans = [(e["start"], e["end"], GOLD_LABELS[e["label"]]) for e in doc["entities"]]
            examples.append(text_example(nlp, doc["text"], spans))
    return examples


@dataclass(frozen=True)
class GoldSource:
    """A public corpus the shipped model is trained on (training/README.md says where each
    comes from and under which licence): its gold labels are learnt, or (`rehearse`) only
    its text is used, with en_core_web_sm's own entities on it."""

    file: str
    style: str
    read: Callable[[Path], Iterator[Sentence]]
    # At most this many sentences (of at least `min_words`), sampled with the seed.
    most: int | None = None
    min_words: int = 1
    repeat: int = 1
    rehearse: bool = False


GOLD_SOURCES = (
    GoldSource("conll2003-train.txt", "news wire", read_conll_lines),
    GoldSource("en_ewt-ud-dev.iob2", "web", lambda p: read_columns(p, 1, 2), repeat=3),
    GoldSource("wikigold.conll.txt", "encyclopedic", lambda p: read_columns(p, 0, 1), repeat=2),
    GoldSource("btc-g.conll", "news on social media", read_tweets),
    # WikiANN's labels are drawn from links, not annotated: its text serves for rehearsal.
    GoldSource(
        "wikiann-en-train",
        "encyclopedic",
        lambda p: read_columns(p, 0, 1, strip="en:"),
        most=8000,
        min_words=6,
        rehearse=True,
    ),
)
# Rehearsed examples count this many times over, so the model keeps what it knew.
REHEARSAL_WEIGHT = 2
# Held out for the recipe's report: CoNLL-2003's development split (testa). Its test split
# (testb) is never read.
HELD_OUT_FILE = "conll2003-valid.txt"


def source_examples(nlp, sources: Path, seed: int = 0, log=print) -> tuple[list, list[str]]:
    """The gold examples of GOLD_SOURCES, and the texts of those to rehearse."""
    rng = random.Random(seed)
    examples, texts = [], []
    for source in GOLD_SOURCES:
        try:
            sentences = list(source.read(sources / source.file))
            sentences = [s for s in sentences if len(s.words) >= source.min_words]
            if source.most and len(sentences) > source.most:
                sentences = rng.sample(sentences, source.most)
            use = "text rehearsed" if source.rehearse else f"gold x{source.repeat}"
            log(f"{source.file} ({source.style}): {len(sentences)} sentences, {use}")
            if source.rehearse:
                texts += [" ".join(s.words) for s in sentences]
            else:
                examples += [gold_example(nlp, s) for s in sentences] * source.repeat
        except (ValueError, IndexError, UnicodeDecodeError) as bad:
            raise ValueError(
                f"{source.file} is not the file training/README.md names: {bad}"
            ) from None
    return examples, texts


def news_paragraphs(path: Path, skip: int, most: int) -> list[str]:
    """Paragraphs of unlabelled news (Reuters-21578's JSON Lines) for rehearsal, from the
    records after the first `skip` (which the archive's tests and benchmarks read)."""
    paragraphs: list[str] = []
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines):
            if number < skip:
                continue
            body = json.loads(line).get("body") or ""
            for paragraph in body.split("\n\n")[:3]:
                paragraph = ner_text(" ".join(paragraph.split()))
                if 40 < len(paragraph) < 600:
                    paragraphs.append(paragraph)
            if len(paragraphs) >= most:
                break
    return paragraphs[:most]
