"""IoP migration file: the production ``iris.Production`` with the seed's items.

``iop --migrate src/python/settings.py`` registers it on IRIS; ``iophost start`` runs it locally.
As in the seed, only ``HuggingFace API`` is enabled: each local item downloads its model (up to
~500 MB) and loads torch on its first start, so you enable the ones you want (the portal's
Enable, or the Production Configuration page on IRIS).
"""

from iop import Production

from bo import HFOperation, MLOperation, ReviewAlertOperation, TuningOperation
from bp import ReviewTriageProcess
from bs import ReviewPollingService


def model_settings(**lines: str) -> dict[str, str]:
    """The ``%settings`` text of an item, one ``key=value`` line each, as the portal shows it."""
    return {"%settings": "\n".join(f"{key}={value}" for key, value in lines.items())}


production = Production("iris.Production", testing_enabled=True,
                        description="Reuse and fine-tune pretrained Hugging Face models")

production.operation("HuggingFace API", HFOperation)
production.operation("HuggingFace gpt2 local", MLOperation, settings=model_settings(
    name="gpt2", model_url="https://huggingface.co/gpt2", task="text-generation")).enable(False)
production.operation("HuggingFace ner local", MLOperation, settings=model_settings(
    name="camembert-ner", model_url="https://huggingface.co/Jean-Baptiste/camembert-ner",
    task="ner", aggregation_strategy="simple")).enable(False)
production.operation("HuggingFace bert local", MLOperation, settings=model_settings(
    name="bert-base-uncased", model_url="https://huggingface.co/bert-base-uncased", task="fill-mask")).enable(False)
production.operation("HuggingFace Image resnet local", MLOperation, settings=model_settings(
    name="detr-resnet-50", model_url="https://huggingface.co/facebook/detr-resnet-50",
    task="object-detection")).enable(False)
production.operation("HuggingFace Image panoptic local", MLOperation, settings=model_settings(
    name="detr-resnet-50-panoptic", model_url="https://huggingface.co/facebook/detr-resnet-50-panoptic",
    task="image-segmentation")).enable(False)
production.operation("Python.TuningOperation", TuningOperation, settings=model_settings(
    model_name="bert-base-cased", model_url="https://huggingface.co/bert-base-cased",
    num_labels="5")).enable(False)

# A second production (not the default): new reviews are rated by the fine-tuned bert-base-cased
# (the model an OverrideRequest promotes into src/model/bert-base-cased) and low-star ones recorded
# in iris.ReviewAlert. Start it with `iophost start --production iris.ReviewTriage`.
triage = Production("iris.ReviewTriage", testing_enabled=True,
                    description="Rate new reviews with the fine-tuned model; record low-star ones")
watcher = triage.service("Review watcher", ReviewPollingService).adapter_setting("CallInterval", "10")
router = triage.process("Review triage", ReviewTriageProcess)
classifier = triage.operation("Review stars classifier", MLOperation, settings=model_settings(
    name="bert-base-cased", task="text-classification"))
recorder = triage.operation("Review alerts", ReviewAlertOperation)
triage.connect(watcher.Output, router)
triage.connect(router.Classifier, classifier)
triage.connect(router.Alerts, recorder)

PRODUCTIONS = [production, triage]
