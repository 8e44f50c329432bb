"""Whole-request estimates: images found in requests, text and framing, caveats."""

from __future__ import annotations

import base64
import io
from typing import Any

import pytest
from _private import estimate_with_infos, render_functions
from PIL import Image

from openai_vision_ext import (
    ImageInfo,
    InvalidRequestError,
    UnknownModelError,
    count_tokens,
    estimate_image_tokens,
    estimate_request,
    target_size,
)


def _data_url(width: int, height: int, fmt: str = "PNG") -> str:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buf, fmt)
    mime = "image/png" if fmt == "PNG" else "image/jpeg"
    return f"data:{mime};base64,{base64.b64encode(buf.getvalue()).decode()}"


def _info(width: int, height: int) -> ImageInfo:
    return ImageInfo("png", "image/png", width, height, 1, False, 100, "ab" * 32)


def _responses_image(url: str, text: str = "Describe this image.") -> list[dict[str, object]]:
    return [
        {
            "role": "user",
            "content": [
                {"type": "input_text", "text": text},
                {"type": "input_image", "image_url": url, "detail": "auto"},
            ],
        }
    ]


def test_estimate_image_tokens_uses_the_model_rule() -> None:
    """The public one-image function applies the model's rule (guide: 1024x1024 high = 765)."""
    assert estimate_image_tokens(1024, 1024, model="gpt-4o-2024-08-06", detail="high") == 765


def test_target_size_uses_the_model_rule() -> None:
    """``target_size`` is the guide's resize for the model (2048x4096 -> 768x1536)."""
    assert target_size(2048, 4096, model="gpt-4o", detail="high") == (768, 1536)


def test_unknown_model_raises_from_the_strict_api() -> None:
    """Strict functions raise UnknownModelError; lenient callers catch it."""
    with pytest.raises(UnknownModelError):
        estimate_request(model="not-a-model", input="hi")


def test_data_url_image_is_inspected_and_priced() -> None:
    """A data URL image is decoded for its size and priced by the rule (640x480 = 425)."""
    est = estimate_request(model="gpt-4o", input=_responses_image(_data_url(640, 480)))
    (image,) = est.images
    assert (image.source, image.width, image.height, image.mime) == (
        "data_url",
        640,
        480,
        "image/png",
    )
    assert image.tokens == 425
    assert (image.location, image.detail, image.billed_detail) == (
        "input[0].content[1]",
        "auto",
        "high",
    )
    assert est.image_tokens == 425
    assert est.input_tokens == est.image_tokens + est.text_tokens
    assert est.complete


def test_url_image_has_unknown_tokens() -> None:
    """A URL image's size is unknown offline: tokens None, estimate incomplete, lower bound."""
    est = estimate_request(model="gpt-4o", input=_responses_image("https://example.com/a.png"))
    assert est.images[0].tokens is None
    assert est.images[0].source == "url"
    assert not est.complete
    assert est.input_tokens == est.text_tokens
    assert any("unknown size" in note for note in est.notes)


def test_file_id_image_has_unknown_tokens() -> None:
    """A ``file_id`` image is reported with source ``file_id`` and unknown tokens."""
    request = {
        "input": [
            {
                "role": "user",
                "content": [{"type": "input_image", "file_id": "file-1", "detail": "low"}],
            }
        ]
    }
    est = estimate_with_infos("responses", "gpt-4o", request, [None])
    assert (est.images[0].source, est.images[0].tokens) == ("file_id", None)


def test_given_infos_price_url_images() -> None:
    """Infos passed by index are used even for URL images (e.g. sizes known from elsewhere)."""
    request = {"input": _responses_image("https://example.com/a.png")}
    est = estimate_with_infos("responses", "gpt-4o", request, [_info(640, 480)])
    assert est.images[0].tokens == 425
    assert est.complete


def test_detail_low_is_priced_as_low() -> None:
    """``detail="low"`` on a tile model costs the base tokens."""
    messages = [
        {
            "role": "user",
            "content": [
                {"type": "image_url", "image_url": {"url": "https://x/a.png", "detail": "low"}}
            ],
        }
    ]
    est = estimate_with_infos(
        "chat.completions", "gpt-4o", {"messages": messages}, [_info(4000, 3000)]
    )
    assert est.images[0].tokens == 85


@pytest.mark.parametrize(
    ("model", "text", "billed"),
    [
        # Real bills of text-only Responses calls (real-usage/text_only_responses.jsonl).
        ("gpt-4o-mini", "Say hello", 9),
        ("gpt-4.1-nano", "Count from 1 to 3", 14),
        ("gpt-5-mini", "List all U.S. states.", 13),
        ("gpt-5.4", "Hello", 7),
    ],
)
def test_responses_text_matches_real_bills(model: str, text: str, billed: int) -> None:
    """One user message bills its text plus 7 tokens (6 on reasoning models)."""
    est = estimate_request(model=model, input=[{"role": "user", "content": text}])
    assert est.input_tokens == billed


def test_responses_string_input_is_one_user_message() -> None:
    """``input="..."`` costs the same as one user message with that text."""
    as_string = estimate_request(model="gpt-4o", input="Say hello")
    as_message = estimate_request(model="gpt-4o", input=[{"role": "user", "content": "Say hello"}])
    assert as_string.input_tokens == as_message.input_tokens


def test_instructions_cost_their_text_plus_a_message() -> None:
    """``instructions`` are billed like a system message: text + 4 framing tokens."""
    plain = estimate_request(model="gpt-4o", input="hi")
    instructed = estimate_request(model="gpt-4o", input="hi", instructions="Be brief.")
    assert instructed.text_tokens - plain.text_tokens == count_tokens("Be brief.") + 4


