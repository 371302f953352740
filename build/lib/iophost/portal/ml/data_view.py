"""A read-only look at the training data table ``iris.Review``: count, label histogram, sample rows.

The database is the one a tuning item reads: its ``db_url`` setting, else the ML core's default
(``$DATABASE_URL``, else the repository's SQLite file, where ``iris.Review`` is the file's own
``Review`` table); names from :mod:`mlcore.layout`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from mlcore import layout


@dataclass
class ReviewSummary:
    url: str
    count: int = 0
    histogram: list[tuple[Any, int]] = field(default_factory=list)
    sample: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""


def _safe_url(url: str) -> str:
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "(not a database URL)"


def _engine_and_table(url: str) -> tuple[sa.Engine, sa.Table]:
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not Path(database).is_file():
            raise FileNotFoundError(f"no database file at {database}: run load-reviews first")
        engine = sa.create_engine(f"sqlite:///file:{database}?mode=ro&uri=true")
        schema = None
    else:
        engine = sa.create_engine(url)
        schema = layout.REVIEW_SCHEMA
    table = sa.Table(layout.REVIEW_TABLE, sa.MetaData(), sa.Column(layout.LABEL_COLUMN),
                     sa.Column(layout.TEXT_COLUMN), schema=schema)
    return engine, table


def review_summary(url: str | None = None, sample_size: int = 20) -> ReviewSummary:
    """Count, label histogram and the first rows of ``iris.Review``; ``error`` says why when unreadable."""
    url = url or layout.default_database_url()
    summary = ReviewSummary(url=_safe_url(url))
    try:
        engine, table = _engine_and_table(url)
    except (FileNotFoundError, sa.exc.ArgumentError, ImportError) as exc:
        summary.error = str(exc)
        return summary
    try:
        with engine.connect() as connection:
            summary.count = connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            label = table.c[layout.LABEL_COLUMN]
            summary.histogram = [tuple(row) for row in connection.execute(
                sa.select(label, sa.func.count()).group_by(label).order_by(label))]
            summary.sample = [dict(row._mapping) for row in connection.execute(
                sa.select(label, table.c[layout.TEXT_COLUMN]).limit(sample_size))]
    except sa.exc.SQLAlchemyError as exc:
        summary.error = (f"cannot read {layout.REVIEW_SCHEMA}.{layout.REVIEW_TABLE}: "
                         f"{exc.__class__.__name__}: {str(exc).splitlines()[0]}")
    finally:
        engine.dispose()
    return summary
