"""Photos as evidence (services/photos.py): real images made with Pillow here,
checked, their EXIF read and then gone, turned upright and resized; bad
uploads refused with a clear message in English and Chinese."""

from __future__ import annotations

import datetime as dt
import io
import struct
import time
import zlib

import pytest
from PIL import Image, ImageCms

from domain.errors import InvalidInput
from services.photos import MAX_SIDE, THUMB_SIDE, check_photo, sniff

MB = 1_000_000
JIAOZHOU = (120.0, 36.25)  # lon, lat: a field west of the city
ORIENTATION, GPS_IFD, EXIF_IFD = 0x0112, 0x8825, 0x8769


def camera_exif(
    lon: float = JIAOZHOU[0],
    lat: float = JIAOZHOU[1],
    taken: str | None = "2026:06:12 09:30:00",
    orientation: int | None = None,
    offset: str | None = None,
) -> Image.Exif:
    """EXIF as a phone's camera writes it: GPS in degrees, minutes, seconds
    with hemisphere letters, the local time it was taken, the orientation."""
    exif = Image.Exif()
    exif[0x010F] = "HUAWEI"  # the maker: one more thing that must go
    if orientation is not None:
        exif[ORIENTATION] = orientation
    gps = exif.get_ifd(GPS_IFD)

    def dms(value: float) -> tuple[float, float, float]:
        value = abs(value)
        degrees = int(value)
        minutes = int((value - degrees) * 60)
        return float(degrees), float(minutes), round((value - degrees - minutes / 60) * 3600, 4)

    gps[1], gps[2] = ("N" if lat >= 0 else "S"), dms(lat)
    gps[3], gps[4] = ("E" if lon >= 0 else "W"), dms(lon)
    details = exif.get_ifd(EXIF_IFD)
    if taken is not None:
        details[0x9003] = taken
    if offset is not None:
        details[0x9011] = offset
    return exif


