"""A read-only look at the training data table ``iris.Review``: count, label histogram, sample rows.

The database is the one the tuning item reads: ``$DATABASE_URL``, else the SQLite file
``var/iris.sqlite`` of the repository (where ``iris.Review`` is the file's own ``Review`` table).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_SQLITE_PATH = REPO_ROOT / "var" / "iris.sqlite"
SCHEMA, TABLE = "iris", "Review"
LABEL, TEXT = "ReviewLabel", "ReviewText"


@dataclass
class ReviewSummary:
    url: str
    count: int = 0
    histogram: list[tuple[Any, int]] = field(default_factory=list)
    sample: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""


def database_url() -> str:
    """``$DATABASE_URL`` when set, else the repository's SQLite file."""
    return os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}"


def _safe_url(url: str) -> str:
    return sa.engine.make_url(url).render_as_string(hide_password=True)


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
        schema = SCHEMA
    table = sa.Table(TABLE, sa.MetaData(), sa.Column(LABEL), sa.Column(TEXT), schema=schema)
    return engine, table


def review_summary(url: str | None = None, sample_size: int = 20) -> ReviewSummary:
    """Count, label histogram and the first rows of ``iris.Review``; ``error`` says why when unreadable."""
    url = url or database_url()
    summary = ReviewSummary(url=_safe_url(url))
    try:
        engine, table = _engine_and_table(url)
    except (FileNotFoundError, sa.exc.ArgumentError) as exc:
        summary.error = str(exc)
        return summary
    try:
        with engine.connect() as connection:
            summary.count = connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            label = table.c[LABEL]
            summary.histogram = [tuple(row) for row in connection.execute(
                sa.select(label, sa.func.count()).group_by(label).order_by(label))]
            summary.sample = [dict(row._mapping) for row in connection.execute(
                sa.select(table.c[LABEL], table.c[TEXT]).limit(sample_size))]
    except sa.exc.SQLAlchemyError as exc:
        summary.error = f"cannot read {SCHEMA}.{TABLE}: {exc.__class__.__name__}: {str(exc).splitlines()[0]}"
    finally:
        engine.dispose()
    return summary
