//! Reports over attributed conversions: performance by promo code and by partner, and the flat
//! action listing.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::engine::Engine;
use crate::model::{
    ActionState, CodeHit, CodeId, Conversion, Decision, InvalidReason, Outcome, PartnerId,
    Reversal, Settled, Timestamp, Via, neutralise,
};

/// The code a conversion counts under in a [`PerformanceReport`].
fn bucket_code(decision: &Decision) -> Option<CodeId> {
    decision.code().or_else(|| {
        decision.entered().iter().find_map(|hit| match *hit {
            CodeHit::Restricted(id) | CodeHit::Matched(id) | CodeHit::Inactive { code: id, .. } => {
                Some(id)
            }
            _ => None,
        })
    })
}

/// The totals of one bucket of a [`PerformanceReport`]: one code, one partner, or the
/// conversions without either. Sums saturate at `u64::MAX` rather than wrap, which keeps
/// [`merge`](PerformanceReport::merge) associative and commutative.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Stats {
    /// Conversions counted: credited, invalid and unattributed alike.
    pub actions: u64,
    /// Of them, credited (payable).
    pub credited: u64,
    /// The order amounts of every action counted, in minor units: net of refunds and
    /// restatements for actions counted with their changes, and 0 for a reversed action.
    pub revenue: u64,
    /// The payouts, in minor units (invalid and unattributed actions pay 0), net of changes.
    pub payout: u64,
    invalid: [u64; REASONS],
    /// Of the actions counted with their changes, those locked at the report's instant and
    /// not reversed.
    #[cfg_attr(feature = "serde", serde(default))]
    pub locked: u64,
    #[cfg_attr(feature = "serde", serde(default))]
    reversed: [u64; REVERSALS],
}

const REASONS: usize = 3;
const REVERSALS: usize = Reversal::ALL.len();

fn reason_index(reason: InvalidReason) -> usize {
    match reason {
        InvalidReason::CodeOwnedByOtherPartner => 0,
        InvalidReason::RestrictedCode => 1,
        InvalidReason::PartnerNotActive => 2,
    }
}

impl Stats {
    /// Invalid actions for this reason.
    pub fn invalid(&self, reason: InvalidReason) -> u64 {
        self.invalid[reason_index(reason)]
    }

    /// Invalid actions, every reason together.
    pub fn invalid_total(&self) -> u64 {
        self.invalid.iter().fold(0, |sum, n| sum.saturating_add(*n))
    }

    /// The invalid share of the actions, from 0 to 1; 0 when there is none.
    pub fn invalid_share(&self) -> f64 {
        if self.actions == 0 {
            0.0
        } else {
            // Counts far below 2^53 in practice: the ratio is for display.
            self.invalid_total() as f64 / self.actions as f64
        }
    }

    /// Reversed actions for this reason.
    pub fn reversed(&self, reversal: Reversal) -> u64 {
        self.reversed[reversal.index()]
    }

    /// Reversed actions, every reason together.
    pub fn reversed_total(&self) -> u64 {
        self.reversed
            .iter()
            .fold(0, |sum, n| sum.saturating_add(*n))
    }

    fn record(&mut self, counted: &Counted, decision: &Decision) {
        self.actions = self.actions.saturating_add(1);
        self.revenue = self.revenue.saturating_add(counted.revenue);
        self.payout = self.payout.saturating_add(counted.payout);
        if counted.locked {
            self.locked = self.locked.saturating_add(1);
        }
        if let Some(reversal) = counted.reversal {
            let count = &mut self.reversed[reversal.index()];
            *count = count.saturating_add(1);
        }
        match decision.outcome() {
            Outcome::Credited { .. } => self.credited = self.credited.saturating_add(1),
            Outcome::Invalid { reason, .. } => {
                let count = &mut self.invalid[reason_index(reason)];
                *count = count.saturating_add(1);
            }
            Outcome::Unattributed => {}
        }
    }