def image_bytes(fmt: str, size=(1200, 900), exif: Image.Exif | None = None, **kw) -> bytes:
    """A photo of two colours (left red, right blue) in ``fmt``."""
    image = Image.new("RGB", size, (200, 20, 20))
    image.paste((20, 20, 200), (size[0] // 2, 0, size[0], size[1]))
    out = io.BytesIO()
    image.save(out, fmt, exif=exif if exif is not None else Image.Exif(), **kw)
    return out.getvalue()


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")],
)
def test_each_format_is_read_as_evidence_and_stored_without_its_exif(fmt, content_type):
    sent = image_bytes(fmt, exif=camera_exif())
    assert b"HUAWEI" in sent
    photo = check_photo(sent, max_bytes=10 * MB)
    assert photo.content_type == content_type
    assert photo.exif_lon == pytest.approx(JIAOZHOU[0], abs=1e-5)
    assert photo.exif_lat == pytest.approx(JIAOZHOU[1], abs=1e-5)
    # The camera's clock says 09:30 in the city: 01:30 UTC.
    assert photo.taken_at == dt.datetime(2026, 6, 12, 1, 30, tzinfo=dt.UTC)
    for stored in (photo.data, photo.thumb):
        assert sniff(stored)[1] == content_type
        assert b"HUAWEI" not in stored and b"Exif" not in stored
        with Image.open(io.BytesIO(stored)) as back:
            assert dict(back.getexif()) == {}
            assert not {"exif", "icc_profile", "xmp", "comment"} & set(back.info)
    assert (photo.width, photo.height) == (1200, 900)  # small enough already


def test_position_in_the_south_and_west_is_negative_and_nonsense_is_none():
    south_west = check_photo(image_bytes("JPEG", exif=camera_exif(-70.5, -33.25)), max_bytes=MB)
    assert (south_west.exif_lon, south_west.exif_lat) == pytest.approx((-70.5, -33.25))
    exif = camera_exif()
    exif.get_ifd(GPS_IFD)[2] = (95.0, 0.0, 0.0)  # no latitude is 95°
    nowhere = check_photo(image_bytes("JPEG", exif=exif), max_bytes=MB)
    assert nowhere.exif_lon is None and nowhere.exif_lat is None
    bare = check_photo(image_bytes("JPEG"), max_bytes=MB)
    assert (bare.exif_lon, bare.exif_lat, bare.taken_at) == (None, None, None)


def test_a_time_with_its_own_offset_keeps_it_and_a_malformed_time_is_none():
    abroad = camera_exif(taken="2026:06:12 09:30:00", offset="+09:00")
    photo = check_photo(image_bytes("JPEG", exif=abroad), max_bytes=MB)
    assert photo.taken_at == dt.datetime(2026, 6, 12, 0, 30, tzinfo=dt.UTC)
    broken = check_photo(
        image_bytes("JPEG", exif=camera_exif(taken="0000:00:00 00:00:00")), max_bytes=MB
    )
    assert broken.taken_at is None


def test_orientation_is_applied_before_the_exif_goes():
    """Orientation 6: the camera was held upright, the sensor's pixels lie on
    their side; shown, the sensor's left (red) is the top."""
    sent = image_bytes("JPEG", size=(800, 600), exif=camera_exif(orientation=6))
    photo = check_photo(sent, max_bytes=MB)
    assert (photo.width, photo.height) == (600, 800)
    with Image.open(io.BytesIO(photo.data)) as back:
        assert back.size == (600, 800)
        top, bottom = back.getpixel((300, 100)), back.getpixel((300, 700))
    assert top[0] > 150 and top[2] < 80  # red
    assert bottom[2] > 150 and bottom[0] < 80  # blue


@pytest.mark.parametrize(
    ("size", "stored", "thumb"),
    [
        ((4000, 3000), (MAX_SIDE, 1536), (THUMB_SIDE, 240)),
        ((1000, 3000), (683, MAX_SIDE), (107, THUMB_SIDE)),
        ((200, 100), (200, 100), (200, 100)),  # never enlarged
    ],
)
def test_photos_are_resized_with_a_thumbnail(size, stored, thumb):
    photo = check_photo(image_bytes("JPEG", size=size), max_bytes=10 * MB)
    assert (photo.width, photo.height) == stored
    with Image.open(io.BytesIO(photo.data)) as a, Image.open(io.BytesIO(photo.thumb)) as b:
        assert a.size == stored
        assert b.size == thumb
    assert len(photo.sha256) == len(photo.thumb_sha256) == 64


def test_the_same_photo_gives_the_same_bytes_and_keys():
    """Content addressing: a retried upload is the same key."""
    sent = image_bytes("PNG", exif=camera_exif())
    first, again = check_photo(sent, max_bytes=MB), check_photo(sent, max_bytes=MB)
    assert (first.sha256, first.thumb_sha256) == (again.sha256, again.thumb_sha256)
    assert first.data == again.data


def test_a_transparent_png_keeps_its_transparency_and_a_colour_profile_goes():
    palette = Image.new("P", (64, 64), 0)
    palette.putpalette([255, 255, 255, 200, 0, 0] + [0] * 762)
    palette.paste(1, (0, 0, 32, 64))
    out = io.BytesIO()
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    palette.save(out, "PNG", transparency=0, icc_profile=srgb)
    photo = check_photo(out.getvalue(), max_bytes=MB)
    with Image.open(io.BytesIO(photo.data)) as back:
        assert "icc_profile" not in back.info
        rgba = back.convert("RGBA")
        assert rgba.getpixel((10, 10))[3] == 255 and rgba.getpixel((50, 10))[3] == 0


def test_a_jpeg_with_a_colour_profile_is_stored_without_it():
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    photo = check_photo(image_bytes("JPEG", icc_profile=srgb), max_bytes=MB)
    with Image.open(io.BytesIO(photo.data)) as back:
        assert "icc_profile" not in back.info


def refusal(data: bytes, **limits) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        check_photo(data, **{"max_bytes": 10 * MB, **limits})
    assert caught.value.zh, "every refusal says it in Chinese too"
    return caught.value


def test_a_text_file_named_like_a_photo_is_refused(tmp_path):
    named = tmp_path / "现场照片.jpg"
    named.write_text("这不是图片 this is not a photo", encoding="utf-8")
    error = refusal(named.read_bytes())
    assert "not a JPEG, PNG or WebP" in str(error)
    assert "JPEG" in error.zh


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"GIF89a" + b"\x00" * 100,  # a real image type, but not one we take
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        b"RIFF\x10\x00\x00\x00WAVEfmt ",  # RIFF, but sound
    ],
)
def test_other_types_are_refused_by_their_bytes(data):
    refusal(data)


def test_a_photo_over_the_size_limit_is_refused():
    sent = image_bytes("PNG", size=(600, 600))
    error = refusal(sent, max_bytes=len(sent) - 1)
    assert f"at most {len(sent) - 1:,}" in str(error)
    assert check_photo(sent, max_bytes=len(sent)).width == 600


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that says it is ``width`` × ``height`` (8-bit greyscale) and holds
    one row of zeros: what a decompression bomb's header looks like."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (width + 1))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def test_a_decompression_bomb_is_refused_from_its_header():
    """30,000 × 30,000 pixels would take 900 MB decoded: refused in no time,
    before a pixel is decoded."""
    bomb = png_header_only(30_000, 30_000)
    assert len(bomb) < 100_000
    started = time.perf_counter()
    error = refusal(bomb)
    assert time.perf_counter() - started < 0.5
    assert "pixels" in str(error)


def test_a_photo_over_the_pixel_limit_is_refused_below_pillows_own_limit():
    sent = image_bytes("JPEG", size=(1000, 800))
    assert "799,999 pixels" in str(refusal(sent, max_pixels=799_999))
    assert check_photo(sent, max_bytes=MB, max_pixels=800_000).height == 800
    refusal(png_header_only(10_000, 9_000))  # 90 megapixels: Pillow itself only warns


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_a_truncated_photo_is_refused(fmt):
    sent = image_bytes(fmt, size=(640, 480))
    error = refusal(sent[: len(sent) // 2])
    assert "truncated or corrupt" in str(error)


def test_garbage_behind_a_jpeg_magic_number_is_refused():
    error = refusal(b"\xff\xd8\xff\xe0" + b"\x13" * 2000)
    assert "truncated or corrupt" in str(error)
