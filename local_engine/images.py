"""Image inputs: only ``data:`` URLs are accepted, because the engine works offline and fetches nothing.
Decoding checks the bytes really are an image before OCR spends time on them."""

from __future__ import annotations

import base64
import binascii
import io
import re
import urllib.parse

from PIL import Image, UnidentifiedImageError

from local_engine.errors import EngineError, bad_request

MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 40_000_000
_DATA_URL = re.compile(r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?P<params>(;[^;,]*)*?),(?P<data>.*)$", re.DOTALL)


def check_url(url: str, where: str) -> None:
    """A 400 for anything but a ``data:`` URL, saying what to do instead."""
    if url.startswith("data:"):
        return
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    short = url if len(url) <= 120 else url[:117] + "..."
    if scheme in ("http", "https"):
        raise bad_request(f"The local engine works offline and cannot download {short}. Upload the image instead: "
                          "send its bytes as a data: URL (data:image/png;base64,...).", where)
    raise bad_request(f"`{where}` must be a data: URL (data:image/png;base64,...); got {short!r}. The local engine "
                      "reads no files or remote URLs.", where)


def decode(url: str, where: str) -> bytes:
    """The image bytes of a ``data:`` URL, verified to be a readable image."""
    check_url(url, where)
    m = _DATA_URL.match(url)
    if m is None:
        raise bad_request(f"`{where}` is not a well-formed data: URL; expected data:image/<type>;base64,<data>.", where)
    mime = (m.group("mime") or "").lower()
    if mime and not mime.startswith("image/"):
        raise bad_request(f"`{where}` has media type {mime!r}; the engine reads images only.", where)
    payload = m.group("data")
    if ";base64" in m.group("params").lower():
        if len(payload) * 3 // 4 > MAX_IMAGE_BYTES:
            raise EngineError(413, f"The image in `{where}` is larger than {MAX_IMAGE_BYTES // 2**20} MB.", where)
        try:
            data = base64.b64decode(payload.strip(), validate=False)
        except (binascii.Error, ValueError):
            raise bad_request(f"The base64 data in `{where}` does not decode.", where) from None
    else:
        data = urllib.parse.unquote_to_bytes(payload)
    if not data:
        raise bad_request(f"The data: URL in `{where}` holds no bytes.", where)
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > MAX_PIXELS:
                raise EngineError(413, f"The image in `{where}` has {img.width}x{img.height} pixels; the limit is "
                                  f"{MAX_PIXELS // 1_000_000} million.", where)
            img.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise bad_request(f"The data in `{where}` is not an image the engine can read (PNG, JPEG, WebP, GIF, "
                          "BMP, TIFF).", where) from None
    return data


def refuse_video_url(url: str, where: str) -> None:
    """A video file URL is fetched and sampled by the service; offline, the engine has neither."""
    short = url if len(url) <= 120 else url[:117] + "..."
    if url.startswith("data:"):
        raise bad_request(f"`{where}` is a whole video file in a data: URL; the local engine does not decode video "
                          "files. Send the video as a list of frames instead ({\"type\": \"video\", \"video\": "
                          "[\"data:image/jpeg;base64,...\", ...]}, or {\"video\": [...], \"fps\": 2} natively): the "
                          "playground does this when you upload the clip.", where)
    raise bad_request(f"The local engine works offline and cannot download the video {short}. Upload the clip "
                      "instead (the playground samples it into frames), or send its frames as a list of data: URLs.",
                      where)
