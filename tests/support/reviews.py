"""The tuning tests' data: a review table with a learnable signal (each label has its own words),
and what a tiny classifier's tokenizer must know of it."""

from __future__ import annotations

import random

from mlcore.database import create_db_engine, review_table
from mlcore.reviews_loader import load_reviews

#: Words that give a review's label away; the rest of a review is shared filler.
LABEL_WORDS = {
    1: ["awful", "terrible", "disgusting"],
    2: ["poor", "disappointing", "bland"],
    3: ["average", "okay", "decent"],
    4: ["good", "pleasant", "tasty"],
    5: ["excellent", "wonderful", "perfect"],
}
FILLER = ["the", "food", "service", "room", "staff", "was", "and", "we", "had", "a", "dinner", "visit",
          "hotel", "garage", "place", "really", "quite", "this", "time", "our"]
MODEL_NAME = "tiny-reviews"
#: The seed README's TrainRequest body.
SEED_TRAIN_BODY = {"columns": "ReviewLabel,ReviewText", "table": "iris.Review", "limit": 20, "p_of_train": 0.8,
                   "output_dir": "/irisdev/app/src/model/checkpoints", "evaluation_strategy": "steps",
                   "learning_rate": 0.01, "num_train_epochs": 1}


def review_rows(per_label: int = 12, seed: int = 0) -> list[tuple[int, str]]:
    """``per_label`` reviews of each label 1..5, interleaved (1,2,3,4,5,1,2,...) so that the first
    rows of the table hold every label, of varied lengths so that padding matters."""
    rng = random.Random(seed)
    rows = []
    for index in range(per_label):
        for label, words in LABEL_WORDS.items():
            filler = rng.choices(FILLER, k=rng.randint(3, 25))
            signal = [words[(index + j) % len(words)] for j in range(2)]
            for word in signal:
                filler.insert(rng.randint(0, len(filler)), word)
            rows.append((label, f"Review {index}: " + " ".join(filler) + "."))
    return rows


def fill_reviews(url: str, rows: list[tuple[int, str]]) -> str:
    engine = create_db_engine(url)
    review_table().drop(engine, checkfirst=True)
    load_reviews(engine, rows)
    engine.dispose()
    return url
