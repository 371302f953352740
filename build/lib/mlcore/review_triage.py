"""Review triage: new rows of ``iris.Review``, the stars a classifier gives a text, and the
``iris.ReviewAlert`` table where low-star reviews are recorded. SQL through :mod:`mlcore.database`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from .database import review_table
from .layout import REVIEW_SCHEMA, TEXT_COLUMN

ALERT_TABLE = "ReviewAlert"
_LABEL_INDEX = re.compile(r"^LABEL_(\d+)$")


class StarsError(ValueError):
    """A classifier's answer that names no star rating."""


@dataclass(frozen=True)
class Review:
    id: int
    text: str


def alert_table(metadata: sa.MetaData | None = None) -> sa.Table:
    """``iris.ReviewAlert``: one row per low-star review, with the stars the model gave it."""
    return sa.Table(
        ALERT_TABLE,
        metadata or sa.MetaData(),
        sa.Column("ID", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ReviewID", sa.Integer, nullable=False),
        sa.Column("Stars", sa.Integer, nullable=False),
        sa.Column("Score", sa.Float),
        sa.Column("ReviewText", sa.Text, nullable=False),
        sa.Column("CreatedAt", sa.DateTime, nullable=False),
        schema=REVIEW_SCHEMA,
    )


def last_review_id(engine: Engine) -> int:
    """The highest ``ID`` of ``iris.Review`` (0 when the table is empty or missing)."""
    table = review_table()
    if not sa.inspect(engine).has_table(table.name, schema=table.schema):
        return 0
    with engine.connect() as connection:
        return int(connection.execute(sa.select(sa.func.max(table.c.ID))).scalar() or 0)


def new_reviews(engine: Engine, after_id: int, limit: int) -> list[Review]:
    """Up to ``limit`` reviews with an ``ID`` above ``after_id``, oldest first."""
    table = review_table()
    if not sa.inspect(engine).has_table(table.name, schema=table.schema):
        return []
    statement = (sa.select(table.c.ID, table.c[TEXT_COLUMN]).where(table.c.ID > after_id)
                 .order_by(table.c.ID).limit(limit))
    with engine.connect() as connection:
        return [Review(int(row[0]), str(row[1])) for row in connection.execute(statement)]


def stars_from_prediction(output: Any) -> tuple[int, float | None]:
    """The stars (1..K) and score of a text-classification pipeline's answer.

    A model fine-tuned on ``ReviewLabel`` names its labels ``"1"``..``"5"``; an untrained head
    names them ``LABEL_0``..``LABEL_4`` (stars 1..5).

    Raises:
        StarsError: the answer holds no label of either form.
    """
    best = output[0] if isinstance(output, Sequence) and not isinstance(output, str) and output else output
    if isinstance(best, Sequence) and not isinstance(best, str) and best:
        best = best[0]  # top_k answers: a list per input
    label = str(best.get("label", "")) if isinstance(best, dict) else ""
    score = best.get("score") if isinstance(best, dict) else None
    if label.strip().isdigit():
        return int(label), score
    index = _LABEL_INDEX.match(label.strip())
    if index:
        return int(index.group(1)) + 1, score
    raise StarsError(f"the classifier's answer names no star rating (label {label!r}; expected '1'..'5' "
                     f"or LABEL_0..LABEL_4): {output!r}"[:300])


def record_alert(engine: Engine, review: Review, stars: int, score: float | None) -> int:
    """Insert one row into ``iris.ReviewAlert`` (created when missing); return its ``ID``."""
    table = alert_table()
    table.create(engine, checkfirst=True)
    with engine.begin() as connection:
        result = connection.execute(sa.insert(table).values(
            ReviewID=review.id, Stars=stars, Score=score, ReviewText=review.text,
            CreatedAt=datetime.now(UTC).replace(tzinfo=None)))
        return int(result.inserted_primary_key[0])


def alerts(engine: Engine) -> list[dict[str, Any]]:
    """Every recorded alert, oldest first (empty when the table does not exist yet)."""
    table = alert_table()
    if not sa.inspect(engine).has_table(table.name, schema=table.schema):
        return []
    with engine.connect() as connection:
        return [dict(row) for row in connection.execute(sa.select(table).order_by(table.c.ID)).mappings()]
