"""Attribute e-commerce orders to affiliate partners through tracking promo codes.

The Python face of the ``promo-attribution`` Rust crate: a validating :class:`Registry` per
program, compiled into an immutable :class:`Engine` that attributes orders one at a time
(:meth:`Engine.attribute`) or a pyarrow table at a time (:meth:`Engine.attribute_arrow`), and a
:class:`Catalog` of engines by program for jobs covering many brands. Registries travel to
workers as bytes (:meth:`Registry.to_bytes`). After the decision, :attr:`Decision.action` is what
to store: :meth:`Action.judge` (one order) and :func:`judge_arrow` (a table of changes against
a table of stored decisions) follow its refunds, restatements and cancellations. Every error is a :class:`PromoAttributionError`
whose ``kind`` names what went wrong.
"""

from __future__ import annotations

from . import _native
from ._native import (
    Action,
    Catalog,
    Decision,
    Engine,
    Judgement,
    PerformanceReport,
    PromoAttributionError,
    Registry,
    Upload,
    judge_arrow,
)

__all__ = [
    "Action",
    "Catalog",
    "Decision",
    "Engine",
    "Judgement",
    "PerformanceReport",
    "PromoAttributionError",
    "Registry",
    "Upload",
    "judge_arrow",
    "OUTPUT_COLUMNS",
    "CHANGE_RESULT_COLUMNS",
    "FINAL_STATE_COLUMNS",
]

#: The columns ``attribute_arrow`` returns, in order (from the code that writes them).
OUTPUT_COLUMNS: tuple[str, ...] = tuple(_native.OUTPUT_COLUMNS)

#: The first table ``judge_arrow`` returns: one row per change, in input order.
CHANGE_RESULT_COLUMNS: tuple[str, ...] = tuple(_native.CHANGE_RESULT_COLUMNS)

#: The second table ``judge_arrow`` returns: one row per stored decision, after its changes.
FINAL_STATE_COLUMNS: tuple[str, ...] = tuple(_native.FINAL_STATE_COLUMNS)
