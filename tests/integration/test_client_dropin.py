"""Drop-in means identical: the wire, the signatures and later patches look exactly as with the
SDK's own clients (issue 16). Requests go through ``httpx2.MockTransport``; nothing leaves."""

from __future__ import annotations

import inspect
import logging
import typing
from typing import Any

import openai
import pytest
import wrapt
from _helpers import Side
from _mock import Mock, chat_request, responses_request
from openai.lib.computer import ComputerToolset
from openai.lib.responses_tool_runner import (
    AsyncResponsesToolRunner,
    ResponsesToolRunner,
    ToolRunnerError,
)
from openai.resources.chat.completions import AsyncCompletions, Completions
from openai.resources.responses import AsyncResponses, Responses

from openai_vision_ext import (
    AsyncVisionAzureOpenAI,
    AsyncVisionOpenAI,
    InvalidOptionError,
    PreflightError,
    VisionAzureOpenAI,
    VisionOpenAI,
    vision_report,
)

AZURE = {"api_key": "k", "api_version": "2025-04-01-preview", "azure_endpoint": "https://x"}
OURS_AND_SDK = [
    pytest.param(VisionOpenAI, openai.OpenAI, {"api_key": "k"}, id="sync"),
    pytest.param(AsyncVisionOpenAI, openai.AsyncOpenAI, {"api_key": "k"}, id="async"),
    pytest.param(VisionAzureOpenAI, openai.AzureOpenAI, AZURE, id="azure"),
    pytest.param(AsyncVisionAzureOpenAI, openai.AsyncAzureOpenAI, AZURE, id="async-azure"),
]
OUR_OPTIONS = ("preflight", "audit", "exact_count", "model_map", "budget", "record_file_names")
ENV = "OPENAI_VISION_EXT_PREFLIGHT"


# --- User-Agent ----------------------------------------------------------------------------


@pytest.mark.parametrize(("ours", "sdk", "args"), OURS_AND_SDK)
def test_user_agent_is_the_sdks(ours: Any, sdk: Any, args: dict[str, Any]) -> None:
    """Each client sends the User-Agent of the SDK class it stands in for (``OpenAI/Python
    3.x``, ``AsyncAzureOpenAI/Python 3.x``...), not one named after our class."""
    assert ours(**args).user_agent == sdk(**args).user_agent
    assert ours(**args).default_headers["User-Agent"] == sdk(**args).default_headers["User-Agent"]
    assert sdk(**args).user_agent.startswith(f"{sdk.__name__}/Python ")


def test_user_agent_on_the_wire_equals_the_sdks() -> None:
    """The header actually sent is byte-identical to the plain client's."""
    mock = Mock.ok()
    http = mock.sync_client()
    VisionOpenAI(api_key="k", max_retries=0, http_client=http).responses.create(
        **responses_request()
    )
    openai.OpenAI(api_key="k", max_retries=0, http_client=http).responses.create(
        **responses_request()
    )
    ours, theirs = (request.headers["user-agent"] for request in mock.sent)
    assert ours == theirs == f"OpenAI/Python {openai.__version__}"


def test_a_users_subclass_is_named_as_the_sdk_would_name_it() -> None:
    """Like ``class MyClient(OpenAI)`` in the SDK, a subclass of ours is named after itself."""

    class MyClient(VisionOpenAI):
        pass

    class TheirClient(openai.OpenAI):
        pass

    assert MyClient(api_key="k").user_agent.split("/")[0] == "MyClient"
    assert TheirClient(api_key="k").user_agent.split("/")[0] == "TheirClient"


# --- signatures ----------------------------------------------------------------------------


def _sdk_parameters(method: Any) -> list[inspect.Parameter]:
    hints = typing.get_type_hints(method)
    return [
        p.replace(annotation=hints.get(p.name, p.annotation))
        for p in inspect.signature(method).parameters.values()
    ]


