"""``python -m openai_vision_ext``: the same command line as ``openai-vision-ext``."""

from ._cli.commands import main

if __name__ == "__main__":  # pragma: no branch
    main()
