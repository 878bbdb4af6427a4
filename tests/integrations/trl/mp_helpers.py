"""Helpers shared by the multi-process test and its worker (a uniquely named module, importable from both)."""


def mod3_length(text: str) -> str:
    """A test extractor with three classes, so random completions still agree often."""
    return str(len(text) % 3)
