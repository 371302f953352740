"""The one SQL access layer: SQLite by default, PostgreSQL or IRIS by URL.

On SQLite the database file is also attached under the name ``iris``, so the table
``iris.Review`` resolves verbatim, as it does on IRIS and on PostgreSQL (schema ``iris``).
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from .layout import LABEL_COLUMN, REVIEW_SCHEMA, REVIEW_TABLE, TEXT_COLUMN, default_database_url


def create_db_engine(url: str | None = None) -> Engine:
    """An engine for ``url`` (default: :func:`default_database_url`).

    SQLite files get their parent folder created and are attached as schema ``iris``;
    PostgreSQL gets the ``iris`` schema created when missing.
    """
    url = url or default_database_url()
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url)
        attach_to = database or ":memory:"

        @sa.event.listens_for(engine, "connect")
        def _attach_iris(dbapi_connection, _record) -> None:
            dbapi_connection.execute(f"ATTACH DATABASE '{attach_to}' AS {REVIEW_SCHEMA}")

        return engine
    engine = sa.create_engine(url)
    if parsed.get_backend_name() == "postgresql":
        with engine.begin() as connection:
            connection.execute(sa.schema.CreateSchema(REVIEW_SCHEMA, if_not_exists=True))
    return engine


def review_table(metadata: sa.MetaData | None = None) -> sa.Table:
    """The ``iris.Review`` table as the seed defines it: ``ReviewLabel``, ``ReviewText``."""
    return sa.Table(
        REVIEW_TABLE,
        metadata or sa.MetaData(),
        sa.Column("ID", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(LABEL_COLUMN, sa.Integer, nullable=False),
        sa.Column(TEXT_COLUMN, sa.Text, nullable=False),
        schema=REVIEW_SCHEMA,
    )


def split_table_name(qualified: str) -> tuple[str | None, str]:
    """``"iris.Review"`` → ``("iris", "Review")``; ``"Review"`` → ``(None, "Review")``."""
    schema, _, name = qualified.strip().rpartition(".")
    return (schema or None), name
