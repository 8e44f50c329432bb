"""The originals cache: what prepare_image changed, remembered by the sent bytes' sha256."""

from __future__ import annotations

import hashlib
import sys
import threading
from dataclasses import replace
from typing import Any

import pytest
from _helpers import encode
from _private import (
    MAX_ENTRIES,
    ORIGINALS,
    Original,
    OriginalsCache,
    prepare_module,
    with_originals,
)
from PIL import Image

from openai_vision_ext import estimate_request, image_part, prepare_image


def photo(size: tuple[int, int]) -> Image.Image:
    grad = Image.linear_gradient("L").resize(size)
    return Image.merge("RGB", (grad, Image.effect_noise(size, 48), grad.transpose(0)))


def original(n: int) -> Original:
    return Original(width=n, height=n + 1, n_bytes=n * 10, mime="image/png", actions=("resized",))


def key(n: int) -> str:
    return hashlib.sha256(str(n).encode()).hexdigest()


# -- the cache ------------------------------------------------------------------------------


def test_cache_returns_what_was_put_and_none_for_the_rest():
    """get() finds an entry by the sent image's sha256; an unknown hash gives None."""
    cache = OriginalsCache(maxsize=4)
    cache.put(key(1), original(1))
    assert cache.get(key(1)) == original(1)
    assert cache.get(key(2)) is None


def test_cache_is_bounded_and_evicts_the_oldest():
    """Past maxsize the least recently used entries go; the size never exceeds maxsize."""
    cache = OriginalsCache(maxsize=3)
    for n in range(5):
        cache.put(key(n), original(n))
    assert len(cache) == 3
    assert [cache.get(key(n)) is not None for n in range(5)] == [False, False, True, True, True]


def test_a_lookup_keeps_an_entry_alive():
    """get() refreshes an entry: the untouched one is evicted first."""
    cache = OriginalsCache(maxsize=2)
    cache.put(key(1), original(1))
    cache.put(key(2), original(2))
    assert cache.get(key(1)) is not None
    cache.put(key(3), original(3))
    assert (cache.get(key(1)), cache.get(key(2))) == (original(1), None)


def test_the_process_cache_holds_1024_entries():
    """The shared cache is bounded (about 300 bytes an entry, never image bytes)."""
    assert ORIGINALS.maxsize == MAX_ENTRIES == 1024
    assert set(Original.__dataclass_fields__) == {"width", "height", "n_bytes", "mime", "actions"}


def test_cache_size_must_be_positive():
    """A zero-sized cache is a configuration error."""
    with pytest.raises(ValueError, match="maxsize"):
        OriginalsCache(maxsize=0)


def test_cache_survives_concurrent_puts_and_gets():
    """8 threads putting and reading 2,000 entries each into a 64-entry cache: no error, the
    bound holds, and a hit is always the entry put under that hash."""
    cache = OriginalsCache(maxsize=64)
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def work(worker: int) -> None:
        try:
            start.wait()
            for i in range(2_000):
                n = worker * 10_000 + i
                cache.put(key(n), original(n))
                for m in (n, n - 1, n - 50):
                    found = cache.get(key(m))
                    assert found is None or found == original(m)
                assert len(cache) <= 64
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(cache) == 64


def test_len_never_shows_more_than_maxsize_mid_put():
    """``len()`` reads without the lock, so ``put`` evicts before it inserts: a reader thread
    switching in at any bytecode never sees ``maxsize + 1`` entries."""
    cache = OriginalsCache(maxsize=4)
    over: list[int] = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            if (n := len(cache)) > 4:
                over.append(n)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as the interpreter allows
    reader = threading.Thread(target=watch)
    reader.start()
    try:
        for n in range(20_000):
            cache.put(key(n), original(n))
    finally:
        done.set()
        reader.join()
        sys.setswitchinterval(interval)
    assert over == []


# -- with_originals -------------------------------------------------------------------------


def request_with(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"input": [{"role": "user", "content": [{"type": "input_text", "text": "Hi"}, *parts]}]}


def small_png(colour: tuple[int, int, int]) -> bytes:
    return encode(Image.new("RGB", (64, 48), colour), "PNG")


def test_with_originals_fills_in_only_remembered_images():
    """A remembered image gets its original's facts; another image and a URL stay as they were."""
    sent = small_png((1, 2, 3))
    other = small_png((4, 5, 6))
    cache = OriginalsCache()
    cache.put(hashlib.sha256(sent).hexdigest(), Original(640, 480, 9_999, "image/tiff", ("x",)))
    est = estimate_request(
        model="gpt-4o",
        **request_with(
            image_part(sent, detail="low"),
            image_part(other, detail="low"),
            image_part("https://example.com/a.png", detail="low"),
        ),
    )
    first, second, url = with_originals(est, cache).images
    assert (first.original_width, first.original_height) == (640, 480)
    assert (first.original_n_bytes, first.original_mime, first.prepared_actions) == (
        9_999,
        "image/tiff",
        ("x",),
    )
    assert (first.width, first.height, first.n_bytes) == (64, 48, len(sent))
    assert second == est.images[1]
    assert url == est.images[2]
    assert second.original_width is None
    assert second.prepared_actions == ()


