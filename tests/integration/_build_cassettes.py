"""Build the replay cassettes from real billed usage (no OpenAI key needed).

    /work/venv/bin/python tests/integration/_build_cassettes.py [--real-usage ../shared/real-usage]
        [--files-only]

1. Snapshot the replayed observations of ``real-usage/observations.jsonl`` into
   ``cassettes/observations.json`` (provenance, the request skeleton, the billed usage verbatim).
2. Put a stand-in image per observed image in ``cassettes/images/``: the real file when the
   observation kept one, else a deterministic generated image of the same size and format.
3. Start ``_fake_openai.FakeOpenAI`` on 127.0.0.1; it answers with SDK-valid bodies (and SSE
   streams) carrying the observation's REAL billed usage. Record our real ``VisionOpenAI`` client
   talking to it with vcrpy (same settings as the tests: data URLs replaced by their sha256,
   auth headers filtered, response headers scrubbed), then rewrite the recorded host to
   ``https://api.openai.com`` (Azure: ``AZURE_ENDPOINT``) so replays match the default base URL.

4. Snapshot the replayable file bills of ``real-usage/file_inputs.jsonl`` (every file one of
   the public PDFs in ``tests/data/files/``, no image) into ``cassettes/file_bills.json`` and
   record each through ``VisionOpenAI`` the same way, answered with its real usage, into
   ``cassettes/test_file_replay/`` (file data URLs replaced by their sha256, like images).

5. Run the README's client example (``_readme_example.EXAMPLE``) the same way, against
   mirascope-002's real bill, into ``cassettes/test_readme_example/``, and print what it printed.

Re-recording against the real API instead: see ``cassettes/README.md`` (``--record-mode=rewrite``
with ``OPENAI_API_KEY`` set).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import vcr  # noqa: E402
from _fake_openai import FakeOpenAI, Reply  # noqa: E402
from _file_scenarios import (  # noqa: E402
    FILE_BILLS_FILE,
    FILE_REPLAY_DIR,
    FileScenario,
    file_bills,
    file_scenarios,
    replayable,
    without_payloads,
)
from _readme_example import EXAMPLE, OBS_ID  # noqa: E402
from _scenarios import (  # noqa: E402
    AZURE_API_VERSION,
    AZURE_ENDPOINT,
    IMAGES,
    OBSERVATIONS_FILE,
    REPLAYED_IDS,
    Scenario,
    image_path,
    observations,
    scenarios,
)
from _vcr_setup import CASSETTES, vcr_settings  # noqa: E402
from PIL import Image  # noqa: E402

from openai_vision_ext import VisionAzureOpenAI, VisionOpenAI, vision_report  # noqa: E402

REPLAY_DIR = CASSETTES / "test_client_replay"
EXACT_DIR = CASSETTES / "test_client_exact_count"
README_CASSETTE = CASSETTES / "test_readme_example" / "readme-example.yaml"

EXACT_COUNT_OBS = "mirascope-002"
EXACT_COUNT_TEXT_TOKENS = 14
"""Synthesized answer of ``input_tokens.count`` for mirascope-002 without its image: the real
bill (269) minus the guide's tile cost of a 100x100 ``auto`` image on gpt-4o (85 + 170 = 255).
No real ``input_tokens.count`` response exists in the shared data; the exact-count cassettes test
the mechanism (a text-only count request is sent and used), not OpenAI's counter."""

_KEEP = (
    "id",
    "source",
    "source_commit",
    "source_commit_date",
    "source_blob",
    "interaction_index",
    "api",
    "model",
    "response_model",
    "response_id",
    "response_created",
    "detail",
    "images",
    "instructions",
    "text_parts",
    "usage",
    "notes",
    "request_skeleton",
)


def snapshot_observations(real_usage: Path) -> None:
    wanted = set(REPLAYED_IDS)
    rows = [json.loads(line) for line in (real_usage / "observations.jsonl").open()]
    kept = [{k: row[k] for k in _KEEP if k in row} for row in rows if row["id"] in wanted]
    missing = wanted - {row["id"] for row in kept}
    if missing:
        raise SystemExit(f"observations not found: {sorted(missing)}")
    kept.sort(key=lambda row: row["id"])
    OBSERVATIONS_FILE.parent.mkdir(parents=True, exist_ok=True)
    OBSERVATIONS_FILE.write_text(json.dumps(kept, indent=1, ensure_ascii=False) + "\n")
    observations.cache_clear()


def write_images(real_usage: Path) -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    for obs in observations().values():
        for index, image in enumerate(obs["images"]):
            target = image_path(obs, index)
            if target is None:
                continue
            if image.get("file"):
                shutil.copyfile(real_usage / image["file"], target)
            else:
                generated_image(image["width"], image["height"], image["format"], target)


def snapshot_file_bills(real_usage: Path) -> None:
    rows = [json.loads(line) for line in (real_usage / "file_inputs.jsonl").open()]
    kept = sorted(
        (without_payloads(row) for row in rows if replayable(row)), key=lambda row: row["id"]
    )
    FILE_BILLS_FILE.write_text(json.dumps(kept, indent=1, ensure_ascii=False) + "\n")
    file_bills.cache_clear()


