"""Photos as evidence: checked, their EXIF read and stripped, resized, stored.

An upload is trusted for nothing it says about itself. Its type is sniffed
from its first bytes (JPEG, PNG or WebP; never the file name or the declared
type), its size and pixel count are limited before anything is decoded, and
a truncated or corrupt file is refused. What the camera recorded as evidence
(the GPS position and the time the photo was taken) is read, the EXIF
orientation is applied, and then every byte of metadata is dropped by
re-encoding the pixels alone:

- JPEG stays JPEG (quality 85), WebP stays WebP (quality 85, lossy; the
  phones' browsers all show it), PNG stays PNG (lossless: a screenshot or a
  scan keeps its sharp edges and its transparency);
- an embedded colour profile (a phone's Display P3) is converted into sRGB
  first, so the colours survive the profile being dropped;
- the photo is at most ``MAX_SIDE`` pixels on its long side, its thumbnail
  at most ``THUMB_SIDE``, both in the photo's format.

Both are stored in the media store under the sha256 of their bytes
(``data.media_store``), so a retried upload puts the same keys again
harmlessly; then the row is written with its audit and change-feed entries.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import math
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from domain.access import VIEW, Principal
from domain.errors import InvalidInput

MAX_SIDE = 2048  # pixels on the long side of a stored photo: sharp on a desk screen
THUMB_SIDE = 320  # pixels on the long side of a thumbnail
QUALITY = 85  # JPEG and WebP
DEFAULT_MAX_PIXELS = 64_000_000  # a 50-megapixel phone camera fits; 8000 × 8000
LOCAL_TIME = ZoneInfo("Asia/Shanghai")  # what a camera's clock says when it says no offset

# Magic numbers: (format Pillow knows it by, content type).
JPEG = ("JPEG", "image/jpeg")
PNG = ("PNG", "image/png")
WEBP = ("WEBP", "image/webp")
_GPS_IFD = 0x8825
_EXIF_IFD = 0x8769
_DATE_TIME_ORIGINAL = 0x9003
_OFFSET_TIME_ORIGINAL = 0x9011
_OFFSET = re.compile(r"^([+-])(\d{2}):(\d{2})$")
_BROKEN = (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError)


@dataclass(frozen=True)
class CheckedPhoto:
    """A photo fit to store: metadata gone, resized, with what its EXIF said."""

    content_type: str  # image/jpeg, image/png or image/webp; the thumbnail's too
    data: bytes
    thumb: bytes
    width: int  # of ``data``, in pixels, orientation applied
    height: int
    sha256: str  # hex, of ``data``
    thumb_sha256: str
    exif_lon: float | None  # WGS84 as the camera's GPS gave it (not converted)
    exif_lat: float | None
    taken_at: dt.datetime | None  # aware, UTC


def _refuse(message: str, zh: str) -> InvalidInput:
    return InvalidInput(message, zh=zh)


def sniff(data: bytes) -> tuple[str, str] | None:
    """(Pillow's format, content type) of ``data`` by its magic number, or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    return None


def check_photo(
    data: bytes, *, max_bytes: int, max_pixels: int = DEFAULT_MAX_PIXELS
) -> CheckedPhoto:
    """Check an uploaded photo and make it fit to store.

    Raises InvalidInput (English, with ``zh``) for an empty file, one over
    ``max_bytes``, one that is not a JPEG, PNG or WebP by its own bytes, one
    of more than ``max_pixels`` pixels (refused from its header, before any
    pixel is decoded: a decompression bomb), and a truncated or corrupt one.
    """
    if not data:
        raise _refuse("the photo is empty", "照片文件为空")
    if len(data) > max_bytes:
        raise _refuse(
            f"the photo is {len(data):,} bytes; at most {max_bytes:,} are accepted",
            f"照片过大（{len(data) / 1e6:.1f} MB），上限为 {max_bytes / 1e6:.1f} MB",
        )
    kind = sniff(data)
    if kind is None:
        raise _refuse(
            "the file is not a JPEG, PNG or WebP image", "文件不是 JPEG、PNG 或 WebP 格式的图片"
        )
    fmt, content_type = kind
    try:
        # Reads the header only. Pillow raises DecompressionBombError above twice
        # its own limit, and warns above it (an error where warnings are errors).
        image = Image.open(io.BytesIO(data), formats=[fmt])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(max_pixels) from None
    except (UnidentifiedImageError, *_BROKEN):
        raise _corrupt() from None
    with image:
        width, height = image.size
        if width < 1 or height < 1 or width * height > max_pixels:
            raise _too_many_pixels(max_pixels)
        evidence = _evidence(image)
        if fmt == "JPEG":
            # Decode at 1/2, 1/4 or 1/8 scale where that still leaves MAX_SIDE:
            # a 50-megapixel photo then takes a quarter of the memory and time.
            image.draft("RGB", (MAX_SIDE, MAX_SIDE))
        try:
            image.load()
            upright = ImageOps.exif_transpose(image)
            shown = _srgb(upright)
        except _BROKEN:
            raise _corrupt() from None
    shown.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    thumb = shown.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
    body, small = _encode(shown, fmt), _encode(thumb, fmt)
    return CheckedPhoto(
        content_type=content_type,
        data=body,
        thumb=small,
        width=shown.width,
        height=shown.height,
        sha256=hashlib.sha256(body).hexdigest(),
        thumb_sha256=hashlib.sha256(small).hexdigest(),
        exif_lon=evidence[0],
        exif_lat=evidence[1],
        taken_at=evidence[2],
    )


def _too_many_pixels(max_pixels: int) -> InvalidInput:
    return _refuse(
        f"the photo has more than {max_pixels:,} pixels",
        f"照片像素过多（上限 {max_pixels / 1e6:.0f} 百万像素）",
    )


def _corrupt() -> InvalidInput:
    return _refuse("the image is truncated or corrupt", "图片文件不完整或已损坏")


def _srgb(image: Image.Image) -> Image.Image:
    """``image`` in a mode its format can save, its colour profile applied.

    The colours of a photo tagged with a profile (Display P3, Adobe RGB) are
    converted into sRGB, which is what a browser assumes of an untagged image.
    """
    # Palettes and single bits resize badly (nearest neighbour only), and a
    # transparent colour lives in ``info``, which is dropped: into full colour.
    if image.mode not in ("L", "LA", "RGB", "RGBA") or "transparency" in image.info:
        alpha = "A" in image.getbands() or "transparency" in image.info
        grey = image.mode in ("1", "L", "I", "I;16", "F")
        image = image.convert(("LA" if alpha else "L") if grey else ("RGBA" if alpha else "RGB"))
    profile = image.info.get("icc_profile")
    if profile and image.mode in ("RGB", "RGBA"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
            converted = ImageCms.profileToProfile(
                image, source, ImageCms.createProfile("sRGB"), outputMode=image.mode
            )
        except (ImageCms.PyCMSError, OSError, ValueError):
            converted = None  # a broken profile: keep the pixels as they are
        if converted is not None:
            image = converted
    return image


def _encode(image: Image.Image, fmt: str) -> bytes:
    """The pixels of ``image`` alone in ``fmt``: no EXIF, XMP, comment or profile."""
    image.info = {}  # carries EXIF, comments, the profile… into the saved file otherwise
    out = io.BytesIO()
    if fmt == "JPEG":
        if image.mode not in ("L", "RGB"):
            image = image.convert("RGB")
        image.save(out, "JPEG", quality=QUALITY, optimize=True)
    elif fmt == "WEBP":
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA" if image.has_transparency_data else "RGB")
        image.save(out, "WEBP", quality=QUALITY, method=4)
    else:
        image.save(out, "PNG", optimize=False, compress_level=6)
    return out.getvalue()


def _evidence(image: Image.Image) -> tuple[float | None, float | None, dt.datetime | None]:
    """(lon, lat, taken at) as the photo's EXIF gives them; None where it does not
    or where what it says cannot be a position or a time."""
    try:
        exif = image.getexif()
        gps = exif.get_ifd(_GPS_IFD)
        details = exif.get_ifd(_EXIF_IFD)
    except _BROKEN:
        return None, None, None
    lat = _degrees(gps.get(2), gps.get(1), "N", "S", 90.0)
    lon = _degrees(gps.get(4), gps.get(3), "E", "W", 180.0)
    if lat is None or lon is None:
        lat = lon = None
    return lon, lat, _taken_at(details.get(_DATE_TIME_ORIGINAL), details.get(_OFFSET_TIME_ORIGINAL))


def _text(value) -> str:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    return str(value).strip("\x00 ") if value is not None else ""


def _degrees(value, ref, plus: str, minus: str, limit: float) -> float | None:
    """Degrees, minutes, seconds and a hemisphere letter as signed decimal degrees."""
    try:
        parts = [float(part) for part in value]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not 1 <= len(parts) <= 3:
        return None
    parts += [0.0] * (3 - len(parts))
    sign = {plus: 1.0, minus: -1.0}.get(_text(ref).upper()[:1])
    if sign is None or not all(math.isfinite(p) and p >= 0 for p in parts):
        return None
    degrees = sign * (parts[0] + parts[1] / 60 + parts[2] / 3600)
    return round(degrees, 7) if abs(degrees) <= limit else None


def _taken_at(value, offset) -> dt.datetime | None:
    """EXIF's "YYYY:MM:DD HH:MM:SS" as an aware UTC time.

    A camera's clock is local: with OffsetTimeOriginal ("+08:00") it says
    which; without it, the city's time (Asia/Shanghai) is assumed.
    """
    try:
        local = dt.datetime.strptime(_text(value)[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    zone: dt.tzinfo = LOCAL_TIME
    found = _OFFSET.match(_text(offset))
    if found:
        sign = 1 if found[1] == "+" else -1
        minutes = int(found[2]) * 60 + int(found[3])
        if minutes <= 14 * 60:
            zone = dt.timezone(sign * dt.timedelta(minutes=minutes))
    return local.replace(tzinfo=zone).astimezone(dt.UTC)


def photo_links(store, incident_ids) -> dict[int, list[dict]]:
    """{incident id: its photos as [{id, url, thumb_url}], oldest first} for
    those of ``incident_ids`` that have any."""
    links: dict[int, list[dict]] = {}
    frame = store.photos_of(incident_ids)
    for incident_id, photo_id in zip(frame["incident_id"], frame["id"], strict=True):
        links.setdefault(int(incident_id), []).append(
            {
                "id": int(photo_id),
                "url": f"/media/photos/{int(photo_id)}",
                "thumb_url": f"/media/photos/{int(photo_id)}/thumb",
            }
        )
    return links


def photo_answer(photo_id: int, checked: CheckedPhoto) -> dict:
    """A stored photo as the API answers it."""
    return {
        "id": photo_id,
        "url": f"/media/photos/{photo_id}",
        "thumb_url": f"/media/photos/{photo_id}/thumb",
        "exif_lon": checked.exif_lon,
        "exif_lat": checked.exif_lat,
        "width": checked.width,
        "height": checked.height,
    }


def save_photo(
    store,
    media,
    incident_id: int,
    data: bytes,
    *,
    actor: str,
    max_bytes: int,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> dict:
    """Check ``data``, put it and its thumbnail into ``media``, then write its
    row, audit and change-feed entries in one transaction.

    The bytes go first, so that a row never names bytes that are missing; a
    failure between leaves content-addressed bytes nobody names, which a
    retry puts again under the same keys. Returns the photo as the API
    answers it ({id, url, thumb_url, exif_lon, exif_lat, width, height}).
    Raises InvalidInput for a bad photo (nothing stored) and NotFound for an
    unknown incident.
    """
    checked = check_photo(data, max_bytes=max_bytes, max_pixels=max_pixels)
    media.put(checked.sha256, checked.data, checked.content_type)
    media.put(checked.thumb_sha256, checked.thumb, checked.content_type)
    photo_id = store.add_photo(
        incident_id,
        {
            "sha256": checked.sha256,
            "thumb_sha256": checked.thumb_sha256,
            "content_type": checked.content_type,
            "bytes": len(checked.data),
            "width": checked.width,
            "height": checked.height,
            "exif_lon": checked.exif_lon,
            "exif_lat": checked.exif_lat,
            "taken_at": checked.taken_at,
        },
        actor=actor,
    )
    return photo_answer(photo_id, checked)


def may_see_photo(store, principal: Principal, photo: dict) -> bool:
    """Whether ``principal`` may see ``photo`` (a row of ``Store.photo``, with
    its incident's ``town_code``): whoever may see its incident.

    A person or key that may view, and is bound to no town or to the
    incident's; a cadre on their phone only if they have or had an
    assignment on the incident. Nobody else, not even to learn it exists.
    """
    if principal.kind == "cadre":
        return principal.id is not None and store.was_sent_to(principal.id, photo["incident_id"])
    if not principal.can(VIEW):
        return False
    return principal.town is None or principal.town == photo.get("town_code")
