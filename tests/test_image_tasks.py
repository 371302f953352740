"""Image tasks of MLOperation on tiny vision models: the seed's ``{"url": ...}`` bodies, drawn PNGs,
JSON-safe results, and local paths confined to the allowed folders."""

from __future__ import annotations

import base64
import io
import json
import struct
import threading
import zlib
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image, ImageChops

import bo
from mlcore.images import ImageNotAllowed, ImageSourceError, ImageTooLargeError
from support.checkout import ROOT
from support.components import call, started

SAMPLE = ROOT / "misc" / "000000039769.jpg"
SEED_PATH = "/irisdev/app/misc/000000039769.jpg"  # the seed's body, mapped onto this checkout


def _op(root, name, task, *extra):
    return started(bo.MLOperation, "\n".join([f"name={name}", f"path={root}", f"task={task}", *extra]))


def _png(response) -> Image.Image:
    data = base64.b64decode(response.image_png_base64, validate=True)
    assert data.startswith(b"\x89PNG")
    return Image.open(io.BytesIO(data)).convert("RGB")


def _changed_inside(drawn: Image.Image, original: Image.Image, box: dict) -> bool:
    region = (box["xmin"], box["ymin"], box["xmax"] + 1, box["ymax"] + 1)
    return ImageChops.difference(drawn, original).crop(region).getbbox() is not None


@pytest.fixture(scope="module")
def sample() -> Image.Image:
    return Image.open(SAMPLE).convert("RGB")


def test_object_detection_draws_labelled_boxes(vision_model_root, sample):
    op = _op(vision_model_root, "tiny-detr", "object-detection")
    response = call(op, "msg.MLRequest", {"url": SEED_PATH})
    json.dumps(response.output)
    assert response.output, "the biased tiny DETR finds objects"
    for item in response.output:
        assert item["label"] in {"cat", "remote", "couch"} and 0 <= item["score"] <= 1
        assert set(item["box"]) == {"xmin", "ymin", "xmax", "ymax"}
    drawn = _png(response)
    assert drawn.size == sample.size
    assert _changed_inside(drawn, sample, response.output[0]["box"])


def test_panoptic_segmentation_composites_masks_and_summarises_them(vision_model_root, sample):
    op = _op(vision_model_root, "tiny-detr-panoptic", "image-segmentation")
    response = call(op, "msg.MLRequest", {"url": "misc/000000039769.jpg"})
    text = json.dumps(response.output)
    assert len(text) < 5000, "masks are summarised, not dumped"
    assert response.output
    segment = response.output[0]
    assert segment["label"] == "cat" and segment["mask"]["size"] == list(sample.size)
    assert segment["mask"]["area"] > 0 and segment["mask"]["box"]
    drawn = _png(response)
    assert drawn.size == sample.size
    assert _changed_inside(drawn, sample, segment["mask"]["box"])


def test_image_classification_returns_labels(vision_model_root):
    op = _op(vision_model_root, "tiny-vit", "image-classification", "top_k=2")
    response = call(op, "msg.MLRequest", {"url": SEED_PATH})
    assert [set(entry) for entry in response.output] == [{"label", "score"}] * 2
    assert response.image_png_base64 is None


def test_an_http_url_is_downloaded(vision_model_root, sample):
    handler = partial(SimpleHTTPRequestHandler, directory=str(SAMPLE.parent))
    handler.log_message = lambda *args: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        op = _op(vision_model_root, "tiny-detr", "object-detection", "threshold=0.2")
        url = f"http://127.0.0.1:{server.server_address[1]}/{SAMPLE.name}"
        assert _png(call(op, "msg.MLRequest", {"url": url})).size == sample.size
        with pytest.raises(ImageSourceError, match="HTTP 404"):
            call(op, "msg.MLRequest", {"url": url + ".missing"})
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("url", ["/etc/passwd", "misc/../src/python/bo.py", "file:///etc/hostname"])
def test_paths_outside_the_allowed_folders_are_refused_by_name(vision_model_root, url):
    op = _op(vision_model_root, "tiny-detr", "object-detection")
    with pytest.raises(ImageNotAllowed, match="outside the allowed folders") as caught:
        call(op, "msg.MLRequest", {"url": url})
    assert url.removeprefix("file://") in str(caught.value)
    with pytest.raises(ImageNotAllowed):  # the same check when the image comes as "inputs"
        call(op, "msg.MLRequest", {"inputs": url.removeprefix("file://")})


