"""No API key, auth header or image payload in cassettes, log lines, JSONL records or errors."""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path

import pytest
from _helpers import data_url, encode
from _private import EXTRA_KEY
from PIL import Image

from openai_vision_ext import (
    AsyncVisionOpenAI,
    AuditPipeline,
    JsonlSink,
    LoggingSink,
    OpenAIVisionExtError,
    add_context,
)
from openai_vision_ext.testing import (
    SecretScanHandler,
    fake_openai_server,
    find_secrets,
    make_record,
)

pytestmark = pytest.mark.block_network(allowed_hosts=[r"127\.0\.0\.1$"])
"""The fake server listens on the loopback only; every other host stays blocked."""

ROOT = Path(__file__).resolve().parents[2]
TEXT_SUFFIXES = {".yaml", ".yml", ".json", ".jsonl", ".txt", ".md"}
API_KEY = "sk-proj-TESTabcdefghijklmnopqrstuvwxyz0123456789"
ORG, PROJECT = "org-TESTabcdefghijklmnop", "proj_TESTabcdefghijklmnop"
"""Shaped like OpenAI's ids (prefix + 20 or more letters and digits) but not real."""


def cassette_files() -> list[Path]:
    return sorted(
        p for p in (ROOT / "cassettes").rglob("*") if p.is_file() and p.suffix in TEXT_SUFFIXES
    )


def png_data_url(width: int, height: int) -> str:
    return data_url(encode(Image.effect_noise((width, height), 64).convert("RGB"), "PNG"))


IMAGE = png_data_url(300, 200)
"""A real PNG (noise, so it does not compress to nothing) as a data URL."""


