"""Batch input files: line parsing and per-model folding (pure; the estimator is injected)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest
from _private import (
    BatchProblem,
    BatchRequest,
    BatchTally,
    error_reason,
    parse_batch_line,
    summarize_batch,
)

from openai_vision_ext import (
    Api,
    CorruptImageError,
    ImageEstimate,
    PreflightError,
    RequestEstimate,
    UnknownModelError,
    Violation,
)


def _line(model: str = "gpt-4o", url: str = "/v1/responses", **body: Any) -> str:
    return json.dumps(
        {"custom_id": "c1", "method": "POST", "url": url, "body": {"model": model, **body}}
    )


def _image(tokens: int | None) -> ImageEstimate:
    return ImageEstimate(0, "input[0]", "data_url", "auto", 1, 1, "image/png", 1, "x", tokens)


def _fake_estimate(api: Api, body: Mapping[str, Any]) -> RequestEstimate:
    """Image tokens = 100 per entry of body["images"], text tokens = len(body["text"])."""
    images = tuple(_image(t) for t in body.get("images", ()))
    image_tokens = sum(t for t in body.get("images", ()) if t is not None)
    text = len(body.get("text", ""))
    complete = all(t is not None for t in body.get("images", ()))
    return RequestEstimate(
        api, body["model"], "r", images, image_tokens, text, image_tokens + text, complete
    )


def _per_token(model: str, tokens: int) -> float | None:
    return tokens * 0.5 if model != "unpriced" else None


class TestParseBatchLine:
    def test_responses_line_is_a_request_on_the_responses_api(self) -> None:
        """A /v1/responses line parses to a request carrying its body, model and custom id."""
        parsed = parse_batch_line(_line("gpt-4o", input="hi"), line_no=3)
        assert parsed == BatchRequest(
            3, "c1", "responses", {"model": "gpt-4o", "input": "hi"}, "gpt-4o"
        )

    def test_chat_line_is_a_request_on_chat_completions(self) -> None:
        """A /v1/chat/completions line is estimated as a Chat Completions request."""
        parsed = parse_batch_line(_line(url="/v1/chat/completions", messages=[]), line_no=1)
        assert isinstance(parsed, BatchRequest)
        assert parsed.api == "chat.completions"

    def test_bytes_are_accepted(self) -> None:
        """Lines read from a binary file parse like text lines."""
        assert isinstance(parse_batch_line(_line().encode(), line_no=1), BatchRequest)

    @pytest.mark.parametrize("blank", ["", "\n", "   \r\n", b"\n"])
    def test_blank_line_is_skipped(self, blank: str | bytes) -> None:
        """Blank lines (a trailing newline, CRLF) are neither requests nor problems."""
        assert parse_batch_line(blank, line_no=9) is None

    @pytest.mark.parametrize(
        ("raw", "reason_part"),
        [
            ('{"url": "/v1/responses", "body": {', "not valid JSON"),
            ("[1, 2]", "expected a JSON object, got list"),
            (b"\xff\xfe{}", "not UTF-8"),
            (_line(url="/v1/embeddings"), "'/v1/embeddings'"),
            (json.dumps({"url": "/v1/responses", "method": "GET", "body": {}}), "method 'GET'"),
            (json.dumps({"url": "/v1/responses", "body": "x"}), "body is missing"),
            (json.dumps({"url": "/v1/responses", "body": {"input": "hi"}}), "no model"),
            (json.dumps({"url": "/v1/responses", "body": {"model": ""}}), "no model"),
        ],
    )
    def test_bad_line_is_a_problem_with_its_line_number(
        self, raw: str | bytes, reason_part: str
    ) -> None:
        """Every malformed line becomes a problem that says what is wrong, at its line number."""
        parsed = parse_batch_line(raw, line_no=42)
        assert isinstance(parsed, BatchProblem)
        assert parsed.line_no == 42
        assert reason_part in parsed.reason
        assert str(parsed).startswith("line 42: ")

    def test_problem_keeps_the_custom_id_when_there_is_one(self) -> None:
        """A bad line that has a custom_id names it, so users can find the request."""
        raw = json.dumps({"custom_id": "req-7", "url": "/v1/images", "body": {}})
        parsed = parse_batch_line(raw, line_no=1)
        assert isinstance(parsed, BatchProblem)
        assert parsed.custom_id == "req-7"


class TestSummarizeBatch:
    def test_totals_are_summed_per_model_sorted_by_name(self) -> None:
        """Requests of the same model add up; models come out sorted."""
        lines = [
            _line("gpt-4o", images=[765, 85], text="abc"),
            _line("gpt-4.1-mini", images=[100], text=""),
            _line("gpt-4o", images=[255], text="de"),
        ]
        summary = summarize_batch(lines, estimate=_fake_estimate, price=_per_token)
        assert [m.model for m in summary.models] == ["gpt-4.1-mini", "gpt-4o"]
        mini, four_o = summary.models
        assert (four_o.requests, four_o.images) == (2, 3)
        assert four_o.image_tokens == 765 + 85 + 255
        assert four_o.text_tokens == 3 + 2
        assert four_o.input_tokens == 765 + 85 + 255 + 3 + 2
        assert four_o.usd == four_o.input_tokens * 0.5
        assert summary.input_tokens == mini.input_tokens + four_o.input_tokens
        assert summary.requests == 3

    def test_bad_lines_are_listed_and_the_rest_still_estimated(self) -> None:
        """A broken line in the middle never stops the run."""
        lines = [_line(images=[85]), "not json", "", _line(images=[170])]
        summary = summarize_batch(lines, estimate=_fake_estimate, price=_per_token)
        assert summary.requests == 2
        assert summary.input_tokens == 85 + 170
        assert [p.line_no for p in summary.problems] == [2]
        assert summary.lines == 3  # the blank line is not counted

    def test_estimator_errors_become_problems(self) -> None:
        """Library errors (corrupt image, unknown model) are reported per line with their text."""

        def failing(api: Api, body: Mapping[str, Any]) -> RequestEstimate:
            if body["model"] == "nope":
                raise UnknownModelError("nope")
            raise CorruptImageError("image 0 is truncated; re-export it")

        summary = summarize_batch(
            [_line("nope"), _line("gpt-4o")], estimate=failing, price=_per_token
        )
        assert [p.line_no for p in summary.problems] == [1, 2]
        assert "'nope'" in summary.problems[0].reason
        assert summary.problems[1].reason == "image 0 is truncated; re-export it"
        assert summary.models == ()

    def test_unexpected_body_shapes_do_not_crash(self) -> None:
        """A TypeError from an odd body is a problem on that line, not a crash."""

        def odd(api: Api, body: Mapping[str, Any]) -> RequestEstimate:
            raise TypeError("unhashable type: 'list'")

        summary = summarize_batch([_line()], estimate=odd, price=_per_token)
        assert summary.problem_count == 1
        assert "TypeError" in summary.problems[0].reason

    def test_problems_kept_are_capped_but_all_counted(self) -> None:
        """Memory stays bounded on a file of bad lines: the first N are kept, all are counted."""
        summary = summarize_batch(
            ["x"] * 50, estimate=_fake_estimate, price=_per_token, max_problems=5
        )
        assert summary.problem_count == 50
        assert [p.line_no for p in summary.problems] == [1, 2, 3, 4, 5]

    def test_unknown_price_makes_the_total_unknown(self) -> None:
        """A model without a price costs None, and so does the total: never a partial sum."""
        lines = [_line("gpt-4o", images=[85]), _line("unpriced", images=[85])]
        summary = summarize_batch(lines, estimate=_fake_estimate, price=_per_token)
        assert [m.usd for m in summary.models] == [42.5, None]
        assert summary.usd is None

    def test_requests_with_images_of_unknown_size_are_counted(self) -> None:
        """URL images make an estimate a lower bound; the row counts the requests affected."""
        lines = [_line(images=[None]), _line(images=[85])]
        (row,) = summarize_batch(lines, estimate=_fake_estimate, price=_per_token).models
        assert row.incomplete_requests == 1

    def test_empty_input_gives_an_empty_summary(self) -> None:
        """No lines: no models, no problems, zero cost."""
        summary = summarize_batch([], estimate=_fake_estimate, price=_per_token)
        assert (summary.lines, summary.models, summary.problem_count, summary.usd) == (0, (), 0, 0)


class TestTally:
    def test_summary_can_be_taken_midway(self) -> None:
        """The tally is a running fold: a summary mid-file reflects the lines seen so far."""
        tally = BatchTally()
        request = parse_batch_line(_line(images=[85]), line_no=1)
        assert isinstance(request, BatchRequest)
        tally.add_estimate(request, _fake_estimate("responses", request.body))
        first = tally.summary(price=_per_token)
        tally.add_estimate(request, _fake_estimate("responses", request.body))
        assert (first.input_tokens, tally.summary(price=_per_token).input_tokens) == (85, 170)


class TestErrorReason:
    def test_preflight_error_lists_each_violation_on_one_line(self) -> None:
        """A PreflightError reads as its violations joined, not its multi-line message."""
        exc = PreflightError(
            [Violation("a", "too big", 0, "input[0]"), Violation("b", "too many images")]
        )
        assert error_reason(exc) == "image 0 at input[0]: too big; too many images"

    def test_multiline_messages_collapse_to_one_line(self) -> None:
        """Any error message is made one line (whitespace collapsed)."""
        assert error_reason(ValueError("a\n  b")) == "a b"

    def test_empty_message_falls_back_to_the_class_name(self) -> None:
        """An error without text still says something."""
        assert error_reason(OSError()) == "OSError"


def _flat_estimate(api, body):
    from openai_vision_ext import RequestEstimate

    return RequestEstimate(api, body["model"], "r", (), 0, 10, 10, True)


def _id_line(custom_id, url="/v1/responses", model="gpt-4o", **body):
    return json.dumps(
        {"custom_id": custom_id, "url": url, "body": {"model": model, "input": "hi", **body}}
    )


def test_batch_flags_what_the_batch_api_rejects_a_file_for():
    """A repeated custom_id, a second endpoint and a second model are each listed, with the
    line they conflict with; the lines are still estimated."""
    lines = [
        _id_line("a"),
        _id_line("a"),
        _id_line("b", model="gpt-4o-mini"),
        json.dumps(
            {
                "custom_id": "c",
                "url": "/v1/chat/completions",
                "body": {"model": "gpt-4o", "messages": []},
            }
        ),
    ]
    s = summarize_batch(lines, estimate=_flat_estimate, price=lambda m, n: None)
    assert s.requests == 4
    assert [(c.line_no, c.reason.split(":")[0]) for c in s.conflicts] == [
        (2, "custom_id 'a' repeats line 1's"),
        (3, "model 'gpt-4o-mini' differs from line 1's 'gpt-4o'"),
        (4, "endpoint /v1/chat/completions differs from line 1's /v1/responses"),
    ]
    assert s.conflict_count == 3


def test_batch_output_upper_bound_needs_every_request_to_set_a_maximum():
    """The output cost upper bound sums max_output_tokens; one request without it: no bound."""
    bounded = [_id_line("a", max_output_tokens=100), _id_line("b", max_output_tokens=50)]
    s = summarize_batch(
        bounded, estimate=_flat_estimate, price=lambda m, n: n, output_price=lambda m, n: n * 2.0
    )
    (row,) = s.models
    assert (row.max_output_tokens, row.output_usd_upper) == (150, 300.0)
    s = summarize_batch(
        [*bounded, _id_line("c")],
        estimate=_flat_estimate,
        price=lambda m, n: n,
        output_price=lambda m, n: n * 2.0,
    )
    (row,) = s.models
    assert (row.unbounded_output_requests, row.output_usd_upper) == (1, None)
