"""One home per image rule (issue 10): the copies that used to disagree now give one answer,
a path is opened once, a data URL is read from its first kilobytes, and a part this package
built is never decoded again."""

from __future__ import annotations

import base64
import binascii
import hashlib
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from _helpers import encode, png
from _pdfs import DATA
from PIL import Image

from openai_vision_ext import (
    FetchURLError,
    FileDataURLError,
    FileLimits,
    FileTooLargeError,
    ImageSourceError,
    ImageTooLargeError,
    InvalidDataURLError,
    MimeMismatchError,
    PreflightError,
    estimate_image_tokens,
    estimate_request,
    file_part,
    image_part,
    image_url_part,
    inspect_image,
    preflight,
    prepare_image,
)

GIF = encode(Image.new("RGB", (3, 2), "red"), "GIF")
GIF_AS_PNG = "data:image/png;base64," + base64.b64encode(GIF).decode()


def _request(url: str) -> dict[str, Any]:
    part = {"type": "input_image", "image_url": url, "detail": "high"}
    return {"model": "gpt-4o", "input": [{"role": "user", "content": [part]}]}


# -- the copies that disagreed ---------------------------------------------------------------


@pytest.mark.parametrize(
    "build",
    [
        lambda url: image_part(url),
        lambda url: image_part(url, optimize=True),
        lambda url: image_url_part(url, model="gpt-4o"),
        lambda url: prepare_image(url),
    ],
    ids=["image_part", "image_part_optimize", "image_url_part_model", "prepare_image"],
)
def test_a_data_url_declaring_png_but_holding_gif_is_refused_on_every_path(
    build: Callable[[str], object],
) -> None:
    """Plain and preparing paths agree: the declared MIME type must match the bytes."""
    with pytest.raises(MimeMismatchError) as info:
        build(GIF_AS_PNG)
    assert (info.value.declared, info.value.actual) == ("image/png", "image/gif")


@pytest.mark.parametrize(
    "call",
    [image_part, image_url_part, inspect_image, prepare_image],
    ids=["image_part", "image_url_part", "inspect_image", "prepare_image"],
)
def test_a_non_http_scheme_is_a_fetch_url_error_everywhere(call: Callable[[str], object]) -> None:
    """``ftp://`` is a URL we refuse, not a missing file, whichever function receives it."""
    with pytest.raises(FetchURLError, match="only http and https"):
        call("ftp://example.com/a.png")


def test_a_fetch_url_error_is_still_an_image_source_error() -> None:
    """Code catching ImageSourceError for bad sources keeps working."""
    with pytest.raises(ImageSourceError):
        image_part("ftp://example.com/a.png")


def test_an_upper_case_data_url_is_a_data_url_for_preflight_estimate_and_repr() -> None:
    """``DATA:`` is checked, estimated as ``data_url`` and redacted like ``data:``."""
    url = "DATA:image/gif;base64," + base64.b64encode(GIF).decode()
    estimate = estimate_request(**_request(url))
    assert estimate.images[0].source == "data_url"
    assert (estimate.images[0].width, estimate.images[0].height) == (3, 2)
    outcome = preflight(**_request(url))
    (ref, info), *_ = outcome.images
    assert info is not None
    assert info.n_bytes == len(GIF)
    assert base64.b64encode(GIF).decode()[:12] not in repr(ref)
    with pytest.raises(PreflightError, match="declares image/png but its bytes are image/gif"):
        preflight(**_request("DATA:" + GIF_AS_PNG[5:]))


# -- a path is opened once -------------------------------------------------------------------

_OPENED: list[str] | None = None


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _OPENED is not None and event == "open" and isinstance(args[0], str):
        _OPENED.append(args[0])


sys.addaudithook(_audit)  # process-wide and permanent: records only inside _recording_opens()


@contextmanager
def _recording_opens() -> Iterator[list[str]]:
    global _OPENED
    _OPENED = []
    try:
        yield _OPENED
    finally:
        _OPENED = None


@pytest.mark.parametrize("build", [image_part, image_url_part])
def test_a_path_is_opened_once(tmp_path: Path, build: Callable[[Path], object]) -> None:
    """``image_part(path)`` opens the file once (header checked, then read, same descriptor)."""
    path = tmp_path / "photo.png"
    path.write_bytes(png((40, 30)))
    with _recording_opens() as opened:
        build(path)
    assert opened.count(str(path)) == 1


# -- data URLs are read from their first kilobytes --------------------------------------------


