"""Run the shared conformance vectors through the Python API.

    python -m promo_attribution.conformance FILE.json [FILE.json ...]

Prints one line per failing case, then ``N passed, M failed``; exits non-zero when any case
failed or a file could not be read. A field the runner does not know is a failure, never a
silent skip (the format: ``conformance/FORMAT.md``).

Each case's order is decided several ways, which must agree before the decision is compared
with the expected one: by ``Engine.attribute`` on a fresh compile, by an engine compiled before
anything was registered and brought up to date by ``Registry.refresh`` after every step, by the
engines of the registry read back from its snapshot (trusted and validated), and, when pyarrow
is installed, by ``Engine.attribute_arrow`` (the last line says when it is not).
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta
from typing import Any, Callable, Dict, List, Optional

from . import Engine, PromoAttributionError, Registry

try:
    import pyarrow as pa
except ImportError:  # the batch path is checked only where pyarrow is installed
    pa = None

_CASE_KEYS = {"name", "note", "settings", "contracts", "codes", "events", "conversion", "expect",
              "exception_lists", "changes"}
_SETTINGS = {"tracking_enabled", "click_winner", "lookback_days", "unmet_policy",
             "suppress_always_owner_clicks", "require_contracts", "regex_anchoring", "payout",
             "lock_after_days", "clawback", "max_entered_codes", "max_other_matches"}
_CHANGE_KINDS = ("refund", "restate", "cancel")
_CODE_KEYS = {"id", "code", "owner", "credit", "kind", "match", "priority", "starts_at", "ends_at", "deal", "label"}


class Unsupported(Exception):
    """A field the runner does not understand."""


def _only(obj: Dict[str, Any], what: str, known: set) -> None:
    for key in obj:
        if key not in known:
            raise Unsupported(f"unsupported field {key!r} in {what}")


def _crate_settings(vector: Dict[str, Any]) -> Dict[str, Any]:
    """The settings of a vector (FORMAT.md: flags and whole days) as the registry takes them:
    the crate's names, closed sets by name, durations as timedeltas."""
    flags = {
        "tracking_enabled": ("tracking", "enabled", "disabled"),
        "suppress_always_owner_clicks": ("always_owner_clicks", "ignore", "count"),
        "require_contracts": ("contracts", "required", "optional"),
        "clawback": ("clawback", "enabled", "disabled"),
    }
    settings: Dict[str, Any] = {}
    for key, value in vector.items():
        if key in flags:
            name, on, off = flags[key]
            settings[name] = on if value else off
        elif key == "lookback_days":
            settings["lookback"] = timedelta(days=value)
        elif key == "lock_after_days":
            settings["lock_after"] = None if value is None else timedelta(days=value)
        else:
            settings[key] = value
    return settings


def _build(case: Dict[str, Any], step: Callable[[Registry], None]) -> Registry:
    """The case's registry; ``step`` is called after each change to it."""
    settings = case.get("settings", {})
    _only(settings, "settings", _SETTINGS)
    registry = Registry(**_crate_settings(settings))
    step(registry)
    for code in case.get("codes", []):
        _only(code, "a code", _CODE_KEYS)
        kind = code.get("kind", "tracking")
        if kind == "restricted":
            registry.add_restricted(code["id"], code["code"], starts_at=code.get("starts_at"),
                                    ends_at=code.get("ends_at"), label=code.get("label"))
        elif kind == "tracking":
            match = code.get("match", "exact")
            if match not in ("exact", "regex"):
                raise Unsupported(f"unsupported match {match!r}")
            registry.add_tracking(code["id"], code["code"], code["owner"],
                                  credit=code.get("credit", "always"), regex=match == "regex",
                                  priority=code.get("priority", 0), starts_at=code.get("starts_at"),
                                  ends_at=code.get("ends_at"), deal=code.get("deal"), label=code.get("label"))
        else:
            raise Unsupported(f"unsupported code kind {kind!r}")
        step(registry)
    for contract in case.get("contracts", []):
        _only(contract, "a contract", {"partner", "from", "until", "payout"})
        registry.set_contract(contract["partner"], starts_at=contract.get("from"),
                              ends_at=contract.get("until"), payout=contract.get("payout"))
        step(registry)
    for lst in case.get("exception_lists", []):
        _only(lst, "an exception list", {"name", "codes", "match_expression", "payout"})
        registry.add_exception_list(lst["name"], lst.get("codes", []), lst["payout"],
                                    match_expression=lst.get("match_expression"))
        step(registry)
    for event in case.get("events", []):
        _apply(registry, event)
        step(registry)
    return registry


