"""inspect_image: formats, dimensions and frames from headers; everything we reject, named."""

from __future__ import annotations

import copy
import hashlib
import io
import os
import pickle
import struct
import zlib
from dataclasses import FrozenInstanceError
from pathlib import Path
from typing import Any

import pytest
from _helpers import encode
from _private import MAX_PIXELS, check_sendable, inspect_bytes, sniff_format, sources_module
from PIL import Image

from openai_vision_ext import (
    AnimatedImageError,
    CorruptImageError,
    DecompressionBombError,
    EmptyImageError,
    ImageError,
    ImageInfo,
    ImageSourceError,
    ImageTooLargeError,
    UnsupportedImageFormatError,
    inspect_image,
)

RED = (200, 30, 30)
BLUE = (30, 30, 200)


def rgb(size: tuple[int, int] = (37, 23), colour: tuple[int, int, int] = RED) -> Image.Image:
    return Image.new("RGB", size, colour)


def two_frames(fmt: str, **options: Any) -> bytes:
    return encode(rgb(), fmt, save_all=True, append_images=[rgb(colour=BLUE)], **options)


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_with_size(width: int, height: int) -> bytes:
    """A small real PNG whose IHDR claims another size (pixels are never decoded)."""
    data = encode(Image.new("L", (1, 1)), "PNG")
    return data[:16] + struct.pack(">II", width, height) + data[24:]


STILL_IMAGES = {
    "png_rgb": lambda: encode(rgb(), "PNG"),
    "png_16bit_grey": lambda: encode(Image.new("I;16", (41, 17)), "PNG"),
    "png_grey": lambda: encode(Image.new("L", (19, 43)), "PNG"),
    "png_grey_alpha": lambda: encode(Image.new("LA", (8, 5)), "PNG"),
    "png_palette": lambda: encode(rgb().convert("P"), "PNG"),
    "png_1bit": lambda: encode(Image.new("1", (33, 2)), "PNG"),
    "jpeg_baseline": lambda: encode(rgb(), "JPEG"),
    "jpeg_progressive": lambda: encode(rgb((64, 48)), "JPEG", progressive=True),
    "jpeg_cmyk": lambda: encode(Image.new("CMYK", (11, 13)), "JPEG"),
    "jpeg_grey": lambda: encode(Image.new("L", (30, 20)), "JPEG"),
    "jpeg_big_exif": lambda: encode(rgb(), "JPEG", exif=b"Exif\x00\x00" + bytes(60_000)),
    "mpo": lambda: two_frames("MPO"),
    "webp_lossy": lambda: encode(rgb(), "WEBP"),
    "webp_lossless": lambda: encode(rgb(), "WEBP", lossless=True),
    "webp_alpha": lambda: encode(Image.new("RGBA", (37, 23)), "WEBP"),
    "gif": lambda: encode(rgb(), "GIF"),
    "gif_87a": lambda: encode(Image.new("L", (3, 4)), "GIF"),
}

PIL_FORMATS = {"PNG": "png", "JPEG": "jpeg", "MPO": "jpeg", "WEBP": "webp", "GIF": "gif"}


@pytest.mark.parametrize("name", sorted(STILL_IMAGES))
def test_still_image_matches_pillow(name: str) -> None:
    """Format, size and MIME of every still flavour agree with what Pillow reads."""
    data = STILL_IMAGES[name]()
    with Image.open(io.BytesIO(data)) as oracle:
        expected = (PIL_FORMATS[oracle.format or ""], oracle.size)
    info = inspect_image(data)
    assert (info.format, (info.width, info.height)) == expected
    assert info.mime == f"image/{info.format}"
    assert (info.frames, info.animated) == (1, False)


@pytest.mark.parametrize("name", sorted(STILL_IMAGES))
def test_size_and_digest_describe_the_bytes(name: str) -> None:
    """n_bytes is the encoded length and sha256 the digest of exactly those bytes."""
    data = STILL_IMAGES[name]()
    info = inspect_image(data)
    assert (info.n_bytes, info.sha256) == (len(data), hashlib.sha256(data).hexdigest())


def test_mpo_is_a_still_jpeg_although_pillow_sees_two_frames() -> None:
    """A phone MPO (primary + secondary image) is sent as a still JPEG."""
    data = two_frames("MPO")
    with Image.open(io.BytesIO(data)) as oracle:
        assert (oracle.format, getattr(oracle, "n_frames", 1)) == ("MPO", 2)
    info = inspect_image(data)
    assert (info.format, info.frames, info.animated) == ("jpeg", 1, False)


