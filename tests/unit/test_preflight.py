"""Preflight: every violation kind, all at once in one error, right positions, no mutation."""

from __future__ import annotations

import base64
import copy
import io
import struct
from typing import Any

import pytest
from _helpers import encode
from _private import MAX_PIXELS, MB, check_request
from PIL import Image

from openai_vision_ext import DEFAULT_LIMITS, LIMIT_PROFILES, ImageLimits, PreflightError, preflight

PNG = encode(Image.new("RGB", (30, 20), "green"), "PNG")
JPEG = encode(Image.new("RGB", (30, 20), "green"), "JPEG")
ANIMATED_GIF = encode(
    Image.new("RGB", (4, 4), "red"), "GIF", save_all=True, append_images=[Image.new("RGB", (4, 4))]
)


def data_url(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def part(url: str | None = None, detail: Any = "auto", **extra: Any) -> dict[str, Any]:
    item: dict[str, Any] = {"type": "input_image", "detail": detail, **extra}
    if url is not None:
        item["image_url"] = url
    return item


def responses(*parts: dict[str, Any]) -> dict[str, Any]:
    """A Responses request with one user message holding ``parts``."""
    return {"model": "gpt-4o", "input": [{"role": "user", "content": list(parts)}]}


def codes(request: dict[str, Any], **kwargs: Any) -> list[tuple[str, int | None]]:
    outcome = check_request("responses", "gpt-4o", request, **kwargs)
    return [(v.code, v.image_index) for v in outcome.violations]


def padded_png(n_bytes: int) -> bytes:
    """A valid PNG header padded after IEND to exactly ``n_bytes``."""
    return PNG + bytes(n_bytes - len(PNG))


# -- one violation kind each ----------------------------------------------------------------


def test_clean_request_has_no_violations() -> None:
    """PNG and JPEG data URLs, a URL and a file id: nothing to report."""
    request = responses(
        part(data_url(PNG)),
        part(data_url(JPEG, "image/jpeg")),
        part("https://example.com/a.png"),
        part(file_id="file-1"),
    )
    outcome = check_request("responses", "gpt-4o", request)
    assert outcome.ok
    assert outcome.violations == ()


VIOLATIONS = {
    "invalid_detail": part(data_url(PNG), detail="medium"),
    "missing_image": part(),
    "invalid_image_url": part("/home/me/cat.png"),
    "invalid_data_url": part("data:image/png;base64,@@@"),
    "mime_mismatch": part(data_url(PNG, "image/jpeg")),
    "unsupported_format": part(
        data_url(b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml")
    ),
    "empty_image": part("data:image/png;base64,"),
    "corrupt_image": part(data_url(PNG[:20])),
    "animated_image": part(data_url(ANIMATED_GIF, "image/gif")),
    "decompression_bomb": part(
        data_url(PNG[:16] + struct.pack(">II", MAX_PIXELS + 1, 1) + PNG[24:])
    ),
}


@pytest.mark.parametrize("code", sorted(VIOLATIONS))
def test_each_problem_is_reported_with_its_code(code: str) -> None:
    """Each kind of bad image gives exactly one violation with its stable code."""
    assert codes(responses(part(data_url(PNG)), VIOLATIONS[code])) == [(code, 1)]


def test_per_image_limit_exactly_at_the_limit_passes() -> None:
    """An image of exactly 20 MB (20,000,000 decoded bytes) passes the default limits."""
    assert DEFAULT_LIMITS.max_image_bytes == 20 * 1_000_000
    assert codes(responses(part(data_url(padded_png(20_000_000))))) == []


def test_per_image_limit_one_byte_over_fails_and_reports_both_sizes() -> None:
    """20,000,001 bytes is too large; the message gives decoded bytes and data-URL chars."""
    url = data_url(padded_png(20_000_001))
    outcome = check_request("responses", "gpt-4o", responses(part(url)))
    (violation,) = outcome.violations
    assert violation.code == "image_too_large"
    assert "20,000,001 bytes decoded" in violation.message
    assert f"{len(url):,} data-URL characters" in violation.message


def _limits(**changes: int) -> ImageLimits:
    values = {"max_images": 100, "max_total_bytes": 10 * MB, "max_image_bytes": 10 * MB}
    values.update(changes)
    return ImageLimits(
        max_images=values["max_images"],
        max_total_bytes=values["max_total_bytes"],
        max_image_bytes=values["max_image_bytes"],
    )


def test_image_count_at_the_limit_passes_and_one_more_fails() -> None:
    """max_images images pass; one more is a request-level violation."""
    three = responses(*[part(f"https://example.com/{i}.png") for i in range(3)])
    assert codes(three, limits=_limits(max_images=3)) == []
    assert codes(three, limits=_limits(max_images=2)) == [("too_many_images", None)]


def test_total_bytes_at_the_limit_pass_and_one_more_fails() -> None:
    """The total of decoded bytes is compared with max_total_bytes, inclusive."""
    request = responses(part(data_url(PNG)), part(data_url(JPEG, "image/jpeg")))
    total = len(PNG) + len(JPEG)
    assert codes(request, limits=_limits(max_total_bytes=total)) == []
    assert codes(request, limits=_limits(max_total_bytes=total - 1)) == [
        ("request_too_large", None)
    ]


def test_urls_and_file_ids_count_as_images_but_not_bytes() -> None:
    """Remote images count towards max_images, not the byte total, and a note says so."""
    request = responses(part("https://example.com/a.png"), part(file_id="file-1"))
    outcome = check_request("responses", "gpt-4o", request, limits=_limits(max_total_bytes=0))
    assert outcome.violations == ()
    assert [info for _, info in outcome.images] == [None, None]
    assert len(outcome.notes) == 1
    assert outcome.notes[0].startswith("2 images are given by URL or file id")


# -- several at once, positions ---------------------------------------------------------------


def test_all_problems_come_in_one_error_in_request_order() -> None:
    """preflight raises one PreflightError listing every violation with index and location."""
    request = responses(
        VIOLATIONS["invalid_detail"],
        part(data_url(PNG)),
        VIOLATIONS["animated_image"],
        VIOLATIONS["mime_mismatch"],
    )
    with pytest.raises(PreflightError) as caught:
        preflight(**request)
    found = [(v.code, v.image_index, v.location) for v in caught.value.violations]
    assert found == [
        ("invalid_detail", 0, "input[0].content[0]"),
        ("animated_image", 2, "input[0].content[2]"),
        ("mime_mismatch", 3, "input[0].content[3]"),
    ]
    assert "3 problems" in str(caught.value)


def test_image_and_request_problems_are_reported_together() -> None:
    """Per-image violations come first, then request-level ones."""
    request = responses(VIOLATIONS["missing_image"], part(data_url(PNG)))
    assert codes(request, limits=_limits(max_images=1)) == [
        ("missing_image", 0),
        ("too_many_images", None),
    ]


def test_images_in_tool_outputs_are_checked() -> None:
    """An image inside a function_call_output is found and checked with its nested location."""
    request = {
        "model": "gpt-4o",
        "input": [
            {"role": "user", "content": "look"},
            {
                "type": "function_call_output",
                "call_id": "c1",
                "output": [VIOLATIONS["empty_image"]],
            },
        ],
    }
    outcome = check_request("responses", "gpt-4o", request)
    assert [(v.code, v.location) for v in outcome.violations] == [
        ("empty_image", "input[1].output[0]")
    ]


def test_chat_completions_requests_are_checked() -> None:
    """Chat image_url parts are checked the same way, with messages[...] locations."""
    request = {
        "model": "gpt-4o",
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "hi"},
                    {"type": "image_url", "image_url": {"url": data_url(PNG, "image/gif")}},
                ],
            }
        ],
    }
    outcome = check_request("chat.completions", "gpt-4o", request)
    assert [(v.code, v.location) for v in outcome.violations] == [
        ("mime_mismatch", "messages[0].content[1]")
    ]


