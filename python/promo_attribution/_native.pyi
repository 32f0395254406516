"""Type stubs of the native module (the Rust crate's bindings)."""

from datetime import datetime, timedelta
from typing import Any, Dict, Iterable, List, Literal, Mapping, Optional, Sequence, Tuple, Union

Instant = Union[str, datetime]
"""An RFC 3339 string or a time-zone-aware datetime; millisecond resolution."""
CreditPolicy = Literal["always", "if_involved", "if_winner"]
CREDIT_POLICIES: Tuple[str, ...]
"""Every credit policy's name, as the crate declares them."""
OUTPUT_COLUMNS: List[str]
"""The columns ``attribute_arrow`` writes, in order."""
CHANGE_RESULT_COLUMNS: List[str]
"""The columns of ``judge_arrow``'s first table, in order."""
FINAL_STATE_COLUMNS: List[str]
"""The columns of ``judge_arrow``'s second table, in order."""
PayoutSpec = Dict[str, int]
"""``{"fixed": minor_units}`` or ``{"percent_bps": basis_points}``."""
Click = Tuple[int, Instant]
"""``(partner_id, at)``."""
OrderChange = Tuple[Instant, Literal["refund", "restate", "cancel"], Union[int, str]]
"""``(at, "refund", amount)``, ``(at, "restate", amount)`` or ``(at, "cancel", reason)``; the
reasons: ``returned``, ``fraud``, ``duplicate``, ``test_order``, ``customer_cancelled``,
``other`` (another is judged ``invalid_reason``)."""

class PromoAttributionError(Exception):
    kind: str
    line: Optional[int]
    column: Optional[str]
    column_number: Optional[int]
    row: Optional[int]
    code_id: Optional[int]
    errors: List["PromoAttributionError"]

class Decision:
    outcome: Literal["credited", "invalid", "unattributed"]
    partner_id: Optional[int]
    via: Optional[Literal["code", "click"]]
    code_id: Optional[int]
    reason: Optional[Literal["code_owned_by_other_partner", "restricted_code", "partner_not_active"]]
    payout: int
    payout_source: Optional[str]
    click_winner: Optional[int]
    entered: List[str]
    other_matches: List[Tuple[int, int, str]]
    other_matches_left_out: int
    action: "Action"

class Action:
    at: str
    amount: int
    payout: int
    payout_rule: Optional[Literal["fixed", "percent_bps"]]
    payout_rate: Optional[int]
    payout_source: Optional[str]
    lock_at: Optional[str]
    clawback: bool
    def __init__(
        self,
        at: Instant,
        amount: int,
        payout_rule: Optional[Literal["fixed", "percent_bps"]] = ...,
        payout_rate: Optional[int] = ...,
        payout_source: Optional[str] = ...,
        lock_at: Optional[Instant] = ...,
        clawback: bool = ...,
    ) -> None: ...
    def judge(self, changes: Iterable[OrderChange]) -> "Judgement": ...

class Judgement:
    results: List[Dict[str, Any]]
    """One dict per change, in the order given: ``rejected`` (a reason or ``None``),
    ``amount``, ``payout``, ``delta``, ``state``, ``reason``, ``after_lock``."""
    amount: int
    payout: int
    delta: int
    state: Literal["pending", "locked", "reversed"]
    reason: Optional[str]

def judge_arrow(decisions: Any, changes: Any) -> Tuple[Any, Any]:
    """Changes (``order_id``, ``at``, ``kind``, ``amount``, ``reason``) judged against stored
    decisions (``attribute_arrow``'s output); returns (one row per change, one row per order)."""

class Engine:
    revision: int
    def attribute(
        self,
        at: Instant,
        codes: Sequence[str] = ...,
        clicks: Optional[Iterable[Click]] = ...,
        amount: int = ...,
    ) -> Decision: ...
    def attribute_arrow(self, data: Any, *, threads: Optional[int] = ...) -> Any:
        """A pyarrow Table or RecordBatch in, the same kind out (see the package docs).
        `threads`: how many threads share the work (every core by default); the output is
        the same whatever it is."""
    def generate(
        self,
        partner: int,
        template: str,
        count: int,
        *,
        seed: int = ...,
        starts_at: Optional[Instant] = ...,
        ends_at: Optional[Instant] = ...,
        alphabet: Optional[str] = ...,
    ) -> List[str]:
        """`count` codes for `partner` from `template` ("BOB-{6}", or a vanity base "BOB15"),
        free of every registered code and distinct ignoring case; reproducible for the same
        revision, template and seed. Raises `namespace_exhausted` when it cannot."""
    def __len__(self) -> int: ...

class Catalog:
    programs: List[int]
    def __init__(self, engines: Optional[Mapping[int, Engine]] = ...) -> None: ...
    @classmethod
    def compile(cls, registries: Mapping[int, "Registry"]) -> "Catalog": ...
    def get(self, program: int) -> Optional[Engine]: ...
    def attribute(
        self,
        program: int,
        at: Instant,
        codes: Sequence[str] = ...,
        clicks: Optional[Iterable[Click]] = ...,
        amount: int = ...,
    ) -> Decision: ...
    def attribute_arrow(self, data: Any, *, threads: Optional[int] = ...) -> Any: ...
    def __len__(self) -> int: ...

