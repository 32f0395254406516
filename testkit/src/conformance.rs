//! The conformance runner (`conformance/FORMAT.md`), shared by the `conformance`
//! example, which CI runs over the shared vectors, and by the integration tests, which run the
//! vectors the repository carries under `cargo test`.
//!
//! A field the runner does not understand fails its case: a vector is never half-checked.
//!
//! Each case's order is decided four ways, which must agree before the decision is compared
//! with the expected one: by `attribute` on a fresh compile, by the batch path, by an engine
//! compiled before anything was registered and brought up to date by `refresh` after every
//! step, and by the engines of the registry read back from its snapshot (trusted and
//! validated).

use std::time::Duration;

use promo_attribution::actions::{ChangeResult, OrderChange};
use promo_attribution::decision::CodeHit;
use promo_attribution::settings::{AlwaysOwnerClicks, Clawback, CodeTracking, Contracts};
use promo_attribution::{
    Change, Click, Code, CodeId, Contract, Conversion, CreditPolicy, Decision, Engine,
    ExceptionList, Outcome, PartnerId, Payout, Registry, Settings, Timestamp, Via, Window,
};
use serde_json::{Map, Value};

type Obj = Map<String, Value>;

/// What a run over some files found.
#[derive(Debug, Default)]
pub struct Summary {
    /// How many cases passed.
    pub passed: usize,
    /// One line per failing case, or per file that could not be read: `file: name: why`.
    pub failures: Vec<String>,
    /// How many of the failures are files that could not be read.
    pub unreadable: usize,
}

impl Summary {
    /// The runner's last line: `N passed, M failed`.
    pub fn line(&self) -> String {
        format!(
            "{} passed, {} failed",
            self.passed,
            self.failures.len() - self.unreadable
        )
    }

    /// Whether every case of every file passed.
    pub fn ok(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Runs every case of every file.
pub fn run_files(files: &[String]) -> Summary {
    let mut summary = Summary::default();
    for file in files {
        let cases = match read_cases(file) {
            Ok(cases) => cases,
            Err(why) => {
                summary.failures.push(format!("{file}: {why}"));
                summary.unreadable += 1;
                continue;
            }
        };
        for (i, case) in cases.iter().enumerate() {
            let name = case
                .get("name")
                .and_then(Value::as_str)
                .map_or_else(|| format!("#{i}"), str::to_owned);
            match run_case(case) {
                Ok(()) => summary.passed += 1,
                Err(why) => summary.failures.push(format!("FAIL {file}: {name}: {why}")),
            }
        }
    }
    summary
}

fn read_cases(file: &str) -> Result<Vec<Value>, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read: {e}"))?;
    let mut doc: Value = serde_json::from_str(&text).map_err(|e| format!("not JSON: {e}"))?;
    match doc.get_mut("cases").map(Value::take) {
        Some(Value::Array(cases)) => Ok(cases),
        _ => Err("no \"cases\" array".to_owned()),
    }
}

/// Checks that `obj` has only `known` keys, so that no field is skipped silently.
fn only(obj: &Obj, what: &str, known: &[&str]) -> Result<(), String> {
    match obj.keys().find(|k| !known.contains(&k.as_str())) {
        Some(key) => Err(format!("unsupported field {key:?} in {what}")),
        None => Ok(()),
    }
}

fn object<'v>(v: &'v Value, what: &str) -> Result<&'v Obj, String> {
    v.as_object()
        .ok_or_else(|| format!("{what} is not an object"))
}

fn array<'v>(obj: &'v Obj, key: &str) -> Result<&'v [Value], String> {
    match obj.get(key) {
        None => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(format!("{key:?} is not an array")),
    }
}

fn string<'v>(obj: &'v Obj, key: &str) -> Result<Option<&'v str>, String> {
    match obj.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(format!("{key:?} is not a string")),
    }
}

fn uint(obj: &Obj, key: &str) -> Result<Option<u64>, String> {
    match obj.get(key) {
        None => Ok(None),
        Some(v) => v
            .as_u64()
            .map(Some)
            .ok_or_else(|| format!("{key:?} is not a non-negative integer")),
    }
}

fn boolean(obj: &Obj, key: &str) -> Result<Option<bool>, String> {
    match obj.get(key) {
        None => Ok(None),
        Some(v) => v
            .as_bool()
            .map(Some)
            .ok_or_else(|| format!("{key:?} is not a boolean")),
    }
}

