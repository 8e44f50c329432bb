"""The command line, driven in-process with click's CliRunner: outputs, JSON and exit codes."""

from __future__ import annotations

import io
import json
import re
import sys
import threading
import time
from pathlib import Path
from typing import Any, get_args

import _private
import pytest
from _helpers import data_url, png
from _private import API_CHOICES, DETAIL_CHOICES, LIMIT_PROFILE_CHOICES, ExitCode, cli
from _private import cli_module as _cli
from _private import scan_module as _scan
from click.testing import CliRunner, Result
from PIL import Image

from openai_vision_ext import (
    DEFAULT_LIMITS,
    DEFAULT_PRICES,
    DETAILS,
    LIMIT_PROFILES,
    Api,
    AuditRecord,
    JsonlSink,
    __version__,
    estimate_image_tokens,
    estimate_request,
)
from openai_vision_ext.testing import make_report


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def run_json(*args: str) -> tuple[int, Any]:
    result = run(*args, "--json")
    return result.exit_code, json.loads(result.stdout)


def save(path: Path, size: tuple[int, int], fmt: str = "PNG", **kw: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (10, 120, 200)).save(path, fmt, **kw)
    return path


def usd(model: str, tokens: int, tier: str = "standard") -> float:
    """Input USD from the price row itself: tokens x $ per 1M."""
    row = DEFAULT_PRICES.lookup(model)
    assert row is not None
    rates = row.standard if tier == "standard" else row.batch
    assert rates is not None
    return tokens * rates.input / 1_000_000