@pytest.mark.parametrize("method", ["__init__", "copy", "with_options"])
@pytest.mark.parametrize(("ours", "sdk", "args"), OURS_AND_SDK)
def test_signatures_hold_every_sdk_parameter_typed_plus_ours(
    ours: Any, sdk: Any, args: dict[str, Any], method: str
) -> None:
    """``__init__``, ``copy()`` and ``with_options()`` show every parameter of the installed
    SDK's method, with the same kind, default and (resolved) type, plus our options, typed."""
    mine = inspect.signature(getattr(ours, method)).parameters
    for parameter in _sdk_parameters(getattr(sdk, method)):
        assert mine[parameter.name] == parameter, parameter.name
    hints = typing.get_type_hints(getattr(ours, method))
    for name in OUR_OPTIONS:
        assert mine[name].kind is inspect.Parameter.KEYWORD_ONLY
        assert name in hints
    extra = set(mine) - {p.name for p in _sdk_parameters(getattr(sdk, method))}
    assert extra == set(OUR_OPTIONS)
    # also through an instance (what IDEs and the SDK's own tests inspect)
    bound = inspect.signature(getattr(ours(**args), method)).parameters
    assert list(bound) == [name for name in mine if name != "self"]


@pytest.mark.parametrize(("ours", "sdk", "args"), OURS_AND_SDK)
def test_typed_workload_identity_is_visible_to_get_type_hints(
    ours: Any, sdk: Any, args: dict[str, Any]
) -> None:
    """The SDK's own check (``test_copy_signatures_accept_typed_x509_workload_identities``)."""
    for method in ("copy", "with_options"):
        assert (
            typing.get_type_hints(getattr(ours, method))["workload_identity"]
            == (typing.get_type_hints(getattr(sdk, method))["workload_identity"])
        )


def test_copy_still_rejects_an_unknown_argument_like_the_sdk() -> None:
    """The built signature is no looser than the SDK's: unknown names still fail."""
    with pytest.raises(TypeError, match="no_such_option"):
        VisionOpenAI(api_key="k").copy(no_such_option=1)
    with pytest.raises(TypeError, match="no_such_option"):
        VisionOpenAI(api_key="k", no_such_option=1)


# --- patches applied after the client was built ----------------------------------------------


