"""The ML core's review triage: new rows of iris.Review, stars from a classifier's answer, iris.ReviewAlert."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlcore.database import create_db_engine
from mlcore.review_triage import (
    Review,
    StarsError,
    alerts,
    last_review_id,
    new_reviews,
    record_alert,
    stars_from_prediction,
)
from mlcore.reviews_loader import load_reviews


def test_new_reviews_are_the_rows_after_an_id_oldest_first_in_batches(tmp_path: Path):
    engine = create_db_engine(f"sqlite:///{tmp_path / 'reviews.sqlite'}")
    assert last_review_id(engine) == 0 and new_reviews(engine, 0, 10) == [], "no table yet: nothing new"
    load_reviews(engine, [(5, "great"), (1, "awful"), (2, "meh")])
    assert last_review_id(engine) == 3
    assert new_reviews(engine, 0, 2) == [Review(1, "great"), Review(2, "awful")]
    assert new_reviews(engine, 2, 10) == [Review(3, "meh")]


@pytest.mark.parametrize(("output", "stars"), [
    ([{"label": "2", "score": 0.7}], (2, 0.7)),
    ([{"label": "LABEL_0", "score": 0.4}], (1, 0.4)),
    ([[{"label": "5", "score": 0.9}, {"label": "4", "score": 0.1}]], (5, 0.9)),
    ({"label": "LABEL_4", "score": 0.3}, (5, 0.3)),
])
def test_stars_come_from_a_fine_tuned_or_untrained_label(output, stars):
    assert stars_from_prediction(output) == stars


def test_an_answer_without_a_star_label_is_a_clear_error():
    with pytest.raises(StarsError, match="names no star rating .*'POSITIVE'"):
        stars_from_prediction([{"label": "POSITIVE", "score": 0.9}])


def test_alerts_are_recorded_in_iris_review_alert(tmp_path: Path):
    engine = create_db_engine(f"sqlite:///{tmp_path / 'reviews.sqlite'}")
    assert alerts(engine) == []
    first = record_alert(engine, Review(7, "cold food"), 1, 0.8)
    second = record_alert(engine, Review(9, "slow"), 2, None)
    rows = alerts(engine)
    assert [(r["ID"], r["ReviewID"], r["Stars"], r["Score"], r["ReviewText"]) for r in rows] == [
        (first, 7, 1, 0.8, "cold food"), (second, 9, 2, None, "slow")]
    with engine.connect() as connection:  # the table resolves verbatim as iris.ReviewAlert
        assert connection.exec_driver_sql("SELECT COUNT(*) FROM iris.ReviewAlert").scalar() == 2