    /// Adds another bucket's totals to this one.
    pub fn merge(&mut self, other: &Stats) {
        self.actions = self.actions.saturating_add(other.actions);
        self.credited = self.credited.saturating_add(other.credited);
        self.revenue = self.revenue.saturating_add(other.revenue);
        self.payout = self.payout.saturating_add(other.payout);
        for (mine, theirs) in self.invalid.iter_mut().zip(other.invalid) {
            *mine = mine.saturating_add(theirs);
        }
        self.locked = self.locked.saturating_add(other.locked);
        for (mine, theirs) in self.reversed.iter_mut().zip(other.reversed) {
            *mine = mine.saturating_add(theirs);
        }
    }
}

/// What one action adds to a bucket.
struct Counted {
    revenue: u64,
    payout: u64,
    /// Locked at the report's instant and not reversed (only when counted with its changes).
    locked: bool,
    reversal: Option<Reversal>,
}

/// Performance by promo code and by partner (the reference's "Performance by Promo Code"
/// report), fed one attributed conversion at a time.
///
/// A conversion counts once under a code and once under a partner. Its code is the one its
/// decision turned on ([`Decision::code`]: the credited code, also when the sale was then
/// invalidated, or the code owned by another partner); else the first entered code that hit a
/// registered code at all — a restricted code, an expired one, one whose owner was not credited
/// — so that `STAFF50` and last season's codes show up by name; else the *no promo code*
/// bucket. Its partner is the one credited or invalidated, or none (unattributed).
///
/// Reports **merge**: `merge` is associative and commutative, so a host can build one per
/// shard, per thread or per day and combine them in any grouping and any order — the same
/// totals come out as from one report fed everything.
///
/// ```
/// use promo_attribution::{
///     Code, CodeId, Conversion, PartnerId, Payout, Registry, Settings, Timestamp,
/// };
/// use promo_attribution::reports::PerformanceReport;
///
/// let mut settings = Settings::default();
/// settings.payout = Payout::PercentBps(1_000);
/// let mut registry = Registry::new(settings);
/// registry.add(Code::tracking(CodeId(10), "SAVE10", PartnerId(1)))?;
/// let engine = registry.compile()?;
///
/// let at: Timestamp = "2026-03-10T12:00:00Z".parse()?;
/// let day = |orders: &[&[&str]]| {
///     let mut report = PerformanceReport::new();
///     for codes in orders {
///         let order = Conversion::new(at).codes(*codes).amount(5_000);
///         report.add(&order, &engine.attribute(&order));
///     }
///     report
/// };
/// let mut monday = day(&[&["SAVE10"]]);
/// let tuesday = day(&[&["save10"], &[]]);
/// monday.merge(&tuesday);
/// let save10 = monday.code(CodeId(10)).copied().unwrap_or_default();
/// assert_eq!((save10.actions, save10.revenue, save10.payout), (2, 10_000, 1_000));
/// assert_eq!(monday.no_code().actions, 1);
/// assert_eq!(monday.total(false).actions, 2);
/// assert_eq!(monday.total(true).actions, 3);
/// # Ok::<(), promo_attribution::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PerformanceReport {
    codes: HashMap<CodeId, Stats>,
    no_code: Stats,
    partners: HashMap<PartnerId, Stats>,
    unattributed: Stats,
}

impl PerformanceReport {
    /// An empty report.
    pub fn new() -> PerformanceReport {
        PerformanceReport::default()
    }

    /// Counts one conversion with the decision [`Engine::attribute`] gave it, as decided.
    pub fn add(&mut self, conversion: &Conversion<'_>, decision: &Decision) {
        let counted = Counted {
            revenue: conversion.amount,
            payout: decision.payout(),
            locked: false,
            reversal: None,
        };
        self.count(&counted, decision);
    }

