"""Decode PNG and JPEG bytes from avatar files into :class:`~renderers.avatar.Texture` pixels.

Images inside avatar files are untrusted: the format is sniffed from the first bytes (only PNG
and JPEG are decoded), and the size the image header declares is checked against
:data:`MAX_TEXTURE_SIDE` and :data:`MAX_TEXTURE_BYTES` *before* any pixel is decoded, so a
small file cannot expand into gigabytes (a decompression bomb). Every failure is an
:class:`~renderers.errors.AvatarError` naming the image and saying what to do.
"""

from __future__ import annotations

import io
import struct
import warnings

import numpy as np
from PIL import Image

from renderers.avatar import Texture
from renderers.errors import AvatarError

__all__ = [
    "MAX_ENCODED_BYTES",
    "MAX_TEXTURE_BYTES",
    "MAX_TEXTURE_SIDE",
    "decode_texture",
    "image_format",
]

MAX_TEXTURE_SIDE = 8192
"""Widest and tallest texture accepted, in pixels."""

MAX_TEXTURE_BYTES = 64 * 1024 * 1024
"""Largest decoded texture accepted (RGBA, 4 bytes a pixel): 4096 x 4096."""

MAX_ENCODED_BYTES = 128 * 1024 * 1024
"""Largest encoded image file accepted."""

_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "PNG"),
    (b"\xff\xd8\xff", 0, "JPEG"),
    (b"WEBP", 8, "WebP"),
    (b"\xabKTX 20\xbb", 0, "KTX2"),
    (b"\xabKTX 11\xbb", 0, "KTX"),
    (b"DDS ", 0, "DDS"),
    (b"GIF8", 0, "GIF"),
    (b"BM", 0, "BMP"),
    (b"\x00\x00\x00\x0cjP  ", 0, "JPEG 2000"),
    (b"II*\x00", 0, "TIFF"),
    (b"MM\x00*", 0, "TIFF"),
    (b"ftypavif", 4, "AVIF"),
)
_DECODABLE = ("PNG", "JPEG")


def image_format(data: bytes) -> str | None:
    """Name of the image format ``data`` starts with, or ``None`` when it is not recognised.

    Examples
    --------
    >>> image_format(b"\\x89PNG\\r\\n\\x1a\\n...")
    'PNG'
    >>> image_format(b"RIFF\\x00\\x00\\x00\\x00WEBPVP8 ")
    'WebP'
    >>> image_format(b"hello") is None
    True
    """
    head = bytes(data[:16])
    for magic, offset, name in _SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            return name
    return None


def _error(name: str, what: str, todo: str) -> AvatarError:
    return AvatarError(f"texture {name!r}: {what}; {todo}")