fn required<T>(value: Option<T>, key: &str) -> Result<T, String> {
    value.ok_or_else(|| format!("missing {key:?}"))
}

fn instant(obj: &Obj, key: &str) -> Result<Option<Timestamp>, String> {
    string(obj, key)?
        .map(|s| s.parse().map_err(|e| format!("{key:?}: {e}")))
        .transpose()
}

fn settings(case: &Obj) -> Result<Settings, String> {
    let mut settings = Settings::default();
    let Some(value) = case.get("settings") else {
        return Ok(settings);
    };
    let obj = object(value, "settings")?;
    only(
        obj,
        "settings",
        &[
            "tracking_enabled",
            "click_winner",
            "lookback_days",
            "unmet_policy",
            "suppress_always_owner_clicks",
            "require_contracts",
            "regex_anchoring",
            "payout",
            "lock_after_days",
            "clawback",
            "max_entered_codes",
            "max_other_matches",
        ],
    )?;
    if let Some(enabled) = boolean(obj, "tracking_enabled")? {
        settings.tracking = if enabled {
            CodeTracking::Enabled
        } else {
            CodeTracking::Disabled
        };
    }
    if let Some(v) = string(obj, "click_winner")? {
        settings.click_winner = named(v)?;
    }
    if let Some(days) = uint(obj, "lookback_days")? {
        settings.lookback = Duration::from_secs(days.saturating_mul(86_400));
    }
    if let Some(v) = string(obj, "unmet_policy")? {
        settings.unmet_policy = named(v)?;
    }
    if let Some(suppress) = boolean(obj, "suppress_always_owner_clicks")? {
        settings.always_owner_clicks = if suppress {
            AlwaysOwnerClicks::Ignore
        } else {
            AlwaysOwnerClicks::Count
        };
    }
    if let Some(required) = boolean(obj, "require_contracts")? {
        settings.contracts = if required {
            Contracts::Required
        } else {
            Contracts::Optional
        };
    }
    if let Some(v) = string(obj, "regex_anchoring")? {
        settings.regex_anchoring = named(v)?;
    }
    if let Some(value) = obj.get("payout") {
        settings.payout = payout(value)?;
    }
    if let Some(days) = uint(obj, "lock_after_days")? {
        settings.lock_after = Some(Duration::from_secs(days.saturating_mul(86_400)));
    }
    if let Some(max) = uint(obj, "max_entered_codes")? {
        settings.max_entered_codes = usize::try_from(max).unwrap_or(usize::MAX);
    }
    if let Some(max) = uint(obj, "max_other_matches")? {
        settings.max_other_matches = usize::try_from(max).unwrap_or(usize::MAX);
    }
    if let Some(clawback) = boolean(obj, "clawback")? {
        settings.clawback = if clawback {
            Clawback::Enabled
        } else {
            Clawback::Disabled
        };
    }
    Ok(settings)
}

/// `{"fixed": MINOR_UNITS}` or `{"percent_bps": BASIS_POINTS}`.
fn payout(value: &Value) -> Result<Payout, String> {
    let obj = object(value, "a payout")?;
    only(obj, "a payout", &["fixed", "percent_bps"])?;
    match (uint(obj, "fixed")?, uint(obj, "percent_bps")?) {
        (Some(fixed), None) => Ok(Payout::Fixed(fixed)),
        (None, Some(bps)) => u32::try_from(bps)
            .map(Payout::PercentBps)
            .map_err(|_| "\"percent_bps\" does not fit 32 bits".to_owned()),
        _ => Err("a payout needs exactly one of \"fixed\" and \"percent_bps\"".to_owned()),
    }
}

fn exception_list(value: &Value) -> Result<ExceptionList, String> {
    let obj = object(value, "an exception list")?;
    only(
        obj,
        "an exception list",
        &["name", "codes", "match_expression", "payout"],
    )?;
    let name = required(string(obj, "name")?, "name")?;
    let payout = payout(required(obj.get("payout"), "payout")?)?;
    let codes = array(obj, "codes")?
        .iter()
        .map(|v| v.as_str().ok_or("an exception list code is not a string"))
        .collect::<Result<Vec<&str>, _>>()?;
    let mut list = ExceptionList::new(name, payout).codes(codes);
    if let Some(expression) = string(obj, "match_expression")? {
        list = list.match_expression(expression);
    }
    Ok(list)
}

