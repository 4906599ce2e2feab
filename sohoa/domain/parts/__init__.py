"""Parts of an uploaded file (issue 12): each a page range holding one paper document.

``detect_parts`` draws the boundaries from the pages (national heading, issuing body,
title, number and date, page numbering, separator sheets), each with its reasons and a
confidence; ``link_components`` ties a dossier component to the result it came with.
Pure functions: no database, no I/O.
"""

from __future__ import annotations

from sohoa.domain.parts.detect import THRESHOLD, DetectedPart, PageInput, boundary_score, detect_parts
from sohoa.domain.parts.links import PartPeople, link_components
from sohoa.domain.parts.signals import PageSignals, page_numbering, read_signals

__all__ = [
    "THRESHOLD", "DetectedPart", "PageInput", "PageSignals", "PartPeople", "boundary_score", "detect_parts",
    "link_components", "page_numbering", "read_signals",
]
