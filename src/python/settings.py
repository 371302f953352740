"""IoP migration file: the production ``iris.Production`` with the seed's items.

``iop --migrate src/python/settings.py`` registers it on IRIS; ``iophost start`` runs it locally.
"""

from iop import Production

from bo import HFOperation, MLOperation, TuningOperation


def model_settings(**lines: str) -> dict[str, str]:
    """The ``%settings`` text of an item, one ``key=value`` line each, as the portal shows it."""
    return {"%settings": "\n".join(f"{key}={value}" for key, value in lines.items())}


production = Production("iris.Production", testing_enabled=True,
                        description="Reuse and fine-tune pretrained Hugging Face models")

production.operation("HuggingFace API", HFOperation)
production.operation("HuggingFace gpt2 local", MLOperation, settings=model_settings(
    name="gpt2", model_url="https://huggingface.co/gpt2", task="text-generation"))
production.operation("HuggingFace ner local", MLOperation, settings=model_settings(
    name="camembert-ner", model_url="https://huggingface.co/Jean-Baptiste/camembert-ner",
    task="ner", aggregation_strategy="simple"))
production.operation("HuggingFace bert local", MLOperation, settings=model_settings(
    name="bert-base-uncased", model_url="https://huggingface.co/bert-base-uncased", task="fill-mask"))
production.operation("HuggingFace Image resnet local", MLOperation, settings=model_settings(
    name="detr-resnet-50", model_url="https://huggingface.co/facebook/detr-resnet-50",
    task="object-detection"))
production.operation("HuggingFace Image panoptic local", MLOperation, settings=model_settings(
    name="detr-resnet-50-panoptic", model_url="https://huggingface.co/facebook/detr-resnet-50-panoptic",
    task="image-segmentation"))
production.operation("Python.TuningOperation", TuningOperation, settings=model_settings(
    model_name="bert-base-cased", num_labels="5"))

PRODUCTIONS = [production]