def test_outcome_pairs_each_image_with_its_info() -> None:
    """Data URLs get their ImageInfo; remote and broken images get None."""
    request = responses(
        part(data_url(PNG)), part("https://e.com/a.png"), VIOLATIONS["corrupt_image"]
    )
    outcome = check_request("responses", "gpt-4o", request)
    infos = [info for _, info in outcome.images]
    assert infos[0] is not None
    assert (infos[0].width, infos[0].height, infos[0].n_bytes) == (30, 20, len(PNG))
    assert infos[1:] == [None, None]
    assert [ref.index for ref, _ in outcome.images] == [0, 1, 2]


def test_request_is_never_mutated() -> None:
    """check_request and preflight leave the request exactly as it was."""
    request = responses(*VIOLATIONS.values(), part(data_url(PNG)))
    before = copy.deepcopy(request)
    check_request("responses", "gpt-4o", request)
    with pytest.raises(PreflightError):
        preflight(**request)
    assert request == before


def test_preflight_returns_the_outcome_when_clean() -> None:
    """Nothing wrong: preflight returns the outcome instead of raising."""
    assert preflight(**responses(part(data_url(PNG)))).ok


def test_absent_detail_is_allowed() -> None:
    """The API defaults a missing detail to auto: no violation."""
    item = part(data_url(PNG))
    del item["detail"]
    assert codes(responses(item)) == []


