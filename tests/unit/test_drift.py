"""Audit drift: estimated vs billed input tokens per model and UTC day, flags beyond +-1 %."""

from __future__ import annotations

import io
import sys
from typing import Any

import pytest
from _private import (
    DriftPoint,
    LogProblem,
    drift_point,
    parse_log_line,
    render_drift_html,
    render_drift_png,
    summarize_drift,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from openai_vision_ext import MissingExtraError


def _rec(
    estimated: Any = 100,
    billed: Any = 100,
    *,
    model: str = "gpt-4o",
    time: Any = "2026-11-02T10:00:00.000Z",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "time": time,
        "model_requested": model,
        "estimated_input_tokens": estimated,
        "billed_input_tokens": billed,
        **extra,
    }


class TestDriftPoint:
    def test_reads_model_day_and_both_counts(self) -> None:
        """A complete record gives its model, UTC day and the two token counts."""
        assert drift_point(_rec(101, 100)) == DriftPoint("gpt-4o", "2026-11-02", 101, 100)

    def test_day_is_taken_in_utc(self) -> None:
        """An offset timestamp late in the evening belongs to the next UTC day."""
        point = drift_point(_rec(time="2026-11-02T23:30:00-05:00"))
        assert point is not None
        assert point.day == "2026-11-03"

    def test_unix_timestamps_are_accepted(self) -> None:
        """A numeric time is seconds since the epoch (UTC)."""
        point = drift_point(_rec(time=86_400 * 2 + 5))
        assert point is not None
        assert point.day == "1970-01-03"

    def test_requested_model_wins_over_served(self) -> None:
        """Rows are grouped by the model users asked for, not the dated snapshot served."""
        point = drift_point(_rec(model="gpt-4o", model_served="gpt-4o-2024-08-06"))
        assert point is not None
        assert point.model == "gpt-4o"

    @pytest.mark.parametrize(
        "record",
        [
            _rec(estimated=None),
            _rec(billed=None),
            _rec(billed=0),
            _rec(estimated=True),
            _rec(estimated=-1),
            _rec(estimated="100"),
            _rec(time="yesterday"),
            _rec(time=None),
            {"time": "2026-11-02T10:00:00Z", "estimated_input_tokens": 1, "billed_input_tokens": 1},
        ],
    )
    def test_records_missing_a_usable_field_give_nothing(self, record: dict[str, Any]) -> None:
        """Errors, cut streams and malformed records are skipped, never guessed."""
        assert drift_point(record) is None


class TestSummarizeDrift:
    def test_groups_by_model_and_day_with_sums_and_mean(self) -> None:
        """Each (model, day) row sums its tokens and averages the per-record relative delta."""
        records = [
            _rec(102, 100),
            _rec(99, 100),
            _rec(300, 300, model="gpt-4.1-mini"),
            _rec(100, 100, time="2026-11-03T01:00:00Z"),
        ]
        rows = summarize_drift(records).rows
        assert [(r.model, r.day, r.records) for r in rows] == [
            ("gpt-4.1-mini", "2026-11-02", 1),
            ("gpt-4o", "2026-11-02", 2),
            ("gpt-4o", "2026-11-03", 1),
        ]
        day1 = rows[1]
        assert (day1.estimated_input_tokens, day1.billed_input_tokens) == (201, 200)
        assert day1.delta_tokens == 1
        assert day1.mean_delta_pct == pytest.approx((2.0 + -1.0) / 2)

    def test_mean_is_per_record_not_per_token(self) -> None:
        """A big request does not drown small ones: each record weighs the same."""
        (row,) = summarize_drift([_rec(110, 100), _rec(10_000, 10_000)]).rows
        assert row.mean_delta_pct == pytest.approx(5.0)

    @pytest.mark.parametrize(
        ("estimated", "flagged"),
        [(101, False), (99, False), (100, False), (102, True), (98, True)],
    )
    def test_flag_when_mean_delta_leaves_one_percent(self, estimated: int, flagged: bool) -> None:
        """Exactly +-1 % is still in range; beyond it, either way, is drift."""
        (row,) = summarize_drift([_rec(estimated, 100)]).rows
        assert row.flagged is flagged

    def test_threshold_is_configurable(self) -> None:
        """A looser threshold un-flags a 2 % drift."""
        (row,) = summarize_drift([_rec(102, 100)], threshold_pct=5).rows
        assert not row.flagged

    def test_skipped_records_and_bad_lines_are_counted(self) -> None:
        """Unusable records and unreadable lines are reported as counts, the first lines kept."""
        records = [_rec(), _rec(billed=None), LogProblem(2, "x"), LogProblem(3, "y")]
        summary = summarize_drift(records, max_problems=1)
        assert (summary.skipped, summary.problem_count) == (1, 2)
        assert summary.problems == (LogProblem(2, "x"),)
        assert len(summary.rows) == 1

    def test_flagged_and_models_views(self) -> None:
        """The summary lists its drifting rows and its models."""
        summary = summarize_drift([_rec(150, 100), _rec(100, 100, model="a")])
        assert [r.model for r in summary.flagged] == ["gpt-4o"]
        assert summary.models == ("a", "gpt-4o")

    @settings(max_examples=60, deadline=None)
    @given(st.lists(st.tuples(st.integers(0, 10_000), st.integers(1, 10_000)), min_size=1))
    def test_mean_lies_between_the_smallest_and_largest_record_delta(
        self, pairs: list[tuple[int, int]]
    ) -> None:
        """Whatever the records, the mean delta is bounded by its extreme records."""
        (row,) = summarize_drift([_rec(e, b) for e, b in pairs]).rows
        deltas = [100 * (e - b) / b for e, b in pairs]
        assert min(deltas) - 1e-6 <= row.mean_delta_pct <= max(deltas) + 1e-6
        assert row.records == len(pairs)


class TestParseLogLine:
    def test_object_line_is_the_record(self) -> None:
        """A JSON object line is returned as the record."""
        assert parse_log_line(b'{"a": 1}\n', line_no=1) == {"a": 1}

    def test_blank_line_is_none(self) -> None:
        """Blank lines are ignored."""
        assert parse_log_line(b"\n", line_no=1) is None

    def test_garbage_is_a_problem_with_its_line_number(self) -> None:
        """A truncated line (a crash mid-write) is a problem, not a crash."""
        problem = parse_log_line(b'{"time": "2026', line_no=7)
        assert isinstance(problem, LogProblem)
        assert str(problem).startswith("line 7: not valid JSON")


class TestRendering:
    def _summary(self) -> Any:
        records = [
            _rec(100 + i % 3, 100, time=f"2026-11-0{d}T10:00:00Z", model=m)
            for d in range(1, 6)
            for i in range(4)
            for m in ("gpt-4o", "gpt-4.1-mini")
        ] + [_rec(130, 100, time="2026-11-05T12:00:00Z")]
        return summarize_drift(records)

    def test_png_is_a_valid_image_of_non_trivial_size(self) -> None:
        """The chart opens as a PNG, is larger than a thumbnail and carries real content."""
        png = render_drift_png(self._summary())
        with Image.open(io.BytesIO(png)) as img:
            assert img.format == "PNG"
            assert img.width >= 800
            assert img.height >= 500
            img.load()
            assert len(img.convert("L").getcolors(maxcolors=1 << 16) or ()) > 20
        assert len(png) > 20_000

    def test_png_without_matplotlib_names_the_extra(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without the [chart] extra, the error is a one-line pip install hint."""
        monkeypatch.setitem(sys.modules, "matplotlib", None)
        with pytest.raises(MissingExtraError, match=r"openai-vision-ext\[chart\]"):
            render_drift_png(self._summary())

    def test_html_has_one_table_row_per_model_day_and_the_chart(self) -> None:
        """The page embeds the chart and lists every row, drift rows marked."""
        summary = self._summary()
        page = render_drift_html(summary, png=b"\x89PNG fake")
        assert page.count("<tr") == len(summary.rows) + 1
        assert page.count('class="drift"') == len(summary.flagged) == 1
        assert 'src="data:image/png;base64,iVBORyBmYWtl"' in page

    def test_html_escapes_model_names(self) -> None:
        """Model names from a log file cannot inject markup."""
        page = render_drift_html(summarize_drift([_rec(model="<script>x</script>")]))
        assert "<script>" not in page
        assert "&lt;script&gt;" in page


def test_records_whose_estimate_was_not_exact_do_not_make_drift():
    """URL-image days: the estimate counted only the text, so -33 % is no drift of the rules.
    Such records are counted as inexact and left out; exact ones on the same day still count."""
    day = "2026-11-02T10:00:00Z"
    inexact = {"time": day, "model_requested": "gpt-4o", "estimate_exact": False}
    recs = [
        {**inexact, "estimated_input_tokens": 67, "billed_input_tokens": 100},
        {**inexact, "estimated_input_tokens": 67, "billed_input_tokens": 100},
        {
            "time": day,
            "model_requested": "gpt-4o",
            "estimate_exact": True,
            "estimated_input_tokens": 100,
            "billed_input_tokens": 100,
        },
    ]
    summary = summarize_drift(recs)
    assert summary.inexact == 2
    assert [(r.records, r.mean_delta_pct, r.flagged) for r in summary.rows] == [(1, 0.0, False)]


def test_a_point_estimate_on_an_unverified_rule_is_judged_but_a_range_is_not():
    """``exact`` is false for an image rule no bill verifies, yet its estimate is a point
    (lower == upper): its drift is how the rule gets verified, so it counts. A range (an
    approximated part, an image of unknown size, no upper bound) stays out; so does a schema-3
    record that was not exact (its bounds left approximated text out)."""
    day = "2026-11-02T10:00:00Z"
    base = {"time": day, "model_requested": "gpt-5.4", "estimate_exact": False}
    base |= {"schema_version": 4}
    point = {**base, "estimated_input_lower": 80, "estimated_input_upper": 80}
    ranged = {**base, "estimated_input_lower": 74, "estimated_input_upper": 298}
    unbounded = {**base, "estimated_input_lower": 80, "estimated_input_upper": None}
    recs = [
        {**point, "estimated_input_tokens": 80, "billed_input_tokens": 100},
        {**ranged, "estimated_input_tokens": 80, "billed_input_tokens": 100},
        {**unbounded, "estimated_input_tokens": 80, "billed_input_tokens": 100},
    ]
    old = {**recs[0], "schema_version": 3}
    summary = summarize_drift([*recs, old])
    assert summary.inexact == 3
    assert [(r.records, r.mean_delta_pct, r.flagged) for r in summary.rows] == [(1, -20.0, True)]


def test_old_records_with_an_image_of_unknown_tokens_count_as_inexact():
    """Schema-2 records have no estimate_exact: an image whose tokens were unknown marks them."""
    rec = {
        "time": "2026-11-02T10:00:00Z",
        "model_requested": "gpt-4o",
        "images": [{"estimated_tokens": None}],
        "estimated_input_tokens": 67,
        "billed_input_tokens": 100,
    }
    summary = summarize_drift([rec])
    assert (summary.rows, summary.inexact) == ((), 1)


def test_spend_is_summed_per_model_and_day_over_every_record():
    """USD per model-day counts exact, inexact and unpriced records alike."""
    day = "2026-11-02T10:00:00Z"
    recs = [
        {"time": day, "model_requested": "gpt-4o", "cost": {"total": 0.25}},
        {"time": day, "model_requested": "gpt-4o", "cost": {"total": 0.5}, "estimate_exact": False},
        {"time": day, "model_requested": "gpt-4o", "cost": None},
    ]
    (row,) = summarize_drift(recs).spend
    assert (row.model, row.day, row.records, row.usd, row.unpriced) == (
        "gpt-4o",
        "2026-11-02",
        3,
        0.75,
        1,
    )


def test_the_html_page_says_how_many_inexact_records_were_left_out():
    """The report page states the inexact records it did not judge."""
    rec = {"time": "2026-11-02T10:00:00Z", "model_requested": "gpt-4o", "estimate_exact": False}
    rec |= {"estimated_input_tokens": 67, "billed_input_tokens": 100}
    page = render_drift_html(summarize_drift([rec, rec]))
    assert "2 record(s) with an inexact estimate" in page