def record_file_bill(scenario: FileScenario) -> None:
    row = scenario.row
    reply = Reply(
        api=scenario.api,
        model=row["response_model"],
        usage=row["usage"],
        response_id=row["response_id"],
        created=int(row["response_created"]),
        request_id=f"req_replay_{row['id'].replace('-', '_')}",
    )
    with recording(FILE_REPLAY_DIR / f"{scenario.name}.yaml", reply) as fake:
        client = VisionOpenAI(
            api_key="recording-without-a-key", base_url=f"{fake.base_url}/v1", max_retries=0
        )
        resource: Any = client.responses if scenario.api == "responses" else client.chat.completions
        result = resource.create(**scenario.request())
    report = vision_report(result)
    if report is None or report.billed_input_tokens != scenario.billed_input:
        raise SystemExit(f"{scenario.name}: unexpected report {report}")


def generated_image(width: int, height: int, fmt: str, target: Path) -> None:
    """A deterministic gradient of exactly ``width`` x ``height`` in ``fmt``."""
    red = Image.linear_gradient("L").resize((width, height))
    green = Image.radial_gradient("L").resize((width, height))
    blue = Image.linear_gradient("L").rotate(90).resize((width, height))
    Image.merge("RGB", (red, green, blue)).save(target, format=fmt, quality=80, optimize=True)


def reply_for(scenario: Scenario, *, counted: int | None = None) -> Reply:
    obs = scenario.obs
    return Reply(
        api=scenario.api,
        model=obs["response_model"],
        usage=obs["usage"],
        response_id=obs["response_id"],
        created=int(obs.get("response_created") or 1_700_000_000),
        request_id=f"req_replay_{obs['id'].replace('-', '_')}",
        counted_input_tokens=counted,
    )


def client_for(scenario: Scenario, base_url: str, **options: Any) -> Any:
    if scenario.azure:
        return VisionAzureOpenAI(
            api_key="recording-without-a-key",
            azure_endpoint=base_url,
            api_version=AZURE_API_VERSION,
            max_retries=0,
            **options,
        )
    return VisionOpenAI(
        api_key="recording-without-a-key", base_url=f"{base_url}/v1", max_retries=0, **options
    )


def call(client: Any, scenario: Scenario) -> object:
    kwargs = scenario.request()
    create = (
        client.responses.create if scenario.api == "responses" else client.chat.completions.create
    )
    result = create(**kwargs)
    if scenario.stream:
        for _ in result:
            pass
    return result


@contextlib.contextmanager
def recording(cassette: Path, reply: Reply, *, azure: bool = False) -> Iterator[FakeOpenAI]:
    """Record whatever runs inside into ``cassette`` from a fake server answering ``reply``;
    then point the cassette at the real host."""
    cassette.parent.mkdir(parents=True, exist_ok=True)
    cassette.unlink(missing_ok=True)
    with FakeOpenAI(reply=reply) as fake:
        recorder = vcr.VCR(record_mode="all", **vcr_settings())
        with recorder.use_cassette(str(cassette)):
            yield fake
        real_host = AZURE_ENDPOINT if azure else "https://api.openai.com"
        cassette.write_text(cassette.read_text().replace(fake.base_url, real_host))
    print(f"recorded {cassette.relative_to(CASSETTES.parent)}")


def record(scenario: Scenario, folder: Path, *, counted: int | None = None, **options: Any) -> None:
    cassette = folder / f"{scenario.name}.yaml"
    with recording(cassette, reply_for(scenario, counted=counted), azure=scenario.azure) as fake:
        result = call(client_for(scenario, fake.base_url, **options), scenario)
    report = vision_report(result)
    if report is None or report.billed_input_tokens != scenario.billed_input:
        raise SystemExit(f"{scenario.name}: unexpected report {report}")


@contextlib.contextmanager
def environ(**values: str) -> Iterator[None]:
    """Set environment variables inside the block only."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def record_readme_example() -> str:
    """Run the README example (unchanged, from the repository root) and return its output."""
    out = io.StringIO()
    reply = reply_for(Scenario(OBS_ID, stream=False))
    with (
        recording(README_CASSETTE, reply) as fake,
        contextlib.chdir(CASSETTES.parent),
        environ(OPENAI_API_KEY="recording-without-a-key", OPENAI_BASE_URL=f"{fake.base_url}/v1"),
        contextlib.redirect_stdout(out),
    ):
        exec(compile(EXAMPLE, "README example", "exec"), {})
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real-usage", type=Path, default=Path("/work/shared/real-usage"))
    parser.add_argument(
        "--files-only", action="store_true", help="step 4 only: the file bills' cassettes"
    )
    args = parser.parse_args()
    if not args.files_only:
        snapshot_observations(args.real_usage)
        write_images(args.real_usage)
        for folder in (REPLAY_DIR, EXACT_DIR):
            folder.mkdir(parents=True, exist_ok=True)
        for scenario in scenarios():
            record(scenario, REPLAY_DIR, preflight="off")
        for stream in (False, True):
            scenario = Scenario(EXACT_COUNT_OBS, stream)
            record(scenario, EXACT_DIR, counted=EXACT_COUNT_TEXT_TOKENS, exact_count=True)
    snapshot_file_bills(args.real_usage)
    shutil.rmtree(FILE_REPLAY_DIR, ignore_errors=True)
    for file_scenario in file_scenarios():
        record_file_bill(file_scenario)
    if not args.files_only:
        print("README example printed:\n" + record_readme_example())


if __name__ == "__main__":
    main()
