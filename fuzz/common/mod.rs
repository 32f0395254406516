//! What the targets share: registries and orders built from `arbitrary` input over small
//! alphabets, so that codes collide, overlap and shadow each other as often as they can.

use arbitrary::Arbitrary;
use promo_attribution::settings::{
    AlwaysOwnerClicks, ClickWinner, CodeTracking, Contracts, RegexAnchoring, UnmetPolicy,
};
use promo_attribution::{
    Change, Click, Code, CodeId, Contract, Conversion, CreditPolicy, ExceptionList, PartnerId,
    Payout, Registry, Settings, Timestamp, Window,
};

pub const TEXTS: &[&str] = &[
    "A", "B", "AB", "ab", "BA", "É", "é", "AÉ", "ABA", " ab ", "Σ", "ς",
];
pub const ATOMS: &[&str] = &[
    "A", "B", "AB", "É", "-", "1", "[AB]", "[^A]", r"\d", r"\w", ".", "(?i:a)", "(?i:é)", r"\b",
    "^", "$",
];
pub const QUANTIFIERS: &[&str] = &["", "", "?", "*", "+", "{2}", "{1,3}"];
pub const ENTERED: &[&str] = &[
    "A",
    "a",
    "B",
    "AB",
    "ab",
    "aB",
    "BA",
    "ABA",
    "É",
    "é",
    "AÉ",
    "BB",
    "XA",
    "  A ",
    "",
    "1",
    "A-1",
    "σ",
    "Σ",
    "ς",
    "AAAAAAAAAAAAAAAAAAAAAAAAAB",
];

/// A pattern: a few atoms, each maybe quantified.
#[derive(Arbitrary, Debug, Clone)]
pub struct PatternSpec(Vec<(u8, u8)>);

impl PatternSpec {
    pub fn text(&self) -> String {
        let mut out = String::new();
        for &(atom, quantifier) in self.0.iter().take(6) {
            let atom = ATOMS[atom as usize % ATOMS.len()];
            out.push_str(atom);
            if !matches!(atom, r"\b" | "^" | "$") {
                out.push_str(QUANTIFIERS[quantifier as usize % QUANTIFIERS.len()]);
            }
        }
        out
    }
}

#[derive(Arbitrary, Debug, Clone)]
pub enum CodeSpec {
    Exact {
        text: u8,
        owner: u8,
        policy: u8,
    },
    Regex {
        pattern: PatternSpec,
        owner: u8,
        policy: u8,
        priority: i8,
    },
    Restricted {
        text: u8,
    },
}

#[derive(Arbitrary, Debug, Clone)]
pub enum ChangeSpec {
    Expire(u8, u8),
    Reactivate(u8, u8),
    Transfer(u8, u8, u8),
    Remove(u8, u8),
    SetWindow(u8, Option<u8>, Option<u8>),
    SetCredit(u8, u8, u8),
}

/// A payout: a fixed amount or basis points, small enough that amounts stay readable.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum PayoutSpec {
    Fixed(u8),
    PercentBps(u16),
}

impl PayoutSpec {
    pub fn payout(self) -> Payout {
        match self {
            PayoutSpec::Fixed(cents) => Payout::Fixed(u64::from(cents) * 25),
            PayoutSpec::PercentBps(bps) => Payout::PercentBps(u32::from(bps % 12_000)),
        }
    }
}

/// Match expressions with one capture group each, over the entered texts' alphabet.
pub const EXPRESSIONS: &[&str] = &["^([AB]+)-", "(A)", "^(.*)$", "([ÉA]B?)", "(?i)^(a)"];

/// An exception list: codes named among the texts, maybe through an expression.
#[derive(Arbitrary, Debug, Clone)]
pub struct ListSpec {
    pub codes: Vec<u8>,
    pub expression: Option<u8>,
    pub payout: PayoutSpec,
}

impl ListSpec {
    pub fn list(&self, name: usize) -> ExceptionList {
        let codes = self
            .codes
            .iter()
            .take(4)
            .map(|&c| TEXTS[c as usize % TEXTS.len()]);
        let mut list =
            ExceptionList::new(format!("list {name}"), self.payout.payout()).codes(codes);
        if let Some(e) = self.expression {
            list = list.match_expression(EXPRESSIONS[e as usize % EXPRESSIONS.len()]);
        }
        list
    }
}

#[derive(Arbitrary, Debug, Clone)]
pub struct ProgramSpec {
    pub settings: u16,
    pub codes: Vec<(CodeSpec, Option<u8>, Option<u8>)>,
    pub changes: Vec<ChangeSpec>,
    pub contracts: Vec<(u8, Option<u8>, Option<u8>)>,
}

#[derive(Arbitrary, Debug, Clone)]
pub struct OrderSpec {
    pub at: u8,
    pub codes: Vec<u8>,
    pub clicks: Vec<(u8, u8)>,
    pub amount: u32,
}

pub fn instant(step: u8) -> Timestamp {
    Timestamp::from_unix_seconds(i64::from(step % 12) * 10)
}

fn policy(p: u8) -> CreditPolicy {
    CreditPolicy::ALL[p as usize % CreditPolicy::ALL.len()]
}

pub fn partner(p: u8) -> PartnerId {
    PartnerId(u64::from(p % 4) + 1)
}

