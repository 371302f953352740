"""The production's business processes: routing only, the ML and SQL live in ``mlcore``."""

from __future__ import annotations

from iop import BusinessProcess, target

from mlcore.coercion import setting_number
from mlcore.review_triage import stars_from_prediction
from msg import MLRequest, ReviewAlertRequest, ReviewRequest, ReviewTriageResponse


class ReviewTriageProcess(BusinessProcess):
    """Asks ``Classifier`` (a text-classification MLOperation) for a review's stars and sends a
    review with at most ``alert_stars`` stars to ``Alerts``."""

    Classifier = target()
    Alerts = target()
    #: The highest star rating that raises an alert (2).
    alert_stars: str = ""

    def on_init(self) -> None:
        self._alert_stars = setting_number(self.alert_stars or "2", "alert_stars")

    def on_review_request(self, request: ReviewRequest) -> ReviewTriageResponse:
        answer = self.send_request_sync(self.Classifier, MLRequest(inputs=request.text))
        stars, score = stars_from_prediction(answer.output)
        triage = ReviewTriageResponse(review_id=request.review_id, stars=stars, score=score)
        if stars <= self._alert_stars:
            self.log_warning(f"review {request.review_id}: {stars} star(s), recorded as an alert")
            alert = self.send_request_sync(self.Alerts, ReviewAlertRequest(
                review_id=request.review_id, text=request.text, stars=stars, score=score))
            triage.alert_id = alert.alert_id
        return triage
