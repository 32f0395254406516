//! Building an engine's state from a registry, and bringing one up to date at the cost of what
//! changed.

use std::sync::Arc;

use super::owners::{AlwaysOwners, Moves};
use super::payouts::ExceptionLists;
use super::positions::Positions;
use super::shared::{Chunked, Layered};
use super::state::{CodeRecord, Kind, State};
use crate::definitions::{Entry, RegistryView, Touched};
use crate::matching::{Matcher, Pattern};
use crate::model::{AlwaysOwnerClicks, CodeTracking, Error, Settings};

/// Past this many codes added since the last full compile (or an eighth of the codes compiled
/// then, if more), bringing an engine up to date compiles it whole instead: a lookup asks
/// every matcher of added codes too, and there are about log2 of their number.
const MAX_ADDED: usize = 8_192;

/// Past this many keys changed in the layered maps, the same.
const MAX_CHANGED: usize = 65_536;

/// Compiles the state of an engine. Fails only on capacity (see
/// [`Registry::compile`](crate::Registry::compile)).
pub(crate) fn compile(source: &RegistryView<'_>) -> Result<State, Error> {
    let settings = source.settings;
    let base = Matcher::build(
        0,
        source.entries.iter().map(pattern),
        settings.regex_anchoring,
    )?;
    let codes = Chunked::collect(source.entries.iter().map(record));
    let always_owners = if ignores_always_owner_clicks(settings) {
        AlwaysOwners::of(codes.iter().flat_map(CodeRecord::always_spans))
    } else {
        AlwaysOwners::none()
    };
    Ok(State {
        settings: Arc::new(settings.clone()),
        revision: source.revision,
        stamp: source.stamp,
        live: source.entries.iter().filter(|e| !e.removed).count(),
        codes,
        definitions: Chunked::collect(source.entries.iter().map(|e| Arc::clone(&e.definition))),
        ids: Positions::build(source.by_id.iter().map(|(&id, &position)| (id, position)))
            .ok_or_else(|| Error::capacity("more than 2^32 - 2 codes"))?,
        base: Arc::new(base),
        base_len: source.entries.len(),
        added: Vec::new(),
        contracts: Layered::new(source.contracts.iter().map(|(&p, &c)| (p, c)).collect()),
        exception_lists: Arc::new(ExceptionLists::build(
            source.exception_lists.iter().copied(),
        )),
        always_owners,
    })
}

/// `state` brought up to the source's revision, given what changed since its own: it shares
/// everything that did not change. Compiles whole instead when the codes added since the last
/// full compile, or the changes to its maps, have grown past what keeps lookups as fast.
pub(crate) fn refresh(
    state: &State,
    source: &RegistryView<'_>,
    touched: &Touched,
) -> Result<State, Error> {
    if needs_compaction(state, source.entries.len(), touched) {
        return compile(source);
    }
    let mut next = state.clone();
    next.revision = source.revision;
    next.stamp = source.stamp;
    let ignores = ignores_always_owner_clicks(&state.settings);
    let mut owner_moves = Moves::default();
    for &position in &touched.positions {
        let Some(entry) = source.entries.get(position) else {
            continue;
        };
        let record = CodeRecord::of(entry, next.codes.get(position));
        if let Some(old) = next.codes.get(position) {
            if old.kind != Kind::Removed && record.kind == Kind::Removed {
                next.live -= 1;
            }
            if ignores {
                owner_moves.spans(old.always_spans(), -1);
            }
        } else if record.kind != Kind::Removed {
            next.live += 1;
        }
        if ignores {
            owner_moves.spans(record.always_spans(), 1);
        }
        if position < next.codes.len() {
            next.codes.set(position, record);
            next.definitions
                .set(position, Arc::clone(&entry.definition));
        } else {
            next.ids.set(entry.definition.code.id(), position);
            next.codes.push(record);
            next.definitions.push(Arc::clone(&entry.definition));
        }
    }
    // The codes added since: a matcher of their own, merged with the last ones while they are
    // no larger, so that sizes halve at least from one matcher to the next. Matchers hold
    // texts and patterns only, which no change alters (a removed code is filtered out by its
    // record), so a code already indexed needs no other rebuild.
    let total = source.entries.len();
    let mut first = state.added.last().map_or(state.base_len, |m| m.end());
    if first < total {
        while let Some(last) = next.added.last() {
            let last_first = match next.added.len().checked_sub(2) {
                Some(before) => next.added[before].end(),
                None => state.base_len,
            };
            if last.end() - last_first > total - first {
                break;
            }
            first = last_first;
            next.added.pop();
        }
        let matcher = Matcher::build_after(
            &state.base,
            first,
            source.entries[first..].iter().map(pattern),
            state.settings.regex_anchoring,
        )?;
        next.added.push(Arc::new(matcher));
    }
    for &partner in &touched.partners {
        next.contracts
            .set(partner, source.contracts.get(&partner).copied());
    }
    if touched.exception_lists {
        next.exception_lists = Arc::new(ExceptionLists::build(
            source.exception_lists.iter().copied(),
        ));
    }
    next.always_owners.moved(owner_moves);
    Ok(next)
}

/// Whether bringing `state` up to a registry of `entries` codes, given what changed, should
/// compile whole instead: when the codes added since the last full compile, or the changes to
/// its maps, have grown past what keeps lookups as fast.
pub(crate) fn needs_compaction(state: &State, entries: usize, touched: &Touched) -> bool {
    let added = entries.saturating_sub(state.base_len);
    let changed = state.ids.changed()
        + state.contracts.changed()
        + state.always_owners.changed()
        + touched.positions.len();
    added > MAX_ADDED.max(state.base_len / 8) || changed > MAX_CHANGED
}

fn ignores_always_owner_clicks(settings: &Settings) -> bool {
    settings.always_owner_clicks == AlwaysOwnerClicks::Ignore
        && settings.tracking == CodeTracking::Enabled
}

fn pattern(entry: &Entry) -> Pattern<'_> {
    if entry.removed {
        Pattern::Nothing
    } else {
        entry.definition.pattern()
    }
}

pub(crate) fn record(entry: &Entry) -> CodeRecord {
    CodeRecord::of(entry, None)
}
