"""The review loader fills iris.Review idempotently on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from mlcore.database import create_db_engine, review_table
from mlcore.layout import default_dataset
from mlcore.reviews_loader import main

SAMPLE = (
    "ReviewLabel;ReviewText\n"
    "5;Great pizza, friendly staff.\n"
    '1;"Awful; never again.\n\nThe second paragraph: still awful."\n'
    "three;label is not a number\n"
    "4;Good coffee\n"
    "2;\n"
    "3;ok;but an extra field\n"
)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'iris.sqlite'}"
    url = request.getfixturevalue("postgres_url")
    engine = create_db_engine(url)
    review_table().drop(engine, checkfirst=True)
    return url


def _rows(url: str) -> list[tuple[int, str]]:
    with create_db_engine(url).connect() as connection:
        # the seed's table name resolves verbatim on every backend
        return [tuple(r) for r in connection.execute(
            sa.text('SELECT "ReviewLabel", "ReviewText" FROM iris."Review" ORDER BY "ID"'))]


def test_loads_valid_rows_reports_malformed_lines_and_is_idempotent(db_url, tmp_path, capsys, caplog):
    dataset = tmp_path / "dataset.txt"
    dataset.write_text(SAMPLE, encoding="utf-8")

    assert main(["--db", db_url, "--file", str(dataset)]) == 0
    out = capsys.readouterr().out
    assert "3 inserted" in out and "3 malformed lines skipped" in out
    rows = _rows(db_url)
    assert rows == [(5, "Great pizza, friendly staff."),
                    (1, "Awful; never again.\n\nThe second paragraph: still awful."),
                    (4, "Good coffee")]
    warnings = "\n".join(r.getMessage() for r in caplog.records)
    assert "line 6: ReviewLabel must be an integer" in warnings
    assert "line 8: ReviewText is empty" in warnings
    assert "line 9: expected 2 fields" in warnings

    assert main(["--db", db_url, "--file", str(dataset)]) == 0
    assert "0 inserted, 3 already present" in capsys.readouterr().out
    assert _rows(db_url) == rows


def test_project_dataset_loads_completely(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'iris.sqlite'}"
    assert main(["--db", url, "--file", str(default_dataset())]) == 0
    assert "0 malformed lines skipped" in capsys.readouterr().out
    rows = _rows(url)
    assert len(rows) >= 300
    counts = {label: sum(1 for r in rows if r[0] == label) for label in range(1, 6)}
    assert set(counts) == {1, 2, 3, 4, 5} and max(counts.values()) - min(counts.values()) <= 5
    assert sum(1 for _, text in rows if "\n\n" in text) >= 10  # multi-paragraph reviews
    lengths = sorted(len(text.split()) for _, text in rows)
    assert lengths[0] <= 25 and lengths[-1] >= 120


def test_yelp_rows_stream_through_datasets(tmp_path, capsys):
    """The Yelp path runs for real through ``datasets``, here on a local copy of its layout."""
    pq = pytest.importorskip("pyarrow.parquet")
    import pyarrow as pa

    folder = tmp_path / "yelp"
    folder.mkdir()
    table = pa.table({"label": [0, 4, 2], "text": ["Horrible.", "Superb!", "Fine I guess."]})
    pq.write_table(table, folder / "train-00000-of-00001.parquet")
    url = f"sqlite:///{tmp_path / 'iris.sqlite'}"
    empty = tmp_path / "empty.txt"
    empty.write_text("ReviewLabel;ReviewText\n", encoding="utf-8")

    assert main(["--db", url, "--file", str(empty), "--rows", "2", "--yelp-dataset", str(folder)]) == 0
    assert _rows(url) == [(1, "Horrible."), (5, "Superb!")]
    assert "2 inserted" in capsys.readouterr().out


def test_bad_header_is_refused(tmp_path):
    dataset = tmp_path / "bad.txt"
    dataset.write_text("label,text\n1,x\n", encoding="utf-8")
    with pytest.raises(ValueError, match="header"):
        main(["--db", f"sqlite:///{tmp_path / 'x.sqlite'}", "--file", str(dataset)])
