"""openai-vision-ext: send images to OpenAI models safely, predictably and auditably.

Replace ``OpenAI()`` with ``VisionOpenAI()``: every image is preflighted before it is sent,
every request carries an offline estimate of its input tokens, and ``vision_report(response)``
sets that estimate beside what the API billed.

>>> from openai_vision_ext import estimate_image_tokens
>>> estimate_image_tokens(1024, 1024, model="gpt-4o", detail="high")
765
"""

import importlib
import sys
import typing as _typing

from ._exceptions import (
    AnimatedImageError,
    AuditConfigError,
    BudgetExceededError,
    CorruptFileError,
    CorruptImageError,
    DecompressionBombError,
    DocumentBombError,
    EmptyImageError,
    EncryptedPdfError,
    FetchBlockedError,
    FetchError,
    FetchRedirectError,
    FetchStatusError,
    FetchTimeoutError,
    FetchTooLargeError,
    FetchURLError,
    FileDataURLError,
    FileError,
    FileSourceError,
    FileTooLargeError,
    ImageError,
    ImageRejectedError,
    ImageSourceError,
    ImageTooLargeError,
    InvalidDataURLError,
    InvalidDetailError,
    InvalidModelRuleError,
    InvalidOptionError,
    InvalidRequestError,
    MimeMismatchError,
    MissingExtraError,
    OpenAIVisionExtError,
    PdfBombError,
    PreflightError,
    PriceTableError,
    TokenizerError,
    UnknownModelError,
    UnsupportedFileTypeError,
    UnsupportedImageFormatError,
    Violation,
)
from ._types import (
    DETAILS,
    Api,
    Detail,
    ImageFormat,
    ImageInfo,
    ImageSource,
)
from ._version import (
    __version__,
)

if _typing.TYPE_CHECKING:  # the rest loads on first access (``_LAZY``)
    from ._audit import (
        SCHEMA_VERSION,
        AuditFile,
        AuditImage,
        AuditPipeline,
        AuditRecord,
        AuditSink,
        Processor,
        add_context,
        only_status,
        strip_text,
    )
    from ._budget import (
        Advice,
        AdviceRow,
        Budget,
        Fit,
        FitOption,
        OnExceed,
        Prefer,
        advise,
        fit_size,
    )
    from ._client import (
        AsyncVisionAzureOpenAI,
        AsyncVisionOpenAI,
        VisionAzureOpenAI,
        VisionOpenAI,
    )
    from ._core import (
        PreflightMode,
        VisionOptions,
    )
    from ._estimate import (
        ImageEstimate,
        RequestEstimate,
        estimate_image_tokens,
        estimate_request,
        target_size,
    )
    from ._file_parts import (
        FileDetail,
        chat_file_part,
        file_part,
    )
    from ._file_rules import (
        FileEstimate,
    )
    from ._files import (
        DEFAULT_FILE_LIMITS,
        FILE_LIMIT_PROFILES,
        FileInfo,
        FileLimits,
        PdfFacts,
        inspect_file,
        pdf_facts,
        sniff_file,
    )
    from ._image.fetch import (
        FetchOptions,
    )
    from ._image.parts import (
        image_part,
        image_url_part,
    )
    from ._image.prepare import (
        AnimatedPolicy,
        PreparedImage,
        prepare_image,
        prepared_size,
    )
    from ._image.sources import inspect_image
    from ._otel import (
        OTelSink,
    )
    from ._preflight import (
        DEFAULT_LIMITS,
        LIMIT_PROFILES,
        ImageLimits,
        PreflightOutcome,
        preflight,
    )
    from ._prices import (
        DEFAULT_PRICES,
        Cost,
        ModelPrice,
        PriceTable,
        load_prices,
    )
    from ._report import (
        VisionReport,
        vision_report,
    )
    from ._rules import (
        ImageSizing,
        ModelRule,
        PatchLimit,
        get_model_rule,
        register_model_rule,
        size_image,
        sizing_table,
        unregister_model_rule,
    )
    from ._sinks import (
        JsonlSink,
        LoggingSink,
        read_jsonl,
    )
    from ._text import (
        count_tokens,
    )

