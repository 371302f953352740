"""On IRIS, carry a response holding a drawn image in ``Python.ImageResponse`` (src/iris/Python/
ImageResponse.cls), an ``IOP.Message`` subclass whose ``%ShowContents`` shows the picture in the
Visual Trace. The body is IoP's own JSON, so any IoP caller still receives the Python message."""

from __future__ import annotations

import json
from typing import Any

IRIS_IMAGE_CLASS = "Python.ImageResponse"


def for_visual_trace(component: Any, response: Any) -> Any:
    """``response`` as a ``Python.ImageResponse`` when running inside IRIS; as it is otherwise.

    Outside IRIS (the local host, tests) a component has no ``iris_handle`` and nothing changes.
    Inside IRIS, should the class not be compiled, the plain response is returned too.
    """
    if getattr(component, "iris_handle", None) is None or not getattr(response, "image_png_base64", None):
        return response
    try:
        from iop.messages.serialization import dataclass_to_dict
        from iop.migration.utils import string_to_stream

        import iris

        message = iris.cls(IRIS_IMAGE_CLASS)._New()
        message.classname = f"{type(response).__module__}.{type(response).__name__}"
        body = json.dumps(dataclass_to_dict(response))
        message.json = string_to_stream(body, message.buffer) if len(body) > message.buffer else body
        return message
    except Exception as exc:  # the class is not compiled: the trace shows JSON only
        component.log_warning(f"{IRIS_IMAGE_CLASS} unavailable ({exc}); the trace shows the image as base64")
        return response
