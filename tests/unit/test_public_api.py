"""The public surface: exactly the names in ``__all__``, each documented and importable."""

from __future__ import annotations

import inspect
import types

import openai

import openai_vision_ext


def _public_members() -> set[str]:
    return {
        name
        for name, value in vars(openai_vision_ext).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
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
