//! What misuse monitoring reads and answers: a code seen promoted somewhere, and whether that
//! is a violation ([`Engine::check_sighting`](crate::Engine::check_sighting)).

use std::fmt;

use super::decision::CodeHit;
use super::ids::PartnerId;
use super::time::Timestamp;

/// A code seen promoted somewhere — on a coupon site's page, in a browser extension's list —
/// at an instant, and who promoted it, when known.
///
/// ```
/// use promo_attribution::{PartnerId, Timestamp};
/// use promo_attribution::monitoring::Sighting;
///
/// let seen = Sighting::new("SAVE10", Timestamp::from_unix_seconds(1_773_144_000)).promoted_by(PartnerId(7));
/// assert_eq!(seen.promoted_by, Some(PartnerId(7)));
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Sighting<'a> {
    /// The code as seen.
    pub code: &'a str,
    /// When it was seen.
    pub at: Timestamp,
    /// The partner who promoted it, if the place belongs to one.
    pub promoted_by: Option<PartnerId>,
}

impl<'a> Sighting<'a> {
    /// `code` seen at `at`, by no known partner.
    #[must_use]
    pub const fn new(code: &'a str, at: Timestamp) -> Sighting<'a> {
        Sighting {
            code,
            at,
            promoted_by: None,
        }
    }

    /// Sets the partner who promoted it.
    #[must_use]
    pub const fn promoted_by(mut self, partner: PartnerId) -> Self {
        self.promoted_by = Some(partner);
        self
    }
}

/// Why a sighting is a problem.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Violation {
    /// An active restricted code (staff, customer service) is out in the wild.
    Restricted,
    /// A partner promotes a tracking code another partner owns.
    NotAuthorized,
    /// The tracking code is not active at the instant it was seen: expired, or not yet started.
    Expired,
}

impl fmt::Display for Violation {
    /// The stable snake_case name, as [`as_str`](Violation::as_str) gives it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Violation {
    /// The stable snake_case name: `restricted`, `not_authorized`, `expired`.
    pub fn as_str(self) -> &'static str {
        match self {
            Violation::Restricted => "restricted",
            Violation::NotAuthorized => "not_authorized",
            Violation::Expired => "expired",
        }
    }
}

/// What [`Engine::check_sighting`](crate::Engine::check_sighting) found.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SightingCheck {
    /// What the seen text hits, as an entered code would.
    pub hit: CodeHit,
    /// The owner of the tracking code hit (active or not) at the instant in question.
    pub owner: Option<PartnerId>,
    /// The violation, if any; see [`Engine::check_sighting`](crate::Engine::check_sighting) for which one wins.
    pub violation: Option<Violation>,
}
