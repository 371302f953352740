"""The portal's own CSS and JavaScript, served from the package (no CDN, no build step)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

from ..context import PACKAGE_DIR

router = APIRouter()
STATIC_DIR = PACKAGE_DIR / "static"
MEDIA_TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}


@router.get("/portal/static/{name}", include_in_schema=False)
def static_file(name: str) -> FileResponse:
    path = STATIC_DIR / name
    if "/" in name or name.startswith(".") or path.suffix not in MEDIA_TYPES or not path.is_file():
        raise HTTPException(status_code=404, detail="no such file")
    return FileResponse(path, media_type=MEDIA_TYPES[path.suffix], headers={"Cache-Control": "no-cache"})


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> FileResponse:
    """Browsers ask for it at the root whatever a page links; the portal's icon is an SVG."""
    return FileResponse(STATIC_DIR / "favicon.svg", media_type=MEDIA_TYPES[".svg"])
