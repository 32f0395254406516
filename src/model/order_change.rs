//! The changes an order goes through after its decision (SPEC §10): refunds, restatements and
//! cancellations, each at an instant.

use std::fmt;

use super::closed::closed_set;
use super::error::{Error, Reason};
use super::excerpt::Excerpt;
use super::time::Timestamp;

closed_set! {
    /// Why an order was cancelled.
    #[derive(PartialOrd, Ord)]
    pub enum CancelReason as "cancel reason" {
        /// The goods came back.
        Returned = "returned",
        /// The order was fraudulent.
        Fraud = "fraud",
        /// The order duplicates another.
        Duplicate = "duplicate",
        /// A test order.
        TestOrder = "test_order",
        /// The customer cancelled before fulfilment.
        CustomerCancelled = "customer_cancelled",
        /// Any other reason.
        Other = "other",
    }
}

/// A change to an order after its decision, at an instant.
///
/// With `serde`, a change is `{"at": "2026-03-12T09:00:00Z", "refund": 2500}`, `"restate":
/// 9000` or `"cancel": "fraud"` (the shape of the conformance vectors); a cancellation whose
/// reason was not recognised is `"cancel_unrecognised": null`.
///
/// ```
/// use promo_attribution::actions::{CancelReason, OrderChange, OrderChangeKind};
/// use promo_attribution::Timestamp;
///
/// let at: Timestamp = "2026-03-12T09:00:00Z".parse()?;
/// let change = OrderChange::from_words(at, "cancel", None, Some("fraud"))?;
/// assert_eq!(change, OrderChange::cancel(at, CancelReason::Fraud));
/// // A reason outside the list is not an error: the change is judged `invalid_reason`.
/// let odd = OrderChange::from_words(at, "cancel", None, Some("changed_mind"))?;
/// assert_eq!(odd.kind, OrderChangeKind::CancelUnrecognised);
/// assert!(OrderChange::from_words(at, "refnud", Some(5), None).is_err());
/// # Ok::<(), promo_attribution::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct OrderChange {
    /// When it happened.
    pub at: Timestamp,
    /// What happened.
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub kind: OrderChangeKind,
}

/// What a change does to an order. Amounts are signed so that a wrong one (a refund of 0 or
/// less, a restated amount below 0) is judged and rejected, never wrapped.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum OrderChangeKind {
    /// The amount goes down by this many minor units.
    Refund(i64),
    /// The amount becomes this many minor units.
    Restate(i64),
    /// The order is cancelled for this reason.
    Cancel(CancelReason),
    /// A cancellation whose reason is none of [`CancelReason`], as read from a table or a
    /// file: it is judged [`Rejection::InvalidReason`](crate::actions::Rejection::InvalidReason).
    CancelUnrecognised,
}

impl OrderChangeKind {
    /// The kinds' names, as [`OrderChange::from_words`] reads them.
    pub const NAMES: [&'static str; 3] = ["refund", "restate", "cancel"];

    /// The kind's name: `refund`, `restate` or `cancel`.
    pub const fn name(&self) -> &'static str {
        match self {
            OrderChangeKind::Refund(_) => "refund",
            OrderChangeKind::Restate(_) => "restate",
            OrderChangeKind::Cancel(_) | OrderChangeKind::CancelUnrecognised => "cancel",
        }
    }
}

impl OrderChange {
    /// A refund of `amount` minor units at `at`.
    pub const fn refund(at: Timestamp, amount: i64) -> OrderChange {
        OrderChange {
            at,
            kind: OrderChangeKind::Refund(amount),
        }
    }

    /// The amount restated to `amount` minor units at `at`.
    pub const fn restate(at: Timestamp, amount: i64) -> OrderChange {
        OrderChange {
            at,
            kind: OrderChangeKind::Restate(amount),
        }
    }

    /// A cancellation at `at` for `reason`.
    pub const fn cancel(at: Timestamp, reason: CancelReason) -> OrderChange {
        OrderChange {
            at,
            kind: OrderChangeKind::Cancel(reason),
        }
    }

