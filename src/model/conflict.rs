//! What a code request and the conflict report answer: see
//! [`Engine::check_available`](crate::Engine::check_available) and
//! [`Engine::conflicts`](crate::Engine::conflicts).

use std::fmt;

use super::ids::{CodeId, PartnerId};

/// What a suggested code collides with. See
/// [`Engine::check_available`](crate::Engine::check_available).
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(tag = "kind", rename_all = "snake_case"))]
pub enum Collision {
    /// An exact tracking code with the same text, ignoring case, whose schedule overlaps:
    /// registering the suggestion would fail as a duplicate.
    Exact {
        /// The registered code.
        code: CodeId,
        /// Its owner (possibly the partner asking).
        owner: PartnerId,
    },
    /// A restricted code with the same text, ignoring case, whose schedule overlaps.
    Restricted {
        /// The registered restricted code.
        code: CodeId,
    },
    /// Another partner's regex code already matches the text, as suggested or in another case
    /// the customer might type, and its schedule overlaps. The exact code would win (an exact code beats any
    /// regex code), taking those sales from the regex code's owner.
    Regex {
        /// The registered regex code.
        code: CodeId,
        /// Its owner.
        owner: PartnerId,
        /// The text the regex matches.
        example: String,
    },
}

impl fmt::Display for Collision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Collision::Exact { code, owner } => {
                write!(f, "code {code} of partner {owner} has the same text")
            }
            Collision::Restricted { code } => write!(f, "restricted code {code} has the same text"),
            Collision::Regex {
                code,
                owner,
                example,
            } => write!(
                f,
                "regex code {code} of partner {owner} matches {example:?}"
            ),
        }
    }
}

/// The answer of [`Engine::check_available`](crate::Engine::check_available).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Availability {
    collisions: Vec<Collision>,
}

impl Availability {
    pub(crate) fn new(collisions: Vec<Collision>) -> Availability {
        Availability { collisions }
    }

    /// Whether the code can be created without colliding with anything.
    pub fn is_available(&self) -> bool {
        self.collisions.is_empty()
    }

    /// Everything the code would collide with: exact and restricted codes first, in
    /// registration order, then regex codes in precedence order.
    pub fn collisions(&self) -> &[Collision] {
        &self.collisions
    }
}

/// An overlap among registered codes, from [`Engine::conflicts`](crate::Engine::conflicts).
/// Each comes with a text that shows it, where one is known.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(tag = "kind", rename_all = "snake_case"))]
pub enum Conflict {
    /// An exact code of one partner that another partner's regex code also matches: the exact
    /// code wins (an exact code beats any regex code), so the regex code's owner never gets
    /// these sales.
    ExactShadowsRegex {
        /// The exact code, which wins.
        exact: CodeId,
        /// The regex code it shadows.
        regex: CodeId,
        /// A text both match.
        example: String,
    },
    /// Two regex codes of different owners match the same code: the higher priority, then the
    /// one registered earlier, wins it.
    RegexOverlap {
        /// The regex code that wins the shared texts.
        winner: CodeId,
        /// The one that loses them.
        loser: CodeId,
        /// One of the shortest texts both match.
        example: String,
    },
    /// Two regex codes of different owners that the check could not decide within its limits
    /// (a pattern too large to determinize, a Unicode `\b`, a product automaton over the
    /// state budget). They may or may not overlap: look at them by hand.
    RegexOverlapUnknown {
        /// The regex code that would win shared texts.
        winner: CodeId,
        /// The one that would lose them.
        loser: CodeId,
        /// Which limit was hit.
        reason: String,
    },
    /// A restricted code whose text a tracking regex code matches: while the restriction is in
    /// force, every order carrying that text is invalid instead of credited.
    RestrictedShadowsRegex {
        /// The restricted code.
        restricted: CodeId,
        /// The tracking regex code it shadows.
        regex: CodeId,
        /// The text both match.
        example: String,
    },
    /// The report's work budget ran out before this regex code was compared with every
    /// regex code registered after it: pairs among them may overlap and are not listed.
    /// Every regex code from the one the budget ran out on is listed so.
    RegexOverlapUnchecked {
        /// The regex code.
        regex: CodeId,
    },
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Conflict::ExactShadowsRegex {
                exact,
                regex,
                example,
            } => write!(
                f,
                "exact code {exact} shadows regex code {regex} of another partner: {example:?} \
                 matches both and credits the exact code's owner"
            ),
            Conflict::RegexOverlap {
                winner,
                loser,
                example,
            } => write!(
                f,
                "regex codes {winner} and {loser} of different partners both match {example:?}; \
                 code {winner} wins it"
            ),
            Conflict::RegexOverlapUnknown {
                winner,
                loser,
                reason,
            } => write!(
                f,
                "regex codes {winner} and {loser} of different partners may overlap: could not \
                 decide ({reason})"
            ),
            Conflict::RegexOverlapUnchecked { regex } => write!(
                f,
                "regex code {regex} was not compared with the regex codes registered after it: \
                 the conflict report's work budget ran out"
            ),
            Conflict::RestrictedShadowsRegex {
                restricted,
                regex,
                example,
            } => write!(
                f,
                "restricted code {restricted} shadows regex code {regex}: orders carrying \
                 {example:?} are invalid"
            ),
        }
    }
}
