"""Accept or reject an image before it goes into a request, with a message that names the problem.

The browser's file filter only looks at the extension, so a renamed text file or a truncated PNG
would reach the model as garbage. Pillow decodes the bytes here: the MIME type sent is the one the
decoder found, never the one the browser claimed.
"""

from __future__ import annotations

import io
import re
import warnings

from PIL import Image, UnidentifiedImageError

from structured_output.request import MAX_IMAGE_BYTES, ImageInput

ACCEPTED_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
UPLOAD_EXTENSIONS = ("png", "jpg", "jpeg", "webp")
MAX_PIXELS = 40_000_000  # well past any photo or scan; beyond it decoding alone would stall the app


class ImageRejected(ValueError):
    """An image the playground will not send; ``str(e)`` is the message for the user."""


def size_text(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


def limit_text() -> str:
    return f"{MAX_IMAGE_BYTES // (1024 * 1024)} MB"


def read_upload(data: bytes, name: str) -> ImageInput:
    """Decode ``data`` fully and return it as an ``ImageInput`` with its real MIME type."""
    label = name or "The file"
    if not data:
        raise ImageRejected(f"{label} is empty (0 bytes).")
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageRejected(f"{label} is {size_text(len(data))}; the limit is {limit_text()} per image. "
                            "Resize or compress it, or give its URL instead.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                fmt = img.format or ""
                width, height = img.size
                if width * height > MAX_PIXELS:
                    raise ImageRejected(f"{label} is {width}×{height} pixels; images above "
                                        f"{MAX_PIXELS // 1_000_000} megapixels are refused. Resize it.")
                img.load()  # a full decode: verify() alone misses truncated image data
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected(f"{label} declares too many pixels to decode safely. Resize it.") from None
    except UnidentifiedImageError:
        raise ImageRejected(f"{label} is not an image Pillow can read: the file is damaged or not a "
                            "PNG, JPEG or WebP picture at all.") from None
    except (OSError, SyntaxError, ValueError) as e:
        raise ImageRejected(f"{label} is damaged and cannot be decoded ({e}).") from None
    if fmt not in ACCEPTED_FORMATS:
        raise ImageRejected(f"{label} is a {fmt or 'unknown'} image; only PNG, JPEG and WebP are accepted. "
                            "Convert it and upload it again.")
    return ImageInput(mime=ACCEPTED_FORMATS[fmt], data=data, name=name)


_URL = re.compile(r"^https?://[^\s/]+\.[^\s/]+(/\S*)?$|^https?://(localhost|\d{1,3}(\.\d{1,3}){3})(:\d+)?(/\S*)?$")


def read_url(url: str) -> ImageInput:
    """An image given by URL; the server fetches it, so only its shape can be checked here."""
    url = url.strip()
    if not url:
        raise ImageRejected("The image URL is empty.")
    if url.startswith("data:"):
        if not re.match(r"^data:image/(png|jpeg|webp);base64,", url):
            raise ImageRejected("A data: URL must be a base64 PNG, JPEG or WebP image (data:image/png;base64,…).")
        return ImageInput(url=url, name="data URL")
    if not _URL.match(url):
        raise ImageRejected(f"{url[:80]!r} is not a full http(s) URL; give one such as "
                            "https://example.com/receipt.jpg, or upload the file.")
    return ImageInput(url=url, name=url.rsplit("/", 1)[-1][:60] or url)