# -- limit profiles -----------------------------------------------------------------------------


def test_default_limits_are_the_newest_profile() -> None:
    """The default profile is the most recent dated one."""
    assert DEFAULT_LIMITS is LIMIT_PROFILES[max(LIMIT_PROFILES)]


def test_the_2025_profile_is_stricter_than_the_current_one() -> None:
    """Selecting the 2025 profile flags what the current one allows (60 MB in 3 images)."""
    request = responses(*[part(data_url(padded_png(20 * MB))) for _ in range(3)])
    assert codes(request) == []
    assert codes(request, limits=LIMIT_PROFILES["2025"]) == [("request_too_large", None)]


def test_limits_are_frozen() -> None:
    """ImageLimits cannot be changed in place."""
    from dataclasses import FrozenInstanceError

    with pytest.raises(FrozenInstanceError):
        DEFAULT_LIMITS.max_images = 1  # type: ignore[misc]


# -- animations, phone JPEGs, request shapes --------------------------------------------------


def _two_frames(fmt: str) -> bytes:
    frames = [Image.new("RGB", (6, 4), c) for c in ("red", "blue")]
    return encode(frames[0], fmt, save_all=True, append_images=frames[1:])


@pytest.mark.parametrize(
    ("fmt", "mime"),
    [("GIF", "image/gif"), ("WEBP", "image/webp"), ("PNG", "image/png")],
    ids=["gif", "webp", "apng"],
)
def test_every_kind_of_animation_is_a_violation(fmt: str, mime: str) -> None:
    """Animated GIF, animated WEBP and APNG data URLs are each flagged animated_image."""
    outcome = check_request(
        "responses", "gpt-4o", responses(part(data_url(_two_frames(fmt), mime)))
    )
    assert [(v.code, v.image_index) for v in outcome.violations] == [("animated_image", 0)]
    assert "2 frames" in outcome.violations[0].message


def test_a_phone_mpo_jpeg_passes() -> None:
    """A JPEG Pillow opens as MPO, declared image/jpeg, is a still JPEG: no violation."""
    mpo = _two_frames("MPO")
    with Image.open(io.BytesIO(mpo)) as oracle:
        assert oracle.format == "MPO"
    assert codes(responses(part(data_url(mpo, "image/jpeg")))) == []


def test_one_image_with_several_problems_reports_each() -> None:
    """A bad detail and a MIME mismatch on the same image are two violations, same index."""
    request = responses(part(data_url(PNG), detail="ultra"), part(data_url(PNG, "image/gif")))
    request["input"][0]["content"][0]["image_url"] = data_url(PNG, "image/webp")
    assert codes(request) == [("invalid_detail", 0), ("mime_mismatch", 0), ("mime_mismatch", 1)]