    /// Counts one decision with where its changes left it
    /// ([`Judgement::settled`](crate::actions::Judgement::settled)), as of the instant `now`:
    /// revenue and payout net of the changes (a reversed action counts no revenue and pays
    /// nothing), the reversal by its reason, and whether the action is locked at `now`.
    ///
    /// ```
    /// use promo_attribution::actions::{CancelReason, OrderChange, Reversal};
    /// use promo_attribution::{Code, CodeId, Conversion, PartnerId, Payout, Registry, Settings};
    /// use promo_attribution::reports::PerformanceReport;
    ///
    /// let mut settings = Settings::default();
    /// settings.payout = Payout::PercentBps(1_000);
    /// let mut registry = Registry::new(settings);
    /// registry.add(Code::tracking(CodeId(10), "SAVE10", PartnerId(1)))?;
    /// let engine = registry.compile()?;
    ///
    /// let mut report = PerformanceReport::new();
    /// let at = "2026-03-10T12:00:00Z".parse()?;
    /// let later = "2026-03-20T12:00:00Z".parse()?;
    /// for changes in [vec![], vec![OrderChange::refund(later, 4_000)],
    ///                 vec![OrderChange::cancel(later, CancelReason::Fraud)]] {
    ///     let order = Conversion::new(at).codes(&["SAVE10"]).amount(10_000);
    ///     let decision = engine.attribute(&order);
    ///     let settled = decision.action().judge(&changes).settled();
    ///     report.add_settled(&decision, &settled, later);
    /// }
    /// let save10 = report.code(CodeId(10)).copied().unwrap_or_default();
    /// assert_eq!((save10.actions, save10.revenue, save10.payout), (3, 16_000, 1_600));
    /// assert_eq!(save10.reversed(Reversal::Cancelled(CancelReason::Fraud)), 1);
    /// # Ok::<(), promo_attribution::Error>(())
    /// ```
    pub fn add_settled(&mut self, decision: &Decision, settled: &Settled, now: Timestamp) {
        let counted = Counted {
            revenue: match settled.reversal() {
                Some(_) => 0,
                None => settled.amount(),
            },
            payout: settled.payout(),
            locked: settled.state_at(now) == ActionState::Locked,
            reversal: settled.reversal(),
        };
        self.count(&counted, decision);
    }

    fn count(&mut self, counted: &Counted, decision: &Decision) {
        match bucket_code(decision) {
            Some(code) => self.codes.entry(code).or_default(),
            None => &mut self.no_code,
        }
        .record(counted, decision);
        match decision.outcome().partner() {
            Some(partner) => self.partners.entry(partner).or_default(),
            None => &mut self.unattributed,
        }
        .record(counted, decision);
    }

    /// Adds everything `other` counted to this report.
    pub fn merge(&mut self, other: &PerformanceReport) {
        for (code, stats) in &other.codes {
            self.codes.entry(*code).or_default().merge(stats);
        }
        self.no_code.merge(&other.no_code);
        for (partner, stats) in &other.partners {
            self.partners.entry(*partner).or_default().merge(stats);
        }
        self.unattributed.merge(&other.unattributed);
    }

    /// The totals of one code, if any conversion counted under it.
    pub fn code(&self, id: CodeId) -> Option<&Stats> {
        self.codes.get(&id)
    }

    /// The conversions that entered no registered code.
    pub fn no_code(&self) -> &Stats {
        &self.no_code
    }

    /// The totals of one partner, if any conversion was credited or invalidated for it.
    pub fn partner(&self, id: PartnerId) -> Option<&Stats> {
        self.partners.get(&id)
    }

    /// The conversions attributed to no partner.
    pub fn unattributed(&self) -> &Stats {
        &self.unattributed
    }

    /// Every code's totals, most actions first (then by id), with the *no promo code* bucket as
    /// `None` when `include_no_code` is set and it holds anything (after the codes with as many
    /// actions).
    pub fn by_code(&self, include_no_code: bool) -> Vec<(Option<CodeId>, Stats)> {
        let mut rows: Vec<(Option<CodeId>, Stats)> =
            self.codes.iter().map(|(id, s)| (Some(*id), *s)).collect();
        if include_no_code && self.no_code.actions > 0 {
            rows.push((None, self.no_code));
        }
        // Among equals, codes by id, then the no-code bucket.
        rows.sort_by_key(|(id, stats)| (std::cmp::Reverse(stats.actions), id.is_none(), *id));
        rows
    }

    /// Every partner's totals, most actions first (then by id).
    pub fn by_partner(&self) -> Vec<(PartnerId, Stats)> {
        let mut rows: Vec<(PartnerId, Stats)> =
            self.partners.iter().map(|(id, s)| (*id, *s)).collect();
        rows.sort_by(|a, b| b.1.actions.cmp(&a.1.actions).then(a.0.cmp(&b.0)));
        rows
    }

