"""prepare_image converts what OpenAI rejects: HEIC, AVIF, TIFF, BMP, ICO, 16-bit, CMYK, GIFs."""

from __future__ import annotations

import io
import struct
import sys
import zlib
from typing import Any

import pytest
from _helpers import encode
from PIL import Image

from openai_vision_ext import (
    AnimatedImageError,
    MissingExtraError,
    PreparedImage,
    UnsupportedImageFormatError,
    prepare_image,
    target_size,
)

TILE_MODEL = "gpt-4o"


def sent(p: PreparedImage) -> Image.Image:
    im = Image.open(io.BytesIO(p.data))
    im.load()
    return im


def flat(
    size: tuple[int, int] = (200, 100), colour: tuple[int, int, int] = (200, 30, 30)
) -> Image.Image:
    return Image.new("RGB", size, colour)


def heic_bytes(im: Image.Image) -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    return encode(im, "HEIF", quality=90)


def png_16bit_rgb(width: int, height: int, rgb16: tuple[int, int, int]) -> bytes:
    """A real 16-bit-per-channel RGB PNG, written by hand (Pillow cannot write one)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    row = b"\x00" + struct.pack(">3H", *rgb16) * width
    ihdr = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("fmt", "name", "options"),
    [
        ("TIFF", "tiff", {}),
        ("BMP", "bmp", {}),
        ("ICO", "ico", {"sizes": [(64, 64)]}),
        ("AVIF", "avif", {}),
    ],
)
def test_formats_openai_rejects_are_converted(fmt: str, name: str, options: dict[str, Any]) -> None:
    """TIFF, BMP, ICO and AVIF become PNG or JPEG; the original format is reported."""
    im = flat((64, 64))
    p = prepare_image(encode(im, fmt, **options))
    assert p.mime in ("image/png", "image/jpeg")
    assert sent(p).format in ("PNG", "JPEG")
    assert (p.original_format, p.original) == (name, None)
    assert p.actions == ("converted",)


def test_a_converted_image_keeps_its_pixels() -> None:
    """A flat-colour TIFF converts losslessly to a PNG of the same colour and size."""
    p = prepare_image(encode(flat(), "TIFF"))
    out = sent(p).convert("RGB")
    assert out.size == (200, 100)
    assert out.getpixel((50, 50)) == (200, 30, 30)


def test_heic_is_converted_with_the_extra() -> None:
    """A HEIC photo (pillow-heif installed) is sent as PNG or JPEG of the same size."""
    p = prepare_image(heic_bytes(flat((320, 240))))
    assert p.original_format == "heif"
    assert sent(p).size == (320, 240)
    assert p.mime in ("image/png", "image/jpeg")


def test_heic_is_also_shrunk_for_the_model() -> None:
    """Conversion and shrinking combine: a 3000x2000 HEIC for gpt-4o is sent at the size the
    server would resize it to."""
    p = prepare_image(heic_bytes(flat((3000, 2000))), model=TILE_MODEL, detail="high")
    assert sent(p).size == target_size(3000, 2000, model=TILE_MODEL, detail="high")
    assert p.actions == ("converted", "resized")


def test_heic_without_the_extra_names_the_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without pillow-heif, a HEIC input raises MissingExtraError naming [heic]."""
    data = heic_bytes(flat())
    monkeypatch.setitem(sys.modules, "pillow_heif", None)  # makes `import pillow_heif` fail
    with pytest.raises(MissingExtraError, match=r"pip install 'openai-vision-ext\[heic\]'") as info:
        prepare_image(data)
    assert info.value.extra == "heic"


def test_a_16bit_grey_png_is_converted_to_8bit_keeping_its_tones() -> None:
    """A 16-bit grey level of 40000 is sent as 8-bit 40000 // 256 = 156, not clipped to 255."""
    p = prepare_image(encode(Image.new("I;16", (64, 64), 40000), "PNG"))
    out = sent(p)
    assert out.mode == "L"
    assert out.getpixel((0, 0)) == 40000 // 256
    assert "converted" in p.actions


def test_a_16bit_rgb_png_is_converted_to_8bit() -> None:
    """A 16-bit-per-channel RGB PNG is re-encoded as an 8-bit image with the high bytes."""
    p = prepare_image(png_16bit_rgb(32, 16, (0xC800, 0x1E00, 0x1E00)))
    assert p.actions == ("converted",)
    assert sent(p).convert("RGB").getpixel((0, 0)) == (0xC8, 0x1E, 0x1E)