class _CountingBinascii:
    """Counts the characters ``binascii.a2b_base64`` decodes, whoever calls it."""

    def __init__(self) -> None:
        self.decoded = 0

    def a2b_base64(self, data: Any, **options: Any) -> bytes:
        self.decoded += len(data)
        return _a2b_base64(data, **options)


_a2b_base64 = binascii.a2b_base64


@pytest.fixture
def decoding(monkeypatch: pytest.MonkeyPatch) -> _CountingBinascii:
    estimate_request(model="gpt-4o", input="Hi")  # loading the tokenizer decodes base64 too
    counter = _CountingBinascii()
    monkeypatch.setattr(binascii, "a2b_base64", counter.a2b_base64)
    return counter


def _big_png_url() -> tuple[str, bytes]:
    """A noise PNG of about 3 MB as a data URL this package did not build."""
    data = encode(Image.effect_noise((1000, 1000), 90).convert("RGB"), "PNG", compress_level=0)
    return "data:image/png;base64," + base64.b64encode(data).decode(), data


def test_a_foreign_data_url_is_estimated_from_its_first_kilobytes(
    decoding: _CountingBinascii,
) -> None:
    """Estimating a data URL decodes a few KiB, not the payload: the size comes from the
    payload's length, the dimensions from the header, and the digest is left for records."""
    url, data = _big_png_url()
    estimate = estimate_request(**_request(url))
    image = estimate.images[0]
    assert (image.width, image.height, image.n_bytes) == (1000, 1000, len(data))
    assert image.sha256 is None
    assert 0 < decoding.decoded < 16_384 < len(url) // 100


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_a_plain_header_is_decoded_from_the_first_block_only(
    decoding: _CountingBinascii, fmt: str
) -> None:
    """A PNG's IHDR and first IDAT header, or a plain JPEG's frame header, lie in the first 256
    bytes: estimating such a foreign data URL decodes those (344 base64 characters) and the
    last 64 (the padding is checked strictly), nothing else."""
    data = encode(Image.effect_noise((300, 200), 90).convert("RGB"), fmt)
    url = f"data:image/{fmt.lower()};base64," + base64.b64encode(data).decode()
    image = estimate_request(**_request(url)).images[0]
    assert (image.width, image.height, image.n_bytes) == (300, 200, len(data))
    assert decoding.decoded == 344 + 64


def test_a_foreign_data_urls_digest_is_computed_on_first_access(
    decoding: _CountingBinascii,
) -> None:
    """``inspect_image(data_url).sha256`` decodes the whole payload once, when asked."""
    url, data = _big_png_url()
    info = inspect_image(url)
    before = decoding.decoded
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert decoding.decoded - before >= len(url) - 30


def test_a_part_this_package_built_is_never_decoded_again(
    decoding: _CountingBinascii,
) -> None:
    """Preflight and the estimate of an ``image_part`` URL decode nothing and know its digest."""
    data = png((64, 48))
    url = image_part(data)["image_url"]
    assert url is not None
    outcome = preflight(**_request(url))
    estimate = estimate_request(**_request(url))
    assert decoding.decoded == 0
    assert outcome.images[0][1] is not None
    assert estimate.images[0].sha256 == hashlib.sha256(data).hexdigest()
    assert (estimate.images[0].width, estimate.images[0].height) == (64, 48)


def test_an_equal_copy_of_a_built_url_is_parsed_like_any_other(
    decoding: _CountingBinascii,
) -> None:
    """The memory of built parts is by identity: an equal string built elsewhere is parsed
    from its prefix (same answer), never trusted by value."""
    data = png((64, 48))
    url = image_part(data)["image_url"]
    assert url is not None
    copy = "".join(list(url))
    image = estimate_request(**_request(copy)).images[0]
    assert decoding.decoded > 0
    assert (image.width, image.height, image.n_bytes) == (64, 48, len(data))


def _with_gps(image: Image.Image, fmt: str, **options: Any) -> bytes:
    """``image`` saved as ``fmt`` with an EXIF block holding GPS coordinates."""
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"
    exif.get_ifd(0x8825)[2] = (48.0, 51.0, 24.0)  # GPSLatitude
    return encode(image, fmt, exif=exif, **options)


def _gps_warnings(url: str) -> list[str]:
    return [w for w in preflight(**_request(url)).warnings if "GPS" in w]


