//! Program settings: the behaviour choices of one partner programme.

use std::time::Duration;

use super::closed::closed_set;
use super::payout::Payout;

/// The settings of one program (a brand's partner programme). Every field defaults to the
/// reference platform's behaviour.
///
/// ```
/// use std::time::Duration;
/// use promo_attribution::{Payout, Settings};
/// use promo_attribution::settings::{ClickWinner, CodeTracking};
///
/// let mut settings = Settings::default();
/// settings.tracking = CodeTracking::Disabled;
/// settings.click_winner = ClickWinner::FirstClick;
/// settings.lookback = Duration::from_secs(7 * 86_400);
/// settings.payout = Payout::PercentBps(1_000); // 10 % of the order amount
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
pub struct Settings {
    /// Whether entered codes take part in the decision at all (the reference's "enable promo
    /// code tracking for this program"). Default [`CodeTracking::Enabled`].
    pub tracking: CodeTracking,
    /// Which qualifying click wins. Default [`ClickWinner::LastClick`].
    pub click_winner: ClickWinner,
    /// How long before the conversion a click still counts (inclusive). Default 30 days.
    #[cfg_attr(
        feature = "serde",
        serde(rename = "lookback_ms", with = "super::serde_millis")
    )]
    pub lookback: Duration,
    /// What happens when codes matched but none of their credit policies is met. Default
    /// [`UnmetPolicy::Invalidate`].
    pub unmet_policy: UnmetPolicy,
    /// Whether the clicks of partners who own an [`Always`](crate::CreditPolicy::Always) code
    /// active at the conversion's instant count. Default [`AlwaysOwnerClicks::Count`].
    pub always_owner_clicks: AlwaysOwnerClicks,
    /// Whether a partner needs a registered contract to be paid. Default
    /// [`Contracts::Optional`].
    pub contracts: Contracts,
    /// What part of an entered code a regex code must match. Default
    /// [`RegexAnchoring::WholeCode`].
    pub regex_anchoring: RegexAnchoring,
    /// What a credited sale pays when no exception list applies and the partner's contract
    /// sets no rate of its own. Default `Payout::Fixed(0)`: nothing.
    pub payout: Payout,
    /// How long after the order its action locks (SPEC §10): from then on a refund,
    /// restatement or cancellation is refused, unless [`clawback`](Settings::clawback) takes
    /// it. Default `None`: actions never lock.
    #[cfg_attr(
        feature = "serde",
        serde(rename = "lock_after_ms", with = "super::serde_millis::optional")
    )]
    pub lock_after: Option<Duration>,
    /// Whether changes at or after the lock still apply (and claw back what was paid).
    /// Default [`Clawback::Disabled`].
    pub clawback: Clawback,
    /// The most entered codes judged per order (SPEC §12): the customer chooses how many
    /// codes an order carries, the host how much one decision may cost. The codes entered past
    /// it are not looked up: each is reported as [`CodeHit::NotJudged`](crate::decision::CodeHit::NotJudged)
    /// and takes no part in the decision (it neither credits, restricts nor prices the sale).
    /// Default [`DEFAULT_MAX_ENTERED_CODES`](Settings::DEFAULT_MAX_ENTERED_CODES), far above
    /// any honest order.
    pub max_entered_codes: usize,
    /// The most [`OtherMatch`](crate::decision::OtherMatch) entries a [`Decision`](crate::Decision)
    /// keeps (SPEC §12); past it,
    /// [`other_matches_left_out`](crate::Decision::other_matches_left_out) counts the ones left
    /// out. Diagnostics only: the decision is the same either way. Default
    /// [`DEFAULT_MAX_OTHER_MATCHES`](Settings::DEFAULT_MAX_OTHER_MATCHES).
    pub max_other_matches: usize,
}

