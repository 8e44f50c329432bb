"""prepare_image: shrink to the server's size with identical estimates; orient; strip; pass."""

from __future__ import annotations

import base64
import io
from typing import Any

import pytest
from _helpers import encode
from _private import RULES, estimate_module
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from openai_vision_ext import (
    CorruptImageError,
    DecompressionBombError,
    EmptyImageError,
    ImageSourceError,
    InvalidDetailError,
    InvalidOptionError,
    PreparedImage,
    UnsupportedImageFormatError,
    estimate_image_tokens,
    prepare_image,
    prepared_size,
    size_image,
    target_size,
)

DETAILS = ("low", "high", "auto", "original")
TILE_MODEL = "gpt-4o"
PATCH_MODEL = "gpt-4.1-mini"
GPS_IFD = 0x8825
ORIENTATION = 0x0112


def photo(size: tuple[int, int]) -> Image.Image:
    """Smooth gradients plus sensor-like noise: thousands of distinct colours."""
    grad = Image.linear_gradient("L").resize(size)
    noise = Image.effect_noise(size, 48)
    radial = Image.radial_gradient("L").resize(size)
    return Image.merge("RGB", (grad, noise, radial))


def screenshot(size: tuple[int, int]) -> Image.Image:
    """Flat UI panels with text: a handful of colours cover most pixels."""
    im = Image.new("RGB", size, (245, 245, 245))
    draw = ImageDraw.Draw(im)
    draw.rectangle((0, 0, size[0], size[1] // 10), fill=(40, 60, 120))
    for y in range(size[1] // 8, size[1], 40):
        draw.text((20, y), "Settings  Account  Billing  Usage 1234", fill=(20, 20, 20))
    return im


def with_exif(
    im: Image.Image, *, orientation: int = 1, gps: bool = False, quality: int = 90
) -> bytes:
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    if gps:
        exif.get_ifd(GPS_IFD)[2] = (48.0, 51.0, 24.0)  # GPSLatitude
    return encode(im, "JPEG", exif=exif.tobytes(), quality=quality)


def sent(p: PreparedImage) -> Image.Image:
    return Image.open(io.BytesIO(p.data))


# -- prepared_size: the pure size rule ---------------------------------------------------------

sizes = st.tuples(st.integers(1, 9000), st.integers(1, 9000))


ALL_MODELS = sorted(RULES)
"""Every rule row: tile models (gpt-4o, gpt-4o-mini, o3, gpt-5, ...) and patch models with
every kind of budget (gpt-4.1-mini, gpt-5-nano, gpt-5.4 with per-detail limits, gpt-5.5 whose
auto is original, ...)."""


@settings(max_examples=150, deadline=None)
@given(size=sizes, model=st.sampled_from(ALL_MODELS))
@pytest.mark.parametrize("detail", DETAILS)
def test_prepared_size_keeps_the_estimate_identical(
    size: tuple[int, int], model: str, detail: Any
) -> None:
    """Sending the prepared size costs exactly the tokens the original would, for any size,
    any model's rule, and any detail (that the model accepts)."""
    assume(size_image(*size, model=model, detail=detail).rejected is None)
    w, h = prepared_size(*size, model=model, detail=detail)
    assert estimate_image_tokens(w, h, model=model, detail=detail) == estimate_image_tokens(
        *size, model=model, detail=detail
    )


@settings(max_examples=150, deadline=None)
@given(size=sizes, model=st.sampled_from(ALL_MODELS))
@pytest.mark.parametrize("detail", DETAILS)
def test_prepared_size_never_upscales(size: tuple[int, int], model: str, detail: Any) -> None:
    """Neither side of the prepared size exceeds the original's."""
    w, h = prepared_size(*size, model=model, detail=detail)
    assert 1 <= w <= size[0]
    assert 1 <= h <= size[1]


@settings(max_examples=150, deadline=None)
@given(size=sizes, model=st.sampled_from(ALL_MODELS))
@pytest.mark.parametrize("detail", DETAILS)
def test_prepared_size_is_exactly_the_servers_size_when_that_is_stable(
    size: tuple[int, int], model: str, detail: Any
) -> None:
    """Whenever the server's own target keeps the estimate and the server would leave an image
    of that size as is, the target is exactly what is sent (the nudges and the ladder are only
    for the rare sizes where rounding breaks this)."""
    assume(size_image(*size, model=model, detail=detail).rejected is None)
    target = target_size(*size, model=model, detail=detail)
    assume(target_size(*target, model=model, detail=detail) == target)
    assume(
        estimate_image_tokens(*target, model=model, detail=detail)
        == estimate_image_tokens(*size, model=model, detail=detail)
    )
    assert prepared_size(*size, model=model, detail=detail) == target


@pytest.mark.parametrize("model", [TILE_MODEL, PATCH_MODEL])
def test_prepared_size_is_the_servers_target_when_that_keeps_the_estimate(model: str) -> None:
    """A 12 MP photo is prepared at exactly the size the server would resize it to."""
    assert prepared_size(4000, 3000, model=model, detail="high") == target_size(
        4000, 3000, model=model, detail="high"
    )


def test_prepared_size_nudges_a_pixel_when_rounding_changes_the_estimate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """If the target rounds across a token boundary, a size one pixel away that keeps the
    estimate is sent instead."""
    monkeypatch.setattr(estimate_module, "target_size", lambda w, h, **_: (100, 50))
    monkeypatch.setattr(
        estimate_module, "estimate_image_tokens", lambda w, h, **_: 1 if w > 100 else 2
    )
    w, h = prepared_size(1000, 500, model="m", detail="high")
    assert (w, h) != (1000, 500)
    assert estimate_module.estimate_image_tokens(w, h, model="m") == 1
    assert abs(w - 100) + abs(h - 50) == 1


def test_prepared_size_sends_the_original_size_when_no_smaller_size_keeps_the_estimate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When every smaller size would change the estimate, the image is not resized at all."""
    monkeypatch.setattr(estimate_module, "target_size", lambda w, h, **_: (w // 10, h // 10))
    monkeypatch.setattr(
        estimate_module,
        "estimate_image_tokens",
        lambda w, h, **_: 1 if (w, h) == (1000, 500) else 2,
    )
    assert prepared_size(1000, 500, model="m", detail="high") == (1000, 500)


# -- resizing -----------------------------------------------------------------------------------


@pytest.mark.parametrize("model", [TILE_MODEL, PATCH_MODEL])
@pytest.mark.parametrize("detail", ["high", "low"])
def test_a_large_photo_is_resized_to_a_size_with_the_same_estimate(model: str, detail: Any) -> None:
    """A 3000x2000 photo is sent smaller, and its estimate equals the original's."""
    data = encode(photo((3000, 2000)), "JPEG", quality=92)
    p = prepare_image(data, model=model, detail=detail)
    assert p.info is not None
    assert (p.info.width, p.info.height) < (3000, 2000)
    assert "resized" in p.actions
    assert estimate_image_tokens(
        p.info.width, p.info.height, model=model, detail=detail
    ) == estimate_image_tokens(3000, 2000, model=model, detail=detail)


@settings(max_examples=40, deadline=None)
@given(
    size=st.tuples(st.integers(1, 2600), st.integers(1, 2600)),
    model=st.sampled_from(ALL_MODELS),
    detail=st.sampled_from(DETAILS),
)
def test_the_decoded_sent_image_has_the_originals_estimate(
    size: tuple[int, int], model: str, detail: Any
) -> None:
    """Whatever the size, model and detail, the image actually sent (decoded again) is never
    larger than the original and costs exactly the original's estimated tokens."""
    assume(size_image(*size, model=model, detail=detail).rejected is None)
    p = prepare_image(encode(Image.new("RGB", size, "teal"), "PNG"), model=model, detail=detail)
    w, h = sent(p).size
    assert w <= size[0]
    assert h <= size[1]
    assert estimate_image_tokens(w, h, model=model, detail=detail) == estimate_image_tokens(
        *size, model=model, detail=detail
    )


def test_resized_photo_sends_far_fewer_bytes() -> None:
    """Shrinking a 3000x2000 photo for gpt-4o at high sends under a fifth of its bytes."""
    data = encode(photo((3000, 2000)), "JPEG", quality=92)
    p = prepare_image(data, model=TILE_MODEL, detail="high")
    assert p.info is not None
    assert p.original_n_bytes == len(data)
    assert p.info.n_bytes * 5 < len(data)


def test_the_sent_info_describes_the_sent_bytes() -> None:
    """info's dims, size, mime and sha256 are those of the bytes actually sent."""
    import hashlib

    p = prepare_image(encode(photo((2500, 1500)), "JPEG"), model=TILE_MODEL, detail="high")
    assert p.info is not None
    im = sent(p)
    assert (im.width, im.height, im.format) == (p.info.width, p.info.height, "JPEG")
    assert p.info.n_bytes == len(p.data)
    assert p.info.sha256 == hashlib.sha256(p.data).hexdigest()
    assert p.mime == p.info.mime == "image/jpeg"


def test_the_original_and_the_sent_image_are_both_reported() -> None:
    """original_* describe the input file, info the bytes sent, and summary() states both
    (dims, bytes, ratio) with what was done."""
    data = encode(photo((3000, 2000)), "JPEG", quality=92)
    p = prepare_image(data, model=TILE_MODEL, detail="high")
    out = sent(p)
    assert p.info is not None
    assert (p.original_format, p.original_size, p.original_n_bytes) == (
        "jpeg",
        (3000, 2000),
        len(data),
    )
    assert (p.info.width, p.info.height, p.info.n_bytes) == (*out.size, len(p.data))
    ratio = f"{len(p.data) / len(data):.1%}"
    assert p.summary() == (
        f"jpeg 3000x2000 {len(data):,} B -> jpeg {out.width}x{out.height} {len(p.data):,} B "
        f"({ratio}): resized"
    )


def test_an_image_the_rule_does_not_shrink_is_passed_through_byte_for_byte() -> None:
    """A 640x480 JPEG is small enough for gpt-4o at high: the very same bytes are sent."""
    data = encode(photo((640, 480)), "JPEG", quality=90)
    p = prepare_image(data, model=TILE_MODEL, detail="high")
    assert p.data == data
    assert p.actions == ()
    assert p.info == p.original


def test_without_a_model_nothing_is_resized() -> None:
    """Without a model there is no rule to shrink to: a large PNG is sent as is."""
    data = encode(screenshot((3000, 2000)), "PNG")
    p = prepare_image(data)
    assert p.data == data
    assert p.actions == ()


def test_optimize_false_sends_a_large_image_unchanged() -> None:
    """optimize=False never resizes, even with a model whose rule would shrink the image."""
    data = encode(photo((3000, 2000)), "JPEG")
    assert prepare_image(data, model=TILE_MODEL, detail="high", optimize=False).data == data


def test_jpeg_quality_controls_the_size_of_a_reencoded_photo() -> None:
    """A lower jpeg_quality gives fewer bytes for the same resized photo."""
    data = encode(photo((3000, 2000)), "JPEG", quality=95)
    low = prepare_image(data, model=TILE_MODEL, detail="high", jpeg_quality=40)
    high = prepare_image(data, model=TILE_MODEL, detail="high", jpeg_quality=90)
    assert len(low.data) < len(high.data)


# -- PNG or JPEG by content ------------------------------------------------------------------


def test_a_photo_is_reencoded_as_jpeg() -> None:
    """A photo saved as PNG is sent as JPEG when it is re-encoded."""
    p = prepare_image(encode(photo((1600, 1100)), "PNG"), model=TILE_MODEL, detail="high")
    assert p.mime == "image/jpeg"


def test_a_screenshot_is_sent_lossless_even_when_it_was_a_jpeg() -> None:
    """A screenshot (flat colours, text) is sent lossless, whatever its input format."""
    data = encode(screenshot((3000, 2000)), "JPEG", quality=95)
    assert prepare_image(data, model=TILE_MODEL, detail="high").mime == "image/webp"


def test_a_shrunk_screenshot_is_its_box_filtered_pixels_exactly() -> None:
    """The WEBP sent (smaller than the PNG) holds the box-shrunk pixels exactly."""
    data = encode(screenshot((3000, 2000)), "PNG")
    p = prepare_image(data, model=TILE_MODEL, detail="high")
    assert p.mime == "image/webp"
    out = sent(p)
    shrunk = Image.open(io.BytesIO(data)).resize(out.size, Image.Resampling.BOX)
    assert out.convert("RGB").tobytes() == shrunk.tobytes()
    assert len(p.data) < len(encode(shrunk, "PNG"))


def test_a_resized_screenshot_is_png_when_metadata_is_kept() -> None:
    """keep_metadata carries PNG text over, which only the PNG holds: no WEBP then."""
    p = prepare_image(
        encode(screenshot((3000, 2000)), "PNG"), model=TILE_MODEL, detail="high", keep_metadata=True
    )
    assert p.mime == "image/png"


def test_a_photo_saved_as_png_is_never_tried_as_webp() -> None:
    """Only graphics get the lossless WEBP candidate; an opaque photo goes out as JPEG."""
    p = prepare_image(encode(photo((1600, 1100)), "PNG"), model=TILE_MODEL, detail="high")
    assert p.mime == "image/jpeg"


def test_an_image_using_transparency_stays_lossless_with_its_alpha() -> None:
    """A photo with a transparent region is sent lossless (half of it is one transparent
    colour: graphics, so WEBP when smaller), and the transparency survives."""
    im = photo((1600, 1100)).convert("RGBA")
    im.paste((0, 0, 0, 0), (0, 0, 800, 1100))
    p = prepare_image(encode(im, "PNG"), model=TILE_MODEL, detail="high")
    assert p.mime in ("image/png", "image/webp")
    out = sent(p)
    assert out.mode == "RGBA"
    assert out.getpixel((0, 0)) == (0, 0, 0, 0)


def test_an_opaque_alpha_channel_does_not_force_png() -> None:
    """An RGBA photo whose alpha is fully opaque is still sent as JPEG."""
    p = prepare_image(
        encode(photo((1600, 1100)).convert("RGBA"), "PNG"), model=TILE_MODEL, detail="high"
    )
    assert p.mime == "image/jpeg"


# -- EXIF orientation and metadata -------------------------------------------------------------


def test_exif_orientation_is_applied_and_the_sent_dims_are_upright() -> None:
    """Orientation 6 (rotate 90 deg clockwise): a 600x400 stored image is sent 400 wide,
    with the stored top-left corner now at the top right."""
    im = Image.new("RGB", (600, 400), "white")
    im.paste((255, 0, 0), (0, 0, 100, 100))
    p = prepare_image(with_exif(im, orientation=6), model=TILE_MODEL, detail="high")
    out = sent(p)
    assert out.size == (400, 600)
    r, g, b = out.getpixel((out.width - 10, 10))  # type: ignore[misc]
    assert (r > 200, g < 60, b < 60) == (True, True, True)
    assert "oriented" in p.actions
    assert out.getexif().get(ORIENTATION, 1) == 1


def test_a_rotated_image_is_shrunk_by_its_upright_dims() -> None:
    """The estimate that must stay identical is that of the upright image the model sees."""
    data = with_exif(photo((3000, 1000)), orientation=8)
    p = prepare_image(data, model=PATCH_MODEL, detail="high")
    assert p.info is not None
    assert p.info.height > p.info.width
    assert estimate_image_tokens(
        p.info.width, p.info.height, model=PATCH_MODEL, detail="high"
    ) == estimate_image_tokens(1000, 3000, model=PATCH_MODEL, detail="high")


def test_gps_metadata_is_stripped_when_reencoding() -> None:
    """A resized phone photo loses its EXIF (GPS!) by default."""
    data = with_exif(photo((3000, 2000)), gps=True)
    p = prepare_image(data, model=TILE_MODEL, detail="high")
    assert GPS_IFD not in sent(p).getexif()
    assert "stripped_metadata" in p.actions


def test_keep_metadata_keeps_gps_and_resets_orientation() -> None:
    """keep_metadata=True carries EXIF over, with the orientation already applied (1)."""
    data = with_exif(photo((3000, 2000)), orientation=6, gps=True)
    p = prepare_image(data, model=TILE_MODEL, detail="high", keep_metadata=True)
    exif = sent(p).getexif()
    assert exif.get_ifd(GPS_IFD)
    assert exif.get(ORIENTATION, 1) == 1
    assert "stripped_metadata" not in p.actions


def test_a_jpeg_comment_and_xmp_are_stripped_when_reencoding() -> None:
    """A JPEG comment and XMP packet (free-text places, names) do not survive a resize."""
    data = encode(photo((3000, 2000)), "JPEG", comment=b"home: 48.85N", xmp=b"<x:xmpmeta/>")
    p = prepare_image(data, model=TILE_MODEL, detail="high")
    out = sent(p)
    assert out.format == "JPEG"
    assert (out.info.get("comment"), out.info.get("xmp")) == (None, None)
    assert "stripped_metadata" in p.actions


def test_keep_metadata_keeps_the_jpeg_comment_and_xmp() -> None:
    """keep_metadata=True carries the comment and the XMP packet over unchanged."""
    data = encode(photo((3000, 2000)), "JPEG", comment=b"home: 48.85N", xmp=b"<x:xmpmeta/>")
    out = sent(prepare_image(data, model=TILE_MODEL, detail="high", keep_metadata=True))
    assert (out.info.get("comment"), out.info.get("xmp")) == (b"home: 48.85N", b"<x:xmpmeta/>")


def png_with_metadata(im: Image.Image) -> bytes:
    """A PNG with a GPS EXIF chunk, a tEXt chunk and an XMP iTXt chunk."""
    from PIL import PngImagePlugin

    chunks = PngImagePlugin.PngInfo()
    chunks.add_text("Location", "48.85N 2.35E")
    chunks.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta/>")
    exif = Image.Exif()
    exif.get_ifd(GPS_IFD)[2] = (48.0, 51.0, 24.0)
    return encode(im, "PNG", pnginfo=chunks, exif=exif.tobytes())


def test_png_text_xmp_and_gps_are_stripped_when_reencoding() -> None:
    """A resized PNG screenshot is sent with no EXIF, no text and no XMP chunk."""
    p = prepare_image(png_with_metadata(screenshot((3000, 2000))), model=TILE_MODEL, detail="high")
    out = sent(p)
    out.load()
    assert out.format == "WEBP"
    assert dict(out.getexif()) == {}
    assert not {"exif", "xmp", "XML:com.adobe.xmp"} & set(out.info)
    assert "stripped_metadata" in p.actions


def test_keep_metadata_keeps_png_text_and_gps() -> None:
    """keep_metadata=True carries a PNG's text chunks and GPS EXIF over to the resized PNG."""
    data = png_with_metadata(screenshot((3000, 2000)))
    out = sent(prepare_image(data, model=TILE_MODEL, detail="high", keep_metadata=True))
    out.load()
    assert getattr(out, "text", None) == {
        "Location": "48.85N 2.35E",
        "XML:com.adobe.xmp": "<x:xmpmeta/>",
    }
    assert out.getexif().get_ifd(GPS_IFD) == {2: (48.0, 51.0, 24.0)}


def test_the_icc_profile_is_kept_when_reencoding() -> None:
    """Colour profiles are not privacy-sensitive metadata: they survive re-encoding."""
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encode(photo((3000, 2000)), "JPEG", icc_profile=icc)
    p = prepare_image(data, model=TILE_MODEL, detail="high")
    assert sent(p).info.get("icc_profile") == icc


# -- sources and results ------------------------------------------------------------------------


def test_an_http_url_is_passed_through_without_fetching() -> None:
    """Without fetch=True a URL is neither downloaded nor inspected."""
    p = prepare_image("https://example.com/cat.png", model=TILE_MODEL)
    assert (p.url, p.data, p.info, p.original, p.mime) == (
        "https://example.com/cat.png",
        b"",
        None,
        None,
        None,
    )
    assert p.image_url == "https://example.com/cat.png"


def test_a_passed_through_url_has_no_data_url() -> None:
    """Asking a URL pass-through for a data URL says how to get the bytes."""
    with pytest.raises(ImageSourceError, match="fetch=True"):
        prepare_image("https://example.com/cat.png").data_url()


def test_data_url_round_trips_the_sent_bytes() -> None:
    """data_url() is the MIME plus the base64 of exactly the bytes sent."""
    p = prepare_image(encode(photo((2500, 1500)), "JPEG"), model=TILE_MODEL, detail="high")
    header, _, payload = p.data_url().partition(",")
    assert header == "data:image/jpeg;base64"
    assert base64.b64decode(payload) == p.data
    assert p.image_url == p.data_url()


def test_a_data_url_source_is_prepared_like_its_bytes() -> None:
    """A data: URL source gives the same result as its decoded bytes."""
    data = encode(photo((2500, 1500)), "JPEG")
    url = "data:image/jpeg;base64," + base64.b64encode(data).decode()
    assert prepare_image(url, model=TILE_MODEL).data == prepare_image(data, model=TILE_MODEL).data


def test_a_path_source_is_read(tmp_path: Any) -> None:
    """A path to a small PNG is read and passed through."""
    data = encode(screenshot((300, 200)), "PNG")
    path = tmp_path / "shot.png"
    path.write_bytes(data)
    assert prepare_image(path, model=TILE_MODEL).data == data


def test_a_pil_image_is_encoded_and_shrunk() -> None:
    """A PIL image has no bytes of its own: it is encoded, shrunk, and has no original info."""
    p = prepare_image(photo((3000, 2000)), model=TILE_MODEL, detail="high")
    assert p.original is None
    assert p.original_size == (3000, 2000)
    assert p.info is not None
    assert (p.info.width, p.info.height) == target_size(3000, 2000, model=TILE_MODEL, detail="high")


def test_a_multi_picture_jpeg_is_not_treated_as_animated() -> None:
    """An MPO (phone JPEG with a second view) is a still JPEG, not an animation."""
    im = photo((400, 300))
    data = encode(
        im, "MPO", save_all=True, append_images=[im.transpose(Image.Transpose.FLIP_LEFT_RIGHT)]
    )
    p = prepare_image(data, model=TILE_MODEL)
    assert p.original is not None
    assert (p.original.format, p.original.animated) == ("jpeg", False)


# -- bad input stays typed ----------------------------------------------------------------------


def test_an_invalid_detail_is_refused() -> None:
    """detail must be one of the SDK's values."""
    with pytest.raises(InvalidDetailError):
        prepare_image(b"x", detail="medium")  # type: ignore[arg-type]


def test_empty_bytes_are_refused() -> None:
    """Zero bytes raise EmptyImageError."""
    with pytest.raises(EmptyImageError):
        prepare_image(b"", model=TILE_MODEL)


def test_bytes_that_are_no_image_are_refused() -> None:
    """HTML (or any non-image) raises UnsupportedImageFormatError naming what to do."""
    with pytest.raises(UnsupportedImageFormatError, match="convert it to PNG or JPEG"):
        prepare_image(b"<!doctype html><html></html>", model=TILE_MODEL)


@pytest.mark.parametrize(
    ("size", "model"), [((1600, 1100), TILE_MODEL), ((300, 200), None)], ids=["resized", "kept"]
)
def test_a_truncated_image_raises_corrupt_image_error(
    size: tuple[int, int], model: str | None
) -> None:
    """Whether it would be re-encoded or passed through, a truncated file is refused."""
    data = encode(photo(size), "PNG")
    with pytest.raises(CorruptImageError, match="truncated"):
        prepare_image(data[: len(data) // 2], model=model, detail="high")


TRUNCATABLE = {
    "jpeg": ("JPEG", {}),
    "png": ("PNG", {}),
    "webp": ("WEBP", {}),
    "gif": ("GIF", {}),
    "tiff": ("TIFF", {"compression": "tiff_deflate"}),
    "avif": ("AVIF", {}),
    "heif": ("HEIF", {}),
}


@pytest.mark.parametrize("kind", TRUNCATABLE)
@pytest.mark.parametrize("optimize", [True, False])
def test_a_truncated_file_of_any_format_raises_corrupt_image_error(
    kind: str, optimize: bool
) -> None:
    """The first half of a JPEG, PNG, WEBP, GIF, TIFF, AVIF or HEIC file raises
    CorruptImageError (never a Pillow exception or warning), whether it would be passed
    through, converted or resized."""
    if kind == "heif":
        pillow_heif = pytest.importorskip("pillow_heif")
        pillow_heif.register_heif_opener()
    fmt, options = TRUNCATABLE[kind]
    data = encode(photo((640, 480)), fmt, **options)
    with pytest.raises(CorruptImageError, match="truncated or corrupt"):
        prepare_image(data[: len(data) // 2], model=TILE_MODEL, detail="high", optimize=optimize)


def test_a_gif_whose_header_claims_a_huge_screen_is_a_bomb() -> None:
    """A 40-byte GIF claiming 65535x65535 pixels (4.3 gigapixels) is refused as a bomb."""
    import struct

    size = struct.pack("<HH", 65535, 65535)
    data = (
        b"GIF89a" + size + b"\x00\x00\x00"  # logical screen, no colour table
        b"\x2c\x00\x00\x00\x00" + size + b"\x00"  # one image of the same size
        b"\x02\x02\x44\x01\x00\x3b"  # a tiny LZW stream and the trailer
    )
    with pytest.raises(DecompressionBombError):
        prepare_image(data, model=TILE_MODEL)


def test_an_in_memory_image_larger_than_the_pixel_cap_is_refused() -> None:
    """A PIL image over MAX_PIXELS is refused before any work, with its size in the error."""
    from _private import MAX_PIXELS

    width = MAX_PIXELS // 1000 + 1
    with pytest.raises(DecompressionBombError) as info:
        prepare_image(Image.new("1", (width, 1000)), model=TILE_MODEL)
    assert (info.value.width, info.value.height) == (width, 1000)


def test_a_corrupt_container_is_reported_as_corrupt_not_unknown() -> None:
    """Bytes that start like an AVIF file but cannot be decoded are a corrupt AVIF (re-export
    it), not an unsupported format."""
    data = encode(photo((320, 240)), "AVIF")
    with pytest.raises(CorruptImageError, match="AVIF"):
        prepare_image(data[:200])


def test_a_decompression_bomb_is_refused_before_decoding() -> None:
    """A tiny PNG whose header claims 30000x30000 pixels is refused from its header alone."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    ihdr = struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
    with pytest.raises(DecompressionBombError, match="decompression bomb"):
        prepare_image(data, model=TILE_MODEL)


def test_a_jpeg_quality_out_of_range_is_refused() -> None:
    """jpeg_quality outside 1..95 is a programming error: InvalidOptionError, a ValueError."""
    with pytest.raises(InvalidOptionError, match="jpeg_quality"):
        prepare_image(b"x", jpeg_quality=100)


def test_an_unknown_animated_policy_is_refused() -> None:
    """animated must be 'reject' or 'first_frame'."""
    with pytest.raises(InvalidOptionError, match="animated"):
        prepare_image(b"x", animated="loop")  # type: ignore[arg-type]


def test_optimize_false_leaves_the_exif_orientation_to_the_caller() -> None:
    """optimize=False sends a rotated-by-EXIF JPEG byte for byte (the model sees it stored)."""
    data = with_exif(photo((300, 200)), orientation=6)
    assert prepare_image(data, optimize=False).data == data


# -- never more bytes than the original for the same estimate --------------------------------


def coarse_photo() -> bytes:
    """A noisy photo saved at JPEG quality 10: its re-encode at quality 85 is larger, even at
    the server's smaller size."""
    return encode(photo((1600, 1100)), "JPEG", quality=10)


def test_an_image_whose_reencode_is_larger_is_sent_as_its_original_bytes() -> None:
    data = coarse_photo()
    reencoded = prepare_image(data, model=TILE_MODEL, detail="high", jpeg_quality=85)
    assert reencoded.data == data
    assert reencoded.actions == ("sent_original",)
    assert (reencoded.info.width, reencoded.info.height) == (1600, 1100)  # type: ignore[union-attr]
    # the server shrinks it to the size a re-encode would have: the same tokens
    target = target_size(1600, 1100, model=TILE_MODEL, detail="high")
    assert estimate_image_tokens(1600, 1100, model=TILE_MODEL, detail="high") == (
        estimate_image_tokens(*target, model=TILE_MODEL, detail="high")
    )
    shrunk = Image.open(io.BytesIO(data)).resize(target)
    assert len(encode(shrunk, "JPEG", quality=85, optimize=True)) > len(data)


def test_an_image_whose_reencode_is_smaller_is_reencoded() -> None:
    data = encode(photo((1600, 1100)), "JPEG", quality=95)
    p = prepare_image(data, model=TILE_MODEL, detail="high")
    assert p.actions == ("resized",)
    assert len(p.data) < len(data)
    assert sent(p).size == prepared_size(1600, 1100, model=TILE_MODEL, detail="high")


def test_the_original_sent_instead_still_loses_its_gps() -> None:
    """Metadata is stripped losslessly from the original bytes sent instead of a re-encode."""
    data = with_exif(photo((1600, 1100)), gps=True, quality=10)
    p = prepare_image(data, model=TILE_MODEL, detail="high")
    assert p.actions == ("stripped_metadata", "sent_original")
    assert "gps" in p.removed_metadata
    assert GPS_IFD not in sent(p).getexif()
    assert sent(p).size == (1600, 1100)
    assert len(p.data) < len(data)


def test_an_image_needing_orientation_is_reencoded_even_if_larger() -> None:
    """Sending the original would leave the rotation to the server: re-encoded upright."""
    data = with_exif(photo((1600, 1100)), orientation=6, quality=10)
    p = prepare_image(data, model=TILE_MODEL, detail="high")
    assert p.actions[:2] == ("oriented", "resized")
    assert sent(p).height > sent(p).width


def test_a_screenshot_is_shrunk_without_new_edge_colours() -> None:
    """Graphics are shrunk with a box filter: no Lanczos ringing, fewer colours, fewer bytes."""
    data = encode(screenshot((3000, 2000)), "PNG")
    p = prepare_image(data, model=TILE_MODEL, detail="high")
    assert p.actions == ("resized",)
    lanczos = Image.open(io.BytesIO(data)).resize(sent(p).size, Image.Resampling.LANCZOS)
    colours = sent(p).convert("RGB").getcolors(1 << 20)
    assert colours is not None
    assert len(colours) < len(lanczos.getcolors(1 << 20) or ())
    assert len(p.data) < len(encode(lanczos, "PNG"))


def _icc_header(space: bytes) -> bytes:
    """The first 132 bytes of an ICC profile whose colour space (bytes 16-20) is ``space``."""
    return bytes(16) + space + bytes(112)


@pytest.mark.parametrize(("space", "mime"), [(b"GRAY", "image/png"), (b"RGB ", "image/webp")])
def test_a_grey_profile_keeps_a_shrunk_graphic_out_of_webp(space: bytes, mime: str) -> None:
    """WEBP stores grey pixels as RGB, so a grey image's GRAY colour profile would describe the
    wrong pixels there: such an image stays PNG (grey, its profile intact); an RGB profile
    does not stop the WEBP."""
    grey = screenshot((3000, 2000)).convert("L")
    image = grey if space == b"GRAY" else grey.convert("RGB")
    data = encode(image, "PNG", icc_profile=_icc_header(space))
    p = prepare_image(data, model=TILE_MODEL, detail="high")
    assert p.mime == mime
    out = sent(p)
    if out.info.get("icc_profile"):
        assert out.info["icc_profile"][16:20] == space
    if mime == "image/png":
        assert out.mode == "L"