fn code(value: &Value) -> Result<Code, String> {
    let obj = object(value, "a code")?;
    only(
        obj,
        "a code",
        &[
            "id",
            "code",
            "kind",
            "match",
            "owner",
            "credit",
            "priority",
            "starts_at",
            "ends_at",
            "deal",
            "label",
        ],
    )?;
    let id = CodeId(required(uint(obj, "id")?, "id")?);
    let text = required(string(obj, "code")?, "code")?;
    let window = Window {
        from: instant(obj, "starts_at")?,
        until: instant(obj, "ends_at")?,
    };
    let label = string(obj, "label")?;
    match string(obj, "kind")?.unwrap_or("tracking") {
        "tracking" => {
            let owner = PartnerId(required(uint(obj, "owner")?, "owner")?);
            let mut code = Code::tracking(id, text, owner).window(window);
            code = code.credit(credit_policy(required(string(obj, "credit")?, "credit")?)?);
            match string(obj, "match")?.unwrap_or("exact") {
                "exact" => {}
                "regex" => code = code.regex(),
                other => return Err(format!("unknown match {other:?}")),
            }
            if let Some(priority) = obj.get("priority") {
                let priority = priority
                    .as_i64()
                    .and_then(|p| i32::try_from(p).ok())
                    .ok_or("\"priority\" is not a 32-bit integer")?;
                code = code.priority(priority);
            }
            if let Some(deal) = uint(obj, "deal")? {
                code = code.deal(deal);
            }
            if let Some(label) = label {
                code = code.label(label);
            }
            Ok(code.into())
        }
        "restricted" => {
            for key in ["owner", "credit", "match", "priority", "deal"] {
                if obj.contains_key(key) {
                    return Err(format!("restricted code with {key:?}"));
                }
            }
            let mut code = Code::restricted(id, text).window(window);
            if let Some(label) = label {
                code = code.label(label);
            }
            Ok(code.into())
        }
        other => Err(format!("unknown kind {other:?}")),
    }
}

/// The engines a case's registry gives: compiled at the end, and brought up by `refresh`.
struct Built {
    registry: Registry,
    compiled: Engine,
    refreshed: Engine,
}

/// An engine compiled before anything was registered, refreshed after each step, so that every
/// vector checks the incremental path as well as the full compile.
struct Refreshed(Engine);

impl Refreshed {
    /// `Ok(Some(kind))` when both `refresh` and a compile fail, with the compile's error.
    fn step(&mut self, registry: &Registry) -> Result<Option<String>, String> {
        match registry.refresh(&self.0) {
            Ok(engine) => {
                self.0 = engine;
                Ok(None)
            }
            Err(refresh) => match registry.compile() {
                Err(e) => Ok(Some(e.kind().as_str().to_owned())),
                Ok(_) => Err(format!("refresh failed where compile did not: {refresh}")),
            },
        }
    }
}

/// Registers everything the case defines; `Ok(Err(kind))` is a registry error to compare.
fn build(case: &Obj) -> Result<Result<Built, String>, String> {
    let mut registry = Registry::new(settings(case)?);
    let mut refreshed = Refreshed(
        registry
            .compile()
            .map_err(|e| format!("an empty program fails to compile: {e}"))?,
    );
    let mut codes = Vec::new();
    for value in array(case, "codes")? {
        codes.push(code(value)?);
    }
    for code in codes {
        if let Err(e) = registry.add(code) {
            return Ok(Err(e.kind().as_str().to_owned()));
        }
        if let Some(kind) = refreshed.step(&registry)? {
            return Ok(Err(kind));
        }
    }
    for value in array(case, "contracts")? {
        let obj = object(value, "a contract")?;
        only(obj, "a contract", &["partner", "from", "until", "payout"])?;
        let partner = PartnerId(required(uint(obj, "partner")?, "partner")?);
        let mut contract = Contract::new(Window {
            from: instant(obj, "from")?,
            until: instant(obj, "until")?,
        });
        if let Some(value) = obj.get("payout") {
            contract = contract.payout(payout(value)?);
        }
        if let Err(e) = registry.set_contract(partner, contract) {
            return Ok(Err(e.kind().as_str().to_owned()));
        }
        if let Some(kind) = refreshed.step(&registry)? {
            return Ok(Err(kind));
        }
    }
    for value in array(case, "exception_lists")? {
        if let Err(e) = registry.add_exception_list(exception_list(value)?) {
            return Ok(Err(e.kind().as_str().to_owned()));
        }
        if let Some(kind) = refreshed.step(&registry)? {
            return Ok(Err(kind));
        }
    }
    for value in array(case, "events")? {
        if let Err(e) = registry.apply([event(value)?]) {
            return Ok(Err(e.errors()[0].kind().as_str().to_owned()));
        }
        if let Some(kind) = refreshed.step(&registry)? {
            return Ok(Err(kind));
        }
    }
    Ok(match registry.compile() {
        Ok(compiled) => Ok(Built {
            registry,
            compiled,
            refreshed: refreshed.0,
        }),
        Err(e) => Err(e.kind().as_str().to_owned()),
    })
}

