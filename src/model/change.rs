//! The changes a registry takes while it is in use, and the credit terms they set over time.

use super::code::{Code, CreditPolicy};
use super::ids::{CodeId, PartnerId};
use super::payout::{Contract, ExceptionList};
use super::time::{Timestamp, Window};

/// One change to a [`Registry`](crate::Registry), as [`Registry::apply`](crate::Registry::apply)
/// takes it and [`Registry::history`](crate::Registry::history) records it.
///
/// Each is validated like registration and applies whole or not at all. Changes of ownership
/// and policy are effective from an instant, so that an order placed before it is still judged
/// by the terms it had then; the schedule is itself a statement about time; a removal is only
/// for a code that has never been in effect.
///
/// ```
/// use promo_attribution::{Change, Code, CodeId, CreditPolicy, PartnerId, Registry, Timestamp};
///
/// let t = |s: &str| s.parse::<Timestamp>();
/// let mut registry = Registry::default();
/// registry.add(Code::tracking(CodeId(10), "SAVE10", PartnerId(1)))?;
/// let revision = registry
///     .apply_with_note(
///         [
///             Change::Transfer { code: CodeId(10), to: PartnerId(2), at: t("2026-03-01T00:00:00Z")? },
///             Change::SetCredit { code: CodeId(10), credit: CreditPolicy::IfInvolved, at: t("2026-03-01T00:00:00Z")? },
///         ],
///         "desk: ticket 4711",
///     )
///     .map_err(|e| e.errors()[0].clone())?;
/// assert_eq!(revision, registry.revision());
/// assert_eq!(registry.owner_at(CodeId(10), t("2026-02-28T00:00:00Z")?), Some(PartnerId(1)));
/// assert_eq!(registry.owner_at(CodeId(10), t("2026-03-01T00:00:00Z")?), Some(PartnerId(2)));
/// # Ok::<(), promo_attribution::Error>(())
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(tag = "kind", rename_all = "snake_case"))]
pub enum Change {
    /// Registers a code ([`Registry::add`](crate::Registry::add)).
    Add {
        /// The code.
        code: Code,
    },
    /// The code is manually expired from `at` on.
    Expire {
        /// The code.
        code: CodeId,
        /// From when.
        at: Timestamp,
    },
    /// A manual expiry of the code ends at `at`; the schedule still applies.
    Reactivate {
        /// The code.
        code: CodeId,
        /// From when.
        at: Timestamp,
    },
    /// The tracking code belongs to partner `to` from `at` on; orders before `at` still credit
    /// the owner it had then.
    Transfer {
        /// The tracking code.
        code: CodeId,
        /// The new owner.
        to: PartnerId,
        /// From when.
        at: Timestamp,
    },
    /// The tracking code's credit policy is `credit` from `at` on.
    SetCredit {
        /// The tracking code.
        code: CodeId,
        /// The new policy.
        credit: CreditPolicy,
        /// From when.
        at: Timestamp,
    },
    /// Replaces the code's schedule (the reference's "change active dates"), checked like a
    /// new schedule: it must end after it starts, and no other exact code of the same text may
    /// overlap it.
    SetWindow {
        /// The code.
        code: CodeId,
        /// The new schedule.
        window: Window,
    },
    /// Sets or clears the tracking code's deal id (the reference's "apply deal"); never changes
    /// crediting.
    SetDeal {
        /// The tracking code.
        code: CodeId,
        /// The deal, or none.
        deal: Option<u64>,
    },
    /// Sets or clears the code's display label; never changes crediting.
    SetLabel {
        /// The code.
        code: CodeId,
        /// The label, or none.
        label: Option<String>,
    },
    /// Deletes a code that has never been in effect: allowed only while `now` is before its
    /// start. A code in effect is expired instead, so that its history is kept. A removed
    /// code's id is never used again.
    Remove {
        /// The code.
        code: CodeId,
        /// The host's present instant.
        now: Timestamp,
    },
    /// Sets or replaces a partner's contract.
    SetContract {
        /// The partner.
        partner: PartnerId,
        /// The contract.
        contract: Contract,
    },
    /// Removes a partner's contract.
    RemoveContract {
        /// The partner.
        partner: PartnerId,
    },
    /// Appends a promo-code exception list.
    AddExceptionList {
        /// The list.
        list: ExceptionList,
    },
}

impl Change {
    /// The code the change is about, when it is about one.
    pub fn code_id(&self) -> Option<CodeId> {
        match self {
            Change::Add { code } => Some(code.id()),
            Change::Expire { code, .. }
            | Change::Reactivate { code, .. }
            | Change::Transfer { code, .. }
            | Change::SetCredit { code, .. }
            | Change::SetWindow { code, .. }
            | Change::SetDeal { code, .. }
            | Change::SetLabel { code, .. }
            | Change::Remove { code, .. } => Some(*code),
            Change::SetContract { .. }
            | Change::RemoveContract { .. }
            | Change::AddExceptionList { .. } => None,
        }
    }
}

/// Who a tracking code credits, and when, from an instant on: one step of its terms over time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Terms {
    /// The owner.
    pub owner: PartnerId,
    /// The credit policy.
    pub credit: CreditPolicy,
}
