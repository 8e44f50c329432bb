"""Image sources: paths, bytes-likes, file objects and PIL images; clear errors for the rest."""

from __future__ import annotations

import array
import contextlib
import hashlib
import io
import os
from pathlib import Path
from typing import Any

import pytest
from _helpers import encode
from _private import encode_pil_image, open_source, read_source, sources_module
from PIL import Image

from openai_vision_ext import AnimatedImageError, ImageSourceError, inspect_image

PNG = encode(Image.new("RGB", (12, 7), "orange"), "PNG")


@pytest.fixture
def png_path(tmp_path: Path) -> Path:
    path = tmp_path / "image.png"
    path.write_bytes(PNG)
    return path


# -- accepted sources ---------------------------------------------------------------------


def test_str_path_and_pathlike_are_read(png_path: Path) -> None:
    """A str path and an os.PathLike give the same result."""
    assert inspect_image(str(png_path)) == inspect_image(png_path)


@pytest.mark.parametrize("wrap", [bytes, bytearray, memoryview], ids=lambda f: f.__name__)
def test_bytes_likes_are_accepted(wrap: Any) -> None:
    """bytes, bytearray and memoryview are all image sources."""
    info = inspect_image(wrap(PNG))
    assert (info.width, info.height, info.sha256) == (12, 7, hashlib.sha256(PNG).hexdigest())


def test_non_byte_memoryview_is_read_as_raw_bytes() -> None:
    """A memoryview of another item size is read byte by byte."""
    padded = PNG + bytes(len(PNG) % 2)
    view = memoryview(array.array("H", padded))
    assert inspect_image(view).n_bytes == len(padded)


def test_binary_file_object_is_read_from_its_position_which_is_restored() -> None:
    """A seekable file is read from where it stands; its position is put back afterwards."""
    stream = io.BytesIO(b"prefix" + PNG)
    stream.seek(6)
    assert inspect_image(stream).n_bytes == len(PNG)
    assert stream.tell() == 6


def test_open_file_object_gets_its_name_in_errors(tmp_path: Path) -> None:
    """Errors about a real file object name the file."""
    path = tmp_path / "notes.png"
    path.write_bytes(b"hello there")
    with path.open("rb") as stream, pytest.raises(ValueError, match=r"'notes\.png' is text"):
        inspect_image(stream)


class _Pipe(io.RawIOBase):
    """A readable, non-seekable binary stream."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_non_seekable_stream_is_read_to_its_end() -> None:
    """A pipe-like stream works (it is consumed)."""
    assert inspect_image(io.BufferedReader(_Pipe(PNG))).width == 12


def test_read_source_returns_in_memory_buffers_without_copying() -> None:
    """read_source hands back the very bytes-like it was given."""
    data = bytearray(PNG)
    assert read_source(data) is data


def test_read_source_reads_a_whole_file(png_path: Path) -> None:
    """For a path, read_source returns the file's bytes."""
    assert read_source(png_path) == PNG


def test_open_source_reports_the_file_size_from_stat(png_path: Path) -> None:
    """The size of a path source is its size on disk."""
    with open_source(png_path) as src:
        assert (src.size, src.kind, src.label) == (len(PNG), "path", "'image.png'")


def test_open_source_reads_past_the_cached_head(tmp_path: Path) -> None:
    """read_at serves any offset, also beyond the first cached block."""
    data = bytes(range(256)) * 64
    path = tmp_path / "blob"
    path.write_bytes(data)
    with open_source(path) as src:
        assert src.read_at(10_000, 16) == data[10_000:10_016]
        assert src.read_at(len(data) - 4, 16) == data[-4:]


# -- PIL images -----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA", "P", "1", "I;16"])
def test_pil_images_are_encoded_losslessly_as_png(mode: str) -> None:
    """A PIL image becomes a PNG with the same pixels."""
    image = Image.linear_gradient("L").resize((20, 10)).convert(mode)
    data = encode_pil_image(image)
    with Image.open(io.BytesIO(data)) as decoded:
        assert decoded.format == "PNG"
        assert decoded.convert(image.mode).tobytes() == image.tobytes()