def test_big_exif_before_the_frame_header_is_skipped() -> None:
    """The frame header sits past the first 4 KiB behind a 60 kB EXIF segment, yet is found."""
    data = STILL_IMAGES["jpeg_big_exif"]()
    assert data.find(b"\xff\xc0") > 60_000
    assert (inspect_image(data).width, inspect_image(data).height) == (37, 23)


def test_a_thumbnail_frame_header_inside_exif_is_not_mistaken_for_the_image() -> None:
    """Segments are skipped by length, so a SOF inside APP1 (a thumbnail) is ignored."""
    data = encode(rgb((50, 40)), "JPEG")
    fake_sof = b"\xff\xd8\xff\xc0\x00\x11\x08\x00\x10\x00\x20\x03" + bytes(12)
    app1 = b"\xff\xe1" + struct.pack(">H", 2 + len(fake_sof)) + fake_sof
    info = inspect_image(data[:2] + app1 + data[2:])
    assert (info.width, info.height) == (50, 40)


ANIMATED = {
    "apng": lambda: two_frames("PNG"),
    "webp": lambda: two_frames("WEBP"),
    "gif": lambda: two_frames("GIF"),
    "gif_3_frames": lambda: encode(
        rgb(), "GIF", save_all=True, append_images=[rgb(colour=BLUE), rgb(colour=(0, 200, 0))]
    ),
}


@pytest.mark.parametrize("name", sorted(ANIMATED))
def test_animation_is_detected_with_pillows_frame_count(name: str) -> None:
    """APNG, animated WEBP and animated GIF report animated=True and Pillow's n_frames."""
    data = ANIMATED[name]()
    with Image.open(io.BytesIO(data)) as oracle:
        expected = (oracle.size, getattr(oracle, "n_frames", 1))
    info = inspect_image(data)
    assert ((info.width, info.height), info.frames, info.animated) == (*expected, True)


def test_type_comes_from_the_bytes_not_the_file_name(tmp_path: Path) -> None:
    """A PNG saved as photo.jpg is a PNG."""
    path = tmp_path / "photo.jpg"
    path.write_bytes(encode(rgb(), "PNG"))
    assert inspect_image(path).mime == "image/png"


# -- rejected formats -----------------------------------------------------------------------

