"""Audit records, processors, the pipeline's failure handling and capture_audit()."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from dataclasses import fields, make_dataclass, replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from _private import (
    COST_KEYS,
    FILE_FIELDS,
    FROM_JSON,
    IMAGE_FIELDS,
    RECORD_FIELDS,
    BilledUsage,
    billed_fields,
    billed_usage_of,
    emit_report,
)

from openai_vision_ext import (
    DEFAULT_PRICES,
    SCHEMA_VERSION,
    AuditConfigError,
    AuditFile,
    AuditImage,
    AuditPipeline,
    AuditRecord,
    Cost,
    Violation,
    VisionReport,
    add_context,
    only_status,
    strip_text,
)
from openai_vision_ext.testing import capture_audit, make_record, make_report

NOW = datetime(2026, 11, 24, 18, 30, 5, 123456, tzinfo=UTC)


def record_of(**overrides) -> AuditRecord:
    return AuditRecord.from_report(make_report(**overrides), now=NOW)


# -- AuditRecord.from_report -------------------------------------------------------------------


def test_record_copies_every_token_count_of_the_report():
    """Estimated, billed, attributed and delta counts are carried over unchanged."""
    report = make_report(billed_input_tokens=8_600, billed_cached_tokens=64, delta_input_tokens=-86)
    record = AuditRecord.from_report(report, now=NOW)
    names = [
        "estimated_image_tokens",
        "estimated_text_tokens",
        "estimated_input_tokens",
        "billed_input_tokens",
        "billed_cached_tokens",
        "billed_output_tokens",
        "billed_reasoning_tokens",
        "billed_image_tokens",
        "delta_input_tokens",
    ]
    assert {n: getattr(record, n) for n in names} == {n: getattr(report, n) for n in names}


def test_record_identifies_images_by_hash_and_size_only():
    """Each image keeps sha256, MIME, byte size, dimensions, detail and tokens; no location."""
    (image,) = record_of().images
    assert image.sha256 == make_report().images[0].sha256
    assert (image.mime, image.n_bytes, image.width, image.height) == ("image/png", 12_345, 640, 480)
    assert (image.detail, image.estimated_tokens, image.source) == ("auto", 8_500, "data_url")
    assert not hasattr(image, "location")


def test_record_time_is_utc_iso_with_milliseconds():
    """The timestamp is ISO 8601 in UTC with a Z suffix and millisecond precision."""
    assert record_of().time == "2026-11-24T18:30:05.123Z"


def test_record_time_converts_other_zones_to_utc():
    """An aware time in another zone is converted to UTC."""
    paris = datetime(2026, 11, 24, 19, 30, tzinfo=timezone(timedelta(hours=1)))
    assert AuditRecord.from_report(make_report(), now=paris).time == "2026-11-24T18:30:00.000Z"


def test_record_time_treats_naive_datetimes_as_utc():
    """A naive datetime is taken as UTC, not as local time."""
    assert AuditRecord.from_report(make_report(), now=datetime(2026, 1, 2, 3, 4)).time == (
        "2026-01-02T03:04:00.000Z"
    )


def test_record_carries_schema_version_first():
    """schema_version is the first key of the dict, so readers can branch on it."""
    data = record_of().to_dict()
    assert next(iter(data)) == "schema_version"
    assert data["schema_version"] == SCHEMA_VERSION


# Issue 4's field list, written out by hand: (issue wording, key path in to_dict()).
ISSUE_FIELDS = [
    ("schema_version", ("schema_version",)),
    ("time", ("time",)),
    ("request id", ("request_id",)),
    ("response id", ("response_id",)),
    ("API", ("api",)),
    ("model requested", ("model_requested",)),
    ("model served", ("model_served",)),
    ("image sha256", ("images", 0, "sha256")),
    ("image mime", ("images", 0, "mime")),
    ("image n_bytes", ("images", 0, "n_bytes")),
    ("image width", ("images", 0, "width")),
    ("image height", ("images", 0, "height")),
    ("image detail", ("images", 0, "detail")),
    ("image estimated tokens", ("images", 0, "estimated_tokens")),
    ("estimated image tokens", ("estimated_image_tokens",)),
    ("estimated text tokens", ("estimated_text_tokens",)),
    ("estimated input tokens", ("estimated_input_tokens",)),
    ("billed input tokens", ("billed_input_tokens",)),
    ("billed cached tokens", ("billed_cached_tokens",)),
    ("billed output tokens", ("billed_output_tokens",)),
    ("billed reasoning tokens", ("billed_reasoning_tokens",)),
    ("attributed billed image tokens", ("billed_image_tokens",)),
    ("delta", ("delta_input_tokens",)),
    ("USD cost input", ("cost", "input")),
    ("USD cost cached input", ("cost", "cached_input")),
    ("USD cost output", ("cost", "output")),
    ("price table version (cost)", ("cost", "price_table_version")),
    ("price table version", ("price_table_version",)),
    ("stream flag", ("stream",)),
    ("status", ("status",)),
    ("attribution method", ("attribution",)),
]


@pytest.mark.parametrize(("wording", "path"), ISSUE_FIELDS, ids=[w for w, _ in ISSUE_FIELDS])
def test_record_dict_has_every_field_the_issue_lists(wording, path):
    """Each field issue 4 asks for is in to_dict() and set (not None) for a priced response."""
    value = record_of(billed_cached_tokens=128, billed_reasoning_tokens=7).to_dict()
    for key in path:
        value = value[key]
    assert value is not None, wording


def test_record_is_frozen():
    """Records are immutable values: processors must return a changed copy."""
    with pytest.raises(AttributeError):
        record_of().status = "error"  # type: ignore[misc]


def test_record_dict_is_plain_json_and_round_trips():
    """to_dict() survives json.dumps/loads, and from_dict() rebuilds an equal record."""
    record = replace(add_context(env="test")(record_of()), notes=("n",), violations=("x",))
    data = json.loads(json.dumps(record.to_dict(), allow_nan=False))
    assert data == record.to_dict()
    assert AuditRecord.from_dict(data) == record


def test_record_cost_uses_billed_tokens_and_the_served_model():
    """gpt-4o-mini-2024-07-18 is priced as gpt-4o-mini: 8,514 in x $0.15 + 12 out x $0.60."""
    cost = record_of().cost
    assert cost is not None
    assert cost.model == "gpt-4o-mini"
    assert cost.total_usd == pytest.approx((8_514 * 0.15 + 12 * 0.60) / 1e6, abs=1e-15)


def test_record_cost_falls_back_to_the_requested_model():
    """When the served model has no price (e.g. an Azure deployment), the requested one is used."""
    cost = record_of(model_served="my-azure-deployment").cost
    assert cost is not None
    assert cost.model == "gpt-4o-mini"


def test_record_cost_is_none_without_usage():
    """An error with no usage has no cost; the price table version is still recorded."""
    record = record_of(status="error", billed_input_tokens=None, billed_output_tokens=None)
    assert record.cost is None
    assert record.price_table_version == DEFAULT_PRICES.version


def test_record_cost_is_none_for_an_unpriced_model():
    """A model without a price row gets no invented cost."""
    assert record_of(model_requested="gpt-6", model_served="gpt-6-2027-01-01").cost is None


def test_record_cost_uses_the_given_price_table():
    """A custom table prices the record and its version is recorded."""
    table = DEFAULT_PRICES.with_prices(
        {"version": "acme", "models": {"gpt-4o-mini": {"input": 1, "output": 0}}}
    )
    record = AuditRecord.from_report(make_report(), now=NOW, prices=table)
    assert record.cost is not None
    assert record.cost.total_usd == 8_514 / 1e6
    assert record.price_table_version == "acme"


def test_flex_service_tier_is_priced_at_flex_rates():
    """A report with service_tier='flex' uses the flex row (o3: $1 instead of $2 per 1M input)."""
    record = record_of(model_served="o3", service_tier="flex")
    assert record.cost is not None
    assert record.cost.tier == "flex"
    assert record.cost.input_usd == 8_514 * 1.0 / 1e6


def test_priority_service_tier_is_priced_at_priority_rates():
    """gpt-4o-mini priority: $0.25 per 1M input (standard is $0.15), and the record says so."""
    record = AuditRecord.from_report(make_report(service_tier="priority"), now=NOW)
    assert record.cost is not None
    assert (record.cost.tier, record.service_tier) == ("priority", "priority")
    assert record.cost.input_usd == 8_514 * 0.25 / 1e6


def test_scale_service_tier_has_no_cost():
    """The scale tier is prepaid capacity with no per-token price: None, not a standard guess."""
    assert AuditRecord.from_report(make_report(service_tier="scale"), now=NOW).cost is None


def test_record_keeps_rule_and_violation_codes_only():
    """The rule row and the codes of preflight violations are kept; messages are not."""
    violation = Violation(code="image_too_large", message="secret-ish detail", image_index=0)
    record = record_of(rule="gpt-4o-mini", violations=(violation,))
    assert (record.rule, record.violations) == ("gpt-4o-mini", ("image_too_large",))
    assert "secret-ish" not in json.dumps(record.to_dict())


def test_text_is_left_out_by_default():
    """Output text passed in is not recorded unless include_text is set."""
    record = AuditRecord.from_report(make_report(), now=NOW, text="the cat is on the mat")
    assert record.text is None


def test_text_is_recorded_truncated_when_opted_in():
    """With include_text, text is cut to max_text_chars and says how much was dropped."""
    record = AuditRecord.from_report(
        make_report(), now=NOW, include_text=True, text="a" * 30, max_text_chars=10
    )
    assert record.text == "a" * 10 + "…[+20 chars]"


def test_short_text_is_recorded_whole_when_opted_in():
    """Text within the limit is kept as is."""
    record = AuditRecord.from_report(make_report(), now=NOW, include_text=True, text="ok")
    assert record.text == "ok"


# -- processors -------------------------------------------------------------------------------


def test_add_context_merges_fields_without_touching_the_original():
    """add_context returns a new record with the fields added; records stay immutable."""
    base = add_context(app="a")(make_record())
    record = add_context(env="prod")(base)
    assert dict(record.context) == {"app": "a", "env": "prod"}
    assert dict(base.context) == {"app": "a"}


@pytest.mark.parametrize(("status", "kept"), [("ok", False), ("error", True), ("incomplete", True)])
def test_only_status_keeps_only_the_listed_statuses(status, kept):
    """only_status drops records whose status is not listed."""
    record = make_record(status=status)
    assert (only_status("error", "incomplete")(record) is record) is kept


def test_add_context_rejects_values_json_cannot_hold():
    """A non-serialisable value fails at set-up with a typed error, not later in every sink."""
    with pytest.raises(AuditConfigError, match="JSON-serialisable"):
        add_context(client=object())


def test_pipeline_rejects_a_negative_text_limit():
    """max_text_chars below zero is a configuration error."""
    with pytest.raises(AuditConfigError, match="max_text_chars"):
        AuditPipeline(max_text_chars=-1)


def test_strip_text_removes_opted_in_text():
    """strip_text clears text and keeps everything else."""
    record = make_record(text="hello")
    assert strip_text(record) == replace(record, text=None)


# -- AuditPipeline ----------------------------------------------------------------------------


def test_pipeline_runs_processors_in_order_then_every_sink():
    """Processors chain; each sink receives the final record."""
    first, second = [], []
    pipeline = AuditPipeline(
        processors=[add_context(step=1), add_context(step=2)], sinks=[first.append, second.append]
    )
    pipeline.emit(make_record())
    assert [r.context["step"] for r in first + second] == [2, 2]


def test_a_processor_returning_none_drops_the_record():
    """No sink sees a dropped record, and dropping is not a failure."""
    seen = []
    pipeline = AuditPipeline(processors=[only_status("error")], sinks=[seen.append])
    pipeline.emit(make_record())
    assert seen == []
    assert pipeline.failures == 0


def test_a_failing_processor_drops_the_record_counts_and_warns_once(caplog):
    """A processor that raises fails closed: record dropped, one warning, failure counted."""

    def broken(record):
        raise RuntimeError("boom")

    seen = []
    pipeline = AuditPipeline(processors=[broken], sinks=[seen.append])
    with caplog.at_level(logging.WARNING, logger="openai_vision_ext"):
        pipeline.emit(make_record())
    assert seen == []
    assert pipeline.failure_counts == {broken.__qualname__: 1}
    assert len(caplog.records) == 1
    assert "RuntimeError: boom" in caplog.records[0].getMessage()


def test_a_failing_sink_does_not_stop_the_other_sinks(caplog):
    """A raising sink is counted and logged; the next sink still gets the record."""

    class Broken:
        name = "BrokenSink"

        def emit(self, record):
            raise OSError("disk full")

    seen = []
    pipeline = AuditPipeline(sinks=[Broken(), seen.append])
    with caplog.at_level(logging.WARNING, logger="openai_vision_ext"):
        pipeline.emit(make_record())
    assert len(seen) == 1
    assert pipeline.failure_counts == {"BrokenSink": 1}
    (warning,) = caplog.records
    assert warning.levelno == logging.WARNING
    assert "audit BrokenSink failed (OSError: disk full), failure #1" in warning.getMessage()
    assert "\n" not in warning.getMessage()


def test_a_failure_message_reaches_the_log_escaped_and_redacted(caplog):
    """A sink's exception text is user-influenced: its control characters are escaped (no forged
    log lines) and credentials in URLs are redacted before the warning is written."""

    def broken(record):
        raise OSError("cannot post to https://bob:hunter2@logs.example/x\nFAKE: admin login")

    pipeline = AuditPipeline(sinks=[broken])
    with caplog.at_level(logging.WARNING, logger="openai_vision_ext"):
        pipeline.emit(make_record())
    (warning,) = caplog.records
    message = warning.getMessage()
    assert "\n" not in message
    assert "hunter2" not in message
    assert "https://REDACTED@logs.example/x\\nFAKE: admin login" in message


def test_repeated_failures_warn_at_1_10_100_and_debug_otherwise(caplog):
    """A sink failing 120 times warns 3 times (#1, #10, #100); every failure is counted."""

    def broken(record):
        raise OSError("disk full")

    pipeline = AuditPipeline(sinks=[broken])
    with caplog.at_level(logging.DEBUG, logger="openai_vision_ext"):
        for _ in range(120):
            pipeline.emit(make_record())
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert [w.split("failure #")[1].split(";")[0] for w in warnings] == ["1", "10", "100"]
    assert len(caplog.records) == 120
    assert pipeline.failures == 120


def test_pipeline_close_closes_sinks_that_can_be_closed():
    """close() calls close() on sinks that have it and skips plain callables."""
    closed = []

    class Closable:
        def emit(self, record):
            pass

        def close(self):
            closed.append(True)

    AuditPipeline(sinks=[Closable(), print]).close()
    assert closed == [True]


def test_pipeline_sinks_are_read_only():
    """The sink list is fixed at construction (the pipeline caches their emit methods)."""
    pipeline = AuditPipeline(sinks=[print])
    assert pipeline.sinks == (print,)
    with pytest.raises(AttributeError):
        pipeline.sinks = ()  # type: ignore[misc]


# -- emit_report ------------------------------------------------------------------------------


def test_emit_report_feeds_the_pipeline_with_a_priced_record():
    """The record reaches the sinks with a cost from the pipeline's price table."""
    seen = []
    table = DEFAULT_PRICES.with_prices({"version": "p1"})
    emit_report(make_report(), AuditPipeline(sinks=[seen.append], prices=table))
    assert seen[0].price_table_version == "p1"


def test_emit_report_price_argument_overrides_the_pipeline_table():
    """prices= given to emit_report wins over the pipeline's table."""
    seen = []
    pipeline = AuditPipeline(
        sinks=[seen.append], prices=DEFAULT_PRICES.with_prices({"version": "a"})
    )
    emit_report(make_report(), pipeline, prices=DEFAULT_PRICES.with_prices({"version": "b"}))
    assert seen[0].price_table_version == "b"


def test_emit_report_fills_a_missing_request_id_only():
    """request_id= fills in a report without one and never replaces the report's own."""
    seen = []
    pipeline = AuditPipeline(sinks=[seen.append])
    emit_report(make_report(request_id=None), pipeline, request_id="req_new")
    emit_report(make_report(request_id="req_own"), pipeline, request_id="req_new")
    assert [r.request_id for r in seen] == ["req_new", "req_own"]


def test_emit_report_records_text_only_if_the_pipeline_opts_in():
    """text= is dropped by default and kept (truncated) with include_text=True."""
    default, opted = [], []
    emit_report(make_report(), AuditPipeline(sinks=[default.append]), text="answer")
    emit_report(
        make_report(),
        AuditPipeline(sinks=[opted.append], include_text=True, max_text_chars=3),
        text="answer",
    )
    assert (default[0].text, opted[0].text) == (None, "ans…[+3 chars]")


def test_emit_report_never_raises_on_a_broken_report(caplog):
    """A report that cannot become a record is counted and logged, not raised."""
    pipeline = AuditPipeline(sinks=[print])
    with caplog.at_level(logging.WARNING, logger="openai_vision_ext"):
        emit_report(object(), pipeline)  # type: ignore[arg-type]
    assert pipeline.failure_counts == {"AuditRecord.from_report": 1}
    assert len(caplog.records) == 1


def test_emit_report_never_raises_without_a_pipeline(caplog):
    """Even with no pipeline, inside a capture, a broken report only logs a warning."""
    with capture_audit() as records, caplog.at_level(logging.WARNING, logger="openai_vision_ext"):
        emit_report(object(), None)  # type: ignore[arg-type]
    assert records == []
    assert len(caplog.records) == 1


def test_emit_report_does_nothing_when_nobody_listens(monkeypatch):
    """Without a pipeline or a capture no record is even built (zero cost for plain clients)."""

    calls = []
    monkeypatch.setattr(AuditRecord, "from_report", lambda *a, **k: calls.append(a))
    emit_report(make_report(), None)
    assert calls == []


# -- capture_audit ----------------------------------------------------------------------------


def test_capture_sees_records_after_processors():
    """Captured records are what sinks receive, after the processors ran."""
    with capture_audit() as records:
        emit_report(make_report(), AuditPipeline(processors=[add_context(k="v")]))
    assert [dict(r.context) for r in records] == [{"k": "v"}]


def test_capture_does_not_see_dropped_records():
    """A record dropped by a processor is not captured either."""
    with capture_audit() as records:
        emit_report(make_report(), AuditPipeline(processors=[only_status("error")]))
    assert records == []


def test_nested_captures_each_see_their_own_span():
    """The outer block sees every record; the inner only those emitted inside it."""
    with capture_audit() as outer:
        emit_report(make_report(request_id="a"), None)
        with capture_audit() as inner:
            emit_report(make_report(request_id="b"), None)
        emit_report(make_report(request_id="c"), None)
    assert [r.request_id for r in outer] == ["a", "b", "c"]
    assert [r.request_id for r in inner] == ["b"]


def test_capture_ends_with_its_block():
    """Records emitted after the block are not added to its list."""
    with capture_audit() as records:
        pass
    emit_report(make_report(), None)
    assert records == []


def test_concurrent_threads_capture_only_their_own_records():
    """Two threads capturing at once each see only the records they emitted."""
    results: dict[str, list[str | None]] = {}
    barrier = threading.Barrier(2)

    def work(name: str) -> None:
        with capture_audit() as records:
            barrier.wait()
            for i in range(50):
                emit_report(make_report(request_id=f"{name}-{i}"), None)
            barrier.wait()
        results[name] = [r.request_id for r in records]

    threads = [threading.Thread(target=work, args=(n,)) for n in ("t1", "t2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {n: [f"{n}-{i}" for i in range(50)] for n in ("t1", "t2")}


def test_all_threads_capture_collects_records_from_other_threads():
    """all_threads=True also sees records emitted by a thread the test did not start in context."""
    with capture_audit(all_threads=True) as everything, capture_audit() as mine:
        worker = threading.Thread(target=emit_report, args=(make_report(), None))
        worker.start()
        worker.join()
    assert len(everything) == 1
    assert mine == []


def test_a_record_is_captured_once_even_if_both_kinds_of_capture_hold_the_same_list():
    """A record is appended once per capture block, never twice to the same list."""
    with capture_audit(all_threads=True) as records:
        emit_report(make_report(), None)
    assert len(records) == 1


@pytest.mark.anyio
async def test_concurrent_tasks_capture_only_their_own_records():
    """Two asyncio tasks capturing at once each see only their own records."""

    async def work(name: str) -> list[str | None]:
        with capture_audit() as records:
            for i in range(20):
                emit_report(make_report(request_id=f"{name}-{i}"), None)
                await asyncio.sleep(0)
        return [r.request_id for r in records]

    a, b = await asyncio.gather(work("a"), work("b"))
    assert (a, b) == ([f"a-{i}" for i in range(20)], [f"b-{i}" for i in range(20)])


@pytest.mark.anyio
async def test_capture_sees_records_from_tasks_and_to_thread_started_inside_it():
    """Child tasks and asyncio.to_thread inherit the capture of the code that started them."""
    with capture_audit() as records:
        await asyncio.gather(
            asyncio.create_task(_emit_async("task")),
            asyncio.to_thread(emit_report, make_report(request_id="thread"), None),
        )
    assert sorted(r.request_id or "" for r in records) == ["task", "thread"]


async def _emit_async(request_id: str) -> None:
    emit_report(make_report(request_id=request_id), None)


def _fields(report: VisionReport) -> dict[str, object]:
    return {name: getattr(report, name) for name in VisionReport.__dataclass_fields__}


# -- original vs sent images (schema version 2) -------------------------------------------------


def prepared_report() -> VisionReport:
    """make_report's image, as if image_part(optimize=True) had shrunk a 4000x3000 JPEG."""
    (image,) = make_report().images
    prepared = replace(
        image,
        original_width=4000,
        original_height=3000,
        original_n_bytes=2_654_321,
        original_mime="image/jpeg",
        prepared_actions=("resized", "stripped_metadata"),
    )
    return make_report(images=(prepared,))


def test_schema_version_is_5_since_records_keep_12h_cache_writes():
    """Version 2 added the original_* keys; version 3 priced the served tier and added bounds;
    version 4 widened the bounds by approximated text rules' error bands; version 5 added
    billed_cache_write_12h_tokens."""
    assert SCHEMA_VERSION == 5
    assert record_of().to_dict()["schema_version"] == 5
    assert "billed_cache_write_12h_tokens" in record_of().to_dict()


def test_record_image_carries_original_and_sent_facts():
    """A prepared image's record shows the original beside what was sent, in plain JSON."""
    (image,) = AuditRecord.from_report(prepared_report(), now=NOW).to_dict()["images"]
    assert (image["width"], image["height"], image["n_bytes"]) == (640, 480, 12_345)
    assert (image["original_width"], image["original_height"]) == (4000, 3000)
    assert (image["original_n_bytes"], image["original_mime"]) == (2_654_321, "image/jpeg")
    assert image["prepared_actions"] == ["resized", "stripped_metadata"]


def test_unprepared_image_has_null_originals_and_no_actions():
    """An image sent as given has original_* null and an empty prepared_actions list."""
    (image,) = record_of().to_dict()["images"]
    assert [image[k] for k in ("original_width", "original_height", "original_n_bytes")] == [
        None,
        None,
        None,
    ]
    assert (image["original_mime"], image["prepared_actions"]) == (None, [])


def test_record_with_originals_round_trips_through_json():
    """from_dict(json(to_dict())) gives back the record, actions as a tuple again."""
    record = AuditRecord.from_report(prepared_report(), now=NOW)
    data = json.loads(json.dumps(record.to_dict(), allow_nan=False))
    rebuilt = AuditRecord.from_dict(data)
    assert rebuilt == record
    assert rebuilt.images[0].prepared_actions == ("resized", "stripped_metadata")


def test_version_1_lines_are_still_read():
    """A version-1 line (no original_* keys) is read; the new fields take their defaults and the
    record is rebuilt in the current shape."""
    data = record_of().to_dict()
    data["schema_version"] = 1
    for image in data["images"]:
        for key in (
            "original_width",
            "original_height",
            "original_n_bytes",
            "original_mime",
            "prepared_actions",
        ):
            del image[key]
    rebuilt = AuditRecord.from_dict(data)
    assert rebuilt.images[0].original_width is None
    assert rebuilt.images[0].prepared_actions == ()
    assert rebuilt.schema_version == SCHEMA_VERSION
    assert rebuilt == record_of()


def test_keys_added_by_later_versions_are_ignored():
    """Unknown keys in a record or an image do not stop older code from reading a line."""
    data = record_of().to_dict()
    data["added_in_v9"] = {"x": 1}
    data["images"][0]["added_in_v9"] = 1
    assert AuditRecord.from_dict(data) == record_of()


# -- one field list: report -> record -> dict -----------------------------------------------------

FIELD_MAPS = [IMAGE_FIELDS, FILE_FIELDS, RECORD_FIELDS]


@pytest.mark.parametrize("field_map", FIELD_MAPS, ids=lambda m: m.target.__name__)
def test_every_source_field_is_recorded_or_left_out_on_purpose(field_map):
    """Each field of the report (image estimate, file estimate) is copied into the record, under
    its own name or the one its rename names, or listed as not copied; each record field is
    copied or computed."""
    assert field_map.unhandled() == []


def test_a_field_added_to_the_report_alone_is_found():
    """The check can fail: a report with a field the record does not handle is named."""
    wider = make_dataclass(
        "VisionReport", [("added_later", int, 0)], bases=(VisionReport,), frozen=True
    )
    assert replace(RECORD_FIELDS, source=wider).unhandled() == ["VisionReport.added_later"]


def test_a_record_field_without_a_source_is_found():
    """A record field copied from a report field that does not exist is named too."""
    pairs = (*RECORD_FIELDS.pairs, ("added_later", "added_later", None))
    assert replace(RECORD_FIELDS, pairs=pairs).unhandled() == ["VisionReport.added_later"]


def test_renamed_fields_carry_the_estimate_values():
    """tokens -> estimated_tokens (images); text/page tokens and bounds -> estimated_* (files)."""
    image = make_report().images[0]
    assert AuditImage.from_estimate(image).estimated_tokens == image.tokens == 8_500
    assert {name: source for name, source, _ in FILE_FIELDS.pairs} == {
        "index": "index",
        "source": "source",
        "kind": "kind",
        "sha256": "sha256",
        "mime": "mime",
        "n_bytes": "n_bytes",
        "pages": "pages",
        "detail": "detail",
        "estimated_text_tokens": "text_tokens",
        "estimated_page_tokens": "page_tokens",
        "estimated_tokens": "tokens",
        "estimated_lower": "lower",
        "estimated_upper": "upper",
        "exact": "exact",
        "rule": "rule",
        "filename": "filename",
    }


JSON_TYPES = {"int", "str", "bool", "int | None", "str | None", "bool | None"}


@pytest.mark.parametrize("cls", [AuditRecord, AuditImage, AuditFile], ids=lambda c: c.__name__)
def test_from_dict_knows_how_to_read_back_every_field_type(cls):
    """Every record field is a JSON value already or has a FROM_JSON converter for its type, so a
    new field of a new type cannot come back from a JSONL line as a list or a dict."""
    unknown = {f"{f.name}: {f.type}" for f in fields(cls)} - {
        f"{f.name}: {f.type}" for f in fields(cls) if f.type in JSON_TYPES or f.type in FROM_JSON
    }
    assert unknown == set()


def test_cost_keys_name_every_cost_field_once():
    """The record's cost dict and Cost share one key map, in both directions."""
    assert sorted(COST_KEYS.values()) == sorted(f.name for f in fields(Cost))
    cost = record_of().cost
    assert list(record_of().to_dict()["cost"]) == ["currency", *COST_KEYS]
    assert AuditRecord.from_dict(record_of().to_dict()).cost == cost


def test_version_2_lines_are_still_read():
    """A version-2 line (no version-3 keys; cost without cache_write and long_context) is read,
    the missing values taking their defaults."""
    data = record_of().to_dict()
    data["schema_version"] = 2
    for key in (
        "counted_text_tokens",
        "estimate_exact",
        "estimated_input_lower",
        "estimated_input_upper",
        "billed_cache_write_tokens",
        "billed_cache_write_12h_tokens",
        "service_tier",
        "files",
        "estimated_file_tokens",
        "billed_file_tokens",
        "file_attribution",
        "counted_without_files_tokens",
    ):
        del data[key]
    del data["cost"]["cache_write"], data["cost"]["long_context"]
    rebuilt = AuditRecord.from_dict(data)
    assert rebuilt == record_of()
    assert (rebuilt.cost.cache_write_usd, rebuilt.cost.long_context) == (0.0, False)
    assert rebuilt.schema_version == SCHEMA_VERSION


def test_every_billed_count_reaches_the_report_and_back():
    """Each BilledUsage count is a billed_<count> report field (one rule, both ways), so a count
    added to the usage cannot be dropped on the way to the record."""
    counts = [f.name for f in fields(BilledUsage) if f.name != "service_tier"]
    usage = BilledUsage(**{name: 100 + i for i, name in enumerate(counts)}, service_tier="flex")
    report = make_report(**billed_fields(usage))
    assert billed_usage_of(report) == usage
    record = AuditRecord.from_report(report, now=NOW).to_dict()
    assert [record[f"billed_{name}"] for name in counts] == [100 + i for i in range(len(counts))]


def test_a_record_priced_again_keeps_12h_cache_writes_at_their_rate():
    """gpt-5.6: 200 cache writes, 50 of them kept 12 h ($10 vs $5 per 1M). A report priced with
    another table (no cost of its own) prices the 12 h writes at their rate, as the report's
    own cost does (version 4 records dropped them and priced all 200 at $5)."""
    report = make_report(
        model_requested="gpt-5.6",
        model_served="gpt-5.6",
        billed_input_tokens=1_000,
        billed_cached_tokens=300,
        billed_cache_write_tokens=200,
        billed_cache_write_12h_tokens=50,
        billed_output_tokens=0,
        cost=None,
    )
    record = AuditRecord.from_report(report, now=NOW, prices=DEFAULT_PRICES)
    assert record.cost is not None
    assert record.cost.cache_write_usd == (150 * 5.0 + 50 * 10.0) / 1e6
    assert record.billed_cache_write_12h_tokens == 50
    assert AuditRecord.from_dict(json.loads(json.dumps(record.to_dict()))) == record