class Lines(logging.Handler):
    """Every record as its message plus its audit extra, as a JSON formatter would show it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        extra = json.dumps(getattr(record, EXTRA_KEY, None))
        self.lines.append(f"{record.name} {record.levelname} {record.getMessage()} {extra}")


# -- the scanner itself must be able to fail ------------------------------------------------------


@pytest.mark.parametrize(
    "leak",
    [
        API_KEY,
        "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload",
        "authorization:\n  - Bearer abcdefgh12345678",
        "api-key:\n  - 0123456789abcdef0123456789abcdef",
        '"openai-organization": "org-TESTabcdefghijklmnop"',
        f"organization={ORG}",
        f"project {PROJECT}",
        png_data_url(8, 8),
        base64.b64encode(bytes(range(256)) * 2).decode(),
    ],
)
def test_the_scanner_finds_each_kind_of_leak(leak):
    """Each secret shape the security tests look for is actually detected."""
    assert find_secrets(f"some text {leak} more text")


@pytest.mark.parametrize(
    "clean",
    [
        "sha256=" + "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "request_id=req_0123456789abcdef response_id=resp_67ccd2bed1ec8190b14f964abc0542670bb6",
        "data:image/png;base64,iVBORw0KGgoAAAANSU...<base64 37022 chars sha1=cd972df478ed>",
        "authorization: [REDACTED]",
        "missing authorization header",
    ],
)
def test_the_scanner_ignores_hashes_ids_and_elided_stubs(clean):
    """Hashes, ids, elided data-URL stubs and redacted headers are not flagged."""
    assert find_secrets(clean) == []


# -- cassettes ---------------------------------------------------------------------------------


IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".gif"}


def test_every_file_under_cassettes_is_scanned_or_is_a_test_image():
    """No cassette escapes the scan below by its file type; images live only under images/."""
    others = [
        p.relative_to(ROOT)
        for p in (ROOT / "cassettes").rglob("*")
        if p.is_file()
        and p.suffix not in TEXT_SUFFIXES
        and not (p.suffix.lower() in IMAGE_SUFFIXES and p.parent.name == "images")
    ]
    assert others == []
    assert len(cassette_files()) >= 2  # the scan below really has cassettes to read


@pytest.mark.parametrize("path", cassette_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_cassette_holds_a_secret_or_an_image_payload(path: Path):
    """Every text file under cassettes/ is free of keys, auth headers and base64 images."""
    assert find_secrets(path.read_text(encoding="utf-8", errors="replace")) == []


def test_the_cassette_scan_flags_a_planted_cassette(tmp_path: Path):
    """Planted positive: a cassette as VCR would write it with real headers and a data URL."""
    planted = tmp_path / "leaky.yaml"
    planted.write_text(
        'interactions:\n- request:\n    body: \'{"image_url": "' + IMAGE[:200] + "\"}'\n"
        "    headers:\n      authorization:\n      - Bearer " + API_KEY + "\n"
        "      openai-organization:\n      - " + ORG + "\n"
        "      openai-project:\n      - " + PROJECT + "\n",
        encoding="utf-8",
    )
    kinds = {f.split(" at ")[0] for f in find_secrets(planted.read_text(encoding="utf-8"))}
    assert {"api_key", "bearer", "auth_header", "org_id", "project_id", "data_url"} <= kinds


def test_the_session_log_scanner_reads_the_audit_extra_not_just_the_message():
    """SecretScanHandler flags a key that only the record under the audit extra key carries."""
    scan = SecretScanHandler()
    logger = logging.getLogger("tests.security.scan")
    logger.addHandler(scan)
    logger.propagate = False
    try:
        LoggingSink(logger=logger, level=logging.WARNING).emit(
            add_context(key=API_KEY)(make_record())
        )
        LoggingSink(logger=logger, level=logging.WARNING).emit(make_record())
    finally:
        logger.removeHandler(scan)
    assert scan.seen == 2
    assert [f.split(" at ")[0] for f in scan.findings] == ["tests.security.scan: api_key"]


# -- everything one audited request flow writes ---------------------------------------------


@pytest.fixture
def package_log() -> Lines:
    handler = Lines()
    logger = logging.getLogger("openai_vision_ext")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(old_level)


async def audited_flow(
    tmp_path: Path, log: Lines, processors=(), audit_logger: logging.Logger | None = None
) -> dict[str, str]:
    """Run real requests (Responses + Chat, real image, real-looking key, org and project) through
    a fully audited client; return every text it produced, by kind.

    Covers: debug logs of every ``openai_vision_ext*`` logger, the audit log line and its extra,
    the JSONL records (with text opted in), a failing sink's warning and a preflight error.
    """

    def broken_sink(record: object) -> None:
        raise OSError(f"cannot write {API_KEY[:3]}")

    audit_path = tmp_path / "audit.jsonl"
    pipeline = AuditPipeline(
        processors=processors,
        sinks=[LoggingSink(logger=audit_logger), JsonlSink(audit_path), broken_sink],
        include_text=True,
    )
    content = [
        {"type": "input_text", "text": "Describe"},
        {"type": "input_image", "image_url": IMAGE, "detail": "high"},
    ]
    errors: list[str] = []
    async with fake_openai_server() as base_url:
        client = AsyncVisionOpenAI(
            api_key=API_KEY,
            organization=ORG,
            project=PROJECT,
            base_url=base_url,
            max_retries=0,
            audit=pipeline,
        )
        try:
            await client.responses.create(
                model="gpt-4.1", input=[{"role": "user", "content": content}]
            )
            await client.chat.completions.create(
                model="gpt-4o",
                messages=[
                    {
                        "role": "user",
                        "content": [{"type": "image_url", "image_url": {"url": IMAGE}}],
                    }
                ],
            )
            bad = "data:image/png;base64," + base64.b64encode(b"GIF89a" + bytes(400)).decode()
            bad_content = [{"type": "input_image", "image_url": bad, "detail": "auto"}]
            with pytest.raises(OpenAIVisionExtError) as err:
                await client.responses.create(
                    model="gpt-4.1", input=[{"role": "user", "content": bad_content}]
                )
            errors.append(str(err.value))
        finally:
            await client.close()
    jsonl = audit_path.read_text(encoding="utf-8")
    assert len(jsonl.splitlines()) == 2
    assert len(log.lines) >= 3  # two audit lines and a sink warning at least
    return {"log": "\n".join(log.lines), "jsonl": jsonl, "errors": "\n".join(errors)}


def finding_kinds(outputs: dict[str, str]) -> dict[str, set[str]]:
    """Which ``SECRET_PATTERNS`` fire in each output (empty sets when clean)."""
    return {
        name: {finding.split(" at ")[0] for finding in find_secrets(text)}
        for name, text in outputs.items()
    }


@pytest.mark.anyio
async def test_an_audited_flow_logs_and_records_no_secret(tmp_path: Path, package_log: Lines):
    """Requests with real images and a real-looking key leave no secret in any output."""
    outputs = await audited_flow(tmp_path, package_log)
    assert finding_kinds(outputs) == {"log": set(), "jsonl": set(), "errors": set()}
    assert IMAGE[30:90] not in outputs["log"] + outputs["jsonl"]


@pytest.mark.anyio
async def test_the_flow_check_catches_a_planted_leak(tmp_path: Path, package_log: Lines):
    """Planted positive: a processor that copies the key, org, project and image into every
    record makes the same check above report each kind, in the log lines and the JSONL."""
    leaky = add_context(key=API_KEY, org=ORG, project=PROJECT, image=IMAGE)
    planted_log = logging.getLogger("tests.security.planted")  # kept out of package-wide scans
    planted_log.propagate = False
    planted_log.setLevel(logging.INFO)
    planted_log.addHandler(package_log)
    try:
        outputs = await audited_flow(
            tmp_path, package_log, processors=[leaky], audit_logger=planted_log
        )
    finally:  # the leaky file must not reach the session-wide scan below either
        planted_log.removeHandler(package_log)
        (tmp_path / "audit.jsonl").unlink(missing_ok=True)
    planted = {"api_key", "org_id", "project_id", "data_url"}
    kinds = finding_kinds(outputs)
    assert planted <= kinds["log"]
    assert planted <= kinds["jsonl"]
    assert kinds["errors"] == set()


def test_audit_files_written_so_far_in_this_session_hold_no_secret(tmp_path_factory):
    """Every audit JSONL file the suite's tests wrote before this one is clean too."""
    base = tmp_path_factory.getbasetemp()
    scanned = 0
    for path in base.rglob("*.jsonl"):
        text = path.read_text(encoding="utf-8", errors="replace")
        if '"price_table_version"' in text.partition("\n")[0]:  # an audit file, not a batch input
            assert find_secrets(text) == [], path
            scanned += 1
    assert scanned >= 1  # at least the audited flow above ran in this session