HEIC_FTYP = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(32)
REJECTED = {
    "svg": (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>', "svg"),
    "svg_bare": (b"<svg width='10' height='10'></svg>", "svg"),
    "html": (b"<!DOCTYPE html>\n<html><body>404 Not Found</body></html>", "html"),
    "html_bom_lowercase": (b"\xef\xbb\xbf  <html><head></head></html>", "html"),
    "pdf": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "pdf"),
    "heic": (HEIC_FTYP, "heic"),
    "heif_mif1": (b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heic" + bytes(8), "heic"),
    "avif": (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + bytes(8), "avif"),
    "mp4": (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + bytes(8), "video"),
    "tiff": (encode(rgb(), "TIFF"), "tiff"),
    "bmp": (encode(rgb(), "BMP"), "bmp"),
    "ico": (encode(rgb((16, 16)), "ICO"), "ico"),
    "jpeg_xl_codestream": (b"\xff\x0a\xfa\x7f" + bytes(16), "jxl"),
    "jpeg_xl_container": (b"\x00\x00\x00\x0cJXL \r\n\x87\n" + bytes(16), "jxl"),
    "wav": (b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(16), "riff"),
    "json": (b'{"image": "iVBORw0KGgo="}', "json"),
    "text": (b"just some text\n", "text"),
    "unknown_binary": (bytes(range(200, 256)) * 4, None),
}


@pytest.mark.parametrize("name", sorted(REJECTED))
def test_unsupported_formats_are_named(name: str) -> None:
    """What OpenAI does not accept raises UnsupportedImageFormatError naming what it is."""
    data, detected = REJECTED[name]
    with pytest.raises(UnsupportedImageFormatError) as caught:
        inspect_image(data)
    assert caught.value.detected == detected


def test_html_saved_as_png_is_reported_as_html(tmp_path: Path) -> None:
    """An error page downloaded as cat.png says it is HTML, naming the file."""
    path = tmp_path / "cat.png"
    path.write_bytes(REJECTED["html"][0])
    with pytest.raises(UnsupportedImageFormatError, match=r"'cat\.png' is an HTML page"):
        inspect_image(path)


def test_heic_message_says_how_to_convert() -> None:
    """The HEIC error names the [heic] extra and optimize=True."""
    with pytest.raises(UnsupportedImageFormatError) as caught:
        inspect_image(HEIC_FTYP)
    assert "pip install 'openai-vision-ext[heic]'" in str(caught.value)
    assert "optimize=True" in str(caught.value)


def test_empty_bytes_raise_empty_image_error() -> None:
    """Zero bytes are an EmptyImageError, not an unknown format."""
    with pytest.raises(EmptyImageError):
        inspect_image(b"")


def test_empty_file_raises_empty_image_error(tmp_path: Path) -> None:
    """A zero-byte file is an EmptyImageError too."""
    path = tmp_path / "empty.png"
    path.touch()
    with pytest.raises(EmptyImageError):
        inspect_image(path)


# -- truncation -------------------------------------------------------------------------------


def _png_header_end(data: bytes) -> int:
    """Bytes needed to reach the first IDAT chunk's type (the end of the header walk)."""
    return data.index(b"IDAT") + 4


def _jpeg_header_end(data: bytes) -> int:
    """Bytes up to the end of the SOF0 fields read (marker, length, precision, height, width)."""
    return data.index(b"\xff\xc0") + 9


def _gif_header_end(data: bytes) -> int:
    """Bytes up to the end of the first image descriptor (10 bytes from its ',')."""
    return data.index(b",\x00\x00\x00\x00") + 10


TRUNCATION = {
    "png": (encode(rgb(), "PNG"), _png_header_end),
    "apng": (two_frames("PNG"), _png_header_end),
    "jpeg": (encode(rgb(), "JPEG"), _jpeg_header_end),
    "gif": (encode(rgb(), "GIF"), _gif_header_end),
    "webp": (encode(rgb(), "WEBP", lossless=True), len),  # RIFF size is checked: all of it
}
CUTS = [
    (name, cut)
    for name, (data, header_end) in TRUNCATION.items()
    for cut in range(1, header_end(data))
]


@pytest.mark.parametrize(("name", "cut"), CUTS)
def test_cut_inside_the_header_is_corrupt(name: str, cut: int) -> None:
    """A file cut anywhere inside its header raises CorruptImageError (never another error)."""
    data = TRUNCATION[name][0]
    with pytest.raises(CorruptImageError, match="truncated or corrupt"):
        inspect_image(data[:cut])


@pytest.mark.parametrize("name", sorted(TRUNCATION))
def test_cut_right_after_the_header_is_still_readable(name: str) -> None:
    """The header is all that is read: the shortest readable prefix is exactly the header."""
    data, header_end = TRUNCATION[name]
    info = inspect_image(data[: header_end(data)])
    with Image.open(io.BytesIO(data)) as oracle:
        assert (info.width, info.height) == oracle.size


def test_png_without_image_data_is_corrupt() -> None:
    """IEND before any IDAT means there is no image."""
    data = encode(rgb(), "PNG")
    ihdr_end = data.index(b"IHDR") + 4 + 13 + 4
    with pytest.raises(CorruptImageError, match="IDAT"):
        inspect_image(data[:ihdr_end] + png_chunk(b"IEND", b""))


def test_jpeg_scan_before_frame_header_is_corrupt() -> None:
    """Start of scan before any SOF: there is no frame to size."""
    with pytest.raises(CorruptImageError, match="SOF"):
        inspect_image(b"\xff\xd8\xff\xda\x00\x08" + bytes(10))


def test_junk_between_jpeg_segments_is_skipped_like_pillow() -> None:
    """Bytes that are not a marker are skipped, as Pillow does."""
    data = encode(rgb((21, 9)), "JPEG")
    sof = data.index(b"\xff\xc0")
    patched = data[:sof] + b"\x00junk" + data[sof:]
    with Image.open(io.BytesIO(patched)) as oracle:
        assert oracle.size == (21, 9)
    info = inspect_image(patched)
    assert (info.width, info.height) == (21, 9)


def _jpeg_with_segments(n_segments: int, *, width: int = 21, height: int = 9) -> bytes:
    """SOI, ``n_segments`` empty COM segments (4 bytes each), then a baseline SOF."""
    sof = b"\xff\xc0\x00\x11\x08" + struct.pack(">HH", height, width) + b"\x03" + bytes(9)
    return b"\xff\xd8" + b"\xff\xfe\x00\x02" * n_segments + sof + b"\xff\xd9"


@pytest.mark.parametrize("n_segments", [0, 1, 1000, 1022, 1023, 1024, 1100, 4095])
def test_jpeg_segments_are_followed_within_and_past_the_first_block(
    n_segments: int, tmp_path: Path
) -> None:
    """The frame header is found after any number of segments up to the limit, whether it is
    in the first 4 KiB block (the fast path) or past it, from bytes and from a file."""
    data = _jpeg_with_segments(n_segments)
    path = tmp_path / "many.jpg"
    path.write_bytes(data)
    for source in (data, path):
        info = inspect_image(source)
        assert (info.format, info.width, info.height) == ("jpeg", 21, 9)


def test_jpeg_segment_limit_counts_segments_in_and_after_the_first_block() -> None:
    """4096 segments before the frame header is one too many, wherever they lie."""
    with pytest.raises(CorruptImageError, match="more than 4096 JPEG segments"):
        inspect_image(_jpeg_with_segments(4096))


@pytest.mark.parametrize("length", [0, 1])
def test_jpeg_segment_with_impossible_length_in_the_first_block_is_corrupt(length: int) -> None:
    """A segment length below 2 (it counts itself) is refused, not skipped."""
    data = b"\xff\xd8\xff\xe0" + struct.pack(">H", length) + _jpeg_with_segments(0)[2:]
    with pytest.raises(CorruptImageError, match=f"impossible length \\({length}\\)"):
        inspect_image(data)


def test_jpeg_fill_bytes_and_restart_markers_before_the_frame_header() -> None:
    """0xFF fill bytes and standalone markers leave the fast path and are still handled."""
    tail = _jpeg_with_segments(2)[2:]
    for filler in (b"\xff", b"\xff\xd0", b"\xff\x01"):
        info = inspect_image(b"\xff\xd8\xff\xfe\x00\x02" + filler + tail)
        assert (info.width, info.height) == (21, 9)


# -- sizes: bombs and impossible dimensions -----------------------------------------------------


def test_pixel_limit_is_pillows_bomb_limit() -> None:
    """MAX_PIXELS is Pillow's own limit, where it warns of a decompression bomb."""
    assert Image.MAX_IMAGE_PIXELS is not None
    assert MAX_PIXELS == Image.MAX_IMAGE_PIXELS


def test_exactly_max_pixels_is_accepted() -> None:
    """A header declaring MAX_PIXELS pixels (one long row) passes."""
    assert inspect_image(png_with_size(MAX_PIXELS, 1)).width == MAX_PIXELS


def test_one_pixel_over_the_limit_is_a_bomb() -> None:
    """One pixel more raises DecompressionBombError with the declared size."""
    with pytest.raises(DecompressionBombError) as caught:
        inspect_image(png_with_size(MAX_PIXELS + 1, 1))
    assert (caught.value.width, caught.value.height) == (MAX_PIXELS + 1, 1)


def test_huge_square_png_is_a_bomb() -> None:
    """A 20000x20000 header (400 MP) is refused before anything is decoded."""
    with pytest.raises(DecompressionBombError, match="20000x20000"):
        inspect_image(png_with_size(20_000, 20_000))


@pytest.mark.parametrize(("width", "height"), [(0, 10), (10, 0), (0, 0)])
def test_zero_dimensions_are_corrupt(width: int, height: int) -> None:
    """A header declaring no pixels is corrupt."""
    with pytest.raises(CorruptImageError):
        inspect_image(png_with_size(width, height))


def test_negative_png_dimensions_are_corrupt() -> None:
    """PNG sizes are signed 31-bit: a set top bit is a negative size."""
    with pytest.raises(CorruptImageError, match="negative"):
        inspect_image(png_with_size(1 << 31, 1))


def test_gif_with_zero_screen_is_corrupt() -> None:
    """A GIF whose logical screen is 0x0 is corrupt."""
    data = encode(rgb(), "GIF")
    with pytest.raises(CorruptImageError):
        inspect_image(data[:6] + b"\x00\x00\x00\x00" + data[10:])


# -- sniffing -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "prefix", [b"\x89", b"\x89PNG\r\n", b"\xff\xd8", b"GIF8", b"RIFF", b"RIFF\x00\x00\x00\x00WE"]
)
def test_part_of_a_signature_is_truncated_not_unknown(prefix: bytes) -> None:
    """A prefix of PNG/JPEG/GIF/WEBP signatures is reported as truncated."""
    with pytest.raises(CorruptImageError):
        sniff_format(prefix)


