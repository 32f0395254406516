//! Rule 3 of the decision: what one entered text hits at an instant — the active tracking code
//! that wins it, an active restricted code, or why nothing does.

use super::diagnostics::{Diagnostics, Lean};
use super::state::{CodeRecord, Kind, State};
use crate::matching::fold;
use crate::model::{CodeHit, CodeState, MAX_CODE_LEN, NotChosen, OtherMatch, PartnerId, Timestamp};

/// What one entered text resolved to.
pub(crate) struct Resolved<'s> {
    pub(crate) hit: CodeHit,
    /// The record of the active tracking code that wins this text.
    pub(crate) tracking: Option<&'s CodeRecord>,
    /// Whether the text hits an active restricted code.
    pub(crate) restricted: bool,
}

impl Resolved<'_> {
    /// A text that could match nothing, and what it hits.
    fn nothing(hit: CodeHit) -> Resolved<'static> {
        Resolved {
            hit,
            tracking: None,
            restricted: false,
        }
    }
}

/// Resolves the text entered at `position` at instant `at`; pushes the tracking codes that
/// matched it but lost to `diagnostics`, with why.
///
/// The text is trimmed; empty or longer than [`MAX_CODE_LEN`] bytes, it matches nothing. The
/// matcher lists the codes best first, so the first active tracking code wins and the active
/// ones after it are outranked. The hit is, by the first that applies: an active restricted
/// code, the winning tracking code, the best inactive tracking code, an inactive restricted
/// code, unknown.
pub(crate) fn resolve<'s, D: Diagnostics>(
    state: &'s State,
    raw: &str,
    at: Timestamp,
    position: usize,
    diagnostics: &mut D,
) -> Resolved<'s> {
    let text = fold::trim(raw);
    let mut found = Found::default();
    if let Err(hit) = check_text(text) {
        return Resolved::nothing(hit);
    }
    let matchers = state.matchers();
    matchers.for_each_exact_match(text, |i| found.visit(state, at, position, i, diagnostics));
    found.visit_regex_matches(state, text, at, position, diagnostics);
    found.resolved()
}

/// [`resolve`] for an entered text that a batch trimmed, checked and folded ahead: `probe`.
#[inline]
pub(crate) fn resolve_probed<'s, D: Diagnostics>(
    state: &'s State,
    probe: &Probe<'_>,
    at: Timestamp,
    position: usize,
    diagnostics: &mut D,
) -> Resolved<'s> {
    let mut found = Found::default();
    state
        .matchers()
        .for_each_exact_key(probe.folded.as_bytes(), probe.hash, |i| {
            found.visit(state, at, position, i, diagnostics);
        });
    found.visit_regex_matches(state, probe.text, at, position, diagnostics);
    found.resolved()
}

/// An entered text, trimmed and checked by [`check_text`], with its fold and the hash the
/// exact index looks the fold up by: the first of rule 3's steps, done ahead.
pub(crate) struct Probe<'t> {
    pub(crate) text: &'t str,
    pub(crate) folded: fold::Folded,
    pub(crate) hash: u64,
}

impl<'t> Probe<'t> {
    /// A probe of nothing yet, to be [filled](Probe::fill).
    pub(crate) const EMPTY: Probe<'static> = Probe {
        text: "",
        folded: fold::Folded::EMPTY,
        hash: 0,
    };

    /// Makes this the probe of the text entered as `raw`, in place; false when that text
    /// matches nothing whatever the registry holds (empty, too long), or is too long to fold
    /// ahead: [`resolve`] takes those.
    #[inline]
    pub(crate) fn fill(&mut self, state: &State, raw: &'t str) -> bool {
        let text = fold::trim(raw);
        if check_text(text).is_err() || !self.folded.fill(text) {
            return false;
        }
        self.text = text;
        self.hash = state.base.exact_hash(self.folded.as_bytes());
        true
    }
}