class _Refreshed:
    """An engine compiled before anything was registered, refreshed after every step."""

    def __init__(self) -> None:
        self.engine: Optional[Engine] = None

    def __call__(self, registry: Registry) -> None:
        if self.engine is None:
            self.engine = registry.compile()
        else:
            try:
                self.engine = registry.refresh(self.engine)
            except PromoAttributionError as err:
                # A step compile refuses too (a bad regex, say) is the case's registry error,
                # which compile raises; one that only refresh refuses is a failure of its own.
                registry.compile()
                raise _Disagreement(f"refresh failed where compile did not: {err}") from err


class _Disagreement(Exception):
    """Two ways of deciding the same order disagree."""


def _shape(decision: Any) -> Dict[str, Any]:
    """What the vectors say of a decision: absent keys rather than None."""
    got: Dict[str, Any] = {"outcome": decision.outcome, "entered": list(decision.entered),
                           "payout": decision.payout}
    if decision.partner_id is not None:
        got["partner"] = decision.partner_id
    if decision.via is not None:
        got["via"] = decision.via
        if decision.via == "code":
            got["code"] = decision.code_id
    if decision.reason is not None:
        got["reason"] = decision.reason
    return got


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _batch_rows(engine: Engine, conversion: Dict[str, Any], clicks: List[tuple]) -> List[Dict[str, Any]]:
    """The order through ``attribute_arrow``, 40 times over so that it crosses its pipeline."""
    timestamp = pa.timestamp("us", tz="UTC")
    schema = pa.schema([("order_id", pa.int64()), ("at", timestamp), ("codes", pa.list_(pa.string())),
                        ("clicks", pa.list_(pa.struct([("partner_id", pa.int64()), ("at", timestamp)]))),
                        ("amount", pa.int64())])
    row = {"at": _instant(conversion["at"]), "codes": conversion.get("codes", []),
           "clicks": [{"partner_id": p, "at": _instant(at)} for p, at in clicks],
           "amount": conversion.get("amount", 0)}
    table = pa.Table.from_pylist([{"order_id": i, **row} for i in range(40)], schema=schema)
    return engine.attribute_arrow(table, threads=1).to_pylist()


def _agree_in_batch(engine: Engine, conversion: Dict[str, Any], clicks: List[tuple],
                    decision: Any) -> None:
    """Checks that ``attribute_arrow`` decides the order as ``attribute`` did."""
    if pa is None:
        return
    keys = ("outcome", "partner_id", "via", "code_id", "reason", "payout")
    single = {key: getattr(decision, key) for key in keys}
    for row in _batch_rows(engine, conversion, clicks):
        batch = {key: row[key] for key in keys}
        if batch != single:
            raise _Disagreement(f"attribute_arrow gave {batch}, attribute {single}")


def _apply(registry: Registry, event: Dict[str, Any]) -> None:
    if "expire" in event:
        _only(event, "an event", {"expire", "at"})
        registry.expire(event["expire"], event["at"])
    elif "reactivate" in event:
        _only(event, "an event", {"reactivate", "at"})
        registry.reactivate(event["reactivate"], event["at"])
    elif "transfer" in event:
        _only(event, "an event", {"transfer", "to", "at"})
        registry.transfer(event["transfer"], event["to"], event["at"])
    elif "set_credit" in event:
        _only(event, "an event", {"set_credit", "credit", "at"})
        registry.set_credit(event["set_credit"], event["credit"], event["at"])
    elif "set_window" in event:
        _only(event, "an event", {"set_window", "starts_at", "ends_at"})
        registry.set_window(event["set_window"], event.get("starts_at"), event.get("ends_at"))
    elif "remove" in event:
        _only(event, "an event", {"remove", "now"})
        registry.remove(event["remove"], event["now"])
    else:
        raise Unsupported(f"unsupported event {event!r}")


