"""openai-vision-ext: send images to OpenAI models safely, predictably and auditably.

Replace ``OpenAI()`` with ``VisionOpenAI()``: every image is preflighted before it is sent,
every request carries an offline estimate of its input tokens, and ``vision_report(response)``
sets that estimate beside what the API billed.

>>> from openai_vision_ext import estimate_image_tokens
>>> estimate_image_tokens(1024, 1024, model="gpt-4o", detail="high")
765
"""

from ._audit import (
    SCHEMA_VERSION,
    AuditConfigError,
    AuditImage,
    AuditPipeline,
    AuditRecord,
    AuditSink,
    Processor,
    add_context,
    only_status,
    strip_text,
)
from ._budget import Advice, AdviceRow, Budget, Fit, FitOption, OnExceed, Prefer, advise, fit_size
from ._client import AsyncVisionAzureOpenAI, AsyncVisionOpenAI, VisionAzureOpenAI, VisionOpenAI
from ._core import PreflightMode, VisionOptions
from ._estimate import (
    ImageEstimate,
    RequestEstimate,
    estimate_image_tokens,
    estimate_request,
    target_size,
)
from ._exceptions import (
    AnimatedImageError,
    BudgetExceededError,
    CorruptFileError,
    CorruptImageError,
    DecompressionBombError,
    EmptyImageError,
    EncryptedPdfError,
    FileDataURLError,
    FileError,
    FileSourceError,
    FileTooLargeError,
    ImageError,
    ImageSourceError,
    ImageTooLargeError,
    InvalidDataURLError,
    InvalidDetailError,
    InvalidOptionError,
    InvalidRequestError,
    MimeMismatchError,
    MissingExtraError,
    OpenAIVisionExtError,
    PdfBombError,
    PreflightError,
    TokenizerError,
    UnknownModelError,
    UnsupportedFileTypeError,
    UnsupportedImageFormatError,
    Violation,
)
from ._fetch import (
    FetchBlockedError,
    FetchError,
    FetchOptions,
    FetchRedirectError,
    FetchStatusError,
    FetchTimeoutError,
    FetchTooLargeError,
    FetchURLError,
)
from ._file_parts import FileDetail, chat_file_part, file_part
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
from ._images import inspect_image
from ._otel import OTelSink
from ._parts import image_part, image_url_part
from ._preflight import DEFAULT_LIMITS, LIMIT_PROFILES, ImageLimits, PreflightOutcome, preflight
from ._prepare import AnimatedPolicy, PreparedImage, prepare_image, prepared_size
from ._prices import DEFAULT_PRICES, Cost, ModelPrice, PriceTable, PriceTableError, load_prices
from ._report import VisionReport, vision_report
from ._rules import (
    InvalidModelRuleError,
    ModelRule,
    PatchLimit,
    get_model_rule,
    register_model_rule,
    unregister_model_rule,
)
from ._sinks import JsonlSink, LoggingSink, read_jsonl
from ._text import count_tokens
from ._types import DETAILS, Api, Detail, ImageFormat, ImageInfo, ImageSource
from ._version import __version__

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
    "sniff_file",
    "strip_text",
    "target_size",
    "unregister_model_rule",
    "vision_report",
]


def _publish_module_names() -> None:
    """Make public classes and functions say ``openai_vision_ext`` in reprs and ``__module__``.

    The httpx habit: ``repr(ImageInfo)`` reads ``openai_vision_ext.ImageInfo`` whichever private
    module defines it, so moving code between private modules changes no user-visible name.
    Pickle still finds each class (it is exported under that name here).
    """
    namespace = globals()
    for name in __all__:
        obj = namespace[name]
        if isinstance(obj, type) or (callable(obj) and hasattr(obj, "__globals__")):
            obj.__module__ = __name__


_publish_module_names()