/// A trimmed entered text that is empty or longer than [`MAX_CODE_LEN`] bytes matches nothing:
/// what it hits.
#[inline]
fn check_text(text: &str) -> Result<(), CodeHit> {
    if text.is_empty() {
        Err(CodeHit::Empty)
    } else if text.len() > MAX_CODE_LEN {
        Err(CodeHit::TooLong)
    } else {
        Ok(())
    }
}

/// The codes an entered text matched so far, by what they are at the order's instant: their
/// records, read once.
#[derive(Default)]
struct Found<'s> {
    tracking: Option<&'s CodeRecord>,
    restricted: Option<&'s CodeRecord>,
    inactive_tracking: Option<(&'s CodeRecord, CodeState)>,
    inactive_restricted: Option<(&'s CodeRecord, CodeState)>,
}

impl<'s> Found<'s> {
    /// Visits the regex codes matching `text`, after its exact codes: regex codes are tracking
    /// codes (a restricted code is exact: SPEC §2.3) and rank below every exact code, so that
    /// once an exact code won the text they could only be outranked, which only the
    /// diagnostics tell.
    #[inline]
    fn visit_regex_matches<D: Diagnostics>(
        &mut self,
        state: &'s State,
        text: &str,
        at: Timestamp,
        position: usize,
        diagnostics: &mut D,
    ) {
        if D::ALL_MATCHES || self.tracking.is_none() {
            state.matchers().for_each_regex_match(text, |i| {
                self.visit(state, at, position, i, diagnostics);
            });
        }
    }

    /// What the text resolved to, given what it matched. The hit is, by the first that
    /// applies: an active restricted code, the winning tracking code, the best inactive
    /// tracking code, an inactive restricted code, unknown.
    #[inline]
    fn resolved(self) -> Resolved<'s> {
        let Found {
            tracking,
            restricted,
            inactive_tracking,
            inactive_restricted,
        } = self;
        let hit = if let Some(code) = restricted {
            CodeHit::Restricted(code.id)
        } else if let Some(code) = tracking {
            CodeHit::Matched(code.id)
        } else if let Some((code, code_state)) = inactive_tracking.or(inactive_restricted) {
            CodeHit::Inactive {
                code: code.id,
                state: code_state,
            }
        } else {
            CodeHit::Unknown
        };
        Resolved {
            hit,
            tracking,
            restricted: restricted.is_some(),
        }
    }

    /// Takes in code `i`, the next best match of the text entered at `position`.
    #[inline]
    fn visit(
        &mut self,
        state: &'s State,
        at: Timestamp,
        position: usize,
        i: u32,
        diagnostics: &mut impl Diagnostics,
    ) {
        let code = &state.codes[i as usize];
        if code.kind == Kind::Removed {
            return;
        }
        let code_state = code.state(at);
        match (code.is_tracking(), code_state) {
            (true, CodeState::Active) if self.tracking.is_none() => self.tracking = Some(code),
            (true, CodeState::Active) => diagnostics.other(|| OtherMatch {
                entered: position,
                code: code.id,
                why: NotChosen::Outranked,
            }),
            (true, inactive) => {
                self.inactive_tracking.get_or_insert((code, inactive));
                diagnostics.other(|| OtherMatch {
                    entered: position,
                    code: code.id,
                    why: NotChosen::Inactive(inactive),
                });
            }
            (false, CodeState::Active) => {
                self.restricted.get_or_insert(code);
            }
            (false, inactive) => {
                self.inactive_restricted.get_or_insert((code, inactive));
            }
        }
    }
}

/// What `text` hits at `at`, as an entered code would, and the owner at `at` of the tracking
/// code hit (active or not).
pub(crate) fn resolve_text(
    state: &State,
    text: &str,
    at: Timestamp,
) -> (CodeHit, Option<PartnerId>) {
    let hit = resolve(state, text, at, 0, &mut Lean).hit;
    let owner = match hit {
        CodeHit::Matched(id) | CodeHit::Inactive { code: id, .. } => state
            .record(id)
            .and_then(|code| code.terms_at(at))
            .map(|terms| terms.owner),
        _ => None,
    };
    (hit, owner)
}
