//! After the decision (SPEC §10): what an order's refunds, restatements and cancellations do
//! to its payout, until its action locks.
//!
//! A decision leaves an [`Action`]: the order's instant and amount, the rule that set its
//! payout, when it locks and whether it takes clawbacks ([`Decision::action`]; the batch
//! output carries the same columns). The host stores it, and later judges the order's
//! [`OrderChange`]s against it with [`Action::judge`]: no engine, no registry, no clock. Each
//! change gets a [`ChangeResult`] — [`Applied`] with the new amount, payout, delta and
//! [`ActionState`], or a [`Rejection`] — and the action a [`Settled`] standing.
//! [`PerformanceReport::add_settled`] and [`ActionRow::settled`] count them.
//!
//! ```
//! use promo_attribution::actions::{CancelReason, OrderChange};
//! use promo_attribution::{Code, CodeId, Conversion, PartnerId, Payout, Registry, Settings};
//! use std::time::Duration;
//!
//! let mut settings = Settings::default();
//! settings.payout = Payout::PercentBps(1_000);
//! settings.lock_after = Some(Duration::from_secs(30 * 86_400));
//! let mut registry = Registry::new(settings);
//! registry.add(Code::tracking(CodeId(10), "SAVE10", PartnerId(1)))?;
//! let engine = registry.compile()?;
//!
//! let order = Conversion::new("2026-03-10T12:00:00Z".parse()?).codes(&["SAVE10"]).amount(10_000);
//! let action = engine.attribute(&order).action(); // store it with the decision
//!
//! let changes = [
//!     OrderChange::refund("2026-03-12T09:00:00Z".parse()?, 2_500),
//!     OrderChange::cancel("2026-04-20T09:00:00Z".parse()?, CancelReason::Returned),
//! ];
//! let judged = action.judge(&changes);
//! assert_eq!(judged.results()[0].to_string(), "accepted: amount 7500, payout 750 (-250), pending");
//! assert_eq!(judged.results()[1].to_string(), "rejected: locked"); // locked on 2026-04-09
//! assert_eq!(judged.settled().payout(), 750);
//! # Ok::<(), promo_attribution::Error>(())
//! ```
//!
//! [`Decision::action`]: crate::Decision::action
//! [`PerformanceReport::add_settled`]: crate::reports::PerformanceReport::add_settled
//! [`ActionRow::settled`]: crate::reports::ActionRow::settled

pub use crate::model::{
    Action, ActionState, Applied, CancelReason, ChangeResult, Clawback, Judgement, OrderChange,
    OrderChangeKind, PayoutRule, Rejection, Reversal, Settled,
};
