//! Code definitions: what a host hands to a [`Registry`](crate::Registry), and the manual
//! lifecycle actions recorded against them.

use super::closed::closed_set;
use super::error::Reason;
use super::ids::{CodeId, PartnerId};
use super::limits::MAX_CODE_LEN;
use super::time::{Timestamp, Window};

/// The rules every code text obeys, for a text already trimmed: not empty, at most
/// [`MAX_CODE_LEN`] bytes, no control character.
pub(crate) fn check_text(text: &str) -> Result<(), Reason> {
    if text.is_empty() {
        return Err(Reason::EmptyCode);
    }
    if text.len() > MAX_CODE_LEN {
        return Err(Reason::CodeTooLong { len: text.len() });
    }
    if let Some((offset, ch)) = text.char_indices().find(|(_, c)| c.is_control()) {
        return Err(Reason::ControlCharacter { ch, offset });
    }
    Ok(())
}

/// Checks a text kept for people, `what` (`label`, `note`, …), against its `limit` in bytes.
pub(crate) fn check_len(what: &'static str, text: &str, limit: usize) -> Result<(), Reason> {
    if text.len() > limit {
        return Err(Reason::TextTooLong {
            what,
            len: text.len(),
            limit,
        });
    }
    Ok(())
}

closed_set! {
    /// When a tracking code credits its owner (the reference's credit rule).
    ///
    /// Policies are ordered by strength, `Always` > `IfInvolved` > `IfWinner`: when several
    /// entered codes could credit, the strongest wins.
    #[derive(Default)]
    pub enum CreditPolicy as "credit policy" {
        /// Always credit the owner (reference `ALWAYS`). The default.
        #[default]
        Always = "always",
        /// Credit the owner only when the owner had a qualifying click on the path (reference
        /// `INVOLVED`).
        IfInvolved = "if_involved",
        /// Credit the owner only when the owner had the winning click (reference `WINNER`).
        IfWinner = "if_winner",
    }
}

impl CreditPolicy {
    /// Larger is stronger.
    pub(crate) fn strength(self) -> u8 {
        match self {
            CreditPolicy::Always => 2,
            CreditPolicy::IfInvolved => 1,
            CreditPolicy::IfWinner => 0,
        }
    }
}

closed_set! {
    /// How a tracking code's text is compared with what the customer typed.
    #[derive(Default)]
    pub enum MatchMode as "match mode" {
        /// The whole entered code equals the text, ignoring case (Unicode simple case
        /// folding). Reference `LI`. The default.
        #[default]
        Exact = "exact",
        /// The text is a regex in Rust `regex` syntax, case-sensitive unless it says `(?i)`.
        /// Reference `RE`. See [`RegexAnchoring`](crate::settings::RegexAnchoring) for what it must
        /// match.
        Regex = "regex",
    }
}

/// A code definition: a tracking code assigned to a partner, or a restricted code.
///
/// Build one with [`Code::tracking`] or [`Code::restricted`] and hand it to
/// [`Registry::add`](crate::Registry::add), which validates it.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(tag = "type", rename_all = "snake_case"))]
pub enum Code {
    /// A code that credits its owner.
    Tracking(TrackingCode),
    /// A code that makes any order carrying it non-payable.
    Restricted(RestrictedCode),
}

impl Code {
    /// A tracking code `text` owned by `owner`: exact match, [`CreditPolicy::Always`], always
    /// active, priority 0, until the builder methods say otherwise.
    ///
    /// ```
    /// use promo_attribution::{Code, CodeId, CreditPolicy, PartnerId, Timestamp};
    ///
    /// let code = Code::tracking(CodeId(20), r"^(SUMMER).*", PartnerId(3))
    ///     .regex()
    ///     .credit(CreditPolicy::IfInvolved)
    ///     .priority(5)
    ///     .ends_at(Timestamp::from_unix_seconds(1_790_000_000));
    /// assert_eq!(code.owner, PartnerId(3));
    /// ```
    #[must_use]
    pub fn tracking(id: CodeId, text: impl Into<String>, owner: PartnerId) -> TrackingCode {
        TrackingCode {
            id,
            text: text.into(),
            owner,
            credit: CreditPolicy::default(),
            match_mode: MatchMode::default(),
            window: Window::ALWAYS,
            deal: None,
            priority: 0,
            label: None,
        }
    }

    /// A restricted code `text` (employee, customer-service or public site-wide codes): while
    /// active, an order carrying it is invalid, whoever would have been credited. Always
    /// matched exactly, ignoring case.
    #[must_use]
    pub fn restricted(id: CodeId, text: impl Into<String>) -> RestrictedCode {
        RestrictedCode {
            id,
            text: text.into(),
            window: Window::ALWAYS,
            label: None,
        }
    }

    /// The code's id.
    pub fn id(&self) -> CodeId {
        match self {
            Code::Tracking(c) => c.id,
            Code::Restricted(c) => c.id,
        }
    }

    /// The code's text as registered (trimmed), or its pattern for a regex code.
    pub fn text(&self) -> &str {
        match self {
            Code::Tracking(c) => &c.text,
            Code::Restricted(c) => &c.text,
        }
    }

    /// The code's schedule.
    pub fn window(&self) -> Window {
        match self {
            Code::Tracking(c) => c.window,
            Code::Restricted(c) => c.window,
        }
    }

    /// The owner of a tracking code; `None` for a restricted code.
    pub fn owner(&self) -> Option<PartnerId> {
        match self {
            Code::Tracking(c) => Some(c.owner),
            Code::Restricted(_) => None,
        }
    }