/// The engines of the registry read back from its binary snapshot, trusted and validated.
fn read_back(registry: &Registry) -> Result<[Engine; 2], String> {
    let bytes = registry.to_bytes();
    let trusted = Registry::from_bytes(&bytes)
        .map_err(|e| format!("its snapshot does not read back: {e}"))?;
    let validated = Registry::from_bytes_validated(&bytes)
        .map_err(|e| format!("its snapshot does not pass validation: {e}"))?;
    let compile = |registry: Registry| {
        registry
            .compile()
            .map_err(|e| format!("the registry read back does not compile: {e}"))
    };
    Ok([compile(trusted)?, compile(validated)?])
}

/// One event: a lifecycle action or a live change (`FORMAT.md` § events).
fn event(value: &Value) -> Result<Change, String> {
    let obj = object(value, "an event")?;
    let verbs = [
        "expire",
        "reactivate",
        "transfer",
        "set_credit",
        "set_window",
        "remove",
    ];
    let mut named = verbs.iter().filter(|verb| obj.contains_key(**verb));
    let (Some(&verb), None) = (named.next(), named.next()) else {
        return Err(format!("an event needs exactly one of {verbs:?}"));
    };
    let code = CodeId(required(uint(obj, verb)?, verb)?);
    let at = || -> Result<Timestamp, String> { required(instant(obj, "at")?, "at") };
    let change = match verb {
        "expire" => {
            only(obj, "an expire event", &["expire", "at"])?;
            Change::Expire { code, at: at()? }
        }
        "reactivate" => {
            only(obj, "a reactivate event", &["reactivate", "at"])?;
            Change::Reactivate { code, at: at()? }
        }
        "transfer" => {
            only(obj, "a transfer event", &["transfer", "to", "at"])?;
            let to = PartnerId(required(uint(obj, "to")?, "to")?);
            Change::Transfer {
                code,
                to,
                at: at()?,
            }
        }
        "set_credit" => {
            only(obj, "a set_credit event", &["set_credit", "credit", "at"])?;
            let credit = credit_policy(required(string(obj, "credit")?, "credit")?)?;
            Change::SetCredit {
                code,
                credit,
                at: at()?,
            }
        }
        "set_window" => {
            only(
                obj,
                "a set_window event",
                &["set_window", "starts_at", "ends_at"],
            )?;
            let window = Window {
                from: instant(obj, "starts_at")?,
                until: instant(obj, "ends_at")?,
            };
            Change::SetWindow { code, window }
        }
        _ => {
            only(obj, "a remove event", &["remove", "now"])?;
            let now = required(instant(obj, "now")?, "now")?;
            Change::Remove { code, now }
        }
    };
    Ok(change)
}

fn credit_policy(word: &str) -> Result<CreditPolicy, String> {
    named(word)
}

/// A value of one of the crate's closed sets, by its stable name.
fn named<T: std::str::FromStr<Err = promo_attribution::Error>>(word: &str) -> Result<T, String> {
    word.parse()
        .map_err(|e: promo_attribution::Error| e.to_string())
}

