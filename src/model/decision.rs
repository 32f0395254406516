//! What comes out of [`Engine::attribute`](crate::Engine::attribute): the outcome and why.

use std::fmt;

use smallvec::SmallVec;

use super::action::{Action, PayoutRule};
use super::ids::{CodeId, PartnerId};
use super::payout::PayoutSource;
use super::settings::{Clawback, Settings};
use super::time::Timestamp;

/// The state of a code at an instant (the reference's Pending / Active / Expired).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum CodeState {
    /// Before its schedule starts.
    Pending,
    /// Inside its schedule and not manually expired.
    Active,
    /// Past its schedule's end, or manually expired.
    Expired,
}

impl CodeState {
    /// The stable snake_case name: `pending`, `active`, `expired`.
    pub fn as_str(self) -> &'static str {
        match self {
            CodeState::Pending => "pending",
            CodeState::Active => "active",
            CodeState::Expired => "expired",
        }
    }
}

/// Who gets the credit, or why nobody may be paid.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(tag = "kind", rename_all = "snake_case"))]
pub enum Outcome {
    /// `partner` is credited, through a code or a click.
    Credited {
        /// The credited partner.
        partner: PartnerId,
        /// Through what.
        via: Via,
    },
    /// `partner` drove the sale, but it must not be paid.
    Invalid {
        /// The partner who drove it.
        partner: PartnerId,
        /// Why it is not payable.
        reason: InvalidReason,
    },
    /// No partner drove the sale.
    Unattributed,
}

impl fmt::Display for Outcome {
    /// One line a person can read: `credited partner 1 via code 10`,
    /// `credited partner 2 via click`, `invalid for partner 2: restricted_code`, `unattributed`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Outcome::Credited {
                partner,
                via: Via::Code(code),
            } => write!(f, "credited partner {partner} via code {code}"),
            Outcome::Credited {
                partner,
                via: Via::Click,
            } => write!(f, "credited partner {partner} via click"),
            Outcome::Invalid { partner, reason } => {
                write!(f, "invalid for partner {partner}: {reason}")
            }
            Outcome::Unattributed => f.write_str("unattributed"),
        }
    }
}

impl Outcome {
    /// The partner credited or invalidated; `None` when unattributed.
    pub fn partner(&self) -> Option<PartnerId> {
        match *self {
            Outcome::Credited { partner, .. } | Outcome::Invalid { partner, .. } => Some(partner),
            Outcome::Unattributed => None,
        }
    }
}

/// How a credited partner earned the credit.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Via {
    /// A tracking code the partner owns.
    Code(CodeId),
    /// The winning click.
    Click,
}

/// Why a sale a partner drove must not be paid.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum InvalidReason {
    /// The click winner's order used a code assigned to another partner, whose credit policy
    /// was not met.
    CodeOwnedByOtherPartner,
    /// The order carries an active restricted code.
    RestrictedCode,
    /// The partner's contract does not cover the order's instant (or contracts are required and
    /// the partner has none).
    PartnerNotActive,
}

impl fmt::Display for InvalidReason {
    /// The stable snake_case name, as [`as_str`](InvalidReason::as_str) gives it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl InvalidReason {
    /// The stable snake_case name, as in the conformance vectors.
    pub fn as_str(self) -> &'static str {
        match self {
            InvalidReason::CodeOwnedByOtherPartner => "code_owned_by_other_partner",
            InvalidReason::RestrictedCode => "restricted_code",
            InvalidReason::PartnerNotActive => "partner_not_active",
        }
    }
}

/// What one entered code hit, by the first rule that applies, in this order.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum CodeHit {
    /// Nothing left after trimming white space.
    Empty,
    /// Longer than [`MAX_CODE_LEN`](crate::limits::MAX_CODE_LEN) bytes after trimming; not looked up.
    TooLong,
    /// Entered past the program's [`max_entered_codes`](crate::Settings::max_entered_codes):
    /// not looked up, and no part of the decision (SPEC §12).
    NotJudged,
    /// An active restricted code.
    Restricted(CodeId),
    /// The active tracking code that wins for this text (exact before regex, then priority,
    /// then registration order).
    Matched(CodeId),
    /// No active code, but this one matched and is not active at the order's instant: the
    /// tracking code the precedence rules would pick, or else a restricted code.
    Inactive {
        /// The code that matched.
        code: CodeId,
        /// Its state at the order's instant.
        state: CodeState,
    },
    /// No registered code matches.
    Unknown,
}

impl fmt::Display for CodeHit {
    /// `matched code 10`, `inactive code 11 (expired)`, `unknown`, …
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            CodeHit::Empty => f.write_str("empty"),
            CodeHit::TooLong => f.write_str("too long"),
            CodeHit::NotJudged => f.write_str("not judged"),
            CodeHit::Restricted(code) => write!(f, "restricted code {code}"),
            CodeHit::Matched(code) => write!(f, "matched code {code}"),
            CodeHit::Inactive { code, state } => {
                write!(f, "inactive code {code} ({})", state.as_str())
            }
            CodeHit::Unknown => f.write_str("unknown"),
        }
    }
}