__all__ = [
    "DEFAULT_FILE_LIMITS",
    "DEFAULT_LIMITS",
    "DEFAULT_PRICES",
    "DETAILS",
    "FILE_LIMIT_PROFILES",
    "LIMIT_PROFILES",
    "SCHEMA_VERSION",
    "Advice",
    "AdviceRow",
    "AnimatedImageError",
    "AnimatedPolicy",
    "Api",
    "AsyncVisionAzureOpenAI",
    "AsyncVisionOpenAI",
    "AuditConfigError",
    "AuditFile",
    "AuditImage",
    "AuditPipeline",
    "AuditRecord",
    "AuditSink",
    "Budget",
    "BudgetExceededError",
    "CorruptFileError",
    "CorruptImageError",
    "Cost",
    "DecompressionBombError",
    "Detail",
    "DocumentBombError",
    "EmptyImageError",
    "EncryptedPdfError",
    "FetchBlockedError",
    "FetchError",
    "FetchOptions",
    "FetchRedirectError",
    "FetchStatusError",
    "FetchTimeoutError",
    "FetchTooLargeError",
    "FetchURLError",
    "FileDataURLError",
    "FileDetail",
    "FileEstimate",
    "FileError",
    "FileInfo",
    "FileLimits",
    "FileSourceError",
    "FileTooLargeError",
    "Fit",
    "FitOption",
    "ImageError",
    "ImageEstimate",
    "ImageFormat",
    "ImageInfo",
    "ImageLimits",
    "ImageRejectedError",
    "ImageSizing",
    "ImageSource",
    "ImageSourceError",
    "ImageTooLargeError",
    "InvalidDataURLError",
    "InvalidDetailError",
    "InvalidModelRuleError",
    "InvalidOptionError",
    "InvalidRequestError",
    "JsonlSink",
    "LoggingSink",
    "MimeMismatchError",
    "MissingExtraError",
    "ModelPrice",
    "ModelRule",
    "OTelSink",
    "OnExceed",
    "OpenAIVisionExtError",
    "PatchLimit",
    "PdfBombError",
    "PdfFacts",
    "Prefer",
    "PreflightError",
    "PreflightMode",
    "PreflightOutcome",
    "PreparedImage",
    "PriceTable",
    "PriceTableError",
    "Processor",
    "RequestEstimate",
    "TokenizerError",
    "UnknownModelError",
    "UnsupportedFileTypeError",
    "UnsupportedImageFormatError",
    "Violation",
    "VisionAzureOpenAI",
    "VisionOpenAI",
    "VisionOptions",
    "VisionReport",
    "__version__",
    "add_context",
    "advise",
    "chat_file_part",
    "count_tokens",
    "estimate_image_tokens",
    "estimate_request",
    "file_part",
    "fit_size",
    "get_model_rule",
    "image_part",
    "image_url_part",
    "inspect_file",
    "inspect_image",
    "load_prices",
    "only_status",
    "pdf_facts",
    "preflight",
    "prepare_image",
    "prepared_size",
    "read_jsonl",
    "register_model_rule",
    "size_image",
    "sizing_table",
    "sniff_file",
    "strip_text",
    "target_size",
    "unregister_model_rule",
    "vision_report",
]