fn run_case(value: &Value) -> Result<(), String> {
    let case = object(value, "a case")?;
    only(
        case,
        "the case",
        &[
            "name",
            "note",
            "settings",
            "contracts",
            "codes",
            "events",
            "exception_lists",
            "conversion",
            "changes",
            "expect",
        ],
    )?;
    let expect = object(required(case.get("expect"), "expect")?, "expect")?;
    only(
        expect,
        "expect",
        &[
            "outcome", "partner", "via", "code", "reason", "entered", "error", "payout", "changes",
        ],
    )?;
    let built = match build(case)? {
        Ok(built) => built,
        Err(kind) => {
            let got = format!("registry_error {kind}");
            let wanted = match string(expect, "outcome")? {
                Some("registry_error") => {
                    format!(
                        "registry_error {}",
                        required(string(expect, "error")?, "error")?
                    )
                }
                _ => describe_expected(expect)?,
            };
            return compare(&wanted, &got);
        }
    };

    let conv = object(
        required(case.get("conversion"), "conversion")?,
        "conversion",
    )?;
    only(conv, "conversion", &["at", "codes", "clicks", "amount"])?;
    let at = required(instant(conv, "at")?, "at")?;
    let texts = array(conv, "codes")?
        .iter()
        .map(|v| v.as_str().ok_or("an entered code is not a string"))
        .collect::<Result<Vec<&str>, _>>()?;
    let mut clicks = Vec::new();
    for value in array(conv, "clicks")? {
        let obj = object(value, "a click")?;
        only(obj, "a click", &["partner", "at"])?;
        clicks.push(Click::new(
            PartnerId(required(uint(obj, "partner")?, "partner")?),
            required(instant(obj, "at")?, "at")?,
        ));
    }
    let amount = uint(conv, "amount")?.unwrap_or(0);
    let conversion = Conversion::new(at)
        .codes(&texts)
        .clicks(&clicks)
        .amount(amount);
    let decision = built.compiled.attribute(&conversion);
    // The batch path decides as `attribute` does: the order, many times over so that it goes
    // through every stage of the batch's pipeline.
    for attribution in built.compiled.attribute_batch(&[conversion; 40]) {
        if attribution != decision.attribution() {
            return Err(format!(
                "attribute_batch gave {attribution:?}, attribute {:?}",
                decision.attribution()
            ));
        }
    }
    let [trusted, validated] = read_back(&built.registry)?;
    for (path, engine) in [
        ("the engine refreshed step by step", &built.refreshed),
        ("the snapshot read back", &trusted),
        ("the snapshot read back and validated", &validated),
    ] {
        let other = engine.attribute(&conversion);
        if other != decision {
            return Err(format!(
                "{path} decides {}, a fresh compile {}",
                describe(&other),
                describe(&decision)
            ));
        }
    }

    compare(&describe_expected(expect)?, &describe(&decision))?;
    if let Some(payout) = uint(expect, "payout")? {
        compare(
            &format!("payout {payout}"),
            &format!("payout {}", decision.payout()),
        )?;
    }
    if let Some(entered) = expect.get("entered") {
        let wanted = entered
            .as_array()
            .ok_or("\"entered\" is not an array")?
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or("an entered hit is not a string")
            })
            .collect::<Result<Vec<_>, _>>()?
            .join(", ");
        let got = decision
            .entered()
            .iter()
            .map(hit)
            .collect::<Vec<_>>()
            .join(", ");
        compare(&format!("entered [{wanted}]"), &format!("entered [{got}]"))?;
    }
    let changes = match case.get("changes") {
        Some(value) => value
            .as_array()
            .ok_or("\"changes\" is not an array")?
            .iter()
            .map(order_change)
            .collect::<Result<Vec<_>, _>>()?,
        None => Vec::new(),
    };
    match expect.get("changes") {
        Some(wanted) => {
            let wanted = wanted
                .as_array()
                .ok_or("\"expect.changes\" is not an array")?
                .iter()
                .map(expected_change)
                .collect::<Result<Vec<_>, _>>()?
                .join("; ");
            let judged = decision.action().judge(&changes);
            let got = judged
                .results()
                .iter()
                .map(change_result)
                .collect::<Vec<_>>()
                .join("; ");
            compare(&format!("changes [{wanted}]"), &format!("changes [{got}]"))?;
        }
        None if !changes.is_empty() => return Err("changes without expect.changes".to_owned()),
        None => {}
    }
    Ok(())
}

/// `{"at": t, "refund": A}`, `{"at": t, "restate": A}` or `{"at": t, "cancel": REASON}`.
fn order_change(value: &Value) -> Result<OrderChange, String> {
    let obj = object(value, "a change")?;
    only(obj, "a change", &["at", "refund", "restate", "cancel"])?;
    let at = required(instant(obj, "at")?, "at")?;
    let kinds: Vec<&String> = obj.keys().filter(|k| *k != "at").collect();
    let [kind] = kinds[..] else {
        return Err(format!("a change needs exactly one kind, got {kinds:?}"));
    };
    let (amount, reason) = match &obj[kind.as_str()] {
        Value::String(reason) => (None, Some(reason.as_str())),
        Value::Number(n) => (Some(n.as_i64().ok_or("an amount is not an integer")?), None),
        other => return Err(format!("{kind} is {other}")),
    };
    OrderChange::from_words(at, kind, amount, reason).map_err(|e| e.to_string())
}