/// A tracking code that matched an entered code but is not the one credited.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct OtherMatch {
    /// The position of the entered code in [`Conversion::codes`](crate::Conversion::codes).
    pub entered: usize,
    /// The code that matched.
    pub code: CodeId,
    /// Why it was not the one credited.
    pub why: NotChosen,
}

/// Why a matching tracking code was not the one credited.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum NotChosen {
    /// Not active at the order's instant.
    Inactive(CodeState),
    /// Another active code matched the same entered text first (exact before regex, then
    /// priority, then registration order).
    Outranked,
    /// Its credit policy was not met.
    PolicyUnmet,
    /// Its policy was met, but another entered code won: a stronger policy, or entered first.
    Superseded,
    /// The program has code tracking disabled.
    TrackingDisabled,
}

impl fmt::Display for NotChosen {
    /// `inactive (expired)`, `outranked`, `policy unmet`, `superseded`, `tracking disabled`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            NotChosen::Inactive(state) => write!(f, "inactive ({})", state.as_str()),
            NotChosen::Outranked => f.write_str("outranked"),
            NotChosen::PolicyUnmet => f.write_str("policy unmet"),
            NotChosen::Superseded => f.write_str("superseded"),
            NotChosen::TrackingDisabled => f.write_str("tracking disabled"),
        }
    }
}

/// The answer of [`Engine::attribute`](crate::Engine::attribute): the outcome and why.
///
/// Besides the [`Outcome`], it says what each entered code hit, which other codes matched and
/// why they lost, and who won on clicks alone — enough for a host to explain the decision to a
/// brand or a partner.
///
/// What one decision costs has a bound the program sets (SPEC §12): past
/// [`Settings::max_entered_codes`](crate::Settings::max_entered_codes), entered codes are not
/// judged ([`CodeHit::NotJudged`]); past
/// [`Settings::max_other_matches`](crate::Settings::max_other_matches), other matches are
/// counted, not kept ([`other_matches_left_out`](Decision::other_matches_left_out)). Below
/// both limits, nothing of this applies.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Decision {
    pub(crate) outcome: Outcome,
    pub(crate) code: Option<CodeId>,
    pub(crate) click_winner: Option<PartnerId>,
    pub(crate) entered: SmallVec<[CodeHit; 4]>,
    pub(crate) others: SmallVec<[OtherMatch; 4]>,
    pub(crate) others_left_out: usize,
    pub(crate) payout: u64,
    pub(crate) payout_rule: Option<PayoutRule>,
    /// What [`action`](Decision::action) needs besides the payout rule.
    pub(crate) at: Timestamp,
    pub(crate) amount: u64,
    pub(crate) lock_at: Option<Timestamp>,
    pub(crate) clawback: Clawback,
}

impl Decision {
    /// Who gets the credit, or why nobody may be paid.
    pub fn outcome(&self) -> Outcome {
        self.outcome
    }

    /// The tracking code the decision turned on: the credited code (also when the credit was
    /// then invalidated by a restricted code or an inactive partner), or, for
    /// [`CodeOwnedByOtherPartner`](InvalidReason::CodeOwnedByOtherPartner), the first entered
    /// code whose policy was not met. `None` for decisions made on clicks.
    pub fn code(&self) -> Option<CodeId> {
        self.code
    }

    /// The partner of the winning qualifying click, before any code was considered.
    pub fn click_winner(&self) -> Option<PartnerId> {
        self.click_winner
    }

    /// What each entered code hit, in entry order: one per entered code, those past the
    /// program's [`max_entered_codes`](crate::Settings::max_entered_codes) as
    /// [`CodeHit::NotJudged`].
    pub fn entered(&self) -> &[CodeHit] {
        &self.entered
    }

    /// Every tracking code that matched an entered code but is not the one credited, with
    /// why, in the order the rules meet them: as each entered code is resolved, in entry
    /// order, the codes it matched that were outranked or inactive (best rank first); then the
    /// matched codes whose policy was unmet or that another code superseded. At most
    /// the program's [`max_other_matches`](crate::Settings::max_other_matches) of them, the
    /// first ones in that order; [`other_matches_left_out`](Decision::other_matches_left_out)
    /// counts the rest.
    pub fn other_matches(&self) -> &[OtherMatch] {
        &self.others
    }

    /// How many other matches were found past the program's
    /// [`max_other_matches`](crate::Settings::max_other_matches) and left out of
    /// [`other_matches`](Decision::other_matches): 0 for any honest order.
    pub fn other_matches_left_out(&self) -> usize {
        self.others_left_out
    }