def test_cmyk_pil_image_is_encoded_as_jpeg() -> None:
    """PNG cannot hold CMYK: it is encoded as JPEG instead."""
    info = inspect_image(Image.new("CMYK", (9, 4)))
    assert (info.format, info.width, info.height) == ("jpeg", 9, 4)


def test_float_pil_image_is_converted_to_a_png_mode() -> None:
    """Modes PNG cannot store (e.g. 32-bit float) are converted first."""
    assert inspect_image(Image.new("F", (3, 3))).format == "png"


def test_animated_pil_image_is_refused() -> None:
    """An animated PIL image raises AnimatedImageError instead of silently sending one frame."""
    frames = [Image.new("RGB", (4, 4), c) for c in ("red", "blue")]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:])
    with Image.open(io.BytesIO(data)) as image, pytest.raises(AnimatedImageError) as caught:
        inspect_image(image)
    assert caught.value.frames == 2


def test_one_frame_copied_from_an_animation_is_accepted() -> None:
    """The error's advice works: img.copy() of a frame is a still image."""
    frames = [Image.new("RGB", (4, 4), c) for c in ("red", "blue")]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:])
    with Image.open(io.BytesIO(data)) as image:
        image.seek(1)
        assert inspect_image(image.copy()).animated is False


# -- errors ---------------------------------------------------------------------------------


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    """A missing file raises ImageSourceError with the path."""
    with pytest.raises(ImageSourceError, match=r"not found: .*nope\.png"):
        inspect_image(tmp_path / "nope.png")


def test_directory_is_refused(tmp_path: Path) -> None:
    """A directory is not an image file."""
    with pytest.raises(ImageSourceError, match="is a directory"):
        inspect_image(tmp_path)


def test_closed_file_is_refused(png_path: Path) -> None:
    """A closed file object raises ImageSourceError."""
    stream = png_path.open("rb")
    stream.close()
    with pytest.raises(ImageSourceError, match="closed"):
        inspect_image(stream)


def test_text_mode_file_is_refused_with_advice(png_path: Path) -> None:
    """A file opened in text mode says to open it with 'rb'."""
    with (
        png_path.open(encoding="latin-1") as stream,
        pytest.raises(ImageSourceError, match="open\\(path, 'rb'\\)"),
    ):
        inspect_image(stream)  # type: ignore[arg-type]


def test_string_io_is_refused() -> None:
    """io.StringIO holds text, not image bytes."""
    with pytest.raises(ImageSourceError, match="text mode"):
        inspect_image(io.StringIO("abc"))  # type: ignore[arg-type]


@pytest.mark.parametrize("source", [42, 3.5, None, ["a.png"], {"url": "x"}, object()])
def test_unsupported_source_types_name_what_is_accepted(source: object) -> None:
    """Anything else raises ImageSourceError listing the accepted sources."""
    with pytest.raises(ImageSourceError, match=r"a file path .* a PIL\.Image\.Image"):
        inspect_image(source)  # type: ignore[arg-type]


def test_http_url_is_not_fetched_by_inspect() -> None:
    """inspect_image does not download; the error says how to send a URL."""
    with pytest.raises(ImageSourceError, match="not downloaded"):
        inspect_image("https://example.com/cat.png")


def test_raw_base64_string_gets_a_data_url_hint() -> None:
    """A base64 string passed as a path is recognised and explained."""
    import base64

    with pytest.raises(ImageSourceError, match="looks like raw base64"):
        inspect_image(base64.b64encode(PNG).decode())


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs a non-root POSIX user")
def test_unreadable_file_is_refused(png_path: Path) -> None:
    """A file without read permission raises ImageSourceError."""
    png_path.chmod(0)
    with pytest.raises(ImageSourceError, match="no permission"):
        inspect_image(png_path)


# -- header-only reads, special files, streams ----------------------------------------------