def test_allowed_image_dirs_setting_adds_folders(vision_model_root, sample, tmp_path):
    picture = tmp_path / "pictures" / "scene.png"
    picture.parent.mkdir()
    sample.resize((120, 90)).save(picture)
    op = _op(vision_model_root, "tiny-detr", "object-detection", f"allowed_image_dirs={picture.parent}")
    assert _png(call(op, "msg.MLRequest", {"url": str(picture)})).size == (120, 90)
    refused = _op(vision_model_root, "tiny-detr", "object-detection")
    with pytest.raises(ImageNotAllowed, match="scene.png"):
        call(refused, "msg.MLRequest", {"url": str(picture)})


def test_not_an_image_and_no_image_are_clear_errors(vision_model_root, tmp_path):
    (tmp_path / "notes.txt").write_text("not an image")
    op = _op(vision_model_root, "tiny-detr", "object-detection", f"allowed_image_dirs={tmp_path}")
    with pytest.raises(ImageSourceError, match="not an image"):
        call(op, "msg.MLRequest", {"url": str(tmp_path / "notes.txt")})
    with pytest.raises(ImageSourceError, match="needs an image"):
        call(op, "msg.MLRequest", {"threshold": 0.5})


def _png_declaring(width: int, height: int) -> bytes:
    """A small PNG file whose header declares ``width`` x ``height`` pixels (a decompression bomb's shape)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 4096)) + chunk(
        b"IEND", b"")


def test_image_bytes_and_pixels_are_limited_before_reading_or_decoding(vision_model_root, sample, tmp_path):
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(_png_declaring(12000, 12000))
    huge = tmp_path / "huge.jpg"
    with open(huge, "wb") as file:  # 1 GB, sparse: only its size is real
        file.truncate(1 << 30)
    op = _op(vision_model_root, "tiny-detr", "object-detection", f"allowed_image_dirs={tmp_path}")
    with pytest.raises(ImageTooLargeError, match=r"is 12000x12000 pixels; at most 40000000 pixels "
                                                 r"\(the max_image_pixels setting\)"):
        call(op, "msg.MLRequest", {"url": str(bomb)})
    with pytest.raises(ImageTooLargeError, match=r"has 1073741824 bytes; at most 52428800 \(the max_image_bytes"):
        call(op, "msg.MLRequest", {"url": str(huge)})
    small = _op(vision_model_root, "tiny-detr", "object-detection", "max_image_pixels=1000")
    with pytest.raises(ImageTooLargeError, match="at most 1000 pixels"):
        call(small, "msg.MLRequest", {"url": SEED_PATH})
    with pytest.raises(ValueError, match=r"top_k must be a whole number from 1 to 16 \(the max_return_sequences"):
        call(op, "msg.MLRequest", {"url": SEED_PATH, "top_k": 1e6})


def test_on_iris_an_image_response_travels_as_the_visual_trace_class(monkeypatch):
    import sys
    import types

    from iris_trace import IRIS_IMAGE_CLASS, for_visual_trace
    from msg import MLResponse

    made = []

    class FakeIrisMessage:
        buffer = 1_000_000

    def cls(name):
        made.append(name)
        return types.SimpleNamespace(_New=FakeIrisMessage)

    monkeypatch.setitem(sys.modules, "iris", types.SimpleNamespace(cls=cls))
    response = MLResponse(output=[{"label": "cat"}], model="m", task="object-detection", image_png_base64="iVBORw0K")
    component = types.SimpleNamespace(iris_handle=object(), log_warning=print)
    message = for_visual_trace(component, response)
    assert made == [IRIS_IMAGE_CLASS] and message.classname == "msg.MLResponse"
    assert json.loads(message.json)["image_png_base64"] == "iVBORw0K"
    outside_iris = types.SimpleNamespace(iris_handle=None)
    assert for_visual_trace(outside_iris, response) is response