    /// What the sale pays the credited partner, in minor currency units; 0 when the outcome is
    /// invalid or unattributed. See [`payout_source`](Decision::payout_source) for the rule.
    pub fn payout(&self) -> u64 {
        self.payout
    }

    /// Which rule set the payout: an exception list, the partner's contract, or the program's
    /// default. `None` when nothing is paid because the outcome is not credited.
    pub fn payout_source(&self) -> Option<PayoutSource> {
        self.payout_rule.map(|rule| rule.source)
    }

    /// The rule that set the payout, with what it says (a fixed amount or a percentage): what
    /// a later refund or restatement recomputes the payout by. `None` when not credited.
    pub fn payout_rule(&self) -> Option<PayoutRule> {
        self.payout_rule
    }

    /// When the decision's action locks (the order's instant plus
    /// [`Settings::lock_after`](crate::Settings::lock_after)), if it ever does.
    pub fn lock_at(&self) -> Option<Timestamp> {
        self.lock_at
    }

    /// The action of this decision (SPEC §10): what a host stores to judge the order's
    /// refunds, restatements and cancellations later, without the engine. See
    /// [`actions`](crate::actions).
    pub fn action(&self) -> Action {
        Action {
            at: self.at,
            amount: self.amount,
            rule: self.payout_rule,
            lock_at: self.lock_at,
            clawback: self.clawback,
        }
    }
}

impl Decision {
    /// The decision without its diagnostics: what [`Engine::attribute_batch`] returns.
    ///
    /// [`Engine::attribute_batch`]: crate::Engine::attribute_batch
    pub fn attribution(&self) -> Attribution {
        Attribution {
            outcome: self.outcome,
            code: self.code,
            payout: self.payout,
            payout_rule: self.payout_rule,
        }
    }
}

/// A [`Decision`] without its diagnostics — outcome, code, payout — as
/// [`Engine::attribute_batch`](crate::Engine::attribute_batch) returns it for each order:
/// a few words, nothing on the heap. For the why of one order (what each entered code hit, the codes
/// that lost), ask [`Engine::attribute`](crate::Engine::attribute); it decides the same.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Attribution {
    pub(crate) outcome: Outcome,
    pub(crate) code: Option<CodeId>,
    pub(crate) payout: u64,
    pub(crate) payout_rule: Option<PayoutRule>,
}

impl Attribution {
    /// Nobody credited, nothing paid: where a decision starts.
    pub(crate) const UNATTRIBUTED: Attribution = Attribution {
        outcome: Outcome::Unattributed,
        code: None,
        payout: 0,
        payout_rule: None,
    };

    /// Who gets the credit, or why nobody may be paid; see [`Decision::outcome`].
    pub fn outcome(&self) -> Outcome {
        self.outcome
    }

    /// The tracking code the decision turned on; see [`Decision::code`].
    pub fn code(&self) -> Option<CodeId> {
        self.code
    }

    /// What the sale pays the credited partner; see [`Decision::payout`].
    pub fn payout(&self) -> u64 {
        self.payout
    }

    /// Which rule set the payout; see [`Decision::payout_source`].
    pub fn payout_source(&self) -> Option<PayoutSource> {
        self.payout_rule.map(|rule| rule.source)
    }

    /// The rule that set the payout; see [`Decision::payout_rule`].
    pub fn payout_rule(&self) -> Option<PayoutRule> {
        self.payout_rule
    }

    /// The action of this attribution (SPEC §10), for the order it was made for and the
    /// settings of the engine that made it: see [`Decision::action`]. The batch path leaves
    /// the order's instant and amount and the program's lock settings out of each
    /// attribution, to keep it small; this puts them back.
    pub fn action(&self, at: Timestamp, amount: u64, settings: &Settings) -> Action {
        Action {
            at,
            amount,
            rule: self.payout_rule,
            lock_at: lock_at(at, settings),
            clawback: settings.clawback,
        }
    }
}

/// When the action of an order placed at `at` locks under `settings`.
pub(crate) fn lock_at(at: Timestamp, settings: &Settings) -> Option<Timestamp> {
    settings.lock_after.map(|after| at.saturating_add(after))
}

impl fmt::Display for Attribution {
    /// As [`Decision`] displays: `credited partner 1 via code 10`, `unattributed`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.outcome)?;
        match (self.outcome, self.code) {
            (Outcome::Invalid { .. }, Some(code)) => write!(f, " (code {code})"),
            _ => Ok(()),
        }
    }
}

impl fmt::Display for Decision {
    /// The [`Outcome`], and for an invalid sale the code it turned on:
    /// `credited partner 1 via code 10`, `invalid for partner 2: restricted_code (code 10)`,
    /// `unattributed`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.outcome)?;
        match (self.outcome, self.code) {
            (Outcome::Invalid { .. }, Some(code)) => write!(f, " (code {code})"),
            _ => Ok(()),
        }
    }
}