    /// The totals over every code, with or without the *no promo code* bucket.
    pub fn total(&self, include_no_code: bool) -> Stats {
        let mut total = Stats::default();
        for stats in self.codes.values() {
            total.merge(stats);
        }
        if include_no_code {
            total.merge(&self.no_code);
        }
        total
    }
}

/// One flat row per attributed conversion (the reference's action listing): what a host writes
/// to its database or to a CSV file.
///
/// [`fields`](ActionRow::fields) renders it as text in the order of [`ActionRow::HEADER`].
///
/// ```
/// use promo_attribution::{Code, CodeId, Conversion, PartnerId, Registry, Timestamp};
/// use promo_attribution::reports::ActionRow;
///
/// let mut registry = Registry::default();
/// registry.add(Code::tracking(CodeId(10), "SAVE10", PartnerId(1)))?;
/// let engine = registry.compile()?;
/// let order = Conversion::new("2026-03-10T12:00:00Z".parse()?).codes(&[" save10 "]).amount(5_000);
/// let row = ActionRow::new(&engine, "order-1", &order, &engine.attribute(&order));
/// assert_eq!(
///     row.fields(),
///     ["order-1", "2026-03-10T12:00:00Z", "credited", "1", "code", "10", "SAVE10", "save10", "5000", "0",
///      "pending", ""],
/// );
/// # Ok::<(), promo_attribution::Error>(())
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ActionRow {
    /// The host's order id.
    pub order_id: String,
    /// When the order was placed.
    pub at: Timestamp,
    /// The outcome, with the partner, how it was credited or why it is invalid.
    pub outcome: Outcome,
    /// The code the decision turned on ([`Decision::code`]).
    pub code: Option<CodeId>,
    /// That code's registered text (the pattern, for a regex code).
    pub code_text: Option<String>,
    /// The entered codes, trimmed, in entry order.
    pub entered: Vec<String>,
    /// The order amount, in minor units: as ordered, or after the order's changes once
    /// [`settled`](ActionRow::settled).
    pub amount: u64,
    /// The payout, in minor units: as decided, or after the order's changes.
    pub payout: u64,
    /// The action's state: `Pending` as decided; after [`settled`](ActionRow::settled), its
    /// state at the instant given there.
    pub state: ActionState,
    /// Why the action was reversed, if it was.
    pub reversal: Option<Reversal>,
}

impl ActionRow {
    /// The column names of [`fields`](ActionRow::fields).
    pub const HEADER: [&'static str; 12] = [
        "order_id",
        "at",
        "outcome",
        "partner",
        "reason",
        "code_id",
        "code",
        "entered_codes",
        "amount",
        "payout",
        "state",
        "reversal",
    ];

    /// The row of one conversion; `engine` is the one that decided, for the code's text.
    pub fn new(
        engine: &Engine,
        order_id: impl Into<String>,
        conversion: &Conversion<'_>,
        decision: &Decision,
    ) -> ActionRow {
        let code = decision.code();
        ActionRow {
            order_id: order_id.into(),
            at: conversion.at,
            outcome: decision.outcome(),
            code,
            code_text: code
                .and_then(|id| engine.code(id))
                .map(|c| c.text().to_owned()),
            entered: conversion
                .codes
                .iter()
                .map(|c| c.trim().to_owned())
                .collect(),
            amount: conversion.amount,
            payout: decision.payout(),
            state: ActionState::Pending,
            reversal: None,
        }
    }