    /// The display label, if any.
    pub fn label(&self) -> Option<&str> {
        match self {
            Code::Tracking(c) => c.label.as_deref(),
            Code::Restricted(c) => c.label.as_deref(),
        }
    }

    /// Whether this is a regex tracking code.
    pub fn is_regex(&self) -> bool {
        matches!(self, Code::Tracking(c) if c.match_mode == MatchMode::Regex)
    }

    #[cfg_attr(not(feature = "csv"), allow(dead_code))]
    pub(crate) fn set_id(&mut self, id: CodeId) {
        match self {
            Code::Tracking(c) => c.id = id,
            Code::Restricted(c) => c.id = id,
        }
    }

    pub(crate) fn text_mut(&mut self) -> &mut String {
        match self {
            Code::Tracking(c) => &mut c.text,
            Code::Restricted(c) => &mut c.text,
        }
    }
}

/// A tracking code: assigned to exactly one partner, who is the only one it can ever credit.
///
/// The fields are public to read and adjust; construct one with [`Code::tracking`].
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TrackingCode {
    /// Unique within the registry.
    pub id: CodeId,
    /// What the customer types, or the pattern of a regex code.
    pub text: String,
    /// The partner credited through this code.
    pub owner: PartnerId,
    /// When the owner is credited.
    #[cfg_attr(feature = "serde", serde(default))]
    pub credit: CreditPolicy,
    /// Exact text or regex.
    #[cfg_attr(feature = "serde", serde(default))]
    pub match_mode: MatchMode,
    /// When the code is scheduled to be active.
    #[cfg_attr(feature = "serde", serde(default))]
    pub window: Window,
    /// The host's deal id; informational, never changes crediting.
    #[cfg_attr(feature = "serde", serde(default))]
    pub deal: Option<u64>,
    /// Breaks ties between regex codes matching the same entered code: higher wins.
    #[cfg_attr(feature = "serde", serde(default))]
    pub priority: i32,
    /// A display value for reports.
    #[cfg_attr(feature = "serde", serde(default))]
    pub label: Option<String>,
}

impl TrackingCode {
    /// Sets the credit policy.
    #[must_use]
    pub fn credit(mut self, policy: CreditPolicy) -> Self {
        self.credit = policy;
        self
    }

    /// Makes this a regex code ([`MatchMode::Regex`]).
    #[must_use]
    pub fn regex(mut self) -> Self {
        self.match_mode = MatchMode::Regex;
        self
    }

    /// Sets the match mode.
    #[must_use]
    pub fn match_mode(mut self, mode: MatchMode) -> Self {
        self.match_mode = mode;
        self
    }

    /// Sets the first instant the code is active (inclusive).
    #[must_use]
    pub fn starts_at(mut self, t: Timestamp) -> Self {
        self.window.from = Some(t);
        self
    }

    /// Sets the first instant the code is no longer active (exclusive).
    #[must_use]
    pub fn ends_at(mut self, t: Timestamp) -> Self {
        self.window.until = Some(t);
        self
    }

    /// Sets the whole schedule.
    #[must_use]
    pub fn window(mut self, window: Window) -> Self {
        self.window = window;
        self
    }

    /// Sets the deal id.
    #[must_use]
    pub fn deal(mut self, deal: u64) -> Self {
        self.deal = Some(deal);
        self
    }

    /// Sets the priority among regex codes (default 0; higher wins).
    #[must_use]
    pub fn priority(mut self, priority: i32) -> Self {
        self.priority = priority;
        self
    }

    /// Sets the display label.
    #[must_use]
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }
}

/// A restricted code: a program-level code, owned by nobody, that makes an order carrying it
/// non-payable while it is active.
///
/// The fields are public to read and adjust; construct one with [`Code::restricted`].
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RestrictedCode {
    /// Unique within the registry (tracking and restricted codes share the id space).
    pub id: CodeId,
    /// The code text, matched exactly, ignoring case.
    pub text: String,
    /// When the restriction is in force.
    #[cfg_attr(feature = "serde", serde(default))]
    pub window: Window,
    /// A display value for reports.
    #[cfg_attr(feature = "serde", serde(default))]
    pub label: Option<String>,
}

impl RestrictedCode {
    /// Sets the first instant the restriction is in force (inclusive).
    #[must_use]
    pub fn starts_at(mut self, t: Timestamp) -> Self {
        self.window.from = Some(t);
        self
    }

    /// Sets the first instant the restriction is no longer in force (exclusive). The
    /// reference's bulk upload requires an end for restricted codes; the library does not.
    #[must_use]
    pub fn until(mut self, t: Timestamp) -> Self {
        self.window.until = Some(t);
        self
    }

    /// Sets the whole schedule.
    #[must_use]
    pub fn window(mut self, window: Window) -> Self {
        self.window = window;
        self
    }

    /// Sets the display label.
    #[must_use]
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }
}

impl From<TrackingCode> for Code {
    fn from(code: TrackingCode) -> Code {
        Code::Tracking(code)
    }
}

impl From<RestrictedCode> for Code {
    fn from(code: RestrictedCode) -> Code {
        Code::Restricted(code)
    }
}

closed_set! {
    /// A manual lifecycle action on a code (the reference's Expire and Reactivate buttons).
    pub enum Lifecycle as "lifecycle action" {
        /// From this instant on, the code is expired, whatever its schedule says.
        Expire = "expire",
        /// From this instant on, a manual expiry no longer applies; the schedule still does.
        Reactivate = "reactivate",
    }
}

/// A timestamped lifecycle action. Events are kept, not applied as overwrites, so that an order
/// is always judged against the state its code had at the order's own instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LifecycleEvent {
    /// When the action takes effect.
    pub at: Timestamp,
    /// What happens.
    pub action: Lifecycle,
}
