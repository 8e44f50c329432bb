"""LoggingSink and JsonlSink: one line per record, whole lines across threads and processes."""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import stat
import threading
from dataclasses import replace
from pathlib import Path

import pytest
import vcr
from _private import AUDIT_LOGGER, EXTRA_KEY, emit_report
from _scenarios import Scenario
from _vcr_setup import CASSETTES, vcr_settings

from openai_vision_ext import (
    AuditImage,
    AuditPipeline,
    JsonlSink,
    LoggingSink,
    VisionOpenAI,
    read_jsonl,
)
from openai_vision_ext.testing import make_record, make_report

# -- LoggingSink --------------------------------------------------------------------------------


def test_logging_sink_logs_one_line_on_the_audit_logger(caplog):
    """Each record is one INFO line on openai_vision_ext.audit, summarising the record."""
    with caplog.at_level(logging.INFO, logger=AUDIT_LOGGER):
        LoggingSink().emit(make_record())
    (log,) = caplog.records
    message = log.getMessage()
    assert (log.name, log.levelno) == (AUDIT_LOGGER, logging.INFO)
    assert "\n" not in message
    assert "model=gpt-4o-mini-2024-07-18 status=ok images=1" in message
    assert "estimated_input=8514 billed_input=8514 delta=+0" in message


def test_logging_sink_puts_the_whole_record_under_one_extra_key(caplog):
    """The LogRecord carries record.to_dict() under the namespaced attribute, nothing else."""
    record = make_record()
    with caplog.at_level(logging.INFO, logger=AUDIT_LOGGER):
        LoggingSink().emit(record)
    assert getattr(caplog.records[0], EXTRA_KEY) == record.to_dict()


def test_logging_sink_output_works_with_a_json_formatter():
    """A JSON formatter that dumps the extra key gets the record as a nested JSON object."""

    class JsonFormatter(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            return json.dumps({"msg": record.getMessage(), EXTRA_KEY: getattr(record, EXTRA_KEY)})

    lines: list[str] = []
    handler = logging.Handler()
    handler.setFormatter(JsonFormatter())
    handler.emit = lambda r: lines.append(handler.format(r))  # type: ignore[method-assign]
    logger = logging.getLogger("tests.audit.json")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        LoggingSink(logger=logger).emit(make_record())
    finally:
        logger.removeHandler(handler)
    assert json.loads(lines[0])[EXTRA_KEY]["billed_input_tokens"] == 8_514


def test_logging_sink_skips_all_work_when_its_level_is_disabled(monkeypatch):
    """A disabled logger costs no serialisation: to_dict() is never called."""
    logger = logging.getLogger("tests.audit.disabled")
    logger.setLevel(logging.WARNING)
    record = make_record()
    monkeypatch.setattr(type(record), "to_dict", lambda self: pytest.fail("serialised"))
    LoggingSink(logger=logger).emit(record)


@pytest.mark.parametrize("evil", ["gpt-4o\nFAKE audit line", "gpt-4o\r\x1b[2K", "gpt\u2028x"])
def test_logging_sink_keeps_one_line_whatever_the_model_name(caplog, evil):
    """Control characters in caller-supplied strings are escaped: no forged second log line."""
    with caplog.at_level(logging.INFO, logger=AUDIT_LOGGER):
        LoggingSink().emit(make_record(model_served=evil, request_id=evil))
    message = caplog.records[0].getMessage()
    assert message.splitlines() == [message]
    assert not any(ch in message for ch in "\r\n\x1b\u2028")
    assert "model=gpt" in message


def test_logging_sink_shows_missing_numbers_as_none(caplog):
    """An error record without usage still logs one readable line."""
    record = make_record(
        status="error", billed_input_tokens=None, billed_output_tokens=None, delta_input_tokens=None
    )
    with caplog.at_level(logging.INFO, logger=AUDIT_LOGGER):
        LoggingSink().emit(record)
    assert "status=error" in caplog.text
    assert "billed_input=None delta=None cost_usd=None" in caplog.text


# -- JsonlSink ----------------------------------------------------------------------------------


def test_jsonl_sink_writes_one_parsable_line_per_record(tmp_path: Path):
    """Each emit appends exactly one JSON object followed by a newline."""
    path = tmp_path / "audit.jsonl"
    sink = JsonlSink(path)
    records = [make_record(request_id=f"req_{i}") for i in range(3)]
    for record in records:
        sink.emit(record)
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n")
    assert [json.loads(line) for line in text.splitlines()] == [r.to_dict() for r in records]


def test_jsonl_sink_round_trips_through_read_jsonl(tmp_path: Path):
    """read_jsonl gives back records equal to those written, in order."""
    path = tmp_path / "audit.jsonl"
    records = [make_record(request_id=f"req_{i}", text="é ✓ \n newline") for i in range(3)]
    for record in records:
        JsonlSink(path).emit(record)
    assert list(read_jsonl(path)) == records


def test_jsonl_lines_survive_any_line_splitter(tmp_path: Path):
    """Unicode line breaks in text stay escaped: str.splitlines() sees one line per record."""
    path = tmp_path / "audit.jsonl"
    record = make_record(text="a\u2028b\u2029c\x85d\ne")
    JsonlSink(path).emit(record)
    JsonlSink(path).emit(record)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    assert json.loads(lines[0])["text"] == "a\u2028b\u2029c\x85d\ne"


def test_jsonl_sink_creates_files_readable_by_their_owner_only(tmp_path: Path):
    """A new audit file gets mode 0600."""
    path = tmp_path / "audit.jsonl"
    JsonlSink(path).emit(make_record())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_jsonl_sink_fsync_option_syncs_every_line(tmp_path: Path, monkeypatch):
    """fsync=True calls os.fsync once per record; the default never does."""
    calls = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append(fd), real_fsync(fd)))
    JsonlSink(tmp_path / "a.jsonl").emit(make_record())
    JsonlSink(tmp_path / "b.jsonl", fsync=True).emit(make_record())
    JsonlSink(tmp_path / "b.jsonl", fsync=True).emit(make_record())
    assert len(calls) == 2


