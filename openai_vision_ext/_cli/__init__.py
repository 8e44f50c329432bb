"""The ``openai-vision-ext`` command line: ``commands`` parses and prints, ``scan`` does the
work (finding files, reading headers, pricing, checking, decoding), ``files`` handles document
inputs. ``main`` is the console-script entry point.
"""

from .commands import cli, main

__all__ = ["cli", "main"]