def test_with_originals_is_free_when_nothing_was_prepared():
    """With an empty cache the estimate itself comes back (no copy, no lookup)."""
    est = estimate_request(model="gpt-4o", **request_with(image_part(small_png((7, 7, 7)))))
    assert with_originals(est, OriginalsCache()) is est


def test_with_originals_returns_the_estimate_when_no_image_matches():
    """A non-empty cache without any of the request's images changes nothing."""
    cache = OriginalsCache()
    cache.put(key(1), original(1))
    est = estimate_request(model="gpt-4o", **request_with(image_part(small_png((8, 8, 8)))))
    assert with_originals(est, cache) is est


def test_with_originals_keeps_originals_already_set():
    """An image that already carries its original is not overwritten."""
    sent = small_png((9, 9, 9))
    cache = OriginalsCache()
    cache.put(hashlib.sha256(sent).hexdigest(), original(5))
    est = estimate_request(model="gpt-4o", **request_with(image_part(sent)))
    (image,) = est.images
    given = replace(est, images=(replace(image, original_width=1, original_height=2),))
    assert with_originals(given, cache).images[0].original_width == 1


# -- what prepare_image remembers -------------------------------------------------------------


def test_a_resized_image_is_remembered_under_its_sent_hash():
    """4000x3000 JPEG -> 1024x768: the original's size, bytes, MIME and actions are recorded."""
    data = encode(photo((4000, 3000)), "JPEG", quality=90)
    prepared = prepare_image(data, model="gpt-4o", detail="high")
    assert prepared.info is not None
    found = ORIGINALS.get(hashlib.sha256(prepared.data).hexdigest())
    assert found == Original(
        width=4000, height=3000, n_bytes=len(data), mime="image/jpeg", actions=("resized",)
    )


def test_an_image_sent_byte_for_byte_is_not_remembered(monkeypatch: pytest.MonkeyPatch):
    """A passed-through image is its own original: nothing is recorded."""
    cache = OriginalsCache()
    monkeypatch.setattr(prepare_module, "ORIGINALS", cache)
    data = small_png((10, 20, 30))
    prepared = prepare_image(data, model="gpt-4o", detail="high")
    assert prepared.data == data
    assert prepared.actions == ()
    assert len(cache) == 0


def test_a_converted_image_records_its_source_mime():
    """A BMP converted to PNG records image/bmp and 'converted'."""
    data = encode(Image.new("RGB", (300, 200), (0, 128, 255)), "BMP")
    prepared = prepare_image(data)
    found = ORIGINALS.get(hashlib.sha256(prepared.data).hexdigest())
    assert found is not None
    assert (found.width, found.height, found.n_bytes) == (300, 200, len(data))
    assert (found.mime, found.actions) == ("image/bmp", ("converted",))


def test_a_resized_pil_image_is_remembered_without_a_byte_count():
    """An in-memory PIL image has no encoded size: n_bytes and mime are None."""
    prepared = prepare_image(photo((2048, 2048)), model="gpt-4o", detail="low")
    found = ORIGINALS.get(hashlib.sha256(prepared.data).hexdigest())
    assert found == Original(2048, 2048, None, None, ("resized",))


def test_an_unchanged_pil_image_is_not_remembered(monkeypatch: pytest.MonkeyPatch):
    """A PIL image encoded at its own size (nothing done) records nothing."""
    cache = OriginalsCache()
    monkeypatch.setattr(prepare_module, "ORIGINALS", cache)
    prepare_image(Image.new("RGB", (32, 32), "red"))
    assert len(cache) == 0


def test_two_originals_preparing_to_the_same_bytes_report_no_original():
    """A 4000x3000 and another original both prepared to the same bytes: the sent image cannot
    say which it came from, so neither is reported (never the other image's 2048x1536)."""
    cache = OriginalsCache(maxsize=4)
    big = Original(width=4000, height=3000, n_bytes=900, mime="image/jpeg", actions=("resized",))
    other = Original(2048, 1536, 500, "image/png", ("stripped_metadata",))
    cache.put(key(1), big)
    cache.put(key(1), big)  # the same original prepared twice stays known
    assert cache.get(key(1)) == big
    cache.put(key(1), other)
    assert cache.get(key(1)) is None
    cache.put(key(1), big)
    assert cache.get(key(1)) is None
