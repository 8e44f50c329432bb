"""OTelSink: GenAI span attributes for billed usage, our namespace for estimates, delta metrics."""

from __future__ import annotations

import builtins
import sys

import pytest
from _private import emit_report
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from openai_vision_ext import (
    AsyncVisionOpenAI,
    AuditPipeline,
    MissingExtraError,
    OTelSink,
    vision_report,
)
from openai_vision_ext.testing import fake_openai_server, make_record, make_report


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def reader() -> InMemoryMetricReader:
    return InMemoryMetricReader()


@pytest.fixture
def sink(exporter: InMemorySpanExporter, reader: InMemoryMetricReader) -> OTelSink:
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    return OTelSink(tracer_provider=tracer_provider, meter_provider=MeterProvider([reader]))


def metric_points(reader: InMemoryMetricReader, name: str) -> list:
    data = reader.get_metrics_data()
    return [
        point
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        if metric.name == name
        for point in metric.data.data_points
    ]


def test_one_span_per_record_with_billed_usage_under_gen_ai(sink, exporter):
    """Billed tokens use the GenAI semantic-convention names."""
    sink.emit(make_record(billed_cached_tokens=64, billed_reasoning_tokens=5))
    (span,) = exporter.get_finished_spans()
    attrs = dict(span.attributes)
    assert span.name == "openai_vision_ext.report"
    assert attrs["gen_ai.provider.name"] == "openai"
    assert attrs["gen_ai.request.model"] == "gpt-4o-mini"
    assert attrs["gen_ai.response.model"] == "gpt-4o-mini-2024-07-18"
    assert attrs["gen_ai.response.id"] == "resp_0123456789abcdef"
    assert attrs["gen_ai.usage.input_tokens"] == 8_514
    assert attrs["gen_ai.usage.output_tokens"] == 12
    assert attrs["gen_ai.usage.cache_read.input_tokens"] == 64
    assert attrs["gen_ai.usage.reasoning.output_tokens"] == 5


def test_estimates_and_cost_use_the_vendor_namespace(sink, exporter):
    """Estimates, attribution, delta, cost and image hashes live under openai_vision_ext.*."""
    record = make_record(estimated_input_tokens=8_600, delta_input_tokens=86)
    sink.emit(record)
    attrs = dict(exporter.get_finished_spans()[0].attributes)
    assert attrs["openai_vision_ext.estimated_input_tokens"] == 8_600
    assert attrs["openai_vision_ext.delta_input_tokens"] == 86
    assert attrs["openai_vision_ext.billed_image_tokens"] == 8_500
    assert attrs["openai_vision_ext.cost_usd"] == record.cost.total_usd
    assert attrs["openai_vision_ext.image.sha256"] == (record.images[0].sha256,)
    assert attrs["openai_vision_ext.status"] == "ok"


def test_missing_values_are_left_out_of_the_span(sink, exporter):
    """An error record without usage has no gen_ai.usage attributes (OTel forbids None)."""
    sink.emit(
        make_record(
            status="error",
            billed_input_tokens=None,
            billed_output_tokens=None,
            delta_input_tokens=None,
        )
    )
    attrs = dict(exporter.get_finished_spans()[0].attributes)
    assert "gen_ai.usage.input_tokens" not in attrs
    assert "openai_vision_ext.delta_input_tokens" not in attrs
    assert "openai_vision_ext.cost_usd" not in attrs


def test_delta_histogram_is_recorded_per_model_and_direction(sink, reader):
    """|estimate - billed| goes to one histogram series per model and over/under direction."""
    for delta in (-3, 5, 9):
        sink.emit(make_record(delta_input_tokens=delta))
    sink.emit(make_record(model_requested="gpt-4.1", model_served="gpt-4.1", delta_input_tokens=0))
    points = metric_points(reader, "openai_vision_ext.estimate.delta")
    series = {
        (p.attributes["gen_ai.request.model"], p.attributes["openai_vision_ext.direction"]): (
            p.count,
            p.sum,
            p.min,
            p.max,
        )
        for p in points
    }
    assert series == {
        ("gpt-4o-mini", "under"): (1, 3, 3, 3),
        ("gpt-4o-mini", "over"): (2, 14, 5, 9),
        ("gpt-4.1", "exact"): (1, 0, 0, 0),
    }


def test_reports_and_cost_are_counted(sink, reader):
    """Each record adds 1 to the report counter and its USD cost to the cost counter."""
    records = [make_record(), make_record()]
    for record in records:
        sink.emit(record)
    (reports,) = metric_points(reader, "openai_vision_ext.reports")
    (cost,) = metric_points(reader, "openai_vision_ext.cost")
    assert reports.value == 2
    assert cost.value == pytest.approx(sum(r.cost.total_usd for r in records))


def test_otel_sink_works_inside_a_pipeline(sink, exporter):
    """emit_report -> pipeline -> OTelSink produces the span."""
    emit_report(make_report(), AuditPipeline(sinks=[sink]))
    assert len(exporter.get_finished_spans()) == 1


@pytest.mark.anyio
@pytest.mark.block_network(allowed_hosts=[r"127\.0\.0\.1$"])
async def test_a_real_client_call_exports_billed_usage_and_its_estimate(sink, exporter, reader):
    """AsyncVisionOpenAI -> local server -> OTelSink: the span has the server's billed usage under
    gen_ai.*, the client's estimate under openai_vision_ext.*, and the delta is in the histogram."""
    body = {
        "model": "gpt-4o-mini",
        "input": [{"role": "user", "content": [{"type": "input_text", "text": "Say hi"}]}],
    }
    async with fake_openai_server(input_tokens=321, output_tokens=4) as base_url:
        client = AsyncVisionOpenAI(api_key="sk-test", base_url=base_url, audit=[sink])
        try:
            response = await client.responses.create(**body)
        finally:
            await client.close()
    report = vision_report(response)
    assert report is not None
    assert report.estimated_input_tokens is not None
    attrs = dict(exporter.get_finished_spans()[0].attributes)
    assert (attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.output_tokens"]) == (321, 4)
    assert attrs["openai_vision_ext.estimated_input_tokens"] == report.estimated_input_tokens
    (point,) = metric_points(reader, "openai_vision_ext.estimate.delta")
    assert point.attributes["gen_ai.request.model"] == "gpt-4o-mini"
    assert point.sum == abs(report.estimated_input_tokens - 321)


def test_without_the_extra_otel_sink_names_the_install_command(monkeypatch):
    """If opentelemetry is not installed, OTelSink raises MissingExtraError naming [otel]."""
    real_import = builtins.__import__

    def no_otel(name, *args, **kwargs):
        if name.startswith("opentelemetry"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_otel)
    with pytest.raises(MissingExtraError, match=r"pip install 'openai-vision-ext\[otel\]'") as err:
        OTelSink()
    assert err.value.extra == "otel"
    assert isinstance(err.value, ImportError)
    assert "opentelemetry" in sys.modules  # only the import inside OTelSink was refused
