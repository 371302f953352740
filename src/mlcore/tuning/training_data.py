"""Rows of a SQL table → labelled texts, checked against the database's own metadata, and a
shuffled, stratified train/test split.

Table and column names from a request are only ever *looked up* in the reflected metadata;
the query is built from the reflected objects, so no request text reaches the SQL.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..database import split_table_name
from .errors import LabelError, NotEnoughRowsError, UnknownColumnError, UnknownTableError
from .request import DataSpec


@dataclass(frozen=True)
class LabelledRows:
    labels: list[object]
    texts: list[str]
    skipped_nulls: int = 0


def _match(wanted: str, available: Sequence[str]) -> str | None:
    """``wanted`` as the database spells it: exact, else the one name equal ignoring case."""
    if wanted in available:
        return wanted
    folded = [name for name in available if name.casefold() == wanted.casefold()]
    return folded[0] if len(folded) == 1 else None


def reflect_table(engine: Engine, qualified_name: str) -> sa.Table:
    """The table named ``schema.table`` (or ``table``) as the database's metadata describes it.

    Raises:
        UnknownTableError: the schema or the table does not exist (the message lists what does).
    """
    schema, name = split_table_name(qualified_name)
    inspector = sa.inspect(engine)
    if schema is not None:
        schemas = inspector.get_schema_names()
        found_schema = _match(schema, schemas)
        if found_schema is None:
            raise UnknownTableError(f"unknown table {qualified_name!r}: no schema {schema!r} "
                                    f"(schemas: {', '.join(sorted(schemas))})")
        schema = found_schema
    tables = inspector.get_table_names(schema=schema)
    found = _match(name, tables)
    if found is None:
        where = f"schema {schema!r}" if schema else "the default schema"
        raise UnknownTableError(f"unknown table {qualified_name!r}: {where} has "
                                f"{', '.join(sorted(tables)) or 'no tables'}")
    return sa.Table(found, sa.MetaData(), schema=schema, autoload_with=engine)


def column_of(table: sa.Table, wanted: str) -> sa.Column:
    """The reflected column named ``wanted``.

    Raises:
        UnknownColumnError: naming the column and the table's columns.
    """
    found = _match(wanted, list(table.columns.keys()))
    if found is None:
        raise UnknownColumnError(f"unknown column {wanted!r} in table {table.fullname!r} "
                                 f"(columns: {', '.join(table.columns.keys())})")
    return table.columns[found]


def read_rows(engine: Engine, spec: DataSpec) -> LabelledRows:
    """The first ``spec.limit`` rows (all when None) of the label and text columns, in primary-key
    order so that ``limit`` picks the same rows every time; rows with a NULL in either are skipped."""
    table = reflect_table(engine, spec.table)
    label = column_of(table, spec.label_column)
    text = column_of(table, spec.text_column)
    query = sa.select(label, text).where(label.is_not(None), text.is_not(None))
    if table.primary_key.columns:
        query = query.order_by(*table.primary_key.columns)
    if spec.limit is not None:
        query = query.limit(spec.limit)
    with engine.connect() as connection:
        rows = connection.execute(query).all()
        total = None
        if spec.limit is None:
            total = connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
    skipped = (total - len(rows)) if total is not None else 0
    return LabelledRows(labels=[row[0] for row in rows], texts=[str(row[1]) for row in rows],
                        skipped_nulls=skipped)


@dataclass(frozen=True)
class LabelMap:
    """Class ids and the names a pipeline should answer with (saved in the model's config)."""

    label2id: dict[str, int]

    @property
    def id2label(self) -> dict[int, str]:
        return {index: name for name, index in self.label2id.items()}

    def for_config(self, num_labels: int) -> tuple[dict[int, str], dict[str, int]]:
        """``id2label``/``label2id`` covering all ``num_labels`` ids (unused ids keep ``LABEL_i``)."""
        id2label = {i: f"LABEL_{i}" for i in range(num_labels)}
        id2label.update(self.id2label)
        return id2label, {name: i for i, name in id2label.items()}


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    return int(text) if text.lstrip("-").isdigit() else None


def _has_real_names(label2id: dict[str, int] | None) -> bool:
    return bool(label2id) and not all(name.startswith("LABEL_") for name in label2id)


def encode_labels(values: Sequence[object], num_labels: int,
                  known: dict[str, int] | None = None) -> tuple[list[int], LabelMap]:
    """Class ids for the label column's values.

    Whole numbers 1..K become 0..K-1 as in the seed (0..K-1 are kept as they are); text labels
    keep the ids of the model's config when it already names them, else get ids in sorted order.

    Raises:
        LabelError: numbers outside both ranges, or more distinct text labels than ``num_labels``.
    """
    numbers = [_as_int(value) for value in values]
    if values and all(number is not None for number in numbers):
        distinct = sorted(set(numbers))
        if distinct[0] >= 1 and distinct[-1] <= num_labels:
            return [n - 1 for n in numbers], LabelMap({str(k): k - 1 for k in range(1, num_labels + 1)})
        if distinct[0] >= 0 and distinct[-1] <= num_labels - 1:
            return list(numbers), LabelMap({str(k): k for k in range(num_labels)})
        raise LabelError(f"labels must be 1..{num_labels} (or 0..{num_labels - 1}) for a model with "
                         f"num_labels={num_labels}; the column holds {distinct[0]}..{distinct[-1]}")
    names = [str(value).strip() for value in values]
    distinct_names = sorted(set(names))
    if _has_real_names(known) and set(distinct_names) <= set(known or {}):
        mapping = dict(known or {})
    else:
        if len(distinct_names) > num_labels:
            raise LabelError(f"{len(distinct_names)} distinct labels ({', '.join(distinct_names[:10])}...) "
                             f"but the model has num_labels={num_labels}")
        mapping = {name: i for i, name in enumerate(distinct_names)}
    return [mapping[name] for name in names], LabelMap(mapping)


def check_enough_rows(rows: int, num_labels: int) -> None:
    """Raises NotEnoughRowsError when a split could not have a training and a test row, or when there
    are fewer rows than the model has labels."""
    if rows < max(2, num_labels):
        raise NotEnoughRowsError(f"{rows} usable row(s): at least {max(2, num_labels)} are needed "
                                 f"(one per label of the model, num_labels={num_labels}, and a train/test split)")


def stratified_split(labels: Sequence[int], p_of_train: float, seed: int) -> tuple[list[int], list[int]]:
    """Indices of the training and test rows: shuffled with ``seed``, each class split in proportion
    (the seed's head/tail split tested on one label only when the table was sorted by label).

    The test share is ``1 - p_of_train`` rounded, at least one row and at most all but one; classes
    get their test rows by largest remainder, never all of a class's rows while another class can give.
    """
    rng = np.random.default_rng(seed)
    count = len(labels)
    n_test = min(count - 1, max(1, count - round(count * p_of_train)))
    members: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        members.setdefault(label, []).append(index)
    classes = sorted(members)
    sizes = Counter(labels)
    ideal = {c: sizes[c] * n_test / count for c in classes}
    take = {c: int(ideal[c]) for c in classes}
    # ties in the remainder are broken at random (seeded), not always in favour of the first class
    order = sorted(classes, key=lambda c: (-(ideal[c] - take[c]), rng.random()))
    missing = n_test - sum(take.values())
    for c in order:  # one more test row each, keeping at least one training row per class
        if missing > 0 and sizes[c] - take[c] > 1:
            take[c] += 1
            missing -= 1
    while missing > 0:  # only when classes are tiny: then any row will do (n_test < count ends it)
        c = next(c for c in order if sizes[c] > take[c])
        take[c] += 1
        missing -= 1
    train: list[int] = []
    test: list[int] = []
    for c in classes:
        shuffled = list(rng.permutation(members[c]))
        test.extend(int(i) for i in shuffled[:take[c]])
        train.extend(int(i) for i in shuffled[take[c]:])
    return [int(i) for i in rng.permutation(train)], [int(i) for i in rng.permutation(test)]


#: Share of the training rows held out to pick the best checkpoint (when a training selects one).
VALIDATION_SHARE = 0.1


def hold_out(labels: Sequence[int], index: Sequence[int], seed: int,
             share: float = VALIDATION_SHARE) -> tuple[list[int], list[int]]:
    """``index`` (rows of ``labels``) split again, stratified: the rows to train on and the validation rows."""
    kept, held = stratified_split([labels[i] for i in index], 1 - share, seed)
    return [index[i] for i in kept], [index[i] for i in held]
