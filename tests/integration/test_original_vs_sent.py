"""A request built with ``image_part(..., optimize=True)`` and sent through a ``Vision*`` client
reports the original image beside the one sent: in ``vision_report``, the audit record and its
OTel attributes. Transport: ``httpx2.MockTransport`` (no sockets, no cassettes)."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from typing import Any

import pytest
from _helpers import encode
from _mock import IMAGE, Mock
from _private import span_attributes
from PIL import Image

from openai_vision_ext import (
    AsyncVisionOpenAI,
    AuditRecord,
    VisionOpenAI,
    image_part,
    image_url_part,
    vision_report,
)
from openai_vision_ext.testing import capture_audit


def photo(size: tuple[int, int], seed: int = 0) -> Image.Image:
    """Gradients plus noise: a photo-like image (thousands of colours, so it becomes JPEG)."""
    grad = Image.linear_gradient("L").resize(size)
    noise = Image.effect_noise(size, 48 + seed)
    return Image.merge("RGB", (grad, noise, grad.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))


def jpeg(im: Image.Image) -> bytes:
    return encode(im, "JPEG", quality=92)


@pytest.fixture(scope="module")
def big_photo() -> bytes:
    """A 12 MP (4000x3000) JPEG, as phones take them."""
    return jpeg(photo((4000, 3000)))


def sent_images(mock: Mock) -> list[bytes]:
    """The decoded bytes of every data-URL image in the requests the mock received."""
    found: list[bytes] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif isinstance(node, str) and node.startswith("data:"):
            found.append(base64.b64decode(node.partition(",")[2]))

    for request in mock.sent:
        walk(json.loads(request.content))
    return found


def responses_body(*parts: dict[str, Any]) -> dict[str, Any]:
    text = {"type": "input_text", "text": "What is in these images?"}
    return {"model": "gpt-4o", "input": [{"role": "user", "content": [text, *parts]}]}


def test_report_and_audit_show_original_and_sent(big_photo: bytes) -> None:
    """An optimized 4000x3000 photo is reported as sent (1024x768, its sent bytes and hash)
    with its original (4000x3000, its bytes, image/jpeg, resized); an image sent as given in the
    same request has no original."""
    mock = Mock.ok()
    client = VisionOpenAI(api_key="sk-test", max_retries=0, http_client=mock.sync_client())
    prepared = image_part(big_photo, optimize=True, model="gpt-4o", detail="high")
    plain = image_part(IMAGE, detail="low")
    with capture_audit() as records:
        response = client.responses.create(**responses_body(prepared, plain))

    sent, sent_plain = sent_images(mock)
    assert sent_plain == IMAGE
    report = vision_report(response)
    assert report is not None
    image, unprepared = report.images
    assert (image.width, image.height, image.mime) == (1024, 768, "image/jpeg")
    assert (image.n_bytes, image.sha256) == (len(sent), hashlib.sha256(sent).hexdigest())
    assert (image.original_width, image.original_height) == (4000, 3000)
    assert (image.original_n_bytes, image.original_mime) == (len(big_photo), "image/jpeg")
    assert image.prepared_actions == ("resized",)
    assert image.n_bytes is not None
    assert image.n_bytes < len(big_photo) / 10
    assert image.tokens == 765  # the same as the 4000x3000 original at high: 85 + 170 x 4 tiles
    assert (unprepared.width, unprepared.height, unprepared.n_bytes) == (100, 100, len(IMAGE))
    assert unprepared.original_width is None
    assert unprepared.original_height is None
    assert unprepared.original_n_bytes is None
    assert unprepared.original_mime is None
    assert unprepared.prepared_actions == ()

    (record,) = records
    first, second = record.to_dict()["images"]
    assert {k: first[k] for k in ("width", "height", "n_bytes", "sha256")} == {
        "width": 1024,
        "height": 768,
        "n_bytes": len(sent),
        "sha256": hashlib.sha256(sent).hexdigest(),
    }
    assert {k: first[k] for k in ("original_width", "original_height", "original_n_bytes")} == {
        "original_width": 4000,
        "original_height": 3000,
        "original_n_bytes": len(big_photo),
    }
    assert (first["original_mime"], first["prepared_actions"]) == ("image/jpeg", ["resized"])
    assert (second["original_width"], second["prepared_actions"]) == (None, [])
    assert AuditRecord.from_dict(json.loads(json.dumps(record.to_dict()))) == record

    attrs = span_attributes(record)
    assert attrs["openai_vision_ext.image.prepared_count"] == 1
    assert attrs["openai_vision_ext.image.original_bytes"] == len(big_photo)
    assert attrs["openai_vision_ext.image.sent_bytes"] == len(sent)


def test_no_prepared_image_means_no_original_and_no_otel_keys() -> None:
    """A request whose images were not prepared reports no originals and no preparation keys."""
    mock = Mock.ok()
    client = VisionOpenAI(api_key="sk-test", max_retries=0, http_client=mock.sync_client())
    with capture_audit() as records:
        response = client.responses.create(**responses_body(image_part(IMAGE)))
    report = vision_report(response)
    assert report is not None
    (image,) = report.images
    assert (image.original_width, image.original_n_bytes, image.prepared_actions) == (
        None,
        None,
        (),
    )
    assert not any(".image.prepared" in k or "_bytes" in k for k in span_attributes(records[0]))


@pytest.mark.anyio
async def test_chat_completions_async_shows_the_original(big_photo: bytes) -> None:
    """Same through ``image_url_part`` on the async client's Chat Completions."""
    mock = Mock.ok()
    client = AsyncVisionOpenAI(api_key="sk-test", max_retries=0, http_client=mock.async_client())
    part = image_url_part(big_photo, optimize=True, model="gpt-4o", detail="low")
    messages = [{"role": "user", "content": [{"type": "text", "text": "What is it?"}, part]}]
    with capture_audit() as records:
        response = await client.chat.completions.create(model="gpt-4o", messages=messages)
    (sent,) = sent_images(mock)
    report = vision_report(response)
    assert report is not None
    (image,) = report.images
    assert (image.width, image.height, image.n_bytes) == (512, 384, len(sent))
    assert (image.original_width, image.original_height) == (4000, 3000)
    assert image.original_n_bytes == len(big_photo)
    assert records[0].images[0].original_width == 4000