pub fn window(from: Option<u8>, until: Option<u8>) -> Window {
    Window {
        from: from.map(instant),
        until: until.map(instant),
    }
}

pub fn settings(bits: u16) -> Settings {
    let mut s = Settings::default();
    let pick = |shift: u16, n: u16| usize::from((bits >> shift) % n);
    // Mostly enabled: a disabled program exercises little.
    s.tracking = [
        CodeTracking::Enabled,
        CodeTracking::Enabled,
        CodeTracking::Disabled,
    ][pick(0, 3)];
    s.unmet_policy = [UnmetPolicy::Invalidate, UnmetPolicy::FallBackToClicks][pick(2, 2)];
    s.click_winner = [ClickWinner::LastClick, ClickWinner::FirstClick][pick(3, 2)];
    s.always_owner_clicks = [AlwaysOwnerClicks::Count, AlwaysOwnerClicks::Ignore][pick(4, 2)];
    s.contracts = [Contracts::Optional, Contracts::Required][pick(5, 2)];
    s.regex_anchoring = [RegexAnchoring::WholeCode, RegexAnchoring::Search][pick(6, 2)];
    s.lookback = std::time::Duration::from_secs(u64::from((bits >> 7) % 8) * 15);
    // Mostly the defaults, which no order here reaches; sometimes limits that bite.
    s.max_entered_codes = [s.max_entered_codes, s.max_entered_codes, 1, 2][pick(10, 4)];
    s.max_other_matches = [s.max_other_matches, s.max_other_matches, 0, 1][pick(12, 4)];
    s
}

pub fn code(id: u64, spec: &CodeSpec, w: Window) -> Code {
    match spec {
        CodeSpec::Exact {
            text,
            owner,
            policy: p,
        } => Code::tracking(
            CodeId(id),
            TEXTS[*text as usize % TEXTS.len()],
            partner(*owner),
        )
        .credit(policy(*p))
        .window(w)
        .into(),
        CodeSpec::Regex {
            pattern,
            owner,
            policy: p,
            priority,
        } => Code::tracking(CodeId(id), pattern.text(), partner(*owner))
            .regex()
            .credit(policy(*p))
            .priority(i32::from(*priority % 3))
            .window(w)
            .into(),
        CodeSpec::Restricted { text } => {
            Code::restricted(CodeId(id), TEXTS[*text as usize % TEXTS.len()])
                .window(w)
                .into()
        }
    }
}

/// The registry, with what it accepted (rejections are fine: the reference mirrors what the
/// registry holds), and its contracts.
pub fn build(program: &ProgramSpec) -> (Registry, Vec<(PartnerId, Window)>) {
    let mut registry = Registry::new(settings(program.settings));
    for (id, (spec, from, until)) in program.codes.iter().take(12).enumerate() {
        let _ = registry.add(code(id as u64, spec, window(*from, *until)));
    }
    let n = program.codes.len().max(1) as u64;
    for spec in program.changes.iter().take(8) {
        let _ = registry.apply([change(spec, n)]);
    }
    for &(p, from, until) in program.contracts.iter().take(3) {
        let _ = registry.set_contract(partner(p), window(from, until));
    }
    let contracts = registry
        .contracts()
        .map(|(partner, contract)| (partner, contract.window))
        .collect();
    (registry, contracts)
}

/// The change a spec names, over codes `0..n`.
pub fn change(spec: &ChangeSpec, n: u64) -> Change {
    let id = |c: u8| CodeId(u64::from(c) % n.max(1));
    match *spec {
        ChangeSpec::Expire(c, at) => Change::Expire {
            code: id(c),
            at: instant(at),
        },
        ChangeSpec::Reactivate(c, at) => Change::Reactivate {
            code: id(c),
            at: instant(at),
        },
        ChangeSpec::Transfer(c, to, at) => Change::Transfer {
            code: id(c),
            to: partner(to),
            at: instant(at),
        },
        ChangeSpec::Remove(c, at) => Change::Remove {
            code: id(c),
            now: instant(at),
        },
        ChangeSpec::SetWindow(c, from, until) => Change::SetWindow {
            code: id(c),
            window: window(from, until),
        },
        ChangeSpec::SetCredit(c, p, at) => Change::SetCredit {
            code: id(c),
            credit: policy(p),
            at: instant(at),
        },
    }
}

pub fn entered(order: &OrderSpec) -> Vec<&'static str> {
    order
        .codes
        .iter()
        .take(4)
        .map(|&c| ENTERED[c as usize % ENTERED.len()])
        .collect()
}

pub fn clicks(order: &OrderSpec) -> Vec<Click> {
    order
        .clicks
        .iter()
        .take(6)
        .map(|&(p, at)| Click::new(partner(p), instant(at)))
        .collect()
}

pub fn conversion<'a>(
    order: &OrderSpec,
    codes: &'a [&'a str],
    clicks: &'a [Click],
) -> Conversion<'a> {
    Conversion::new(instant(order.at))
        .codes(codes)
        .clicks(clicks)
        .amount(u64::from(order.amount))
}

/// A contract over a window, maybe with its own rate.
pub fn contract(from: Option<u8>, until: Option<u8>, payout: Option<PayoutSpec>) -> Contract {
    let mut contract = Contract::new(window(from, until));
    contract.payout = payout.map(PayoutSpec::payout);
    contract
}