def _got(case: Dict[str, Any]) -> Dict[str, Any]:
    refreshed = _Refreshed()
    try:
        registry = _build(case, refreshed)
        engine = registry.compile()
    except PromoAttributionError as err:
        return {"outcome": "registry_error", "error": err.kind}
    conversion = case["conversion"]
    _only(conversion, "the conversion", {"at", "codes", "clicks", "amount"})
    clicks = []
    for click in conversion.get("clicks", []):
        _only(click, "a click", {"partner", "at"})
        clicks.append((click["partner"], click["at"]))

    def decide(engine: Engine) -> Any:
        return engine.attribute(conversion["at"], conversion.get("codes", []), clicks,
                                conversion.get("amount", 0))

    decision = decide(engine)
    got = _shape(decision)
    _agree_in_batch(engine, conversion, clicks, decision)
    snapshot = registry.to_bytes()
    for path, other in [("the engine refreshed step by step", refreshed.engine),
                        ("the snapshot read back", Registry.from_bytes(snapshot).compile()),
                        ("the snapshot read back and validated",
                         Registry.from_bytes(snapshot, validate=True).compile())]:
        theirs = _shape(decide(other))
        if theirs != got:
            raise _Disagreement(f"{path} decides {theirs}, a fresh compile {got}")
    if "changes" in case:
        got["changes"] = [_result(r) for r in decision.action.judge(_changes(case["changes"])).results]
    return got


def _changes(changes: List[Dict[str, Any]]) -> List[tuple]:
    read = []
    for change in changes:
        _only(change, "a change", {"at", *_CHANGE_KINDS})
        kinds = [k for k in _CHANGE_KINDS if k in change]
        if len(kinds) != 1:
            raise Unsupported(f"a change needs exactly one kind: {change!r}")
        read.append((change["at"], kinds[0], change[kinds[0]]))
    return read


def _result(result: Dict[str, Any]) -> Dict[str, Any]:
    """A judged change in the vectors' shape: absent keys rather than None or False."""
    if result["rejected"] is not None:
        return {"rejected": result["rejected"]}
    shaped = {key: result[key] for key in ("amount", "payout", "delta", "state")}
    if result["reason"] is not None:
        shaped["reason"] = result["reason"]
    if result["after_lock"]:
        shaped["after_lock"] = True
    return shaped


def check(case: Dict[str, Any]) -> str | None:
    """Why the case fails, or ``None`` when it passes."""
    _only(case, "the case", _CASE_KEYS)
    expect = case["expect"]
    _only(expect, "expect", {"outcome", "partner", "via", "code", "reason", "error", "entered", "payout",
                             "changes"})
    got = _got(case)
    for key, want in expect.items():
        if got.get(key) != want:
            return f"expected {expect}, got {got}"
    return None


def run(files: List[str]) -> int:
    passed, failures, unreadable = 0, [], False
    for path in files:
        try:
            with open(path, encoding="utf-8") as f:
                cases = json.load(f)["cases"]
        except (OSError, ValueError, KeyError, TypeError) as err:
            print(f"FAIL {path}: cannot read: {err}")
            unreadable = True
            continue
        for case in cases:
            name = case.get("name", "<unnamed>")
            try:
                why = check(case)
            except (Unsupported, _Disagreement, KeyError, TypeError, ValueError,
                    PromoAttributionError) as err:
                why = f"{type(err).__name__}: {err}"
            if why is None:
                passed += 1
            else:
                failures.append(f"FAIL {path}: {name}: {why}")
    for line in failures:
        print(line)
    batch = "" if pa is not None else " (attribute_arrow not checked: pyarrow is not installed)"
    print(f"{passed} passed, {len(failures)} failed{batch}")
    return 1 if failures or unreadable or not files else 0


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