_LAZY_MODULES: dict[str, tuple[str, ...]] = {
    "_audit": (
        "AuditFile",
        "AuditImage",
        "AuditPipeline",
        "AuditRecord",
        "AuditSink",
        "Processor",
        "SCHEMA_VERSION",
        "add_context",
        "only_status",
        "strip_text",
    ),
    "_budget": (
        "Advice",
        "AdviceRow",
        "Budget",
        "Fit",
        "FitOption",
        "OnExceed",
        "Prefer",
        "advise",
        "fit_size",
    ),
    "_client": (
        "AsyncVisionAzureOpenAI",
        "AsyncVisionOpenAI",
        "VisionAzureOpenAI",
        "VisionOpenAI",
    ),
    "_core": (
        "PreflightMode",
        "VisionOptions",
    ),
    "_estimate": (
        "ImageEstimate",
        "RequestEstimate",
        "estimate_image_tokens",
        "estimate_request",
        "target_size",
    ),
    "_image.fetch": ("FetchOptions",),
    "_file_parts": (
        "FileDetail",
        "chat_file_part",
        "file_part",
    ),
    "_file_rules": ("FileEstimate",),
    "_files": (
        "DEFAULT_FILE_LIMITS",
        "FILE_LIMIT_PROFILES",
        "FileInfo",
        "FileLimits",
        "PdfFacts",
        "inspect_file",
        "pdf_facts",
        "sniff_file",
    ),
    "_image.sources": ("inspect_image",),
    "_otel": ("OTelSink",),
    "_image.parts": (
        "image_part",
        "image_url_part",
    ),
    "_preflight": (
        "DEFAULT_LIMITS",
        "ImageLimits",
        "LIMIT_PROFILES",
        "PreflightOutcome",
        "preflight",
    ),
    "_image.prepare": (
        "AnimatedPolicy",
        "PreparedImage",
        "prepare_image",
        "prepared_size",
    ),
    "_prices": (
        "Cost",
        "DEFAULT_PRICES",
        "ModelPrice",
        "PriceTable",
        "load_prices",
    ),
    "_report": (
        "VisionReport",
        "vision_report",
    ),
    "_rules": (
        "ImageSizing",
        "ModelRule",
        "PatchLimit",
        "get_model_rule",
        "register_model_rule",
        "size_image",
        "sizing_table",
        "unregister_model_rule",
    ),
    "_sinks": (
        "JsonlSink",
        "LoggingSink",
        "read_jsonl",
    ),
    "_text": ("count_tokens",),
}
"""Which private module defines each public name that is not imported eagerly. A module is
imported on the first access to one of its names (module ``__getattr__``, PEP 562), so
``import openai_vision_ext`` loads neither the openai SDK, Pillow, tiktoken nor httpcore2, and
the command line starts fast. Only the exceptions and the small value types load eagerly: every
traceback names them."""

_LAZY: dict[str, str] = {name: module for module, names in _LAZY_MODULES.items() for name in names}

_MISSING = object()


def _publish(obj: object) -> None:
    """Make a public class or function say ``openai_vision_ext`` in reprs and ``__module__``.

    The httpx habit: ``repr(ImageInfo)`` reads ``openai_vision_ext.ImageInfo`` whichever private
    module defines it, so moving code between private modules changes no user-visible name.
    Pickle still finds each class (it is exported under that name here).
    """
    if isinstance(obj, type) or _is_function(obj):
        obj.__module__ = __name__


def _is_function(value: object) -> bool:
    return callable(value) and hasattr(value, "__globals__")


def _publish_loaded() -> None:
    """Bind and publish the public names of every lazy module imported so far (by us or by
    another module of the package), so their ``__module__`` is the package's from now on."""
    namespace = globals()
    for name, home in _LAZY.items():
        if name in namespace:
            continue
        module = sys.modules.get(f"{__name__}.{home}")
        value = getattr(module, name, _MISSING) if module is not None else _MISSING
        if value is not _MISSING:  # a module still being imported may not define it yet
            _publish(value)
            namespace[name] = value


def __getattr__(name: str) -> _typing.Any:
    home = _LAZY.get(name)
    if home is not None:
        importlib.import_module(f"{__name__}.{home}")
        _publish_loaded()
        return globals()[name]
    if name == "__test__":  # doctest collection: the lazy classes' and functions' examples
        return {n: v for n in _LAZY if isinstance(v := __getattr__(n), type) or _is_function(v)}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


for _name in __all__:
    if _name not in _LAZY:
        _publish(globals()[_name])
del _name
