"""The README's client example, as the exact text shown there.

``_build_cassettes.py`` runs it against the local fake server (answering with mirascope-002's real
bill) to record ``cassettes/test_readme_example/readme-example.yaml``; ``test_readme_example.py``
replays it and checks what it prints. The code runs from the repository root.
"""

from __future__ import annotations

__all__ = ["EXAMPLE", "OBS_ID"]

OBS_ID = "mirascope-002"
"""The observation whose request the example reproduces (same text, image, detail) and whose
real billed usage the cassette carries."""

EXAMPLE = """\
from openai_vision_ext import VisionOpenAI, image_part, vision_report

client = VisionOpenAI()  # takes openai.OpenAI()'s arguments; reads OPENAI_API_KEY
response = client.responses.create(model="gpt-4o", input=[{"role": "user", "content": [
    {"type": "input_text", "text": "Describe the following image in one sentence"},
    image_part("cassettes/images/mirascope-001_img0.png"),
]}])
report = vision_report(response)
for image in report.images:
    print(f"{report.model_served}: {image.width}x{image.height} {image.mime}, detail {image.detail}")
print(f"input tokens: estimated {report.estimated_input_tokens}, billed {report.billed_input_tokens}")
print(f"image tokens: estimated {report.estimated_image_tokens}, billed {report.billed_image_tokens}")
"""
"""Runnable as is with a real key (``OPENAI_API_KEY``) from the repository root."""
