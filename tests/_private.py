"""Private names the tests genuinely need (parsers, CLI internals, data tables), bound in one
place.

Tests import every public name from the package root (``from openai_vision_ext import X``).
The few private helpers they exercise come from here, so moving a private module means editing
this file, not every test that uses it. Importable as ``_private`` (``tests/`` is on
``sys.path``, like ``_helpers``).
"""

from __future__ import annotations

from openai_vision_ext import (
    _audit,
    _batch,
    _calibrate,
    _client,
    _core,
    _dated,
    _drift,
    _error_bands,
    _estimate,
    _exceptions,
    _file_calibrate,
    _file_preflight,
    _file_rules,
    _ooxml,
    _otel,
    _preflight,
    _prices,
    _prices_data,
    _records,
    _render,
    _report,
    _rules,
    _rules_data,
    _sinks,
    _text,
    _usage,
    _walk,
)
from openai_vision_ext._cli import commands as _cli
from openai_vision_ext._cli import scan as _scan
from openai_vision_ext._image import fetch as _fetch
from openai_vision_ext._image import images as _images
from openai_vision_ext._image import originals as _originals
from openai_vision_ext._image import parts as _parts
from openai_vision_ext._image import prepare as _prepare
from openai_vision_ext._image import sources as _sources
from openai_vision_ext._image import strip as _strip

__all__ = [
    "is_light",
    "bill_day",
    "INLINE_MAX_CHARS",
    "INLINE_MAX_NODES",
    "maker",
    "prepares_inline",
    "MAX_TEXT_CHARS",
    "MAX_XML_BYTES",
    "MAX_ZIP_ENTRIES",
    "document_text",
    "client_module",
    "core_module",
    "exceptions_module",
    "estimate_module",
    "file_preflight_module",
    "preflight_module",
    "rules_module",
    "walk_module",
    "usage_module",
    "prices_module",
    "ooxml_module",
    "prepare_module",
    "cli_module",
    "scan_module",
    "sources_module",
    "text_module",
    "parse_ranks",
    "VisionOptions",
    "estimated",
    "prepare_request",
    "API_CHOICES",
    "AUDIT_LOGGER",
    "BatchProblem",
    "BatchRequest",
    "BatchTally",
    "DETAIL_CHOICES",
    "DriftPoint",
    "ENCODINGS",
    "ERROR_BANDS",
    "EXACT_TARGET",
    "EXCLUSION_RULES",
    "EXTRA_KEY",
    "EncodingName",
    "ExitCode",
    "LIMIT_PROFILE_CHOICES",
    "LogProblem",
    "MAX_ENTRIES",
    "MAX_PIXELS",
    "MB",
    "NO_PUBLISHED_PRICE",
    "ORIGINALS",
    "Original",
    "OriginalsCache",
    "Outcome",
    "PRICE_ROWS",
    "RULES",
    "RULE_PERIODS",
    "bound_coverage",
    "build_data_url",
    "builtin_rules",
    "check_detail",
    "check_images",
    "check_request",
    "check_sendable",
    "BilledUsage",
    "billed_fields",
    "billed_usage_of",
    "COST_KEYS",
    "FILE_FIELDS",
    "FROM_JSON",
    "IMAGE_FIELDS",
    "RECORD_FIELDS",
    "cli",
    "drift_point",
    "emit_report",
    "encode_pil_image",
    "error_reason",
    "estimate_with_infos",
    "file_bill",
    "round_trip_outcomes",
    "file_calibration_table",
    "evaluate",
    "evaluate_all",
    "exclusion_rule",
    "failed_targets",
    "fetch_image",
    "get_encoding",
    "has_gps",
    "file_rule_for",
    "http_url",
    "image_tokens",
    "inspect_bytes",
    "iter_image_refs",
    "mark_drift",
    "measured_bands",
    "normalize_mime",
    "observation_from_record",
    "open_source",
    "parse_batch_line",
    "parse_log_line",
    "patch_count",
    "read_source",
    "render_drift_html",
    "render_drift_png",
    "TOOL_DIALECTS",
    "TOOLS_JOIN",
    "REASONING_REPLAY",
    "recorded_file_info",
    "restore_payloads",
    "BUILTIN_TOOLS",
    "CUSTOM_TOOL",
    "forced_function",
    "parallel_call_text",
    "render_functions",
    "render_markdown",
    "resize_for_rule",
    "sized_detail",
    "sniff_format",
    "span_attributes",
    "shape_table",
    "summarize",
    "summarize_batch",
    "summarize_drift",
    "with_originals",
    "VisionClientMixin",
    "merged_parameters",
    "stand_in_for",
]