impl Settings {
    /// The default of [`max_entered_codes`](Settings::max_entered_codes): checkouts take a
    /// handful of codes at most.
    pub const DEFAULT_MAX_ENTERED_CODES: usize = 32;
    /// The default of [`max_other_matches`](Settings::max_other_matches).
    pub const DEFAULT_MAX_OTHER_MATCHES: usize = 256;
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            tracking: CodeTracking::Enabled,
            click_winner: ClickWinner::LastClick,
            lookback: Duration::from_secs(30 * 86_400),
            unmet_policy: UnmetPolicy::Invalidate,
            always_owner_clicks: AlwaysOwnerClicks::Count,
            contracts: Contracts::Optional,
            regex_anchoring: RegexAnchoring::WholeCode,
            payout: Payout::Fixed(0),
            lock_after: None,
            clawback: Clawback::Disabled,
            max_entered_codes: Settings::DEFAULT_MAX_ENTERED_CODES,
            max_other_matches: Settings::DEFAULT_MAX_OTHER_MATCHES,
        }
    }
}

closed_set! {
    /// Whether a program tracks promo codes at all.
    #[derive(Default)]
    pub enum CodeTracking as "code tracking" {
        /// Entered codes credit, invalidate and restrict as the rules say. The default.
        #[default]
        Enabled = "enabled",
        /// Entered codes neither credit, invalidate nor restrict: clicks alone decide. The
        /// diagnostics still say what each code hit, and exception lists still price the sale.
        Disabled = "disabled",
    }
}

closed_set! {
    /// Whether the clicks of a partner who owns an [`Always`](crate::CreditPolicy::Always) code
    /// count towards the click winner.
    #[derive(Default)]
    pub enum AlwaysOwnerClicks as "always-owner clicks setting" {
        /// Every qualifying click counts. The default.
        #[default]
        Count = "count",
        /// The clicks of a partner who owns an `Always` code active at the conversion's instant are
        /// ignored, as the reference stops tracking them: the code already credits that partner.
        /// Only with [`CodeTracking::Enabled`].
        Ignore = "ignore",
    }
}

closed_set! {
    /// Whether a partner needs a registered contract to be paid.
    #[derive(Default)]
    pub enum Contracts as "contracts setting" {
        /// A partner without a contract is active; one with a contract is active inside its window.
        /// The default.
        #[default]
        Optional = "optional",
        /// A partner without a contract is not active: its credited sales are invalid with
        /// [`PartnerNotActive`](crate::InvalidReason::PartnerNotActive).
        Required = "required",
    }
}

closed_set! {
    /// Which qualifying click wins when clicks alone decide.
    #[derive(Default)]
    pub enum ClickWinner as "click winner" {
        /// The latest click (ties: the one later in the input). The default.
        #[default]
        LastClick = "last_click",
        /// The earliest click (ties: the one earlier in the input).
        FirstClick = "first_click",
    }
}

closed_set! {
    /// What to do when codes matched but none of them may credit its owner.
    #[derive(Default)]
    pub enum UnmetPolicy as "unmet policy" {
        /// The click winner's sale used a code assigned to someone else: it is
        /// [`Invalid`](crate::Outcome::Invalid) with
        /// [`CodeOwnedByOtherPartner`](crate::InvalidReason::CodeOwnedByOtherPartner); with no
        /// click winner the order is unattributed. The default.
        #[default]
        Invalidate = "invalidate",
        /// Ignore the codes and credit the click winner.
        FallBackToClicks = "fall_back_to_clicks",
    }
}

closed_set! {
    /// What part of an entered code a regex code must match.
    #[derive(Default)]
    pub enum RegexAnchoring as "regex anchoring" {
        /// The pattern must match the whole entered code, as if wrapped in `^(?:…)$`; the
        /// reference's recipes `^(SUMMER).*` and `^.*(SUMMER)$` work unchanged. The default.
        #[default]
        WholeCode = "whole_code",
        /// A match anywhere in the entered code is enough.
        Search = "search",
    }
}

closed_set! {
    /// Whether an action's changes still apply once it has locked.
    #[derive(Default)]
    pub enum Clawback as "clawback setting" {
        /// A change at or after the lock is rejected: the action is final. The default.
        #[default]
        Disabled = "disabled",
        /// A change at or after the lock still applies, marked as after the lock: what was paid
        /// is clawed back.
        Enabled = "enabled",
    }
}
