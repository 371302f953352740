"""The production's business services: thin IoP glue over the ML core (``mlcore``)."""

from __future__ import annotations

from iop import PollingBusinessService, target

from mlcore.coercion import setting_number
from mlcore.database import create_db_engine
from mlcore.review_triage import last_review_id, new_reviews
from msg import ReviewRequest


class ReviewPollingService(PollingBusinessService):
    """Every CallInterval, sends each new row of ``iris.Review`` to ``Output`` (one session per review).

    "New" means added after the service started, unless ``start_after_id`` says from which ``ID`` on.
    """

    Output = target()
    #: SQLAlchemy URL of the database holding iris.Review; empty: $DATABASE_URL, else var/iris.sqlite.
    db_url: str = ""
    #: Rows handed on per poll at most (20).
    batch: str = ""
    #: Review ID after which rows count as new; empty: the table's last ID when the service starts.
    start_after_id: str = ""

    def on_init(self) -> None:
        self._engine = create_db_engine(self.db_url or None)
        self._batch = setting_number(self.batch or "20", "batch", least=1)
        self._last_id = (setting_number(self.start_after_id, "start_after_id") if self.start_after_id
                         else last_review_id(self._engine))
        self.log_info(f"watching iris.Review for rows after ID {self._last_id}")

    def on_tear_down(self) -> None:
        self._engine.dispose()

    def on_poll(self) -> None:
        for review in new_reviews(self._engine, self._last_id, self._batch):
            self.send_request_async(self.Output, ReviewRequest(review_id=review.id, text=review.text))
            self._last_id = review.id