def _patch(side: Side, style: str, resource: Any, seen: list[str]) -> Any:
    """``resource.create`` wrapped the way instrumentation does it: a wrapt wrapper, or a plain
    function replacement (a coroutine function on the async side)."""
    original = resource.create
    if style == "wrapt":

        def spy(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
            seen.append(type(instance).__name__)
            return wrapped(*args, **kwargs)

        return wrapt.FunctionWrapper(original, spy)
    if side.is_async:

        async def patched_async(self: Any, *args: Any, **kw: Any) -> Any:
            seen.append(type(self).__name__)
            return await original(self, *args, **kw)

        return patched_async

    def patched(self: Any, *args: Any, **kw: Any) -> Any:
        seen.append(type(self).__name__)
        return original(self, *args, **kw)

    return patched


@pytest.mark.parametrize("style", ["wrapt", "plain"])
@pytest.mark.anyio
async def test_a_patch_applied_after_the_client_is_built_sees_the_calls(
    side: Side, style: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Instrumentation (OpenTelemetry, langfuse, sentry) patches ``Responses.create`` (wrapt, or
    a plain replacement), often after clients exist: calls through our client must reach the
    patched method."""
    client = side.client(Mock.ok())
    client.responses  # noqa: B018 - the resource exists before the patch, too
    seen: list[str] = []
    resources = (AsyncResponses, AsyncCompletions) if side.is_async else (Responses, Completions)
    for resource in resources:
        monkeypatch.setattr(resource, "create", _patch(side, style, resource, seen))
    response = await side.run(client.responses.create(**responses_request()))
    await side.run(client.chat.completions.create(**chat_request()))
    prefix = "_AsyncVision" if side.is_async else "_Vision"
    assert seen == [f"{prefix}Responses", f"{prefix}Completions"]
    assert vision_report(response) is not None


def test_a_patched_create_is_still_preceded_by_preflight(monkeypatch: pytest.MonkeyPatch) -> None:
    """Our preflight still runs first: a refused request never reaches the patched method."""
    client = VisionOpenAI(api_key="k", max_retries=0, http_client=Mock.ok().sync_client())
    calls: list[object] = []
    monkeypatch.setattr(Responses, "create", lambda *a, **k: calls.append(a))
    with pytest.raises(PreflightError):
        client.responses.create(**responses_request(detail="ultra"))
    assert calls == []


# --- process-wide preflight switch -----------------------------------------------------------


@pytest.mark.parametrize("mode", ["raise", "warn", "off"])
@pytest.mark.parametrize(("ours", "sdk", "args"), OURS_AND_SDK)
def test_env_switch_sets_the_mode_of_every_client(
    monkeypatch: pytest.MonkeyPatch, ours: Any, sdk: Any, args: dict[str, Any], mode: str
) -> None:
    """``OPENAI_VISION_EXT_PREFLIGHT`` is the default of every client; copies keep it."""
    monkeypatch.setenv(ENV, f" {mode.upper()} ")
    client = ours(**args)
    assert client.vision_options.preflight == mode
    assert client.with_options(timeout=3).vision_options.preflight == mode


def test_explicit_preflight_wins_over_the_env_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, "off")
    assert VisionOpenAI(api_key="k", preflight="raise").vision_options.preflight == "raise"
    assert VisionOpenAI(api_key="k").copy(preflight="warn").vision_options.preflight == "warn"


def test_without_the_env_switch_the_default_is_raise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)
    assert VisionOpenAI(api_key="k").vision_options.preflight == "raise"
    monkeypatch.setenv(ENV, "")
    assert VisionOpenAI(api_key="k").vision_options.preflight == "raise"


def test_env_switch_off_sends_what_raise_would_refuse(monkeypatch: pytest.MonkeyPatch) -> None:
    """The switch changes behaviour, not only the reported option."""
    monkeypatch.setenv(ENV, "off")
    mock = Mock.ok()
    client = VisionOpenAI(api_key="k", max_retries=0, http_client=mock.sync_client())
    client.responses.create(**responses_request(detail="ultra"))
    assert len(mock.sent) == 1


def test_a_bad_env_value_is_a_typed_error_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ENV, "strict")
    with pytest.raises(InvalidOptionError, match=f"{ENV}='strict'.*raise, warn, off"):
        VisionOpenAI(api_key="k")


# --- preflight refusals inside SDK helpers ---------------------------------------------------


@pytest.mark.anyio
async def test_a_refusal_inside_the_sdk_tool_runner_is_logged_and_kept_as_context(
    side: Side, caplog: pytest.LogCaptureFixture
) -> None:
    """The SDK's tool runner (sync and async) re-raises every error as ``ToolRunnerError("Tool
    run stopped before completion.") from None``; the refusal still shows: one warning naming
    ``PreflightError`` and the violation, and the ``PreflightError`` as the runner error's
    ``__context__`` (suppressed by the SDK, so tracebacks hide it)."""
    mock = Mock.ok()
    runner = AsyncResponsesToolRunner() if side.is_async else ResponsesToolRunner()
    with (
        caplog.at_level(logging.WARNING, "openai_vision_ext"),
        pytest.raises(ToolRunnerError, match=r"^Tool run stopped before completion") as caught,
    ):
        await side.run(runner.run(side.client(mock), responses_request(detail="ultra")))
    assert isinstance(caught.value.__context__, PreflightError)
    assert caught.value.__suppress_context__
    assert mock.sent == []
    [record] = [r for r in caplog.records if "PreflightError" in r.getMessage()]
    assert "invalid_detail at input[0].content[1]" in record.getMessage()
    assert "data:" not in record.getMessage()


class _IdleDriver:
    """A computer driver that is never asked to act: the first request is refused."""

    def screenshot(self) -> dict[str, str]:
        raise AssertionError("no action expected")

    def __getattr__(self, action: str) -> Any:
        if action.startswith("_"):
            raise AttributeError(action)
        return lambda _action: self.screenshot()


def test_the_sdk_computer_toolset_raises_the_preflight_error_itself() -> None:
    """``ComputerToolset.run`` does not wrap errors: the refusal reaches the caller as is."""
    mock = Mock.ok()
    client = VisionOpenAI(api_key="k", max_retries=0, http_client=mock.sync_client())
    with pytest.raises(PreflightError, match="detail must be one of"):
        ComputerToolset(_IdleDriver()).run(client, responses_request(detail="ultra"))  # type: ignore[arg-type]
    assert mock.sent == []
