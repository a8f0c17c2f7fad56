"""Name lists: which of a reporter's names the archive holds, how often the current search
names each, and how often they are named together.

A line is found when its folded form (accents, case, punctuation aside) is an entity's name
or one of its aliases. Otherwise the nearest spellings are offered as candidates, never
chosen for the reader.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import fuzz, process

from archive.models import Entity
from archive.names import normalize_key
from search.engines import get_engine
from search.exports import inert_cell
from search.network import entity_json, member
from search.query import SearchParams, compile_query

MAX_NAMES = 5000
MAX_LINE = 300
# The co-mention matrix is a square: beyond this many lines it would be megabytes of zeros.
MATRIX_LIMIT = 500
CANDIDATES = 3
# Near spellings cost a comparison with every entity name; a list of thousands of unknown
# names is offered them for its first lines only, so the answer stays within seconds.
NEAR_SPELLING_LIMIT = 500
MIN_SIMILARITY = 80  # rapidfuzz ratio, 0-100
_FUZZY_CHUNK = 200


class NameListError(ValueError):
    """A list that cannot be looked up; the message says why."""


@dataclass
class NameRow:
    name: str
    entity: Entity | None = None
    candidates: list[Entity] = field(default_factory=list)
    count: int = 0  # articles of the search naming the entity

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "entity": entity_json(self.entity) if self.entity else None,
            "candidates": [entity_json(e) for e in self.candidates],
            "count": self.count,
        }


@dataclass
class NameList:
    params: SearchParams
    rows: list[NameRow]
    matrix: list[list[int | None]] | None  # None when the list is longer than MATRIX_LIMIT

    @property
    def found(self) -> int:
        return sum(1 for row in self.rows if row.entity)

    def as_dict(self) -> dict:
        return {"rows": [r.as_dict() for r in self.rows], "matrix": self.matrix}

    def matrix_rows(self) -> list[tuple[NameRow, list[int | None]]]:
        return list(zip(self.rows, self.matrix or [], strict=False))


def clean_lines(lines: Iterable[str]) -> list[str]:
    """The non-empty lines, trimmed; more than MAX_NAMES, or an overlong line, is refused."""
    names = []
    for number, line in enumerate(lines, 1):
        # NUL is no part of a name, and PostgreSQL refuses it in a query.
        line = " ".join(str(line).replace("\x00", " ").split())
        if not line:
            continue
        if len(line) > MAX_LINE:
            raise NameListError(f"Line {number} is longer than {MAX_LINE} characters.")
        names.append(line)
        if len(names) > MAX_NAMES:
            raise NameListError(f"A list holds at most {MAX_NAMES} names.")
    if not names:
        raise NameListError("The list has no names: paste one a line, or upload a CSV file.")
    return names


def names_from_csv(text: str) -> list[str]:
    """The first column of a CSV file (a header row naming it "name" is skipped)."""
    rows = [row for row in csv.reader(text.splitlines()) if row]
    if rows and rows[0][0].strip().lower() in {"name", "names"}:
        rows = rows[1:]
    return [row[0] for row in rows]


def look_up(params: SearchParams, lines: list[str]) -> NameList:
    """Each line resolved to an entity (or candidates), with its count in the search."""
    rows = [NameRow(line) for line in lines]
    _resolve(rows)
    engine, query = get_engine(), compile_query(params)
    entities = list({row.entity.pk: row.entity for row in rows if row.entity}.values())
    position = {e.pk: i for i, e in enumerate(entities)}
    members = [member(e) for e in entities]
    matrix = None
    if len(rows) <= MATRIX_LIMIT:
        counts = engine.comentions(query, members)
        own = np.diagonal(counts)
        matrix = [
            [
                int(counts[position[r.entity.pk], position[c.entity.pk]])
                if r.entity and c.entity
                else None
                for c in rows
            ]
            for r in rows
        ]
    else:
        own = np.array([engine.count(query.naming(m)) for m in members], dtype=np.int64)
    for row in rows:
        if row.entity:
            row.count = int(own[position[row.entity.pk]])
    return NameList(params, rows, matrix)


def _resolve(rows: list[NameRow]) -> None:
    keys = {normalize_key(row.name) for row in rows}
    by_key: dict[str, list[Entity]] = {}
    for entity in Entity.objects.filter(key__in=keys).only("id", "name", "kind", "key"):
        by_key.setdefault(entity.key, []).append(entity)
    # Aliases are few (curators and merges write them), so they are read whole.
    for entity in Entity.objects.exclude(aliases=[]).only("id", "name", "kind", "aliases"):
        for alias in entity.aliases:
            key = normalize_key(alias)
            if key in keys and entity not in by_key.get(key, []):
                by_key.setdefault(key, []).append(entity)
    article_counts = _article_counts({e.pk for found in by_key.values() for e in found})
    unresolved = []
    for row in rows:
        found = by_key.get(normalize_key(row.name), [])
        # One name of several kinds ("Jordan"): the most written-about, the others offered.
        found = sorted(found, key=lambda e: (-article_counts.get(e.pk, 0), e.pk))
        if found:
            row.entity, row.candidates = found[0], found[1:]
        else:
            unresolved.append(row)
    if unresolved:
        _offer_near_spellings(unresolved[:NEAR_SPELLING_LIMIT])


def _article_counts(ids: set[int]) -> dict[int, int]:
    from django.db.models import Count

    rows = Entity.objects.filter(pk__in=ids).annotate(n=Count("mentions")).values_list("pk", "n")
    return dict(rows)


def _offer_near_spellings(rows: list[NameRow]) -> None:
    choices = list(Entity.objects.values_list("pk", "key"))
    if not choices:
        return
    keys = [key for _, key in choices]
    wanted = [normalize_key(row.name) for row in rows]
    offered: dict[int, list[int]] = {}
    for start in range(0, len(rows), _FUZZY_CHUNK):
        chunk = wanted[start : start + _FUZZY_CHUNK]
        scores = process.cdist(
            chunk, keys, scorer=fuzz.ratio, score_cutoff=MIN_SIMILARITY, dtype=np.uint8, workers=1
        )
        for offset, line_scores in enumerate(scores):
            best = np.argsort(-line_scores.astype(np.int16), kind="stable")[:CANDIDATES]
            offered[start + offset] = [choices[i][0] for i in best if line_scores[i]]
    entities = Entity.objects.in_bulk({pk for pks in offered.values() for pk in pks})
    for i, row in enumerate(rows):
        row.candidates = [entities[pk] for pk in offered.get(i, []) if pk in entities]


def csv_rows(result: NameList) -> list[list]:
    """One row a line: the line, what it was found as, its count, candidates, and (for lists
    the matrix covers) its co-mentions with every line."""
    header = ["name", "entity_id", "entity_name", "kind", "articles", "candidates"]
    with_matrix = result.matrix is not None
    if with_matrix:
        header += [f"with {row.name}" for row in result.rows]
    out = [header]
    for i, row in enumerate(result.rows):
        cells = [
            row.name,
            row.entity.pk if row.entity else "",
            row.entity.name if row.entity else "",
            row.entity.kind if row.entity else "",
            row.count if row.entity else "",
            "; ".join(e.name for e in row.candidates),
        ]
        if with_matrix:
            cells += ["" if n is None else n for n in result.matrix[i]]
        out.append(cells)
    return [[inert_cell(c) for c in cells] for cells in out]