def test_sniff_names_the_label_in_messages() -> None:
    """Messages say which image they are about."""
    with pytest.raises(UnsupportedImageFormatError, match=r"^'scan\.tif' is a TIFF image"):
        sniff_format(REJECTED["tiff"][0], label="'scan.tif'")


# -- check_sendable -----------------------------------------------------------------------------


def _info(**changes: Any) -> ImageInfo:
    fields: dict[str, Any] = {
        "format": "png",
        "mime": "image/png",
        "width": 10,
        "height": 10,
        "frames": 1,
        "animated": False,
        "n_bytes": 100,
        "sha256": "0" * 64,
    }
    return ImageInfo(**{**fields, **changes})


def test_check_sendable_refuses_animations() -> None:
    """An animated image raises AnimatedImageError carrying its frame count."""
    with pytest.raises(AnimatedImageError) as caught:
        check_sendable(_info(format="gif", frames=7, animated=True), max_bytes=1000)
    assert caught.value.frames == 7


def test_check_sendable_accepts_exactly_the_byte_limit() -> None:
    """n_bytes equal to the limit passes."""
    check_sendable(_info(n_bytes=1000), max_bytes=1000)


def test_check_sendable_refuses_one_byte_over() -> None:
    """One byte over the limit raises ImageTooLargeError with both numbers."""
    with pytest.raises(ImageTooLargeError) as caught:
        check_sendable(_info(n_bytes=1001), max_bytes=1000)
    assert (caught.value.n_bytes, caught.value.limit) == (1001, 1000)