def test_images_prepared_and_sent_from_many_threads_keep_their_own_originals() -> None:
    """8 threads each prepare a distinct photo and send it: every report shows its own original
    (sizes differ per thread), none another thread's."""
    mock = Mock.ok()
    client = VisionOpenAI(api_key="sk-test", max_retries=0, http_client=mock.sync_client())
    results: dict[int, tuple[int | None, int | None, int | None]] = {}
    expected: dict[int, tuple[int, int, int]] = {}
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            size = (1600 + 16 * n, 1200)
            data = jpeg(photo(size, seed=n))
            expected[n] = (*size, len(data))
            part = image_part(data, optimize=True, model="gpt-4o", detail="low")
            response = client.responses.create(**responses_body(part))
            report = vision_report(response)
            assert report is not None
            (image,) = report.images
            results[n] = (image.original_width, image.original_height, image.original_n_bytes)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert results == expected


def test_two_originals_preparing_to_the_same_bytes_each_report_their_own() -> None:
    """A 4000x3000 and a 2000x1500 of one colour both prepare to the same 1024x768 bytes: each
    part reports its own original (keyed by the data URL image_part built, not by the bytes),
    and a copy of a URL, which only the bytes identify, reports none rather than the other's."""
    big, small = (Image.new("RGB", size, "teal") for size in ((4000, 3000), (2000, 1500)))
    parts = [image_part(im, model="gpt-4o", detail="high", optimize=True) for im in (big, small)]
    assert parts[0]["image_url"] == parts[1]["image_url"]  # the very same bytes are sent
    copied = {**parts[0], "image_url": "".join(list(parts[0]["image_url"]))}
    text = {"type": "input_text", "text": "Compare these"}
    client = VisionOpenAI(api_key="sk-test", max_retries=0, http_client=Mock.ok().sync_client())
    with capture_audit() as records:
        response = client.responses.create(
            model="gpt-4o", input=[{"role": "user", "content": [text, *parts, copied]}]
        )
    report = vision_report(response)
    assert report is not None
    assert [(i.width, i.height) for i in report.images] == [(1024, 768)] * 3
    assert [(i.original_width, i.original_height) for i in report.images] == [
        (4000, 3000),
        (2000, 1500),
        (None, None),
    ]
    assert [(i.original_width, i.original_height) for i in records[0].images] == [
        (4000, 3000),
        (2000, 1500),
        (None, None),
    ]