class Registry:
    revision: int
    def __init__(
        self,
        *,
        tracking: Literal["enabled", "disabled"] = ...,
        click_winner: Literal["last_click", "first_click"] = ...,
        lookback: timedelta = ...,
        unmet_policy: Literal["invalidate", "fall_back_to_clicks"] = ...,
        always_owner_clicks: Literal["count", "ignore"] = ...,
        contracts: Literal["optional", "required"] = ...,
        regex_anchoring: Literal["whole_code", "search"] = ...,
        payout: PayoutSpec = ...,
        lock_after: Optional[timedelta] = ...,
        clawback: Literal["disabled", "enabled"] = ...,
        max_entered_codes: int = ...,
        max_other_matches: int = ...,
    ) -> None: ...
    def add_tracking(
        self,
        id: int,
        code: str,
        owner: int,
        *,
        credit: CreditPolicy = ...,
        regex: bool = ...,
        priority: int = ...,
        starts_at: Optional[Instant] = ...,
        ends_at: Optional[Instant] = ...,
        deal: Optional[int] = ...,
        label: Optional[str] = ...,
    ) -> None: ...
    def add_restricted(
        self,
        id: int,
        code: str,
        *,
        ends_at: Optional[Instant] = ...,
        starts_at: Optional[Instant] = ...,
        label: Optional[str] = ...,
    ) -> None: ...
    def expire(self, id: int, at: Instant) -> None: ...
    def reactivate(self, id: int, at: Instant) -> None: ...
    def transfer(self, id: int, to: int, at: Instant) -> None: ...
    def set_credit(self, id: int, credit: CreditPolicy, at: Instant) -> None: ...
    def set_window(self, id: int, starts_at: Optional[Instant] = ..., ends_at: Optional[Instant] = ...) -> None: ...
    def set_deal(self, id: int, deal: Optional[int] = ...) -> None: ...
    def set_label(self, id: int, label: Optional[str] = ...) -> None: ...
    def remove(self, id: int, now: Instant) -> None: ...
    def set_contract(
        self,
        partner: int,
        *,
        starts_at: Optional[Instant] = ...,
        ends_at: Optional[Instant] = ...,
        payout: Optional[PayoutSpec] = ...,
    ) -> None: ...
    def remove_contract(self, partner: int) -> bool: ...
    def add_exception_list(
        self, name: str, codes: Sequence[str], payout: PayoutSpec, *, match_expression: Optional[str] = ...
    ) -> None: ...
    def owner_at(self, id: int, at: Instant) -> Optional[int]: ...
    def to_bytes(self) -> bytes: ...
    @staticmethod
    def from_bytes(data: bytes, *, validate: bool = ...) -> "Registry": ...
    def compile(self) -> Engine: ...
    def refresh(self, engine: Engine) -> Engine: ...
    def add_generated(
        self,
        engine: Engine,
        partner: int,
        template: str,
        count: int,
        first_id: int,
        *,
        seed: int = ...,
        note: str = ...,
        starts_at: Optional[Instant] = ...,
        ends_at: Optional[Instant] = ...,
        alphabet: Optional[str] = ...,
        credit: Literal["always", "if_involved", "if_winner"] = ...,
    ) -> List[Tuple[int, str]]:
        """Generates as `Engine.generate` does, against this registry as it is, and registers
        the codes in one batch (ids from `first_id`), with `note` in the history."""
    def refresh_plan(
        self, engine: Engine
    ) -> Literal[
        "incremental",
        "other_lineage",
        "engine_ahead",
        "compaction",
        "before_checkpoint",
        "full_compile",
    ]: ...
    def checkpoint(self, through: int) -> tuple[int, str]: ...
    @property
    def last_checkpoint(self) -> tuple[int, str] | None: ...
    def __len__(self) -> int: ...

class Upload:
    is_clean: bool
    problems: List[PromoAttributionError]
    rows: List[Tuple[int, int, int]]
    rejected_lines: List[int]
    programs: List[int]
    @staticmethod
    def review(csv: Union[str, bytes], registries: Mapping[int, Registry]) -> "Upload": ...
    def rejected_csv(self) -> str: ...
    def apply(self, registries: Mapping[int, Registry]) -> int: ...
    def apply_valid(self, registries: Mapping[int, Registry]) -> int: ...
    def __len__(self) -> int: ...

class PerformanceReport:
    def __init__(self) -> None: ...
    def add(
        self,
        engine: Engine,
        at: Instant,
        codes: Sequence[str] = ...,
        clicks: Optional[Iterable[Click]] = ...,
        amount: int = ...,
        changes: Optional[Iterable[OrderChange]] = ...,
        now: Optional[Instant] = ...,
    ) -> Decision: ...
    def by_code(self, include_no_code: bool = ...) -> Dict[Optional[int], Dict[str, Any]]:
        """{code_id: {actions, credited, revenue, payout, invalid, locked, reversed,
        reversed_by_reason: {reason: count}}}."""
    def by_partner(self) -> Dict[int, Dict[str, Any]]: ...
    def total(self, include_no_code: bool = ...) -> Dict[str, Any]: ...