# -- ImageInfo ----------------------------------------------------------------------------


def test_inspecting_a_file_reads_only_its_header(tmp_path: Path) -> None:
    """A 1 GiB (sparse) file is inspected from its header; n_bytes comes from the file size."""
    path = tmp_path / "huge.png"
    path.write_bytes(encode(rgb(), "PNG"))
    with path.open("r+b") as stream:
        stream.truncate(1 << 30)
    info = inspect_image(path)
    assert (info.width, info.height, info.n_bytes) == (37, 23, 1 << 30)


def test_file_digest_is_computed_on_first_access(tmp_path: Path) -> None:
    """sha256 of a path is read when first asked for: a file changed in between is refused."""
    path = tmp_path / "a.png"
    path.write_bytes(encode(rgb(), "PNG"))
    info = inspect_image(path)
    path.write_bytes(encode(rgb((5, 5)), "PNG"))
    with pytest.raises(ImageSourceError, match="changed after it was inspected"):
        _ = info.sha256


def test_file_digest_is_the_files_sha256(tmp_path: Path) -> None:
    """The lazily computed digest equals hashlib's over the whole file, and is cached."""
    path = tmp_path / "a.png"
    data = encode(rgb(), "PNG")
    path.write_bytes(data)
    info = inspect_image(path)
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    path.unlink()
    assert info.sha256 == hashlib.sha256(data).hexdigest()


def test_same_image_from_path_and_bytes_is_equal_and_hashes_equal(tmp_path: Path) -> None:
    """ImageInfo compares by value, the lazy digest included."""
    data = encode(rgb(), "PNG")
    path = tmp_path / "a.png"
    path.write_bytes(data)
    from_path, from_bytes = inspect_image(path), inspect_image(data)
    assert from_path == from_bytes
    assert hash(from_path) == hash(from_bytes)


def test_images_with_the_same_header_but_different_bytes_differ() -> None:
    """Same format and size, different pixels: not equal (the digest differs)."""
    assert inspect_image(encode(rgb(), "PNG")) != inspect_image(encode(rgb(colour=BLUE), "PNG"))


def test_image_info_is_frozen() -> None:
    """Attributes cannot be assigned or deleted."""
    info = inspect_image(encode(rgb(), "PNG"))
    with pytest.raises(FrozenInstanceError):
        info.width = 1
    with pytest.raises(FrozenInstanceError):
        del info.width


def test_image_info_pickles_and_copies_with_its_digest() -> None:
    """Pickling resolves the lazy digest, so the copy needs no access to the source."""
    info = inspect_image(encode(rgb(), "PNG"))
    restored = pickle.loads(pickle.dumps(info))
    assert restored == info
    assert restored.sha256 == info.sha256
    assert copy.deepcopy(info) == info


def test_image_info_accepts_a_plain_digest_string() -> None:
    """Constructed by hand with a hex string, sha256 returns it unchanged."""
    assert _info(sha256="ab" * 32).sha256 == "ab" * 32