    /// A change from the words of a table or a file: `kind` is `refund` or `restate` (with
    /// `amount`) or `cancel` (with `reason`). An unknown kind, or a missing amount or reason,
    /// is an error naming it; a reason outside [`CancelReason`] is not: the change is
    /// [`CancelUnrecognised`](OrderChangeKind::CancelUnrecognised), and judging rejects it.
    pub fn from_words(
        at: Timestamp,
        kind: &str,
        amount: Option<i64>,
        reason: Option<&str>,
    ) -> Result<OrderChange, Error> {
        let missing = |what: &str| {
            Error::bulk(Reason::MissingValue(format!(
                "a {kind} needs {what}, and it is missing"
            )))
        };
        let kind = match kind {
            "refund" => OrderChangeKind::Refund(amount.ok_or_else(|| missing("an amount"))?),
            "restate" => OrderChangeKind::Restate(amount.ok_or_else(|| missing("an amount"))?),
            "cancel" => match reason.ok_or_else(|| missing("a reason"))?.parse() {
                Ok(reason) => OrderChangeKind::Cancel(reason),
                Err(_) => OrderChangeKind::CancelUnrecognised,
            },
            other => {
                return Err(Error::bulk(Reason::InvalidValue(format!(
                    "unknown change kind {}: expected one of {}",
                    Excerpt::from(other),
                    OrderChangeKind::NAMES.join(", "),
                ))));
            }
        };
        Ok(OrderChange { at, kind })
    }
}

impl fmt::Display for OrderChange {
    /// `refund 2500 at 2026-03-12T09:00:00Z`, `cancel (fraud) at …`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            OrderChangeKind::Refund(amount) | OrderChangeKind::Restate(amount) => {
                write!(f, "{} {amount}", self.kind.name())?;
            }
            OrderChangeKind::Cancel(reason) => write!(f, "cancel ({reason})")?,
            OrderChangeKind::CancelUnrecognised => f.write_str("cancel (unrecognised reason)")?,
        }
        write!(f, " at {}", self.at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_reads_back_from_its_name() {
        for reason in CancelReason::ALL {
            assert_eq!(reason.as_str().parse::<CancelReason>().ok(), Some(reason));
        }
        let err = "Returned".parse::<CancelReason>().unwrap_err();
        assert!(err.to_string().contains("unknown cancel reason"), "{err}");
    }

    /// Kind, amount and reason words, and the change's kind or the error's start.
    type Case<'a> = (
        &'a str,
        Option<i64>,
        Option<&'a str>,
        Result<OrderChangeKind, &'a str>,
    );

    #[test]
    fn words_make_changes_or_errors_naming_what_is_wrong() {
        let at = Timestamp::from_unix_seconds(0);
        let cases: [Case<'_>; 7] = [
            ("refund", Some(5), None, Ok(OrderChangeKind::Refund(5))),
            ("restate", Some(-1), None, Ok(OrderChangeKind::Restate(-1))),
            (
                "cancel",
                None,
                Some("test_order"),
                Ok(OrderChangeKind::Cancel(CancelReason::TestOrder)),
            ),
            (
                "cancel",
                None,
                Some("nope"),
                Ok(OrderChangeKind::CancelUnrecognised),
            ),
            (
                "refund",
                None,
                Some("fraud"),
                Err("a refund needs an amount"),
            ),
            ("cancel", Some(5), None, Err("a cancel needs a reason")),
            (
                "Refund",
                Some(5),
                None,
                Err("unknown change kind \"Refund\""),
            ),
        ];
        for (kind, amount, reason, expected) in cases {
            let got = OrderChange::from_words(at, kind, amount, reason);
            match (got, expected) {
                (Ok(change), Ok(kind)) => assert_eq!(change.kind, kind),
                (Err(err), Err(start)) => {
                    assert!(err.to_string().starts_with(start), "{err}");
                }
                (got, expected) => panic!("{kind}: {got:?}, expected {expected:?}"),
            }
        }
        for name in OrderChangeKind::NAMES {
            let change = OrderChange::from_words(at, name, Some(1), Some("other"));
            assert_eq!(change.map(|c| c.kind.name()).ok(), Some(name));
        }
    }
}