def test_chat_messages_cost_text_plus_framing() -> None:
    """Chat: 3 per request, and per message 3 + the role's token + its text."""
    messages = [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": [{"type": "text", "text": "Hello"}, "and more"]},
    ]
    est = estimate_with_infos("chat.completions", "gpt-4o", {"messages": messages}, [])
    texts = ["system", "You are terse.", "user", "Hello", "and more"]
    assert est.text_tokens == 3 + 2 * 3 + sum(count_tokens(t) for t in texts)
    assert est.exact


def test_chat_name_is_counted() -> None:
    """A message ``name`` adds its tokens plus one."""
    base = [{"role": "user", "content": "Hello"}]
    named = [{"role": "user", "content": "Hello", "name": "alice"}]
    a = estimate_with_infos("chat.completions", "gpt-4o", {"messages": base}, [])
    b = estimate_with_infos("chat.completions", "gpt-4o", {"messages": named}, [])
    assert b.text_tokens - a.text_tokens == count_tokens("alice") + 1


def test_tools_are_estimated_and_flagged() -> None:
    """Function tools add their rendered namespace and mark the estimate approximate."""
    tool = {
        "type": "function",
        "function": {"name": "f", "description": "Does f.", "parameters": {"type": "object"}},
    }
    plain = estimate_with_infos("chat.completions", "gpt-4o", {"messages": []}, [])
    tooled = estimate_with_infos(
        "chat.completions", "gpt-4o", {"messages": [], "tools": [tool]}, []
    )
    assert tooled.text_tokens > plain.text_tokens
    assert not tooled.exact
    assert any("tool definitions" in n for n in tooled.notes)


def test_builtin_tools_are_noted_not_counted() -> None:
    """Built-in tools (web search, ...) have no public rendering: noted, not guessed."""
    est = estimate_request(model="gpt-4o", input="hi", tools=[{"type": "web_search"}])
    assert any("'web_search'" in n for n in est.notes)
    assert not est.exact


def test_reasoning_items_are_noted() -> None:
    """Replayed reasoning items are encrypted: not counted, and said so."""
    items = [{"role": "user", "content": "hi"}, {"type": "reasoning", "encrypted_content": "x"}]
    est = estimate_request(model="gpt-5-nano", input=items)
    assert any("reasoning" in n for n in est.notes)


def test_json_schema_response_format_is_counted() -> None:
    """A JSON schema response format adds tokens and is flagged approximate."""
    fmt = {
        "type": "json_schema",
        "json_schema": {"name": "answer", "schema": {"type": "object", "properties": {}}},
    }
    messages = [{"role": "user", "content": "hi"}]
    plain = estimate_with_infos("chat.completions", "gpt-4o", {"messages": messages}, [])
    shaped = estimate_with_infos(
        "chat.completions", "gpt-4o", {"messages": messages, "response_format": fmt}, []
    )
    assert shaped.text_tokens > plain.text_tokens
    assert not shaped.exact


def test_estimate_request_does_not_mutate_the_request() -> None:
    """The caller's request is read, never changed."""
    items = _responses_image(_data_url(10, 10))
    snapshot = repr(items)
    estimate_request(model="gpt-4o", input=items)
    assert repr(items) == snapshot


def test_render_functions_renders_optional_enum_and_arrays() -> None:
    """Optional keys get ``?``, enums become unions, arrays get ``[]``."""
    text = render_functions(
        [
            {
                "name": "g",
                "parameters": {
                    "type": "object",
                    "properties": {
                        "mode": {"type": "string", "enum": ["a", "b"]},
                        "ids": {"type": "array", "items": {"type": "integer"}},
                    },
                    "required": ["mode"],
                },
            }
        ]
    )
    assert 'mode: "a" | "b",' in text
    assert "ids?: number[]," in text


@pytest.mark.parametrize("model", [None, {}, 5, ""])
def test_a_model_that_is_not_a_name_is_a_typed_error(model: Any) -> None:
    with pytest.raises(InvalidRequestError, match="model must be a model name"):
        estimate_request(model=model, input="Hi")


@pytest.mark.parametrize("calls", [5, {"a": 1}, "call"])
def test_tool_calls_that_are_not_a_list_are_a_typed_error(calls: Any) -> None:
    """The API refuses such a message (400): no silent estimate that ignores it."""
    messages = [{"role": "user", "content": "Hi"}, {"role": "assistant", "tool_calls": calls}]
    with pytest.raises(InvalidRequestError, match=r"messages\[1\]\.tool_calls is"):
        estimate_request(model="gpt-4o", messages=messages)


@pytest.mark.parametrize("kind", [["text"], {"a": 1}])
def test_a_part_whose_type_is_not_a_string_is_counted_as_unknown(kind: Any) -> None:
    for request in (
        {"messages": [{"role": "user", "content": [{"type": kind, "text": "Hi"}]}]},
        {"input": [{"role": "user", "content": [{"type": kind, "text": "Hi"}]}]},
    ):
        estimate = estimate_request(model="gpt-4o", **request)
        assert estimate.exact is False


def test_an_absurd_output_cap_prices_no_output() -> None:
    """``max_output_tokens`` past any model's limit (10**400) is no count: priced as if absent,
    not an OverflowError."""
    capped = estimate_request(model="gpt-4o", input="Hi", max_output_tokens=10**400)
    plain = estimate_request(model="gpt-4o", input="Hi")
    assert capped.cost == plain.cost
    assert capped.input_tokens == plain.input_tokens