/// An expected change result, in the words of [`change_result`].
fn expected_change(value: &Value) -> Result<String, String> {
    let obj = object(value, "an expected change")?;
    if let Some(reason) = string(obj, "rejected")? {
        only(obj, "an expected change", &["rejected"])?;
        return Ok(format!("rejected {reason}"));
    }
    only(
        obj,
        "an expected change",
        &["amount", "payout", "delta", "state", "reason", "after_lock"],
    )?;
    let delta = obj
        .get("delta")
        .and_then(Value::as_i64)
        .ok_or("\"delta\" is missing or not an integer")?;
    Ok(format!(
        "amount {} payout {} delta {delta} {}{}{}",
        required(uint(obj, "amount")?, "amount")?,
        required(uint(obj, "payout")?, "payout")?,
        required(string(obj, "state")?, "state")?,
        string(obj, "reason")?
            .map(|r| format!(" reason {r}"))
            .unwrap_or_default(),
        if boolean(obj, "after_lock")?.unwrap_or(false) {
            " after_lock"
        } else {
            ""
        },
    ))
}

fn change_result(result: &ChangeResult) -> String {
    match result {
        ChangeResult::Accepted(a) => format!(
            "amount {} payout {} delta {} {}{}{}",
            a.amount,
            a.payout,
            a.delta,
            a.state.as_str(),
            a.reversal
                .map(|r| format!(" reason {}", r.as_str()))
                .unwrap_or_default(),
            if a.after_lock { " after_lock" } else { "" },
        ),
        ChangeResult::Rejected(why) => format!("rejected {}", why.as_str()),
        other => format!("{other:?}"),
    }
}

fn compare(wanted: &str, got: &str) -> Result<(), String> {
    if wanted == got {
        Ok(())
    } else {
        Err(format!("expected {wanted}, got {got}"))
    }
}

fn describe_expected(expect: &Obj) -> Result<String, String> {
    let partner = || -> Result<u64, String> { required(uint(expect, "partner")?, "partner") };
    Ok(match required(string(expect, "outcome")?, "outcome")? {
        "credited" => match required(string(expect, "via")?, "via")? {
            "code" => format!(
                "credited partner {} via code {}",
                partner()?,
                required(uint(expect, "code")?, "code")?
            ),
            "click" => format!("credited partner {} via click", partner()?),
            other => return Err(format!("unknown via {other:?}")),
        },
        "invalid" => format!(
            "invalid partner {} reason {}",
            partner()?,
            required(string(expect, "reason")?, "reason")?
        ),
        "unattributed" => "unattributed".to_owned(),
        "registry_error" => format!(
            "registry_error {}",
            required(string(expect, "error")?, "error")?
        ),
        other => return Err(format!("unknown outcome {other:?}")),
    })
}

fn describe(decision: &Decision) -> String {
    match decision.outcome() {
        Outcome::Credited {
            partner,
            via: Via::Code(code),
        } => format!("credited partner {partner} via code {code}"),
        Outcome::Credited {
            partner,
            via: Via::Click,
        } => format!("credited partner {partner} via click"),
        Outcome::Invalid { partner, reason } => {
            format!("invalid partner {partner} reason {}", reason.as_str())
        }
        Outcome::Unattributed => "unattributed".to_owned(),
        other => format!("{other:?}"),
    }
}

fn hit(hit: &CodeHit) -> String {
    match *hit {
        CodeHit::Empty => "empty".to_owned(),
        CodeHit::TooLong => "too_long".to_owned(),
        CodeHit::Restricted(id) => format!("restricted:{id}"),
        CodeHit::Matched(id) => format!("matched:{id}"),
        CodeHit::Inactive { code, state } => format!("inactive:{code}:{}", state.as_str()),
        CodeHit::Unknown => "unknown".to_owned(),
        CodeHit::NotJudged => "not_judged".to_owned(),
        other => format!("{other:?}"),
    }
}