def decode_texture(data: bytes, *, name: str, srgb: bool = True) -> Texture:
    """Decode a PNG or JPEG image into an RGBA :class:`~renderers.avatar.Texture`.

    Parameters
    ----------
    data
        The encoded image file's bytes.
    name
        Where the image came from (file or image name), used in error messages and kept as
        :attr:`Texture.name`.
    srgb
        Whether the pixels are sRGB colour (base colour maps) rather than linear data
        (normal maps).

    Returns
    -------
    Texture
        ``(H, W, 4)`` uint8 RGBA pixels, row 0 at the top of the image; grey images are
        expanded to RGB, images without alpha get alpha 255, 16-bit images are reduced to
        8 bits.

    Raises
    ------
    AvatarError
        The bytes are not PNG or JPEG, the declared size is over :data:`MAX_TEXTURE_SIDE` or
        :data:`MAX_TEXTURE_BYTES`, or the image is corrupt or truncated.

    Examples
    --------
    >>> import io
    >>> from PIL import Image
    >>> out = io.BytesIO()
    >>> Image.new("RGB", (3, 2), (255, 0, 0)).save(out, format="PNG")
    >>> tex = decode_texture(out.getvalue(), name="red.png", srgb=True)
    >>> tex.size, tex.pixels[0, 0].tolist()
    ((3, 2), [255, 0, 0, 255])
    """
    size = len(data)
    if size == 0:
        raise _error(name, "the image is empty", "re-export the avatar with its textures")
    if size > MAX_ENCODED_BYTES:
        raise _error(name, f"the image file is {size / 2**20:.0f} MB (limit "
                     f"{MAX_ENCODED_BYTES // 2**20} MB)", "resize the texture")
    kind = image_format(data)
    if kind not in _DECODABLE:
        found = f"a {kind} image" if kind else "not an image this studio can read"
        raise _error(name, f"{found}, not PNG or JPEG",
                     "convert the texture to PNG or JPEG and re-export the avatar")
    declared = _declared_size(data, kind)
    if declared is not None:
        _check_size(name, *declared)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[kind])
            width, height = image.size
            _check_size(name, width, height)
            image.load()
            pixels = _rgba(image)
    except AvatarError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _error(name, "the image declares more pixels than allowed",
                     "resize the texture") from None
    except MemoryError:
        raise _error(name, "not enough memory to decode the image",
                     "resize the texture") from None
    except Exception as exc:  # Pillow raises assorted errors on corrupt data
        raise _error(name, f"the {kind} image is corrupt or truncated ({type(exc).__name__})",
                     "re-export the texture and the avatar") from None
    if pixels.shape[:2] != (height, width):
        raise _error(name, "the decoded image does not match its declared size",
                     "re-export the texture and the avatar")
    pixels.setflags(write=False)
    return Texture(pixels=pixels, name=name, srgb=srgb)


_JPEG_FRAMES = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE,
                          0xCF})


def _declared_size(data: bytes, kind: str) -> tuple[int, int] | None:
    """``(width, height)`` from a PNG's IHDR or a JPEG's frame header (``None``: not found).

    Examples
    --------
    >>> head = b"\\x89PNG\\r\\n\\x1a\\n" + bytes(4) + b"IHDR"
    >>> _declared_size(head + bytes([0, 0, 1, 0, 0, 0, 0, 2]), "PNG")
    (256, 2)
    """
    if kind == "PNG":
        if len(data) < 24 or data[12:16] != b"IHDR":
            return None
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    pos, end = 2, len(data)
    while pos + 4 <= end:
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if marker in _JPEG_FRAMES and pos + 9 <= end:
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return int(width), int(height)
        if marker == 0xDA or length < 2:  # start of scan: no frame header before it
            return None
        pos += 2 + length
    return None


def _check_size(name: str, width: int, height: int) -> None:
    if width <= 0 or height <= 0:
        raise _error(name, f"the image has an invalid size {width}x{height}",
                     "re-export the texture")
    if width > MAX_TEXTURE_SIDE or height > MAX_TEXTURE_SIDE:
        raise _error(name, f"the image is {width}x{height} pixels (limit "
                     f"{MAX_TEXTURE_SIDE} on a side)", "resize the texture")
    if width * height * 4 > MAX_TEXTURE_BYTES:
        raise _error(name, f"the image is {width}x{height} pixels, over "
                     f"{MAX_TEXTURE_BYTES // 2**20} MiB decoded", "resize the texture")


def _rgba(image: Image.Image) -> np.ndarray:
    """``(H, W, 4)`` uint8 pixels of a loaded Pillow image in any mode."""
    if image.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        wide = np.asarray(image, dtype=np.float64)
        scale = 257.0 if image.mode != "I" or wide.max(initial=0) > 255 else 1.0
        grey = np.clip(np.round(wide / scale), 0, 255).astype(np.uint8)
        image = Image.fromarray(grey)
    elif image.mode == "F":
        grey = np.clip(np.round(np.asarray(image, dtype=np.float64) * 255.0), 0, 255)
        image = Image.fromarray(grey.astype(np.uint8))
    if image.mode != "RGBA":
        image = image.convert("RGBA")
    return np.ascontiguousarray(np.asarray(image, dtype=np.uint8))