    /// The row after the order's changes: the amount and payout they left
    /// ([`Judgement::settled`](crate::actions::Judgement::settled)), the reversal, and the
    /// state at `now`.
    ///
    /// ```
    /// use promo_attribution::actions::OrderChange;
    /// use promo_attribution::{Code, CodeId, Conversion, PartnerId, Registry};
    /// use promo_attribution::reports::ActionRow;
    ///
    /// let mut registry = Registry::default();
    /// registry.add(Code::tracking(CodeId(10), "SAVE10", PartnerId(1)))?;
    /// let engine = registry.compile()?;
    /// let order = Conversion::new("2026-03-10T12:00:00Z".parse()?).codes(&["SAVE10"]).amount(5_000);
    /// let decision = engine.attribute(&order);
    /// let refund = OrderChange::refund("2026-03-11T08:00:00Z".parse()?, 5_000);
    /// let settled = decision.action().judge(&[refund]).settled();
    /// let row = ActionRow::new(&engine, "order-1", &order, &decision)
    ///     .settled(&settled, "2026-03-12T00:00:00Z".parse()?);
    /// assert_eq!(row.fields()[8..], ["0", "0", "reversed", "refunded"]);
    /// # Ok::<(), promo_attribution::Error>(())
    /// ```
    #[must_use]
    pub fn settled(mut self, settled: &Settled, now: Timestamp) -> ActionRow {
        self.amount = settled.amount();
        self.payout = settled.payout();
        self.state = settled.state_at(now);
        self.reversal = settled.reversal();
        self
    }

    /// The row as text, column by column, ready for a CSV writer: the outcome as `credited`,
    /// `invalid` or `unattributed`; the reason as `code` or `click` for a credit and the
    /// snake_case [`InvalidReason`] otherwise; absent values empty.
    ///
    /// The entered codes are joined with `|`, each with `\` and `|` escaped by a `\`: two
    /// codes `SAVE10` and `STAFF50` give `SAVE10|STAFF50`, the one code `SAVE10|STAFF50` gives
    /// `SAVE10\|STAFF50`. Shoppers type these, so a field that a spreadsheet would run as a
    /// formula (one that starts with `=`, `+`, `-`, `@`, a tab or a carriage return) is
    /// written after a `'`, which spreadsheets read as "text follows": `=HYPERLINK(…)` gives
    /// `'=HYPERLINK(…)`. A field that starts with `'` and then one of those gets one more
    /// `'`, so taking one off always gives the value back.
    ///
    /// ```
    /// # use promo_attribution::reports::ActionRow;
    /// # use promo_attribution::{Conversion, Registry};
    /// # let engine = Registry::default().compile()?;
    /// let order = Conversion::new("2026-03-10T12:00:00Z".parse()?)
    ///     .codes(&["=HYPERLINK(\"http://x\")", "A|B"]);
    /// let row = ActionRow::new(&engine, "order-1", &order, &engine.attribute(&order));
    /// assert_eq!(row.fields()[7], r#"'=HYPERLINK("http://x")|A\|B"#);
    /// # Ok::<(), promo_attribution::Error>(())
    /// ```
    pub fn fields(&self) -> [String; 12] {
        let (outcome, partner, reason) = match self.outcome {
            Outcome::Credited { partner, via } => (
                "credited",
                partner.to_string(),
                match via {
                    Via::Code(_) => "code",
                    Via::Click => "click",
                },
            ),
            Outcome::Invalid { partner, reason } => {
                ("invalid", partner.to_string(), reason.as_str())
            }
            Outcome::Unattributed => ("unattributed", String::new(), ""),
        };
        let row = [
            self.order_id.clone(),
            self.at.to_string(),
            outcome.to_owned(),
            partner,
            reason.to_owned(),
            self.code.map(|c| c.to_string()).unwrap_or_default(),
            self.code_text.clone().unwrap_or_default(),
            join_entered(&self.entered),
            self.amount.to_string(),
            self.payout.to_string(),
            self.state.as_str().to_owned(),
            self.reversal
                .map(Reversal::as_str)
                .unwrap_or_default()
                .to_owned(),
        ];
        row.map(|field| match neutralise(&field) {
            Cow::Borrowed(_) => field,
            Cow::Owned(guarded) => guarded,
        })
    }
}

/// The entered codes as one field: `|` between codes, `\` before a `|` or `\` in one.
fn join_entered(entered: &[String]) -> String {
    let mut field = String::new();
    for (i, code) in entered.iter().enumerate() {
        if i > 0 {
            field.push('|');
        }
        for ch in code.chars() {
            if matches!(ch, '|' | '\\') {
                field.push('\\');
            }
            field.push(ch);
        }
    }
    field
}
