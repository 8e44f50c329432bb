"""The public surface: exactly the names in ``__all__``, each documented and importable."""

from __future__ import annotations

import inspect
import subprocess
import sys
import types

import openai
import pytest

import openai_vision_ext


def _public_members() -> set[str]:
    """Every public name the package offers, including those it loads on first access."""
    return {
        name
        for name in dir(openai_vision_ext)
        if not name.startswith("_")
        and not isinstance(getattr(openai_vision_ext, name), types.ModuleType)
    } | {"__version__"}


def test_all_lists_exactly_the_public_members() -> None:
    """Every public name in the package namespace is in ``__all__`` and vice versa."""
    assert set(openai_vision_ext.__all__) == _public_members()


def test_all_has_no_duplicates() -> None:
    """``__all__`` names each export once."""
    assert len(openai_vision_ext.__all__) == len(set(openai_vision_ext.__all__))


def test_every_exported_callable_has_a_docstring() -> None:
    """Functions and classes we export say what they do."""
    undocumented = [
        name
        for name in openai_vision_ext.__all__
        if (inspect.isfunction(obj := getattr(openai_vision_ext, name)) or inspect.isclass(obj))
        and not (obj.__doc__ or "").strip()
    ]
    assert undocumented == []


def test_every_exception_shares_one_root() -> None:
    """Every exported exception derives from ``OpenAIVisionExtError``."""
    errors = [
        obj
        for name in openai_vision_ext.__all__
        if inspect.isclass(obj := getattr(openai_vision_ext, name))
        and issubclass(obj, BaseException)
    ]
    assert len(errors) > 10
    assert all(issubclass(e, openai_vision_ext.OpenAIVisionExtError) for e in errors)


def test_clients_are_the_sdk_clients() -> None:
    """The drop-in clients are real subclasses of the SDK's four clients."""
    pairs = [
        (openai_vision_ext.VisionOpenAI, openai.OpenAI),
        (openai_vision_ext.AsyncVisionOpenAI, openai.AsyncOpenAI),
        (openai_vision_ext.VisionAzureOpenAI, openai.AzureOpenAI),
        (openai_vision_ext.AsyncVisionAzureOpenAI, openai.AsyncAzureOpenAI),
    ]
    assert all(issubclass(ours, sdk) for ours, sdk in pairs)


def test_version_matches_the_installed_distribution() -> None:
    """``__version__`` is the version pip installed."""
    from importlib.metadata import version

    assert openai_vision_ext.__version__ == version("openai-vision-ext")


def test_every_exported_function_has_a_runnable_example() -> None:
    """Each public function's docstring has a ``>>>`` example (run by --doctest-modules)."""
    without = [
        name
        for name in openai_vision_ext.__all__
        if inspect.isfunction(obj := getattr(openai_vision_ext, name))
        and ">>>" not in (obj.__doc__ or "")
    ]
    assert without == []


def test_public_classes_and_functions_say_the_package_name() -> None:
    """Reprs and ``__module__`` name the package, not the private module that defines them
    (httpx's habit), so moving code between private modules changes nothing users see."""
    named = [
        name
        for name in openai_vision_ext.__all__
        if (inspect.isclass(obj := getattr(openai_vision_ext, name)) or inspect.isfunction(obj))
        and obj.__module__ != "openai_vision_ext"
    ]
    assert named == []
    assert repr(openai_vision_ext.ImageInfo) == "<class 'openai_vision_ext.ImageInfo'>"


def test_public_values_and_errors_still_pickle_under_the_package_name() -> None:
    """Pickle finds every class through the package root, where it is exported."""
    import pickle

    limits = openai_vision_ext.DEFAULT_LIMITS
    assert pickle.loads(pickle.dumps(limits)) == limits
    assert b"openai_vision_ext\nImageLimits" in pickle.dumps(limits, protocol=0)
    error = openai_vision_ext.InvalidDetailError("bad detail")
    restored = pickle.loads(pickle.dumps(error))
    assert type(restored) is openai_vision_ext.InvalidDetailError
    assert str(restored) == str(error)


def _fresh_interpreter(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


_HEAVY = "('openai', 'PIL', 'tiktoken', 'httpcore2', 'httpx2', 'click', 'rich')"


def test_importing_the_package_loads_no_heavy_dependency() -> None:
    """``import openai_vision_ext`` loads neither the SDK, Pillow, tiktoken, httpcore2 nor the CLI
    libraries: each loads when first needed (a client, preparing, counting text, fetching)."""
    code = f"import sys, openai_vision_ext\nprint(sorted(m for m in {_HEAVY} if m in sys.modules))"
    assert _fresh_interpreter(code) == "[]"


def test_estimating_an_image_needs_neither_the_sdk_nor_pillow() -> None:
    """Inspecting and estimating image tokens, and building parts, stay away from the SDK and
    Pillow; the SDK loads with the first client."""
    code = (
        "import sys, base64\n"
        "from openai_vision_ext import estimate_image_tokens, image_part, inspect_image\n"
        "gif = base64.b64decode('R0lGODdhAQABAIAAAAAAAAAAACwAAAAAAQABAAAIBAABBAQAOw==')\n"
        "inspect_image(gif); image_part(gif)\n"
        "estimate_image_tokens(512, 512, model='gpt-4o')\n"
        f"before = sorted(m for m in {_HEAVY} if m in sys.modules)\n"
        "from openai_vision_ext import VisionOpenAI\n"
        "print(before, 'openai' in sys.modules)"
    )
    assert _fresh_interpreter(code) == "[] True"


def test_a_name_loaded_on_first_access_is_the_defining_modules_object() -> None:
    """Lazy names are the very objects of their private modules, published under the root."""
    from _private import client_module as _client
    from _private import prepare_module as _prepare

    assert openai_vision_ext.VisionOpenAI is _client.VisionOpenAI
    assert openai_vision_ext.prepare_image is _prepare.prepare_image
    assert openai_vision_ext.PreparedImage.__module__ == "openai_vision_ext"
    with pytest.raises(AttributeError, match="no attribute 'NoSuchName'"):
        _ = openai_vision_ext.NoSuchName


def test_detail_is_the_sdks_image_detail() -> None:
    """``Detail`` (written out so importing the package does not import the SDK) has exactly the
    values of the SDK's ``ImageDetail``."""
    from typing import get_args

    from openai.types.responses.image_detail import ImageDetail

    assert get_args(openai_vision_ext.Detail) == get_args(ImageDetail)
    assert get_args(ImageDetail) == openai_vision_ext.DETAILS
