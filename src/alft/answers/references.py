"""Deprecated module: gold answers are read and matched in :mod:`alft.answers.gold` (a *reference answer* is an
answer drawn from the reference policy p_ref, not a dataset's gold answer)."""

from alft.answers.gold import RENAMED
from alft.deprecation import renamed_attributes

__getattr__ = renamed_attributes("alft.answers.references", RENAMED)