def test_a_cmyk_jpeg_is_converted_to_rgb() -> None:
    """A CMYK JPEG is sent as an RGB (or grey) image."""
    p = prepare_image(encode(flat().convert("CMYK"), "JPEG"))
    assert sent(p).mode in ("RGB", "L")
    assert p.actions == ("converted",)


def test_a_converted_image_is_oriented_even_without_optimize() -> None:
    """Re-encoding drops the EXIF orientation tag, so it is applied to the pixels: a CMYK
    JPEG stored 600x400 with orientation 6 is sent upright, 400x600, also with optimize=False."""
    exif = Image.Exif()
    exif[0x0112] = 6
    data = encode(flat((600, 400)).convert("CMYK"), "JPEG", exif=exif.tobytes())
    p = prepare_image(data, optimize=False)
    assert sent(p).size == (400, 600)
    assert p.actions == ("converted", "oriented", "stripped_metadata")


def test_gps_is_stripped_from_a_converted_heic() -> None:
    """A HEIC photo's EXIF GPS does not survive its conversion."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    exif = Image.Exif()
    exif.get_ifd(0x8825)[2] = (48.0, 51.0, 24.0)
    data = encode(flat((320, 240)), "HEIF", quality=90, exif=exif.tobytes())
    with Image.open(io.BytesIO(data)) as original:
        assert original.getexif().get_ifd(0x8825)  # the input really carries GPS
    p = prepare_image(data)
    assert 0x8825 not in sent(p).getexif()
    assert "stripped_metadata" in p.actions


def test_a_cmyk_images_colour_profile_is_not_attached_to_the_rgb_result() -> None:
    """The ICC profile of a CMYK JPEG describes CMYK; after conversion to RGB it is dropped
    rather than mislabelling the RGB pixels."""
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encode(flat().convert("CMYK"), "JPEG", icc_profile=profile)
    with Image.open(io.BytesIO(data)) as original:
        assert original.info.get("icc_profile") == profile  # the input really carries one
    assert "icc_profile" not in sent(prepare_image(data)).info


@pytest.mark.parametrize("mode", ["PA", "RGBX", "LAB", "I", "F", "1"])
def test_unusual_modes_are_converted_to_a_mode_png_or_jpeg_holds(mode: str) -> None:
    """Palette+alpha, padded RGB, Lab, 32-bit integer/float grey and 1-bit images are sent as
    8-bit images, not refused."""
    im = Image.new("RGBA", (64, 48), (200, 30, 30, 255)).convert(mode)
    out = sent(prepare_image(im))
    assert out.mode in ("L", "LA", "RGB", "RGBA", "P")
    assert out.size == (64, 48)


def test_an_image_that_cannot_be_encoded_raises_a_typed_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """If the encoder fails anyway, the error is UnsupportedImageFormatError saying what to do,
    not Pillow's OSError."""

    def broken_save(*args: Any, **kwargs: Any) -> None:
        raise OSError("cannot write mode XYZ as PNG")

    monkeypatch.setattr(Image.Image, "save", broken_save)
    with pytest.raises(UnsupportedImageFormatError, match="convert it to 8-bit RGB PNG or JPEG"):
        prepare_image(flat())


ANIMATIONS = {
    "gif": ("GIF", {}),
    "webp": ("WEBP", {"lossless": True}),
    "apng": ("PNG", {}),
}


def animation(fmt: str, options: dict[str, Any]) -> bytes:
    frames = [flat(colour=(255, 0, 0)), flat(colour=(0, 0, 255)), flat(colour=(0, 255, 0))]
    return encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, **options)


@pytest.mark.parametrize("kind", ANIMATIONS)
def test_an_animated_image_is_refused_by_default(kind: str) -> None:
    """Animated GIF, WEBP and APNG raise AnimatedImageError with the frame count."""
    with pytest.raises(AnimatedImageError, match="first_frame") as info:
        prepare_image(animation(*ANIMATIONS[kind]))
    assert info.value.frames == 3


@pytest.mark.parametrize("kind", ANIMATIONS)
def test_first_frame_sends_a_still_image_of_the_first_frame(kind: str) -> None:
    """animated='first_frame' sends one still frame: the first (red) one."""
    p = prepare_image(animation(*ANIMATIONS[kind]), animated="first_frame")
    out = sent(p)
    assert getattr(out, "n_frames", 1) == 1
    assert out.convert("RGB").getpixel((10, 10)) == (255, 0, 0)
    assert p.info is not None
    assert not p.info.animated
    assert p.actions == ("first_frame",)