def one_error_line(result: Result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.output
    return lines[0]


class TestChoicesMatchTheLibrary:
    """The CLI keeps some choices literal (fast --help); they must equal the library's."""

    def test_details(self) -> None:
        """--detail offers exactly the SDK's ImageDetail values."""
        assert DETAIL_CHOICES == DETAILS

    def test_apis(self) -> None:
        """--api offers exactly the Api literal."""
        assert get_args(Api) == API_CHOICES

    def test_limit_profiles(self) -> None:
        """--limits offers exactly the dated preflight profiles, the newest last (default)."""
        assert tuple(LIMIT_PROFILES) == LIMIT_PROFILE_CHOICES
        assert LIMIT_PROFILE_CHOICES[-1] == DEFAULT_LIMITS.name


class TestTopLevel:
    def test_help_lists_every_command_and_the_exit_codes(self) -> None:
        """--help names the commands and documents every exit code."""
        result = run("--help")
        assert result.exit_code == 0
        for command in ("estimate", "validate", "batch", "audit", "calibrate"):
            assert command in result.stdout
        for code in ExitCode:
            assert f"{int(code)} " in result.stdout

    def test_module_docstring_documents_every_exit_code(self) -> None:
        """The exit-code table in the module docstring covers the whole enum."""
        doc = _cli.__doc__ or ""
        for code in ExitCode:
            assert re.search(rf"^{int(code)} +\S", doc, re.MULTILINE), code

    def test_version(self) -> None:
        """--version prints the package version."""
        result = run("--version")
        assert result.exit_code == 0
        assert __version__ in result.stdout

    def test_unknown_option_is_a_usage_error_on_one_line(self) -> None:
        """A typo in an option is exit code 2 and one readable line."""
        result = run("estimate", "x.png", "--model", "gpt-4o", "--detial", "low")
        assert result.exit_code == ExitCode.USAGE
        assert "--detial" in one_error_line(result)

    def test_bad_detail_value_is_a_usage_error(self) -> None:
        """--detail accepts only low/high/auto/original."""
        result = run("estimate", "x.png", "--model", "gpt-4o", "--detail", "ultra")
        assert result.exit_code == ExitCode.USAGE
        assert "'ultra'" in one_error_line(result)

    @pytest.mark.parametrize(
        "command",
        [("estimate",), ("validate",), ("batch",), ("audit", "summarize"), ("calibrate",)],
    )
    def test_every_command_offers_json(self, command: tuple[str, ...]) -> None:
        """Scripts can ask any command for JSON."""
        result = run(*command, "--help")
        assert result.exit_code == 0
        assert "--json" in result.stdout

    @pytest.mark.parametrize("args", [(), ("audit",)])
    def test_bare_group_prints_its_help_as_a_usage_error(self, args: tuple[str, ...]) -> None:
        """No command: the group's help (not an "error:" line wrapping it) and exit code 2."""
        result = run(*args)
        assert result.exit_code == ExitCode.USAGE
        assert result.stderr.startswith("Usage: ")
        assert "error:" not in result.output

    def test_ctrl_c_is_exit_130_on_one_line(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        """An interrupt ends the run with the conventional 130, not a traceback."""

        def interrupted(*args: Any, **kwargs: Any) -> Any:
            raise KeyboardInterrupt

        monkeypatch.setattr(_scan, "collect_paths", interrupted)
        result = run("estimate", str(tmp_path), "--model", "gpt-4o")
        assert result.exit_code == ExitCode.INTERRUPTED
        assert int(ExitCode.INTERRUPTED) == 130
        assert one_error_line(result) == "error: interrupted"

    def test_internal_errors_are_one_line_with_code_70(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        """A bug inside a command is reported, not dumped as a traceback."""

        def boom(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("kaboom")

        monkeypatch.setattr(_scan, "collect_paths", boom)
        result = run("estimate", str(tmp_path), "--model", "gpt-4o")
        assert result.exit_code == ExitCode.INTERNAL
        assert "RuntimeError: kaboom" in one_error_line(result)


class TestEstimate:
    def test_one_image_gives_dims_format_tokens_and_usd(self, tmp_path: Path) -> None:
        """1024x1024 at high detail on gpt-4o: 85 + 4 x 170 = 765 tokens (the guide's example)."""
        png = save(tmp_path / "a.png", (1024, 1024))
        code, report = run_json("estimate", str(png), "--model", "gpt-4o", "--detail", "high")
        assert code == ExitCode.OK
        (image,) = report["images"]
        assert (image["format"], image["width"], image["height"]) == ("png", 1024, 1024)
        assert image["tokens"] == 765
        assert image["usd"] == pytest.approx(usd("gpt-4o", 765))
        assert report["totals"]["usd_batch"] == pytest.approx(usd("gpt-4o", 765, "batch"))

    def test_totals_add_up_the_images(self, tmp_path: Path) -> None:
        """The total is the sum of the per-image estimates."""
        save(tmp_path / "a.png", (640, 480))
        save(tmp_path / "b.jpg", (1920, 1080), "JPEG")
        code, report = run_json("estimate", str(tmp_path), "-m", "gpt-4.1-mini", "-d", "high")
        assert code == ExitCode.OK
        expected = [
            estimate_image_tokens(w, h, model="gpt-4.1-mini", detail="high")
            for w, h in ((640, 480), (1920, 1080))
        ]
        assert [i["tokens"] for i in report["images"]] == expected
        assert report["totals"]["tokens"] == sum(expected)
        assert report["totals"]["images"] == 2

    def test_directories_are_recursed_for_image_files_only(self, tmp_path: Path) -> None:
        """Nested images are found; notes, hidden files and hidden folders are not."""
        save(tmp_path / "a.png", (8, 8))
        save(tmp_path / "sub" / "deeper" / "b.JPG", (8, 8), "JPEG")
        save(tmp_path / ".cache" / "c.png", (8, 8))
        save(tmp_path / ".d.png", (8, 8))
        (tmp_path / "notes.txt").write_text("hello")
        code, report = run_json("estimate", str(tmp_path), "--model", "gpt-4o")
        assert code == ExitCode.OK
        assert sorted(Path(i["path"]).name for i in report["images"]) == ["a.png", "b.JPG"]

    def test_unknown_model_is_one_line_and_exit_2(self, tmp_path: Path) -> None:
        """No rule for the model: a readable line naming it, no traceback."""
        png = save(tmp_path / "a.png", (8, 8))
        result = run("estimate", str(png), "--model", "gpt-99-vision")
        assert result.exit_code == ExitCode.USAGE
        assert "'gpt-99-vision'" in one_error_line(result)

    def test_missing_and_unreadable_files_are_listed_and_the_rest_estimated(
        self, tmp_path: Path
    ) -> None:
        """A typo'd path and a text file named .png are problems; the good image still counts."""
        good = save(tmp_path / "good.png", (512, 512))
        fake = tmp_path / "fake.png"
        fake.write_text("not an image")
        missing = tmp_path / "missing.png"
        code, report = run_json("estimate", str(good), str(fake), str(missing), "-m", "gpt-4o")
        assert code == ExitCode.PROBLEMS
        errors = {Path(i["path"]).name: i.get("error") for i in report["images"]}
        assert errors["good.png"] is None
        assert "no such file" in errors["missing.png"]
        assert "text" in errors["fake.png"]
        assert report["totals"]["images"] == 1
        assert report["totals"]["problems"] == 2

    def test_corrupt_header_is_a_problem_not_a_crash(self, tmp_path: Path) -> None:
        """A PNG signature followed by garbage is listed with a readable reason."""
        bad = tmp_path / "bad.png"
        bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00garbage" * 3)
        result = run("estimate", str(bad), "-m", "gpt-4o")
        assert result.exit_code == ExitCode.PROBLEMS
        assert "bad.png" in result.stdout
        assert "Traceback" not in result.output
        code, report = run_json("estimate", str(bad), "-m", "gpt-4o")
        assert code == ExitCode.PROBLEMS
        assert report["images"][0]["error"]

    def test_animated_gif_is_a_problem(self, tmp_path: Path) -> None:
        """OpenAI refuses animated images, so the estimate lists one instead of pricing it."""
        frames = [Image.new("RGB", (16, 16), c) for c in ((255, 0, 0), (0, 255, 0))]
        gif = tmp_path / "anim.gif"
        frames[0].save(gif, save_all=True, append_images=frames[1:])
        code, report = run_json("estimate", str(gif), "-m", "gpt-4o")
        assert code == ExitCode.PROBLEMS
        assert "animated" in report["images"][0]["error"]

    def test_table_output_shows_rows_and_totals(self, tmp_path: Path) -> None:
        """The human output is a table with the image and a totals line in USD."""
        png = save(tmp_path / "photo.png", (1024, 1024))
        result = run("estimate", str(png), "--model", "gpt-4o", "--detail", "high")
        assert result.exit_code == 0
        assert "photo.png" in result.stdout
        assert "1024x1024" in result.stdout
        assert "1 image · 765 input tokens" in result.stdout
        assert f"${usd('gpt-4o', 765):.6f}" in result.stdout

    def test_long_runs_show_the_first_rows_and_say_how_many_more(self, tmp_path: Path) -> None:
        """--rows caps the table; the caption says how many are hidden."""
        for i in range(5):
            save(tmp_path / f"{i}.png", (8, 8))
        result = run("estimate", str(tmp_path), "-m", "gpt-4o", "--rows", "2")
        assert "3 more images not shown" in result.stdout

    @pytest.mark.parametrize("jobs", ["1", "3"])
    def test_parallel_and_serial_reads_agree(self, tmp_path: Path, jobs: str) -> None:
        """Thread-pool reads keep the order and results of a plain loop."""
        sizes = [(16 + i, 16 + 2 * i) for i in range(150)]
        for i, size in enumerate(sizes):
            save(tmp_path / f"{i:03d}.png", size)
        code, report = run_json("estimate", str(tmp_path), "-m", "gpt-4o", "--jobs", jobs)
        assert code == 0
        assert [(i["width"], i["height"]) for i in report["images"]] == sizes


class TestHeaderReads:
    """read_headers: serial while reads are CPU-bound, a thread pool once they wait on I/O."""

    def _files(self, tmp_path: Path, n: int) -> list[Path]:
        return [tmp_path / f"{i:04d}.png" for i in range(n)]

    def _record_threads(self, monkeypatch: pytest.MonkeyPatch, *, sleep: float) -> set[str]:
        threads: set[str] = set()

        def fake_inspect(path: Path) -> str:
            if sleep:
                time.sleep(sleep)  # waiting, not computing: what a cold disk looks like
            threads.add(threading.current_thread().name)
            return path.name

        monkeypatch.setattr(_scan, "_inspect_one", fake_inspect)
        return threads

    def test_cpu_bound_reads_stay_in_the_calling_thread(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        """Warm-cache reads (no waiting) never start threads, which would only fight for the GIL.

        The wait test itself (``waits_on_io``) is pinned to "no wait": on a loaded machine
        preemption alone can make a CPU-bound chunk look like it waited."""
        threads = self._record_threads(monkeypatch, sleep=0)
        monkeypatch.setattr(_scan, "waits_on_io", lambda *, wall, cpu: False)
        files = self._files(tmp_path, 5 * _scan.READ_CHUNK)
        assert _scan.read_headers(files) == [f.name for f in files]
        assert threads == {threading.current_thread().name}

    def test_reads_that_wait_on_the_disk_move_to_a_thread_pool(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        """After one slow chunk the rest is read on the pool, in the original order."""
        threads = self._record_threads(monkeypatch, sleep=0.0005)
        files = self._files(tmp_path, 5 * _scan.READ_CHUNK)
        done: list[int] = []
        assert _scan.read_headers(files, advance=done.append) == [f.name for f in files]
        assert threading.current_thread().name in threads  # the first chunk
        assert any(name.startswith("ove-header") for name in threads)
        assert sum(done) == len(files)

    def test_jobs_1_never_uses_threads(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        """--jobs 1 is serial even when reads are slow."""
        threads = self._record_threads(monkeypatch, sleep=0.0005)
        files = self._files(tmp_path, 3 * _scan.READ_CHUNK)
        assert _scan.read_headers(files, jobs=1) == [f.name for f in files]
        assert threads == {threading.current_thread().name}

    def test_progress_bar_is_drawn_on_a_terminal_only(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Long runs show a rich progress bar on stderr when it is a terminal, nothing otherwise."""

        class Terminal(io.StringIO):
            def isatty(self) -> bool:
                return True

        for stream, drawn in ((Terminal(), True), (io.StringIO(), False)):
            monkeypatch.setattr(sys, "stderr", stream)
            with _cli._progress(300, "reading headers", enabled=True) as advance:
                advance(300)
            assert ("reading headers" in stream.getvalue()) is drawn

    @pytest.mark.parametrize(
        ("wall", "cpu", "expected"),
        [(0.010, 0.010, False), (0.019, 0.010, False), (0.021, 0.010, True), (0.001, 0.0, True)],
    )
    def test_waiting_means_wall_time_well_above_cpu_time(
        self, wall: float, cpu: float, expected: bool
    ) -> None:
        """A chunk waited on I/O when it took over twice the CPU time it used."""
        assert _scan.waits_on_io(wall=wall, cpu=cpu) is expected


class TestValidate:
    def test_good_images_pass(self, tmp_path: Path) -> None:
        """Still PNG/JPEG under the limits: exit 0, nothing listed."""
        save(tmp_path / "a.png", (100, 100))
        save(tmp_path / "b.jpg", (100, 100), "JPEG")
        code, report = run_json("validate", str(tmp_path), "--model", "gpt-4o")
        assert (code, report["ok"], report["checked"], report["problems"]) == (0, True, 2, [])

    def test_problems_are_listed_with_codes_and_exit_1(self, tmp_path: Path) -> None:
        """Each bad file appears once with the preflight code for what is wrong."""
        save(tmp_path / "ok.png", (100, 100))
        save(tmp_path / "photo.bmp", (10, 10), "BMP")
        (tmp_path / "empty.png").write_bytes(b"")
        code, report = run_json("validate", str(tmp_path), "--model", "gpt-4o")
        assert code == ExitCode.PROBLEMS
        codes = {Path(p["where"]).name: p["code"] for p in report["problems"]}
        assert codes == {"photo.bmp": "unsupported_format", "empty.png": "empty_image"}

    def test_table_names_the_file_and_problem(self, tmp_path: Path) -> None:
        """The human output is a table of where, code and message."""
        save(tmp_path / "photo.bmp", (10, 10), "BMP")
        result = run("validate", str(tmp_path / "photo.bmp"), "--model", "gpt-4o")
        assert result.exit_code == ExitCode.PROBLEMS
        assert "unsupported_format" in result.stdout
        assert "photo.bmp" in result.stdout

    def test_request_body_is_checked_whole(self, tmp_path: Path) -> None:
        """--request runs preflight on a whole body: a bad detail is found at its location."""
        body = {
            "model": "gpt-4o",
            "input": [
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "input_image",
                            "image_url": "https://x.test/a.png",
                            "detail": "max",
                        }
                    ],
                }
            ],
        }
        req = tmp_path / "req.json"
        req.write_text(json.dumps(body))
        code, report = run_json("validate", "--request", str(req), "--model", "gpt-4o")
        assert code == ExitCode.PROBLEMS
        (problem,) = report["problems"]
        assert problem["code"] == "invalid_detail"
        assert problem["where"].endswith("input[0].content[0]")

    def test_good_request_body_passes(self, tmp_path: Path) -> None:
        """A text-only body has nothing to flag."""
        req = tmp_path / "req.json"
        req.write_text(json.dumps({"model": "gpt-4o", "input": "hello"}))
        code, report = run_json("validate", "--request", str(req), "-m", "gpt-4o")
        assert (code, report["ok"]) == (0, True)

    def test_request_file_that_is_not_json_is_exit_3(self, tmp_path: Path) -> None:
        """An unreadable input file is its own exit code, on one line."""
        req = tmp_path / "req.json"
        req.write_text("{nope")
        result = run("validate", "--request", str(req), "--model", "gpt-4o")
        assert result.exit_code == ExitCode.UNREADABLE_INPUT
        assert "not JSON" in one_error_line(result)

    def test_decode_catches_a_file_cut_short_after_its_header(self, tmp_path: Path) -> None:
        """Header checks pass a truncated PNG (the API would refuse it); --decode finds it."""
        full = save(tmp_path / "full.png", (256, 256))
        Image.frombytes("RGB", (256, 256), bytes(range(256)) * 768).save(full)
        cut = tmp_path / "cut.png"
        cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
        code, report = run_json("validate", str(cut), str(full), "-m", "gpt-4o")
        assert (code, report["problems"]) == (0, [])
        code, report = run_json("validate", str(cut), str(full), "-m", "gpt-4o", "--decode")
        assert code == ExitCode.PROBLEMS
        (problem,) = report["problems"]
        assert (Path(problem["where"]).name, problem["code"]) == ("cut.png", "corrupt_image")
        assert "truncated" in problem["message"]

    def test_nothing_to_check_is_a_usage_error(self) -> None:
        """validate needs paths or --request."""
        result = run("validate", "--model", "gpt-4o")
        assert result.exit_code == ExitCode.USAGE
        one_error_line(result)


def _png_url(size: tuple[int, int]) -> str:
    return data_url(png(size, "black"))


def _batch_line(model: str, size: tuple[int, int], *, chat: bool = False) -> dict[str, Any]:
    if chat:
        part = {"type": "image_url", "image_url": {"url": _png_url(size), "detail": "high"}}
        body = {"model": model, "messages": [{"role": "user", "content": [part]}]}
        return {"custom_id": "c", "method": "POST", "url": "/v1/chat/completions", "body": body}
    part2 = {"type": "input_image", "image_url": _png_url(size), "detail": "high"}
    body = {"model": model, "input": [{"role": "user", "content": [part2]}]}
    return {"custom_id": "r", "method": "POST", "url": "/v1/responses", "body": body}


class TestBatch:
    def test_per_model_estimates_at_batch_prices(self, tmp_path: Path) -> None:
        """Each model's row adds its requests' estimates; USD uses the batch input price."""
        lines = [
            _batch_line("gpt-4o", (1024, 1024)),
            _batch_line("gpt-4o", (512, 512), chat=True),
            _batch_line("gpt-4.1-mini", (640, 480)),
        ]
        path = tmp_path / "batch.jsonl"
        path.write_text("".join(json.dumps(line) + "\n" for line in lines))
        code, report = run_json("batch", str(path))
        # Two endpoints, two models and a repeated custom_id: the Batch API would reject the
        # file, so it is exit 1 with the conflicts listed; every line is still estimated.
        assert code == ExitCode.PROBLEMS
        assert [c["line_no"] for c in report["conflicts"]] == [2, 3, 3]
        apis: dict[str, Api] = {
            "/v1/responses": "responses",
            "/v1/chat/completions": "chat.completions",
        }
        expected: dict[str, int] = {}
        for line in lines:
            est = estimate_request(api=apis[line["url"]], **line["body"])
            expected[line["body"]["model"]] = (
                expected.get(line["body"]["model"], 0) + est.input_tokens
            )
        rows = {m["model"]: m for m in report["models"]}
        assert {m: r["input_tokens"] for m, r in rows.items()} == expected
        assert rows["gpt-4o"]["requests"] == 2
        assert rows["gpt-4o"]["usd"] == pytest.approx(usd("gpt-4o", expected["gpt-4o"], "batch"))
        assert report["tier"] == "batch"

    def test_bad_lines_are_reported_with_line_numbers_and_exit_1(self, tmp_path: Path) -> None:
        """Broken JSON, an unknown model and a fake image are listed; good lines still count."""
        bad_image = _batch_line("gpt-4o", (8, 8))
        bad_image["body"]["input"][0]["content"][0]["image_url"] = "data:image/png;base64,aGk="
        lines = [
            json.dumps(_batch_line("gpt-4o", (64, 64))),
            "{oops",
            json.dumps(_batch_line("gpt-unknown", (64, 64))),
            json.dumps(bad_image),
        ]
        path = tmp_path / "batch.jsonl"
        path.write_text("\n".join(lines) + "\n")
        code, report = run_json("batch", str(path))
        assert code == ExitCode.PROBLEMS
        assert [p["line_no"] for p in report["problems"]] == [2, 3, 4]
        assert "'gpt-unknown'" in report["problems"][1]["reason"]
        assert report["requests"] == 1

    def test_table_output_has_a_row_per_model(self, tmp_path: Path) -> None:
        """The terminal report lists each model and the problems by line."""
        path = tmp_path / "batch.jsonl"
        path.write_text(json.dumps(_batch_line("gpt-4o", (64, 64))) + "\nnot json\n")
        result = run("batch", str(path))
        assert result.exit_code == ExitCode.PROBLEMS
        assert "gpt-4o" in result.stdout
        assert "line 2" in result.stdout

    def test_missing_file_is_exit_3(self, tmp_path: Path) -> None:
        """A batch file that does not exist: one line, exit code 3."""
        result = run("batch", str(tmp_path / "nope.jsonl"))
        assert result.exit_code == ExitCode.UNREADABLE_INPUT
        assert "nope.jsonl" in one_error_line(result)


def _audit_log(path: Path, deltas_by_day: dict[str, list[int]], model: str = "gpt-4o") -> Path:
    """A log written by the real audit path (AuditRecord.from_report -> JsonlSink)."""
    from datetime import UTC, datetime

    sink = JsonlSink(path)
    for day, deltas in deltas_by_day.items():
        for delta in deltas:
            report = make_report(
                model_requested=model,
                estimated_input_tokens=1000 + delta,
                billed_input_tokens=1000,
                delta_input_tokens=delta,
            )
            now = datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC)
            sink.emit(AuditRecord.from_report(report, now=now))
    return path


class TestAuditSummarize:
    def test_drifting_day_is_flagged_and_exit_1(self, tmp_path: Path) -> None:
        """Day 2's mean delta is +2 %: flagged; day 1 (+0.5 %) is not."""
        log = _audit_log(tmp_path / "a.jsonl", {"2026-11-01": [0, 10], "2026-11-02": [20, 20]})
        code, report = run_json("audit", "summarize", str(log))
        assert code == ExitCode.PROBLEMS
        rows = [(r["day"], r["mean_delta_pct"], r["flagged"]) for r in report["rows"]]
        assert rows == [("2026-11-01", 0.5, False), ("2026-11-02", 2.0, True)]

    def test_no_drift_is_exit_0(self, tmp_path: Path) -> None:
        """All days within +-1 %: nothing to report."""
        log = _audit_log(tmp_path / "a.jsonl", {"2026-11-01": [5, -5]})
        code, report = run_json("audit", "summarize", str(log))
        assert (code, report["flagged"]) == (0, 0)

    def test_png_chart_is_a_valid_png_of_non_trivial_size(self, tmp_path: Path) -> None:
        """--png writes a real chart image people can open."""
        log = _audit_log(tmp_path / "a.jsonl", {f"2026-11-0{d}": [d * 3] for d in range(1, 8)})
        png = tmp_path / "chart.png"
        result = run("audit", "summarize", str(log), "--png", str(png))
        assert result.exit_code == ExitCode.PROBLEMS  # days 4-7 drift
        assert f"wrote {png}" in result.stdout.replace("\n", "")
        with Image.open(png) as img:
            assert img.format == "PNG"
            assert img.width >= 800
        assert png.stat().st_size > 20_000

    def test_html_report_embeds_the_chart_and_table(self, tmp_path: Path) -> None:
        """--html writes one self-contained page."""
        log = _audit_log(tmp_path / "a.jsonl", {"2026-11-01": [0]})
        page = tmp_path / "r.html"
        assert run("audit", "summarize", str(log), "--html", str(page)).exit_code == 0
        text = page.read_text()
        assert "data:image/png;base64," in text
        assert "2026-11-01" in text

    def test_terminal_table_shows_the_flag(self, tmp_path: Path) -> None:
        """The terminal output marks drifting model-days."""
        log = _audit_log(tmp_path / "a.jsonl", {"2026-11-01": [50]})
        result = run("audit", "summarize", str(log))
        assert "DRIFT" in result.stdout
        assert "+5.00 %" in result.stdout

    def test_bad_lines_are_listed_not_fatal(self, tmp_path: Path) -> None:
        """A half-written last line is reported by number; the rest is summarised."""
        log = _audit_log(tmp_path / "a.jsonl", {"2026-11-01": [0]})
        with log.open("a") as f:
            f.write('{"time": "2026-11-0')
        code, report = run_json("audit", "summarize", str(log))
        assert code == ExitCode.PROBLEMS
        assert report["problems"][0]["line_no"] == 2
        assert len(report["rows"]) == 1

    def test_missing_chart_extra_is_exit_4(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Without matplotlib, --png says which extra to install."""
        monkeypatch.setitem(sys.modules, "matplotlib", None)
        log = _audit_log(tmp_path / "a.jsonl", {"2026-11-01": [0]})
        result = run("audit", "summarize", str(log), "--png", str(tmp_path / "c.png"))
        assert result.exit_code == ExitCode.MISSING_EXTRA
        assert "openai-vision-ext[chart]" in one_error_line(result)

    def test_model_filter_keeps_only_those_models(self, tmp_path: Path) -> None:
        """--model narrows the table (and the exit code) to the models asked for."""
        log = _audit_log(tmp_path / "a.jsonl", {"2026-11-01": [0]}, model="gpt-4o")
        _audit_log(log, {"2026-11-01": [50]}, model="gpt-5-mini")  # appends, drifts
        code, report = run_json("audit", "summarize", str(log), "--model", "gpt-4o")
        assert (code, [r["model"] for r in report["rows"]]) == (0, ["gpt-4o"])
        code, report = run_json("audit", "summarize", str(log), "-m", "gpt-4o", "-m", "gpt-5-mini")
        assert (code, report["flagged"], len(report["rows"])) == (ExitCode.PROBLEMS, 1, 2)

    def test_log_without_usable_records_says_so(self, tmp_path: Path) -> None:
        """Error records only (no billed usage): a sentence instead of an empty table."""
        log = tmp_path / "a.jsonl"
        log.write_text(json.dumps({"time": "2026-11-01T00:00:00Z", "model": "gpt-4o"}) + "\n")
        result = run("audit", "summarize", str(log))
        assert result.exit_code == 0
        assert "no audit records with both estimated and billed input tokens" in result.stdout
        assert "1 record(s) without both counts skipped" in result.stdout

    def test_missing_log_is_exit_3(self, tmp_path: Path) -> None:
        """A log that does not exist: one line, exit code 3."""
        result = run("audit", "summarize", str(tmp_path / "none.jsonl"))
        assert result.exit_code == ExitCode.UNREADABLE_INPUT
        one_error_line(result)


class TestCalibrate:
    def _observation(self, billed: int, n: int) -> dict[str, Any]:
        return {
            "id": f"o{n}",
            "api": "responses",
            "model": "gpt-4o",
            "simple": True,
            "usage": {"input_tokens": billed},
            "request_skeleton": {"input": "Say hello"},
        }

    def test_residual_table_per_model(self, tmp_path: Path) -> None:
        """Five exact and five 3-token-under estimates: n=10, exact=5, mean +1.5, max 3."""
        est = estimate_request(api="responses", model="gpt-4o", input="Say hello").input_tokens
        path = tmp_path / "obs.jsonl"
        bills = [est, est + 3] * 5
        path.write_text("\n".join(json.dumps(self._observation(b, i)) for i, b in enumerate(bills)))
        code, report = run_json("calibrate", str(path))
        (row,) = report["rows"]
        assert (row["model"], row["n"], row["exact"]) == ("gpt-4o", 10, 5)
        assert row["mean_residual"] == pytest.approx(1.5)
        assert row["max_abs_residual"] == 3
        assert code == ExitCode.PROBLEMS  # 50 % exact misses the 97 % target
        assert report["failed_targets"]

    def test_bad_lines_are_listed(self, tmp_path: Path) -> None:
        """A record without usage is a problem with its line number, not a crash."""
        path = tmp_path / "obs.jsonl"
        path.write_text('{"id": "x"}\n')
        code, report = run_json("calibrate", str(path))
        assert code == ExitCode.PROBLEMS
        assert report["problems"][0]["line_no"] == 1

    @pytest.mark.parametrize("created", ["1e20", "99999999999999999999", "NaN", "-1e15"])
    def test_a_response_time_no_date_can_hold_is_not_a_crash(
        self, tmp_path: Path, created: str
    ) -> None:
        """A ``response_created`` out of range or NaN dates the bill by its commit date (here
        none): the residual table is printed, no internal error."""
        record = json.dumps(self._observation(9, 0))[:-1] + f', "response_created": {created}}}'
        path = tmp_path / "obs.jsonl"
        path.write_text(record + "\n")
        code, report = run_json("calibrate", str(path))
        assert code in (ExitCode.OK, ExitCode.PROBLEMS)
        assert [row["n"] for row in report["rows"]] == [1]

    def test_real_usage_applies_the_same_rules_as_the_script(self) -> None:
        """On the shared real data the CLI excludes billing drift like benchmarks/calibrate.py."""
        path = Path(__file__).resolve().parents[2].parent / "shared/real-usage/observations.jsonl"
        if not path.is_file():
            pytest.skip("../shared/real-usage not present")
        from _private import (
            check_images,
            evaluate_all,
            failed_targets,
            observation_from_record,
        )

        records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        outcomes = evaluate_all([observation_from_record(r) for r in records])
        expected = failed_targets(outcomes, check_images(outcomes))
        code, report = run_json("calibrate", str(path))
        assert report["failed_targets"] == expected
        assert code == (ExitCode.PROBLEMS if expected else ExitCode.OK)

    def test_markdown_report(self, tmp_path: Path) -> None:
        """--markdown prints the calibration report's markdown table."""
        est = estimate_request(api="responses", model="gpt-4o", input="Say hello").input_tokens
        path = tmp_path / "obs.jsonl"
        path.write_text(json.dumps(self._observation(est, 0)) + "\n")
        result = run("calibrate", str(path), "--markdown")
        assert "| api | model |" in result.stdout


# --- issue 11: escaping, models, unverified rules, batch conflicts, spend ------------------------


def test_file_names_and_messages_are_printed_literally(tmp_path: Path) -> None:
    """A file named ``[bold]x.gif`` prints as such, not as markup that swallows ``[bold]``;
    the install hint keeps its ``[heic]``."""
    gif = tmp_path / "[bold]x.gif"
    frames = [Image.new("RGB", (8, 8), c) for c in ("red", "blue")]
    frames[0].save(gif, "GIF", save_all=True, append_images=frames[1:], loop=0)
    heic = tmp_path / "photo.heic"
    heic.write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64)
    result = run("estimate", str(gif), str(heic), "--model", "gpt-4o")
    flat = result.stdout.replace("\n", "")
    assert "[bold]x.gif" in flat
    assert "[heic]" in flat


def test_models_lists_every_rule_with_its_verification():
    """`models` shows each rule row; gpt-4o is backed by bills, o3 is not."""
    code, report = run_json("models")
    assert code == ExitCode.OK
    rows = {r["name"]: r for r in report["rules"]}
    assert rows.keys() == set(_private._rules.builtin_rules())
    assert (rows["gpt-4o"]["verified"], rows["o3"]["verified"]) == (True, False)
    assert rows["gpt-4o"]["as_of"] == _private._rules.get_model_rule("gpt-4o").as_of.isoformat()
    assert "unverified" in run("models").stdout


def test_estimate_says_when_the_rule_is_unverified(tmp_path: Path) -> None:
    """An estimate on a rule no bill backs says so (text and JSON)."""
    png = tmp_path / "a.png"
    Image.new("RGB", (64, 64)).save(png)
    assert "unverified" in run("estimate", str(png), "--model", "o3").stdout
    assert "unverified" not in run("estimate", str(png), "--model", "gpt-4o").stdout
    _, report = run_json("estimate", str(png), "--model", "o3")
    assert report["rule_verified"] is False


def test_batch_lists_conflicts_and_labels_input_and_output_usd(tmp_path: Path) -> None:
    """A repeated custom_id is a conflict (exit 1); the table says input USD and output USD <=."""
    line = _batch_line("gpt-4o", (64, 64))
    line["body"]["max_output_tokens"] = 1000
    path = tmp_path / "batch.jsonl"
    path.write_text((json.dumps(line) + "\n") * 2)
    code, report = run_json("batch", str(path))
    assert code == ExitCode.PROBLEMS
    assert report["conflicts"][0]["reason"].startswith("custom_id 'r' repeats line 1's")
    (model,) = report["models"]
    assert model["output_usd_upper"] == 2000 * 5.0 / 1e6  # gpt-4o batch output $5 per 1M
    text = run("batch", str(path)).stdout
    assert "input USD" in text
    assert "output USD ≤" in text


def test_audit_summarize_shows_spend_per_model_and_day(tmp_path: Path) -> None:
    """Spend (USD) per model-day sums every priced record."""
    log = _audit_log(tmp_path / "a.jsonl", {"2026-11-01": [0, 0]})
    code, report = run_json("audit", "summarize", str(log))
    assert code == ExitCode.OK
    records = [json.loads(x) for x in log.read_text().splitlines()]
    (row,) = report["spend"]
    assert (row["model"], row["day"], row["records"]) == ("gpt-4o", "2026-11-01", 2)
    assert row["usd"] == pytest.approx(sum(r["cost"]["total"] for r in records))
    assert "spend (USD" in run("audit", "summarize", str(log)).stdout