@pytest.fixture
def counted_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Sizes of every read the path source makes (os.pread under the hood)."""
    _sources = sources_module

    sizes: list[int] = []
    real = _sources._pread

    def counted(fd: int, n: int, offset: int) -> bytes:
        data = real(fd, n, offset)
        sizes.append(len(data))
        return data

    monkeypatch.setattr(_sources, "_pread", counted)
    return sizes


def test_inspecting_a_huge_file_reads_only_its_first_block(
    tmp_path: Path, counted_reads: list[int]
) -> None:
    """A 1 GiB (sparse) PNG is inspected from one 4 KiB read; its size comes from fstat."""
    path = tmp_path / "huge.png"
    path.write_bytes(PNG)
    os.truncate(path, 1 << 30)
    info = inspect_image(path)
    assert (info.width, info.height, info.n_bytes) == (12, 7, 1 << 30)
    assert sum(counted_reads) <= 4096


def _run_with_timeout(action: Any, seconds: float = 5.0) -> BaseException | None:
    """Run ``action`` in a daemon thread; return what it raised, fail if it blocks."""
    import threading

    raised: list[BaseException] = []

    def target() -> None:
        try:
            action()
        except BaseException as exc:  # handed back to the test
            raised.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "the call blocked"
    return raised[0] if raised else None


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
@pytest.mark.parametrize("read", [inspect_image, read_source], ids=["inspect", "read_source"])
def test_a_named_pipe_is_refused_without_waiting_for_a_writer(tmp_path: Path, read: Any) -> None:
    """A FIFO named like an image is refused at once, not waited on forever."""
    fifo = tmp_path / "photo.png"
    os.mkfifo(fifo)
    try:
        raised = _run_with_timeout(lambda: read(fifo))
    finally:  # unblock a reader stuck in open(), should the test fail
        with contextlib.suppress(OSError):
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    assert isinstance(raised, ImageSourceError)
    assert "not a regular file" in str(raised)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_a_device_is_refused_instead_of_read_forever() -> None:
    """/dev/zero never ends: it is refused as not a regular file, not read."""
    raised = _run_with_timeout(lambda: read_source("/dev/zero"))
    assert isinstance(raised, ImageSourceError)


def test_read_source_refuses_a_directory(tmp_path: Path) -> None:
    """Reading a directory's bytes raises ImageSourceError, like inspecting it."""
    with pytest.raises(ImageSourceError, match="is a directory"):
        read_source(tmp_path)


