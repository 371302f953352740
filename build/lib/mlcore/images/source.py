"""Load the image a request names: an http(s) URL, or a local file inside the allowed folders."""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

REPO_ROOT = Path(__file__).resolve().parents[3]
#: Folder of sample images allowed by default (``misc/`` of the repository).
DEFAULT_IMAGE_DIR = REPO_ROOT / "misc"
#: Where the repository lives in the seed's IRIS container; its paths are mapped onto this checkout.
SEED_APP_ROOT = "/irisdev/app"


class ImageSourceError(ValueError):
    """The image could not be read: unreachable URL, HTTP error, missing file or not an image."""


class ImageNotAllowed(ImageSourceError, PermissionError):
    """A local path outside the allowed folders (``misc/`` and the ``allowed_image_dirs`` setting)."""


class ImageTooLargeError(ImageSourceError):
    """An image file or download above the byte limit, or an image above the pixel limit."""


@dataclass(frozen=True)
class ImageLimits:
    """The MLOperation's ``max_image_bytes`` and ``max_image_pixels``: a 140 KB PNG can declare
    12000x12000 pixels and take gigabytes once decoded, so the size is checked before decoding."""

    max_bytes: int = 50 << 20
    max_pixels: int = 40_000_000


def parse_image_dirs(setting: str | None) -> list[Path]:
    """The allowed folders: ``misc/`` of the repository plus those of a setting separated by ``,`` or ``;``.

    Args:
        setting: the ``allowed_image_dirs`` setting's text (may be empty).

    Returns:
        Absolute folders, the default one first.
    """
    extra = [part.strip() for part in (setting or "").replace(";", ",").split(",") if part.strip()]
    return [DEFAULT_IMAGE_DIR, *(Path(p).expanduser() for p in extra)]


def take_image_source(arguments: dict[str, Any], task: str) -> str:
    """Remove and return the request's image: ``url``, else a string ``inputs`` or ``images``.

    Our loader, not ``transformers``, reads the image, so a local path is checked against the
    allowed folders (handing a path to ``transformers`` would let a request read any file); the
    remaining arguments go to the pipeline.

    Raises:
        ImageSourceError: no string among those fields (the message names them).
    """
    source = arguments.pop("url", None)
    for key in ("inputs", "images"):
        if source is None and isinstance(arguments.get(key), str):
            source = arguments.pop(key)
    if not isinstance(source, str):
        raise ImageSourceError(f"the {task!r} task needs an image: give \"url\" "
                               "(an http(s) URL or a path under misc/ or the allowed_image_dirs folders)")
    return source


def load_image(url: str, allowed_dirs: Sequence[Path] | None = None, timeout: float = 30.0,
               limits: ImageLimits | None = None):
    """Open the image at ``url`` as an RGB ``PIL.Image``.

    Args:
        url: ``http(s)://...``, ``file://...``, or a path; a relative path is taken from the
            repository root and the seed's ``/irisdev/app/...`` paths map onto this checkout.
        allowed_dirs: folders local paths must be inside (default: ``misc/`` of the repository).
        timeout: seconds to wait for a remote server.
        limits: bytes of the file or download and pixels of the image (default :class:`ImageLimits`).

    Returns:
        The decoded image, EXIF orientation applied.

    Raises:
        ImageNotAllowed: a local path outside ``allowed_dirs`` (the message names the path).
        ImageTooLargeError: more bytes or pixels than ``limits`` allow (nothing more is read or decoded).
        ImageSourceError: the URL or file cannot be read, or is not an image.
    """
    text = (url or "").strip()
    if not text:
        raise ImageSourceError("the request's url is empty: give an http(s) URL or a path under misc/")
    limits = limits or ImageLimits()
    scheme = urlsplit(text).scheme.lower()
    if scheme in ("http", "https"):
        return _decode(_fetch(text, timeout, limits.max_bytes), text, limits.max_pixels)
    if scheme == "file":
        text = unquote(urlsplit(text).path)
    elif scheme and len(scheme) > 1:  # "c:" is a Windows drive, not a scheme
        raise ImageSourceError(f"unsupported URL scheme {scheme!r} in {text!r}: use http(s) or a local path")
    path = resolve_local_path(text, allowed_dirs if allowed_dirs is not None else [DEFAULT_IMAGE_DIR])
    try:
        size = path.stat().st_size
        if size > limits.max_bytes:
            raise ImageTooLargeError(f"image file {path} has {size} bytes; at most {limits.max_bytes} "
                                     f"(the max_image_bytes setting)")
        data = path.read_bytes()
    except OSError as exc:
        raise ImageSourceError(f"cannot read image file {path}: {exc.strerror or exc}") from exc
    return _decode(data, str(path), limits.max_pixels)


def resolve_local_path(text: str, allowed_dirs: Iterable[Path]) -> Path:
    """The real path of ``text`` (symbolic links followed), checked to be inside an allowed folder.

    Raises:
        ImageNotAllowed: outside every allowed folder.
        ImageSourceError: no such file.
    """
    raw = Path(text).expanduser()
    if text.startswith(SEED_APP_ROOT + "/") and not raw.exists():
        raw = REPO_ROOT / text[len(SEED_APP_ROOT) + 1:]
    elif not raw.is_absolute():
        raw = REPO_ROOT / raw
    path = raw.resolve()
    allowed = [Path(d).expanduser().resolve() for d in allowed_dirs]
    if not any(path.is_relative_to(folder) for folder in allowed):
        raise ImageNotAllowed(f"image path {text!r} is outside the allowed folders "
                              f"({', '.join(str(d) for d in allowed)}); add its folder to the "
                              "allowed_image_dirs setting to allow it")
    if not path.is_file():
        raise ImageSourceError(f"no image file at {path}")
    return path


def _fetch(url: str, timeout: float, max_bytes: int) -> bytes:
    import requests

    try:
        with requests.get(url, timeout=timeout, stream=True, headers={"User-Agent": "sustainable-ml/0.1"}) as response:
            if response.status_code >= 400:
                raise ImageSourceError(f"HTTP {response.status_code} {response.reason} from {url}")
            data = bytearray()
            for chunk in response.iter_content(chunk_size=1 << 16):
                data.extend(chunk)
                if len(data) > max_bytes:
                    raise ImageTooLargeError(f"{url} is larger than {max_bytes} bytes (the max_image_bytes setting)")
            return bytes(data)
    except requests.Timeout as exc:
        raise ImageSourceError(f"no answer from {url} within {timeout:g} s") from exc
    except requests.RequestException as exc:
        raise ImageSourceError(f"could not download {url}: {exc}") from exc


def _decode(data: bytes, where: str, max_pixels: int):
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with warnings.catch_warnings():  # PIL's own bomb warning: the size is checked right below
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))  # reads the header only
        width, height = image.size
        if width * height > max_pixels:
            raise ImageTooLargeError(f"{where} is {width}x{height} pixels; at most {max_pixels} pixels "
                                     f"(the max_image_pixels setting)")
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise ImageSourceError(f"{where} is not an image PIL can read: {exc}") from exc
    return ImageOps.exif_transpose(image).convert("RGB")
