"""openai-vision-ext: send images to OpenAI models safely, predictably and auditably."""

from ._version import __version__

__all__ = ["__version__"]
