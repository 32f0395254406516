"""Attribute e-commerce orders to affiliate partners through tracking promo codes.

The Python face of the ``promo-attribution`` Rust crate: a validating :class:`Registry` per
program, compiled into an immutable :class:`Engine` that attributes orders one at a time
(:meth:`Engine.attribute`) or a pyarrow table at a time (:meth:`Engine.attribute_arrow`), and a
:class:`Catalog` of engines by program for jobs covering many brands. Registries travel to
workers as bytes (:meth:`Registry.to_bytes`). Every error is a :class:`PromoAttributionError`
whose ``kind`` names what went wrong.
"""

from __future__ import annotations

from ._native import (
    Catalog,
    Decision,
    Engine,
    PerformanceReport,
    PromoAttributionError,
    Registry,
    Upload,
)

__all__ = [
    "Catalog",
    "Decision",
    "Engine",
    "PerformanceReport",
    "PromoAttributionError",
    "Registry",
    "Upload",
    "OUTPUT_COLUMNS",
]

#: The columns ``attribute_arrow`` returns, in order.
OUTPUT_COLUMNS = (
    "order_id",
    "outcome",
    "partner_id",
    "via",
    "code_id",
    "reason",
    "payout",
    "revision",
)