def test_jsonl_sink_follows_log_rotation(tmp_path: Path):
    """After the file is renamed away (logrotate), the next record starts a new file."""
    path = tmp_path / "audit.jsonl"
    sink = JsonlSink(path)
    sink.emit(make_record(request_id="before"))
    path.rename(tmp_path / "audit.jsonl.1")
    sink.emit(make_record(request_id="after"))
    assert [r.request_id for r in read_jsonl(tmp_path / "audit.jsonl.1")] == ["before"]
    assert [r.request_id for r in read_jsonl(path)] == ["after"]


def test_jsonl_sink_survives_copytruncate(tmp_path: Path):
    """After the file is truncated in place, new lines start at offset 0 (O_APPEND), no holes."""
    path = tmp_path / "audit.jsonl"
    sink = JsonlSink(path)
    sink.emit(make_record(request_id="old"))
    path.write_bytes(b"")
    sink.emit(make_record(request_id="new"))
    assert [r.request_id for r in read_jsonl(path)] == ["new"]


def test_a_failing_jsonl_sink_is_counted_and_never_raises(tmp_path: Path, caplog):
    """An unwritable path (a directory) fails the sink, not the caller."""
    pipeline = AuditPipeline(sinks=[JsonlSink(tmp_path)])
    with caplog.at_level(logging.WARNING, logger="openai_vision_ext"):
        emit_report(make_report(), pipeline)
    assert pipeline.failure_counts == {"JsonlSink": 1}
    assert "JsonlSink failed" in caplog.text


def big_record(request_id: str):
    """A record of ~20 KB (100 images): far above PIPE_BUF, so atomicity is not by luck."""
    image = make_record().images[0]
    images = tuple(replace(image, index=i) for i in range(100))
    return replace(make_record(request_id=request_id), images=images)


def test_jsonl_lines_stay_whole_across_threads(tmp_path: Path):
    """16 threads x 40 large records: every line parses, none lost or duplicated."""
    path = tmp_path / "audit.jsonl"
    sink = JsonlSink(path)

    def work(t: int) -> None:
        for i in range(40):
            sink.emit(big_record(f"t{t}-{i}"))

    threads = [threading.Thread(target=work, args=(t,)) for t in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = [r.request_id for r in read_jsonl(path)]
    assert sorted(ids) == sorted(f"t{t}-{i}" for t in range(16) for i in range(40))


def _write_from_process(path: str, worker: int, count: int) -> None:
    sink = JsonlSink(path)
    for i in range(count):
        sink.emit(big_record(f"p{worker}-{i}"))


def test_jsonl_lines_stay_whole_across_processes(tmp_path: Path):
    """4 processes x 250 large records into one file: 1,000 whole lines, none lost."""
    path = str(tmp_path / "audit.jsonl")
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_write_from_process, args=(path, w, 250)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=60)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    ids = [r.request_id for r in read_jsonl(path)]
    assert sorted(ids) == sorted(f"p{w}-{i}" for w in range(4) for i in range(250))


def test_audit_images_never_hold_bytes():
    """The image entry type has no field that could carry pixel data or base64."""
    assert set(AuditImage.__dataclass_fields__) == {
        "index",
        "source",
        "sha256",
        "mime",
        "n_bytes",
        "width",
        "height",
        "detail",
        "estimated_tokens",
        "original_width",
        "original_height",
        "original_n_bytes",
        "original_mime",
        "prepared_actions",
    }


# -- a real replayed response, as the README shows it --------------------------------------------

README_SCENARIO = Scenario("crewai-055", stream=False)
"""A real Responses call (gpt-4o-mini, one image) whose billed usage the cassette replays."""


def test_a_replayed_real_response_gives_one_log_line_and_one_jsonl_line(tmp_path: Path):
    """One real response -> exactly one formatted log line and one JSONL line, both carrying the
    usage OpenAI billed (from the observation file, not from our code). Run with ``-rP`` to see
    the two lines quoted in the README's "Auditing" section."""
    lines: list[str] = []
    handler = logging.Handler(logging.INFO)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.emit = lambda r: lines.append(handler.format(r))  # type: ignore[method-assign]
    audit_logger = logging.getLogger(AUDIT_LOGGER)
    old_level = audit_logger.level
    audit_logger.addHandler(handler)
    audit_logger.setLevel(logging.INFO)
    path = tmp_path / "audit.jsonl"
    client = VisionOpenAI(api_key="sk-test", max_retries=0, audit=[LoggingSink(), JsonlSink(path)])
    cassette = CASSETTES / "test_client_replay" / f"{README_SCENARIO.name}.yaml"
    try:
        with vcr.VCR(**vcr_settings(), record_mode="none").use_cassette(str(cassette)):
            client.responses.create(**README_SCENARIO.request())
    finally:
        audit_logger.removeHandler(handler)
        audit_logger.setLevel(old_level)
    usage = README_SCENARIO.obs["usage"]
    (jsonl,) = path.read_text(encoding="utf-8").splitlines()
    (line,) = lines
    record = json.loads(jsonl)
    assert (record["billed_input_tokens"], record["billed_output_tokens"]) == (
        usage["input_tokens"],
        usage["output_tokens"],
    )
    assert f"billed_input={usage['input_tokens']} " in line
    assert f"request_id={record['request_id']}" in line
    print(f"LOG   {line}\nJSONL {jsonl}")
