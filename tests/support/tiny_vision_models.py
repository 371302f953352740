"""Tiny vision models built from configs with random weights (no download): a DETR for object
detection, a DETR for panoptic segmentation (a tiny transformers ResNet as backbone, or a timm
ResNet like the seed's models) and a ViT image classifier. Their heads are biased so they find objects in any image."""

from __future__ import annotations

from pathlib import Path

DETECTION_LABELS = {0: "cat", 1: "remote", 2: "couch"}


def _detr_config(timm_backbone: bool = False):
    from transformers import DetrConfig, ResNetConfig

    # d_model + attention heads must be a multiple of 8 for the segmentation mask head.
    sizes = dict(num_queries=4, d_model=32, encoder_layers=1, decoder_layers=1, encoder_ffn_dim=32, decoder_ffn_dim=32,
                 encoder_attention_heads=8, decoder_attention_heads=8, id2label=dict(DETECTION_LABELS),
                 label2id={v: k for k, v in DETECTION_LABELS.items()})
    if timm_backbone:
        # As the seed's facebook/detr-resnet-50: a timm ResNet, here with random weights (nothing downloaded).
        return DetrConfig(use_timm_backbone=True, backbone="resnet18", **sizes)
    backbone = ResNetConfig(num_channels=3, embedding_size=8, hidden_sizes=[8, 16, 16, 32], depths=[1, 1, 1, 1],
                            layer_type="basic", out_features=["stage1", "stage2", "stage3", "stage4"])
    return DetrConfig(backbone_config=backbone, **sizes)


def _detr_processor():
    from transformers import DetrImageProcessor

    return DetrImageProcessor(size={"shortest_edge": 64, "longest_edge": 96})


def _bias_towards_objects(model, head) -> None:
    """Make every query confident it sees an object: one label per query, "no object" unlikely."""
    import torch

    with torch.no_grad():
        head.weight.mul_(0.01)
        bias = torch.full_like(head.bias, -5.0)
        bias[: len(DETECTION_LABELS)] = torch.tensor([8.0, 3.0, 2.0])
        head.bias.copy_(bias)


def build_object_detection(folder: Path, timm_backbone: bool = False) -> Path:
    import torch
    from transformers import DetrForObjectDetection

    torch.manual_seed(0)
    model = DetrForObjectDetection(_detr_config(timm_backbone))
    _bias_towards_objects(model, model.class_labels_classifier)
    model.save_pretrained(folder)
    _detr_processor().save_pretrained(folder)
    return folder


def build_panoptic_segmentation(folder: Path, timm_backbone: bool = False) -> Path:
    import torch
    from transformers import DetrForSegmentation

    torch.manual_seed(0)
    model = DetrForSegmentation(_detr_config(timm_backbone))
    _bias_towards_objects(model, model.detr.class_labels_classifier)
    model.save_pretrained(folder)
    _detr_processor().save_pretrained(folder)
    return folder


def build_image_classification(folder: Path) -> Path:
    import torch
    from transformers import ViTConfig, ViTForImageClassification, ViTImageProcessor

    labels = {0: "tabby cat", 1: "remote control", 2: "sofa"}
    torch.manual_seed(0)
    config = ViTConfig(image_size=32, patch_size=8, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                       intermediate_size=32, id2label=labels, label2id={v: k for k, v in labels.items()})
    ViTForImageClassification(config).save_pretrained(folder)
    ViTImageProcessor(size={"height": 32, "width": 32}).save_pretrained(folder)
    return folder