def test_a_built_part_carrying_gps_is_warned_about_without_decoding_it(
    decoding: _CountingBinascii,
) -> None:
    """``image_part`` learns whether the bytes carry GPS while it builds the URL: preflight
    warns from that memory and decodes nothing; a stripped part is not warned about."""
    data = _with_gps(Image.new("RGB", (64, 48), "teal"), "JPEG")
    url = image_part(data)["image_url"]
    stripped = image_part(data, optimize=True)["image_url"]
    assert url is not None
    assert stripped is not None
    assert len(_gps_warnings(url)) == 1
    assert _gps_warnings(stripped) == []
    assert decoding.decoded == 0


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_gps_in_a_foreign_data_url_is_found_from_a_few_kilobytes(
    decoding: _CountingBinascii, fmt: str
) -> None:
    """A data URL this package did not build: the GPS walk decodes the segment and chunk
    headers and the EXIF directory, not the payload (a WEBP keeps its EXIF after the image
    data: its chunks are skipped by their headers)."""
    noise = Image.effect_noise((900, 900), 90).convert("RGB")
    data = _with_gps(noise, fmt, **({"quality": 95} if fmt != "PNG" else {}))
    mime = f"image/{fmt.lower()}"
    url = f"data:{mime};base64," + base64.b64encode(data).decode()
    plain = f"data:{mime};base64," + base64.b64encode(encode(noise, fmt)).decode()
    assert len(_gps_warnings(url)) == 1
    assert _gps_warnings(plain) == []
    assert 0 < decoding.decoded < 2 * 16_384 < len(url) // 10


def test_a_gps_walk_over_a_broken_jpeg_is_bounded_and_says_no() -> None:
    """Markers that never reach a scan (thousands of tiny segments) end the walk: no GPS,
    no hang, no exception; the same bytes are still refused or passed by inspection alone."""
    from _private import has_gps

    segment = b"\xff\xfe\x00\x02"  # an empty comment, again and again
    assert not has_gps(b"\xff\xd8" + segment * 100_000 + b"\xff\xd9")
    assert not has_gps(b"\xff\xd8\xff\xe1\x00\x10Exif\x00\x00II*\x00")  # cut inside


def test_a_bad_base64_end_is_still_refused() -> None:
    """Padding in the wrong place and a cut quad are found without decoding the payload."""
    url = "data:image/gif;base64," + base64.b64encode(GIF).decode()
    with pytest.raises(Exception, match="not valid base64"):
        inspect_image(url[:-1])
    with pytest.raises(Exception, match="not valid base64"):
        inspect_image(url + "\n")


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (";base64", "no ',' within its first 1024 characters"),
        (",AAAA", "not base64-encoded"),
        (";base64,iVBO Rw0KGgo=", "whitespace or line breaks"),
        (";base64,iVBO-Rw0KGgo=", "URL-safe base64"),
        (";base64,iVBO%2BRw0KGgo=", "percent-encoded"),
    ],
    ids=["no-comma", "not-base64", "whitespace", "url-safe", "percent"],
)
def test_image_and_file_data_urls_share_one_parser(payload: str, reason: str) -> None:
    """Images and files parse data URLs with the same rules and say the same thing, each
    with its own error type (they used to have a parser each, naming different problems)."""
    with pytest.raises(InvalidDataURLError, match=reason):
        image_part("data:image/png" + payload)
    with pytest.raises(FileDataURLError, match=reason):
        file_part("data:application/pdf" + payload)


def test_an_upper_case_data_scheme_is_a_data_url_for_files_too() -> None:
    """``DATA:`` is a data URL everywhere: a file part passes it through checked."""
    url = "DATA:Text/Plain;base64," + base64.b64encode(b"hello").decode()
    assert file_part(url)["file_data"] == url


def test_the_per_image_limit_reads_the_same_in_parts_and_preflight() -> None:
    """``image_part``'s error and preflight's violation state the limit one way (they used to
    say "20,000,000-byte" and "20 MB (20,000,000 bytes)")."""
    big = png((1, 1))
    big += bytes(20_000_001 - len(big))
    with pytest.raises(ImageTooLargeError) as caught:
        image_part(big)
    url = "data:image/png;base64," + base64.b64encode(big).decode()
    with pytest.raises(PreflightError) as refused:
        preflight(**_request(url))
    wording = "over the per-image limit of 20 MB (20,000,000 bytes)"
    assert wording in str(caught.value)
    assert wording in refused.value.violations[0].message


