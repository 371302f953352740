"""Fill ``iris.Review`` from the project's review file and, where the network allows,
from the Hugging Face dataset ``Yelp/yelp_review_full``. Re-running adds no duplicates."""

from __future__ import annotations

import argparse
import csv
import hashlib
import logging
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from .database import create_db_engine, default_database_url, review_table
from .layout import REPO_ROOT

log = logging.getLogger(__name__)

DEFAULT_DATASET = REPO_ROOT / "misc" / "dataset" / "dataset.txt"
YELP_DATASET = "Yelp/yelp_review_full"
HEADER = ["ReviewLabel", "ReviewText"]


@dataclass
class LoadReport:
    """What one load did: rows read, inserted, already present, and skipped lines with reasons."""

    read: int = 0
    inserted: int = 0
    duplicates: int = 0
    skipped: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"read {self.read} reviews: {self.inserted} inserted, {self.duplicates} already present, "
                f"{len(self.skipped)} malformed lines skipped")


def read_review_file(path: Path, report: LoadReport) -> Iterator[tuple[int, str]]:
    """Yield ``(label, text)`` from a ``;``-separated file with header ``ReviewLabel;ReviewText``.

    Quoted fields may span lines (multi-paragraph reviews). A malformed record is logged with
    its line number, recorded in ``report.skipped`` and not yielded.
    """
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle, delimiter=";", quotechar='"')
        header = next(reader, None)
        if [h.strip() for h in header or []] != HEADER:
            raise ValueError(f"{path}: first line must be the header {';'.join(HEADER)!r}, got {header!r}")
        start = reader.line_num + 1
        for row in reader:
            problem = _row_problem(row)
            if problem:
                message = f"{path.name} line {start}: {problem}; skipped"
                log.warning(message)
                report.skipped.append(message)
            else:
                yield int(row[0].strip()), row[1].strip()
            start = reader.line_num + 1


def _row_problem(row: list[str]) -> str | None:
    if not row or all(not cell.strip() for cell in row):
        return "empty record"
    if len(row) != 2:
        return f"expected 2 fields (ReviewLabel;ReviewText), found {len(row)}"
    label, text = row[0].strip(), row[1].strip()
    if not label.lstrip("-").isdigit():
        return f"ReviewLabel must be an integer, got {label!r}"
    if not text:
        return "ReviewText is empty"
    return None


def yelp_rows(rows: int, dataset: str = YELP_DATASET, split: str = "train") -> Iterator[tuple[int, str]]:
    """Stream the first ``rows`` reviews of a Yelp-like dataset (labels 0..4 become 1..5)."""
    from datasets import load_dataset

    stream = load_dataset(dataset, split=split, streaming=True)
    for example in stream.take(rows):
        yield int(example["label"]) + 1, str(example["text"]).strip()


def _fingerprint(label: int, text: str) -> bytes:
    return hashlib.sha1(f"{label}\x1f{text}".encode()).digest()


def load_reviews(engine: Engine, rows: Iterable[tuple[int, str]], report: LoadReport | None = None,
                 batch_size: int = 1000) -> LoadReport:
    """Insert ``rows`` into ``iris.Review``, creating the table if needed and skipping rows
    (label and text) already present, so that loading twice changes nothing."""
    report = report or LoadReport()
    table = review_table()
    table.metadata.create_all(engine)
    with engine.begin() as connection:
        seen = {_fingerprint(label, text)
                for label, text in connection.execute(sa.select(table.c.ReviewLabel, table.c.ReviewText))}
        batch: list[dict] = []
        for label, text in rows:
            report.read += 1
            key = _fingerprint(label, text)
            if key in seen:
                report.duplicates += 1
                continue
            seen.add(key)
            batch.append({"ReviewLabel": label, "ReviewText": text})
            if len(batch) >= batch_size:
                connection.execute(table.insert(), batch)
                report.inserted += len(batch)
                batch.clear()
        if batch:
            connection.execute(table.insert(), batch)
            report.inserted += len(batch)
    return report


def ensure_reviews(engine: Engine, path: Path = DEFAULT_DATASET) -> LoadReport | None:
    """Create ``iris.Review`` and load ``path`` into it when the table does not exist yet (what the
    IRIS image does at build); ``None`` when it exists: its rows are the user's, never reloaded."""
    table = review_table()
    if sa.inspect(engine).has_table(table.name, schema=table.schema):
        return None
    report = LoadReport()
    load_reviews(engine, read_review_file(path, report), report)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="load-reviews", description=__doc__)
    parser.add_argument("--db", default=None, help=f"SQLAlchemy URL (default: {default_database_url()})")
    parser.add_argument("--file", type=Path, default=DEFAULT_DATASET, help="the ;-separated review file")
    parser.add_argument("--rows", type=int, default=0,
                        help=f"also load the first N reviews of {YELP_DATASET} (needs the network)")
    parser.add_argument("--yelp-dataset", default=YELP_DATASET, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")

    engine = create_db_engine(args.db)
    report = LoadReport()
    load_reviews(engine, read_review_file(args.file, report), report)
    print(f"{args.file}: {report.summary()}")
    if args.rows > 0:
        yelp = LoadReport()
        try:
            load_reviews(engine, yelp_rows(args.rows, args.yelp_dataset), yelp)
        except Exception as exc:  # the network or the hub may be out of reach
            print(f"{args.yelp_dataset}: not loaded: {exc}", file=sys.stderr)
            return 1
        print(f"{args.yelp_dataset}: {yelp.summary()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
