//! Rule 3 of the decision: what one entered text hits at an instant — the active tracking code
//! that wins it, an active restricted code, or why nothing does.

use smallvec::SmallVec;

use super::state::{Kind, State};
use crate::matching::fold;
use crate::model::{CodeHit, CodeState, MAX_CODE_LEN, NotChosen, OtherMatch, PartnerId, Timestamp};

/// What one entered text resolved to.
pub(crate) struct Resolved {
    pub(crate) hit: CodeHit,
    /// The position of the active tracking code that wins this text.
    pub(crate) tracking: Option<u32>,
    /// Whether the text hits an active restricted code.
    pub(crate) restricted: bool,
}

/// Resolves the text entered at `position` at instant `at`; pushes the tracking codes that
/// matched it but lost onto `others`, with why.
///
/// The text is trimmed; empty or longer than [`MAX_CODE_LEN`] bytes, it matches nothing. The
/// matcher lists the codes best first, so the first active tracking code wins and the active
/// ones after it are outranked. The hit is, by the first that applies: an active restricted
/// code, the winning tracking code, the best inactive tracking code, an inactive restricted
/// code, unknown.
pub(crate) fn resolve(
    state: &State,
    raw: &str,
    at: Timestamp,
    position: usize,
    others: &mut SmallVec<[OtherMatch; 4]>,
) -> Resolved {
    let text = fold::trim(raw);
    let unresolved = |hit| Resolved {
        hit,
        tracking: None,
        restricted: false,
    };
    if text.is_empty() {
        return unresolved(CodeHit::Empty);
    }
    if text.len() > MAX_CODE_LEN {
        return unresolved(CodeHit::TooLong);
    }
    let mut tracking: Option<u32> = None;
    let mut restricted: Option<u32> = None;
    let mut inactive_tracking: Option<(u32, CodeState)> = None;
    let mut inactive_restricted: Option<(u32, CodeState)> = None;
    state.matchers().for_each_match(text, |i| {
        let code = &state.codes[i as usize];
        if code.kind == Kind::Removed {
            return;
        }
        let code_state = code.state(at);
        match (code.is_tracking(), code_state) {
            (true, CodeState::Active) if tracking.is_none() => tracking = Some(i),
            (true, CodeState::Active) => others.push(OtherMatch {
                entered: position,
                code: code.id,
                why: NotChosen::Outranked,
            }),
            (true, inactive) => {
                inactive_tracking.get_or_insert((i, inactive));
                others.push(OtherMatch {
                    entered: position,
                    code: code.id,
                    why: NotChosen::Inactive(inactive),
                });
            }
            (false, CodeState::Active) => {
                restricted.get_or_insert(i);
            }
            (false, inactive) => {
                inactive_restricted.get_or_insert((i, inactive));
            }
        }
    });
    let hit = if let Some(i) = restricted {
        CodeHit::Restricted(state.id_of(i))
    } else if let Some(i) = tracking {
        CodeHit::Matched(state.id_of(i))
    } else if let Some((i, code_state)) = inactive_tracking.or(inactive_restricted) {
        CodeHit::Inactive {
            code: state.id_of(i),
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

/// What `text` hits at `at`, as an entered code would, and the owner at `at` of the tracking
/// code hit (active or not).
pub(crate) fn resolve_text(
    state: &State,
    text: &str,
    at: Timestamp,
) -> (CodeHit, Option<PartnerId>) {
    let mut others: SmallVec<[OtherMatch; 4]> = SmallVec::new();
    let hit = resolve(state, text, at, 0, &mut others).hit;
    let owner = match hit {
        CodeHit::Matched(id) | CodeHit::Inactive { code: id, .. } => state
            .record(id)
            .and_then(|code| code.terms_at(at))
            .map(|terms| terms.owner),
        _ => None,
    };
    (hit, owner)
}