emit_report = _audit.emit_report
billed_fields = _report.billed_fields
BilledUsage = _usage.BilledUsage
billed_usage_of = _report.billed_usage_of
COST_KEYS = _audit.COST_KEYS
FILE_FIELDS = _audit.FILE_FIELDS
FROM_JSON = _audit.FROM_JSON
IMAGE_FIELDS = _audit.IMAGE_FIELDS
RECORD_FIELDS = _audit.RECORD_FIELDS
BatchProblem = _batch.BatchProblem
BatchRequest = _batch.BatchRequest
BatchTally = _batch.BatchTally
error_reason = _batch.error_reason
parse_batch_line = _batch.parse_batch_line
summarize_batch = _batch.summarize_batch
bill_day = _dated.bill_day
EXACT_TARGET = _calibrate.EXACT_TARGET
EXCLUSION_RULES = _calibrate.EXCLUSION_RULES
ERROR_BANDS = _error_bands.ERROR_BANDS
bound_coverage = _calibrate.bound_coverage
measured_bands = _calibrate.measured_bands
Outcome = _calibrate.Outcome
check_images = _calibrate.check_images
evaluate = _calibrate.evaluate
evaluate_all = _calibrate.evaluate_all
exclusion_rule = _calibrate.exclusion_rule
failed_targets = _calibrate.failed_targets
mark_drift = _calibrate.mark_drift
observation_from_record = _calibrate.observation_from_record
render_markdown = _calibrate.render_markdown
summarize = _calibrate.summarize
shape_table = _calibrate.shape_table
API_CHOICES = _cli.API_CHOICES
DETAIL_CHOICES = _cli.DETAIL_CHOICES
ExitCode = _cli.ExitCode
LIMIT_PROFILE_CHOICES = _cli.LIMIT_PROFILE_CHOICES
cli = _cli.cli
VisionClientMixin = _client._VisionClientMixin
INLINE_MAX_CHARS = _core.INLINE_MAX_CHARS
INLINE_MAX_NODES = _core.INLINE_MAX_NODES
prepares_inline = _core.prepares_inline
maker = _records.maker
merged_parameters = _client._merged_parameters
stand_in_for = _client._stand_in_for
DriftPoint = _drift.DriftPoint
LogProblem = _drift.LogProblem
drift_point = _drift.drift_point
parse_log_line = _drift.parse_log_line
render_drift_html = _drift.render_drift_html
render_drift_png = _drift.render_drift_png
summarize_drift = _drift.summarize_drift
estimate_with_infos = _estimate.estimate_with_infos
BUILTIN_TOOLS = _estimate.BUILTIN_TOOLS
render_functions = _render.render_functions
forced_function = _render.forced_function
parallel_call_text = _render.parallel_call_text
TOOL_DIALECTS = _render.TOOL_DIALECTS
TOOLS_JOIN = _estimate.TOOLS_JOIN
REASONING_REPLAY = _estimate.REASONING_REPLAY
recorded_file_info = _file_calibrate._file_info
restore_payloads = _calibrate._restore_payloads
CUSTOM_TOOL = _render.CUSTOM_TOOL
file_bill = _file_calibrate.file_bill
round_trip_outcomes = _file_calibrate.round_trip_outcomes
file_calibration_table = _file_calibrate.file_calibration_table
fetch_image = _fetch.fetch_image
http_url = _fetch.http_url
MAX_PIXELS = _images.MAX_PIXELS
check_sendable = _images.check_sendable
inspect_bytes = _images.inspect_bytes
normalize_mime = _images.normalize_mime
sniff_format = _images.sniff_format
MAX_ENTRIES = _originals.MAX_ENTRIES
ORIGINALS = _originals.ORIGINALS
Original = _originals.Original
OriginalsCache = _originals.OriginalsCache
with_originals = _originals.with_originals
span_attributes = _otel.span_attributes
build_data_url = _parts.build_data_url
check_detail = _parts.check_detail
MB = _preflight.MB
check_request = _preflight.check_request
NO_PUBLISHED_PRICE = _prices_data.NO_PUBLISHED_PRICE
PRICE_ROWS = _prices_data.PRICE_ROWS
builtin_rules = _rules.builtin_rules
image_tokens = _rules.image_tokens
patch_count = _rules.patch_count
resize_for_rule = _rules.resize_for_rule
sized_detail = _rules.sized_detail
RULES = _rules_data.RULES
RULE_PERIODS = _rules_data.RULE_PERIODS
AUDIT_LOGGER = _sinks.AUDIT_LOGGER
EXTRA_KEY = _sinks.EXTRA_KEY
encode_pil_image = _sources.encode_pil_image
open_source = _sources.open_source
read_source = _sources.read_source
ENCODINGS = _text.ENCODINGS
EncodingName = _text.EncodingName
get_encoding = _text.get_encoding
iter_image_refs = _walk.iter_image_refs
is_light = _walk.is_light
MAX_TEXT_CHARS = _ooxml.MAX_TEXT_CHARS
MAX_XML_BYTES = _ooxml.MAX_XML_BYTES
MAX_ZIP_ENTRIES = _ooxml.MAX_ZIP_ENTRIES
document_text = _ooxml.document_text
client_module = _client
core_module = _core
exceptions_module = _exceptions
estimate_module = _estimate
file_preflight_module = _file_preflight
preflight_module = _preflight
rules_module = _rules
walk_module = _walk
usage_module = _usage
prices_module = _prices
ooxml_module = _ooxml
prepare_module = _prepare
cli_module = _cli
scan_module = _scan
sources_module = _sources
text_module = _text
parse_ranks = _text._parse_ranks
VisionOptions = _core.VisionOptions
estimated = _core.estimated
prepare_request = _core.prepare
has_gps = _strip.has_gps
file_rule_for = _file_rules.file_rule_for
