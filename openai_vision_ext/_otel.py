"""OpenTelemetry export of audit records (the ``[otel]`` extra): one span each, plus metrics.

Billed usage goes under the GenAI semantic conventions (``gen_ai.usage.input_tokens`` ...);
our estimates and costs under the ``openai_vision_ext.*`` namespace. Metrics: a histogram of
``|estimated - billed|`` input tokens per model and direction (OTel histograms take no negative
values: ``openai_vision_ext.direction`` is ``over``, ``under`` or ``exact``), and counters of
reports and USD cost. Images that ``prepare_image`` changed add
``openai_vision_ext.image.prepared_count`` and their total ``original_bytes``/``sent_bytes``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from ._audit import AuditRecord
from ._exceptions import MissingExtraError
from ._version import __version__

if TYPE_CHECKING:  # pragma: no cover
    from opentelemetry.metrics import MeterProvider
    from opentelemetry.trace import TracerProvider

__all__ = ["NAMESPACE", "OTelSink", "metric_attributes", "span_attributes"]

NAMESPACE: Final = "openai_vision_ext"
SPAN_NAME: Final = "openai_vision_ext.report"
_SCOPE: Final = "openai_vision_ext"

AttributeValue = str | bool | int | float | list[str]


def span_attributes(record: AuditRecord) -> dict[str, AttributeValue]:
    """The span attributes for ``record`` (``None`` values left out, as OTel requires).

    >>> from openai_vision_ext.testing import make_record
    >>> attrs = span_attributes(make_record())
    >>> attrs["gen_ai.usage.input_tokens"], attrs["openai_vision_ext.estimated_input_tokens"]
    (8514, 8514)
    """
    cost = record.cost
    values: Mapping[str, Any] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": record.model_requested,
        "gen_ai.response.model": record.model_served,
        "gen_ai.response.id": record.response_id,
        "gen_ai.usage.input_tokens": record.billed_input_tokens,
        "gen_ai.usage.output_tokens": record.billed_output_tokens,
        "gen_ai.usage.cache_read.input_tokens": record.billed_cached_tokens,
        "gen_ai.usage.reasoning.output_tokens": record.billed_reasoning_tokens,
        f"{NAMESPACE}.api": record.api,
        f"{NAMESPACE}.request_id": record.request_id,
        f"{NAMESPACE}.status": record.status,
        f"{NAMESPACE}.stream": record.stream,
        f"{NAMESPACE}.attribution": record.attribution,
        f"{NAMESPACE}.image_count": len(record.images),
        f"{NAMESPACE}.image.sha256": [i.sha256 for i in record.images if i.sha256] or None,
        **_prepared_attributes(record),
        f"{NAMESPACE}.estimated_input_tokens": record.estimated_input_tokens,
        f"{NAMESPACE}.estimated_image_tokens": record.estimated_image_tokens,
        f"{NAMESPACE}.estimated_text_tokens": record.estimated_text_tokens,
        f"{NAMESPACE}.billed_image_tokens": record.billed_image_tokens,
        f"{NAMESPACE}.delta_input_tokens": record.delta_input_tokens,
        f"{NAMESPACE}.cost_usd": None if cost is None else cost.total_usd,
        f"{NAMESPACE}.price_table_version": record.price_table_version,
        f"{NAMESPACE}.schema_version": record.schema_version,
    }
    return {key: value for key, value in values.items() if value is not None}


def _prepared_attributes(record: AuditRecord) -> dict[str, int | None]:
    """Images changed client-side by ``prepare_image``: how many, and their total bytes before
    and after (only images whose original size is known count in the byte totals)."""
    prepared = [i for i in record.images if i.prepared_actions]
    sized = [i for i in prepared if i.original_n_bytes is not None and i.n_bytes is not None]
    if not prepared:
        return {}
    return {
        f"{NAMESPACE}.image.prepared_count": len(prepared),
        f"{NAMESPACE}.image.original_bytes": sum(i.original_n_bytes or 0 for i in sized) or None,
        f"{NAMESPACE}.image.sent_bytes": sum(i.n_bytes or 0 for i in sized) or None,
    }


def metric_attributes(record: AuditRecord) -> dict[str, AttributeValue]:
    """Low-cardinality attributes for metrics: models, API and status only.

    >>> from openai_vision_ext.testing import make_record
    >>> metric_attributes(make_record())["gen_ai.request.model"]
    'gpt-4o-mini'
    """
    values = {
        "gen_ai.request.model": record.model_requested,
        "gen_ai.response.model": record.model_served,
        f"{NAMESPACE}.api": record.api,
        f"{NAMESPACE}.status": record.status,
    }
    return {key: value for key, value in values.items() if value is not None}


class OTelSink:
    """Export each audit record as a span and as metric points. Needs the ``[otel]`` extra.

    Providers default to the global ones (``opentelemetry.trace.set_tracer_provider`` ...).

    >>> from opentelemetry.sdk.trace import TracerProvider
    >>> from openai_vision_ext.testing import make_record
    >>> OTelSink(tracer_provider=TracerProvider()).emit(make_record())
    """

    name = "OTelSink"

    def __init__(
        self,
        *,
        tracer_provider: TracerProvider | None = None,
        meter_provider: MeterProvider | None = None,
        span_name: str = SPAN_NAME,
    ) -> None:
        try:
            from opentelemetry import metrics, trace
        except ImportError as exc:
            raise MissingExtraError("OTelSink (OpenTelemetry export)", "otel") from exc
        self._span_name = span_name
        self._tracer = trace.get_tracer(_SCOPE, __version__, tracer_provider=tracer_provider)
        meter = metrics.get_meter(_SCOPE, __version__, meter_provider=meter_provider)
        self._delta = meter.create_histogram(
            f"{NAMESPACE}.estimate.delta",
            unit="{token}",
            description="|estimated - billed| input tokens per response; sign in 'direction'",
        )
        self._reports = meter.create_counter(
            f"{NAMESPACE}.reports", unit="{report}", description="Audited responses"
        )
        self._cost = meter.create_counter(
            f"{NAMESPACE}.cost", unit="USD", description="Estimated cost from billed tokens"
        )

    def emit(self, record: AuditRecord) -> None:
        """Record one span (ended at once) and the metric points for ``record``."""
        span = self._tracer.start_span(self._span_name, attributes=span_attributes(record))
        span.end()
        attributes = metric_attributes(record)
        self._reports.add(1, attributes)
        if (delta := record.delta_input_tokens) is not None:
            direction = "over" if delta > 0 else "under" if delta < 0 else "exact"
            self._delta.record(abs(delta), {**attributes, f"{NAMESPACE}.direction": direction})
        if record.cost is not None:
            self._cost.add(record.cost.total_usd, attributes)