class _SpyStream(io.BytesIO):
    """A seekable binary stream that records the size of every read() request."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.requests: list[int] = []

    def read(self, size: int | None = -1, /) -> bytes:
        self.requests.append(-1 if size is None else size)
        return super().read(size)


def test_seekable_stream_is_never_read_whole() -> None:
    """A 3 MiB stream is parsed from small reads and hashed in chunks of at most 1 MiB."""
    data = PNG + os.urandom(3 << 20)
    stream = _SpyStream(b"xx" + data)
    stream.seek(2)
    info = inspect_image(stream)
    assert (info.width, info.n_bytes, info.sha256) == (
        12,
        len(data),
        hashlib.sha256(data).hexdigest(),
    )
    assert stream.tell() == 2
    assert 0 < max(stream.requests) <= 1 << 20


def test_stream_raising_on_read_gives_image_source_error() -> None:
    """An OSError from the stream becomes ImageSourceError naming the cause."""

    class Broken(io.BytesIO):
        def read(self, size: int | None = -1, /) -> bytes:
            raise OSError("disk on fire")

    with pytest.raises(ImageSourceError, match="disk on fire"):
        inspect_image(Broken(PNG))


# -- PIL modes --------------------------------------------------------------------------------

PIL_MODES = ["1", "L", "LA", "La", "P", "PA", "RGB", "RGBA", "RGBa", "RGBX", "CMYK"]
PIL_MODES += ["YCbCr", "LAB", "HSV", "I", "F", "I;16", "I;16L", "I;16B", "I;16N"]


@pytest.mark.parametrize("mode", PIL_MODES)
def test_every_pil_mode_becomes_an_image_openai_accepts(mode: str) -> None:
    """Any mode Pillow can create is sent as PNG (CMYK: JPEG), never a bare Pillow error."""
    image = Image.new(mode, (5, 3))
    info = inspect_image(image)
    assert (info.format, info.width, info.height) == ("jpeg" if mode == "CMYK" else "png", 5, 3)


@pytest.mark.parametrize("mode", ["La", "RGBa", "PA"])
def test_alpha_survives_modes_png_cannot_store(mode: str) -> None:
    """Premultiplied or palette alpha becomes a straight alpha band, not dropped."""
    data = encode_pil_image(Image.new(mode, (4, 4)))
    with Image.open(io.BytesIO(data)) as decoded:
        assert "A" in decoded.getbands()


def test_32_bit_integer_pixels_within_16_bits_are_kept_exactly() -> None:
    """Mode I with values up to 65535 is stored as 16-bit PNG without loss."""
    image = Image.new("I", (3, 2), 40_000)
    with Image.open(io.BytesIO(encode_pil_image(image))) as decoded:
        assert decoded.convert("I").getpixel((1, 1)) == 40_000


def test_lazily_opened_truncated_file_gives_image_source_error() -> None:
    """A PIL image whose file is cut off fails when encoded: typed, with advice."""
    cut = encode(Image.effect_noise((64, 64), 50).convert("RGB"), "PNG")
    with (
        Image.open(io.BytesIO(cut[: len(cut) // 2])) as image,
        pytest.raises(ImageSourceError, match="cannot encode the PIL image"),
    ):
        inspect_image(image)


@pytest.mark.parametrize(
    ("path", "message"),
    [("", "is empty"), ("cat\x00.png", "NUL character")],
    ids=["empty", "nul"],
)
def test_impossible_paths_are_refused_with_typed_errors(path: str, message: str) -> None:
    """An empty path or one with a NUL byte gives ImageSourceError, not a bare ValueError."""
    for read in (inspect_image, read_source):
        with pytest.raises(ImageSourceError, match=message):
            read(path)


def test_a_tilde_path_that_is_not_found_says_tilde_is_not_expanded() -> None:
    """'~/x.png' is taken literally; the error says to expand it."""
    with pytest.raises(ImageSourceError, match="expanduser"):
        inspect_image("~/surely-not-here-0b6e.png")


# -- the path fast path (scan_source for str / PathLike) ---------------------------------------


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc/self/fd")
def test_inspecting_paths_closes_every_descriptor(tmp_path: Path, png_path: Path) -> None:
    """Success, a non-image, a directory and a device: no file descriptor is left open."""
    text = tmp_path / "notes.png"
    text.write_bytes(b"just some text\n")
    before = _open_fds()
    for _ in range(20):
        inspect_image(png_path)
        for bad in (text, tmp_path, Path("/dev/null")):
            with contextlib.suppress(ImageSourceError, ValueError):
                inspect_image(bad)
    assert _open_fds() == before


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_inspecting_a_device_is_refused_at_once() -> None:
    """/dev/zero is refused as not a regular file by inspect_image too, not read."""
    raised = _run_with_timeout(lambda: inspect_image("/dev/zero"))
    assert isinstance(raised, ImageSourceError)
    assert "not a regular file" in str(raised)


def test_short_reads_of_the_first_block_are_retried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pread that returns fewer bytes than asked (allowed by POSIX) is continued."""
    _sources = sources_module

    real = _sources._pread

    def dribble(fd: int, n: int, offset: int) -> bytes:
        return real(fd, min(n, 5), offset)

    monkeypatch.setattr(_sources, "_pread", dribble)
    path = tmp_path / "p.png"
    path.write_bytes(PNG)
    info = inspect_image(str(path))
    assert (info.format, info.width, info.height, info.n_bytes) == ("png", 12, 7, len(PNG))


def test_a_str_path_and_a_path_object_give_the_same_info(png_path: Path) -> None:
    """The str fast path and os.PathLike agree, lazy digest included."""
    assert inspect_image(str(png_path)) == inspect_image(png_path)
    assert inspect_image(str(png_path)).sha256 == hashlib.sha256(png_path.read_bytes()).hexdigest()