def test_the_error_message_gives_each_position() -> None:
    """str(PreflightError) names each image's index and location, one line per violation."""
    request = responses(part(data_url(PNG)), VIOLATIONS["mime_mismatch"])
    with pytest.raises(PreflightError) as caught:
        preflight(**request)
    assert "\n  - image 1 at input[0].content[1]: the data URL declares image/jpeg" in str(
        caught.value
    )


def test_a_plain_string_input_has_no_images_and_passes() -> None:
    """input="..." (a bare string) is walked: no images, no violations."""
    outcome = preflight(model="gpt-4o", input="What is in this image?")
    assert (outcome.ok, outcome.images) == (True, ())


def test_images_in_any_message_and_any_depth_are_found() -> None:
    """Images in several messages, string-content messages between them, and a tool output
    nested in a list are all found, in request order."""
    request = {
        "input": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": [part(data_url(PNG)), {"type": "input_text", "text": "a"}]},
            {"role": "assistant", "content": "ok"},
            {"type": "function_call_output", "call_id": "c", "output": [VIOLATIONS["empty_image"]]},
            {"role": "user", "content": [VIOLATIONS["mime_mismatch"]]},
        ]
    }
    outcome = check_request("responses", "gpt-4o", request)
    assert [ref.location for ref, _ in outcome.images] == [
        "input[1].content[0]",
        "input[3].output[0]",
        "input[4].content[0]",
    ]
    assert [(v.code, v.image_index) for v in outcome.violations] == [
        ("empty_image", 1),
        ("mime_mismatch", 2),
    ]


def test_a_chat_request_is_never_mutated() -> None:
    """Chat Completions requests (tuples and legacy string image_url included) stay as given."""
    request: dict[str, Any] = {
        "messages": (
            {"role": "system", "content": "hi"},
            {
                "role": "user",
                "content": [
                    {"type": "image_url", "image_url": {"url": data_url(PNG, "image/gif")}},
                    {"type": "image_url", "image_url": "https://example.com/a.png"},
                    {"type": "image_url", "image_url": {"url": data_url(PNG), "detail": "x"}},
                ],
            },
        )
    }
    before = copy.deepcopy(request)
    with pytest.raises(PreflightError):
        preflight(api="chat.completions", model="gpt-4o", **request)
    assert request == before


def test_the_2025_profile_is_the_issues_500_images_and_50_mb() -> None:
    """The 2025 limits are 500 images, 50 MB per request and 20 MB per image (decimal MB)."""
    limits = LIMIT_PROFILES["2025"]
    assert (limits.max_images, limits.max_total_bytes, limits.max_image_bytes) == (
        500,
        50_000_000,
        20_000_000,
    )


def test_500_images_pass_the_2025_profile_and_501_do_not() -> None:
    """The image count limit is inclusive."""
    urls = [part(f"https://example.com/{i}.png") for i in range(501)]
    limits = LIMIT_PROFILES["2025"]
    assert codes(responses(*urls[:500]), limits=limits) == []
    assert codes(responses(*urls), limits=limits) == [("too_many_images", None)]


@pytest.mark.parametrize(
    ("api", "item", "code"),
    [
        ("responses", part({"url": "https://e.com/a.png"}), "invalid_image_url"),  # type: ignore[arg-type]
        ("responses", part(file_id=123), "invalid_file_id"),
        (
            "chat.completions",
            {"type": "image_url", "image_url": {"url": b"x"}},
            "invalid_image_url",
        ),
    ],
    ids=["responses-url-dict", "file-id-int", "chat-url-bytes"],
)
def test_a_wrongly_typed_image_field_is_named(api: Any, item: dict[str, Any], code: str) -> None:
    """image_url or file_id set to a non-string says which field has the wrong type."""
    key = "input" if api == "responses" else "messages"
    outcome = check_request(api, "gpt-4o", {key: [{"role": "user", "content": [item]}]})
    assert [(v.code, v.image_index) for v in outcome.violations] == [(code, 0)]
    assert "must be a string" in outcome.violations[0].message