def test_the_per_file_limit_reads_the_same_in_parts_and_preflight(tmp_path: Path) -> None:
    """``file_part``'s error and file preflight's violation state the limit one way (one
    spelled ``{limit / 1e6:g} MB`` itself, two had a helper each)."""
    path = tmp_path / "big.pdf"
    with path.open("wb") as fh:
        fh.truncate(50_000_001)  # sparse: refused from its size, never read
    with pytest.raises(FileTooLargeError) as caught:
        file_part(path)
    limits = FileLimits(max_file_bytes=500, max_total_bytes=10_000, max_pages=None)
    part = file_part(DATA / "mirascope-001.pdf")  # 591 bytes
    request = {"input": [{"role": "user", "content": [part]}]}
    with pytest.raises(PreflightError) as refused:
        preflight(model="gpt-4o", file_limits=limits, **request)
    assert "over the per-file limit of 50 MB (50,000,000 bytes)" in str(caught.value)
    (violation,) = refused.value.violations
    assert "over the per-file limit of 0.0005 MB (500 bytes)" in violation.message


# -- one walk per request ----------------------------------------------------------------------


def test_the_client_core_walks_a_request_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """``prepare`` (what every client call runs first) walks the request once: preflight and
    the estimate both consume that walk's parts, and neither walks again."""
    from _private import (
        core_module,
        estimate_module,
        file_preflight_module,
        preflight_module,
        walk_module,
    )

    walks = []

    def counting_walk(api: Any, request: Any) -> Any:
        walks.append(api)
        return walk_module.walk_request(api, request)

    def no_second_walk(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the request was walked again")

    monkeypatch.setattr(core_module, "walk_request", counting_walk)
    monkeypatch.setattr(preflight_module, "walk_request", no_second_walk)
    monkeypatch.setattr(estimate_module, "iter_image_refs", no_second_walk)
    monkeypatch.setattr(estimate_module, "iter_file_refs", no_second_walk)
    monkeypatch.setattr(file_preflight_module, "iter_file_refs", no_second_walk)
    url = image_part(png((64, 48)))["image_url"]
    assert url is not None
    request = _request(url)
    pdf = {"type": "input_file", "file_id": "file-abc"}
    request["input"][0]["content"].append(pdf)
    plan = core_module.prepare("responses", request, core_module.VisionOptions())
    assert walks == ["responses"]
    assert plan.parts is not None
    assert [f.file_id for f in plan.parts.files] == ["file-abc"]
    assert plan.estimate is not None
    assert (plan.estimate.images[0].width, plan.estimate.images[0].height) == (64, 48)


def test_the_client_core_sizes_each_image_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Preflight (is the image rejected?) and the estimate (its tokens) share one sizing per
    image: ``prepare`` works out each image's size under the model's rule once."""
    from _private import core_module, rules_module

    sized = []
    real = rules_module._sizing

    def counting(*args: Any) -> Any:
        sized.append(args[1:3])
        return real(*args)

    monkeypatch.setattr(rules_module, "_sizing", counting)
    url = image_part(png((611, 457)))["image_url"]  # a size no other test sizes
    assert url is not None
    plan = core_module.prepare("responses", _request(url), core_module.VisionOptions())
    assert plan.estimate is not None
    expected = estimate_image_tokens(611, 457, model="gpt-4o", detail="high")
    assert sized == [(611, 457)]  # before the line above: it sizes the same image again
    assert plan.estimate.images[0].tokens == expected


def test_preflight_and_the_estimate_agree_on_each_parts_source() -> None:
    """Every consumer reads a part's source from the walk: data URL, URL, file id."""
    from _private import walk_module

    data_url = "Data:image/gif;base64," + base64.b64encode(GIF).decode()
    content = [
        {"type": "input_image", "image_url": data_url, "detail": "low"},
        {"type": "input_image", "image_url": "https://example.com/a.png", "detail": "low"},
        {"type": "input_image", "file_id": "file-abc", "detail": "low"},
    ]
    request = {"model": "gpt-4o", "input": [{"role": "user", "content": content}]}
    parts = walk_module.walk_request("responses", request).images
    estimate = estimate_request(**request)
    assert [p.source for p in parts] == ["data_url", "url", "file_id"]
    assert [im.source for im in estimate.images] == ["data_url", "url", "file_id"]
    assert [p.info is not None for p in parts] == [True, False, False]


def test_a_new_client_builds_the_tokenizer_in_the_background() -> None:
    """Constructing a client starts the tokenizer's build on a daemon thread (once per
    process), so the first request does not pay for it; importing the package does not."""
    import subprocess

    code = (
        "import sys\n"
        f"sys.path.insert(0, {str(Path(__file__).parents[1])!r})\n"
        "from _private import text_module as _text\n"
        "from openai_vision_ext import VisionOpenAI\n"
        "before = len(_text._BUILT)\n"
        "VisionOpenAI(api_key='sk-test'); VisionOpenAI(api_key='sk-test')\n"
        "_text._warming.join(120)\n"
        "print(before, len(_text._BUILT), _text._warming.daemon)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0", "1", "True"]