def test_base64_chars_is_the_encoded_length() -> None:
    """base64_chars equals the length of the standard base64 encoding."""
    import base64

    for n in range(7):
        assert _info(n_bytes=n).base64_chars == len(base64.b64encode(bytes(n)))


def test_inspect_bytes_accepts_bytes() -> None:
    """inspect_bytes is the pure entry point for bytes in memory."""
    assert inspect_bytes(encode(rgb(), "GIF")).format == "gif"


def test_every_error_is_an_image_error() -> None:
    """All the rejections share ImageError (and ValueError) as parents."""
    for data in (b"", b"\x89PN", REJECTED["svg"][0], png_with_size(20_000, 20_000)):
        with pytest.raises(ImageError):
            inspect_image(data)
        with pytest.raises(ValueError):  # noqa: PT011 - the parent class is the point
            inspect_image(data)


# -- bombs in every format, header-only reads ---------------------------------------------------


def _jpeg_with_size(width: int, height: int) -> bytes:
    data = encode(rgb(), "JPEG")
    sof = data.index(b"\xff\xc0")
    return data[: sof + 5] + struct.pack(">HH", height, width) + data[sof + 9 :]


def _gif_with_size(width: int, height: int) -> bytes:
    data = encode(rgb(), "GIF")
    return data[:6] + struct.pack("<HH", width, height) + data[10:]


def _webp_with_size(width: int, height: int) -> bytes:
    vp8x = b"VP8X" + struct.pack("<I", 10) + bytes(4)
    vp8x += (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    return b"RIFF" + struct.pack("<I", 4 + len(vp8x)) + b"WEBP" + vp8x


BOMBS = {
    "png": png_with_size,
    "jpeg": _jpeg_with_size,
    "gif": _gif_with_size,
    "webp": _webp_with_size,
}


@pytest.mark.parametrize("fmt", sorted(BOMBS))
def test_a_bomb_header_is_refused_in_every_format(fmt: str) -> None:
    """The largest size each format can declare (WEBP 16384, the others 65535 a side) is over
    MAX_PIXELS: DecompressionBombError with the declared size, before any pixel is decoded."""
    side = 16384 if fmt == "webp" else 65535
    assert side * side > MAX_PIXELS
    with pytest.raises(DecompressionBombError) as caught:
        inspect_image(BOMBS[fmt](side, side))
    assert (caught.value.width, caught.value.height) == (side, side)


@pytest.mark.parametrize("fmt", sorted(BOMBS))
def test_the_size_builders_make_headers_inspect_reads(fmt: str) -> None:
    """Control for the bomb test: a modest declared size is read back exactly."""
    info = inspect_image(BOMBS[fmt](300, 200))
    assert (info.format, info.width, info.height) == (fmt, 300, 200)


def test_a_big_exif_jpeg_file_is_read_in_a_few_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A phone-style JPEG with a 60 kB EXIF block, padded to 30 MB, is sized from a few small
    reads (segments are skipped by length, not scanned)."""
    _sources = sources_module

    path = tmp_path / "phone.jpg"
    path.write_bytes(STILL_IMAGES["jpeg_big_exif"]())
    os.truncate(path, 30_000_000)
    sizes: list[int] = []
    real = _sources._pread

    def counted(fd: int, n: int, offset: int) -> bytes:
        sizes.append(n)
        return real(fd, n, offset)

    monkeypatch.setattr(_sources, "_pread", counted)
    info = inspect_image(path)
    assert (info.width, info.height, info.n_bytes) == (37, 23, 30_000_000)
    assert sum(sizes) <= 3 * 4096 + 64


def test_a_file_replaced_by_another_of_the_same_size_and_time_is_noticed(tmp_path: Path) -> None:
    """The lazy digest checks it reads the inspected file: an atomic replace with identical
    size and mtime (another inode) is refused, not hashed as if it were the original."""
    path = tmp_path / "a.png"
    data = encode(rgb(), "PNG")
    path.write_bytes(data)
    info = inspect_image(path)
    stat = path.stat()
    other = tmp_path / "b.png"
    other.write_bytes(encode(rgb(colour=BLUE), "PNG")[: len(data)].ljust(len(data), b"\0"))
    os.utime(other, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    os.replace(other, path)
    assert path.stat().st_size == stat.st_size
    with pytest.raises(ImageSourceError, match="changed after it was inspected"):
        _ = info.sha256
