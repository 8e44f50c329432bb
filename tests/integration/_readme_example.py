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
text = {"type": "input_text", "text": "Describe the following image in one sentence"}
image = image_part("cassettes/images/mirascope-001_img0.png")
message = {"role": "user", "content": [text, image]}
response = client.responses.create(model="gpt-4o", input=[message])
r = vision_report(response)
print(r.model_served, [(i.width, i.height, i.detail) for i in r.images])
print("input tokens: estimated", r.estimated_input_tokens, "billed", r.billed_input_tokens)
print("image tokens: estimated", r.estimated_image_tokens, "billed", r.billed_image_tokens)
"""
"""Runnable as is with a real key (``OPENAI_API_KEY``) from the repository root; laid out as
``ruff format`` leaves it (``ruff format --check`` also checks the README's code blocks)."""
