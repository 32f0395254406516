//! Building an engine's state from a registry, and bringing one up to date at the cost of what
//! changed.

use std::collections::HashMap;
use std::sync::Arc;

use foldhash::fast::RandomState;
use smallvec::SmallVec;

use super::payouts::ExceptionLists;
use super::positions::Positions;
use super::schedule::merge;
use super::shared::{Chunked, Layered};
use super::state::{CodeRecord, Kind, State};
use crate::definitions::{Entry, Source, Touched};
use crate::matching::{Matcher, Pattern};
use crate::model::{
    AlwaysOwnerClicks, CodeTracking, CreditPolicy, Error, PartnerId, Settings, Terms, Timestamp,
    Window,
};

/// Past this many codes added since the last full compile (or an eighth of the codes compiled
/// then, if more), bringing an engine up to date compiles it whole instead: the matcher of the
/// added codes is rebuilt on every change that adds one, and a lookup asks it too.
const MAX_ADDED: usize = 8_192;

/// Past this many keys changed in the layered maps, the same.
const MAX_CHANGED: usize = 65_536;

/// Compiles the state of an engine. Fails only on capacity (see
/// [`Registry::compile`](crate::Registry::compile)).
pub(crate) fn compile(source: &Source<'_>) -> Result<State, Error> {
    let settings = source.settings;
    let base = Matcher::build(
        0,
        source.entries.iter().map(pattern),
        settings.regex_anchoring,
    )?;
    let codes = Chunked::collect(source.entries.iter().map(record));
    let (codes_of_owner, always_owner_periods) = if ignores_always_owner_clicks(settings) {
        let mut codes_of_owner: HashMap<PartnerId, Vec<u32>, RandomState> = HashMap::default();
        for (position, code) in (0u32..).zip(codes.iter()) {
            for owner in code.owners() {
                let positions = codes_of_owner.entry(owner).or_default();
                if positions.last() != Some(&position) {
                    positions.push(position);
                }
            }
        }
        let periods = codes_of_owner
            .iter()
            .map(|(&partner, positions)| (partner, always_periods(partner, positions, &codes)))
            .filter(|(_, periods)| !periods.is_empty())
            .collect();
        (Layered::new(codes_of_owner), Layered::new(periods))
    } else {
        (
            Layered::new(HashMap::default()),
            Layered::new(HashMap::default()),
        )
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
        added: None,
        contracts: Layered::new(source.contracts.iter().map(|(&p, &c)| (p, c)).collect()),
        exception_lists: Arc::new(ExceptionLists::build(
            source.exception_lists.iter().copied(),
        )),
        always_owner_periods,
        codes_of_owner,
    })
}

/// `state` brought up to the source's revision, given what changed since its own: it shares
/// everything that did not change. Compiles whole instead when the codes added since the last
/// full compile, or the changes to its maps, have grown past what keeps lookups as fast.
pub(crate) fn refresh(
    state: &State,
    source: &Source<'_>,
    touched: &Touched,
) -> Result<State, Error> {
    if needs_compaction(state, source.entries.len(), touched) {
        return compile(source);
    }
    let mut next = state.clone();
    next.revision = source.revision;
    next.stamp = source.stamp;
    let ignores = ignores_always_owner_clicks(&state.settings);
    let mut owners_touched: Vec<PartnerId> = Vec::new();
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
                owners_touched.extend(old.owners());
            }
        } else if record.kind != Kind::Removed {
            next.live += 1;
        }
        if ignores {
            for owner in record.owners() {
                owners_touched.push(owner);
                let mut positions = next.codes_of_owner.get(&owner).cloned().unwrap_or_default();
                let p = position as u32;
                if let Err(at) = positions.binary_search(&p) {
                    positions.insert(at, p);
                    next.codes_of_owner.set(owner, Some(positions));
                }
            }
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
    if touched.positions.iter().any(|&p| p >= state.base_len) {
        let added = &source.entries[state.base_len..];
        let matcher = Matcher::build_after(
            &state.base,
            state.base_len,
            added.iter().map(pattern),
            state.settings.regex_anchoring,
        )?;
        next.added = Some(Arc::new(matcher));
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
    owners_touched.sort_unstable();
    owners_touched.dedup();
    for partner in owners_touched {
        let positions = next
            .codes_of_owner
            .get(&partner)
            .cloned()
            .unwrap_or_default();
        let periods = always_periods(partner, &positions, &next.codes);
        next.always_owner_periods
            .set(partner, (!periods.is_empty()).then_some(periods));
    }
    Ok(next)
}

/// Whether bringing `state` up to a registry of `entries` codes, given what changed, should
/// compile whole instead: when the codes added since the last full compile, or the changes to
/// its maps, have grown past what keeps lookups as fast.
pub(crate) fn needs_compaction(state: &State, entries: usize, touched: &Touched) -> bool {
    let added = entries.saturating_sub(state.base_len);
    let changed = state.ids.changed() + state.contracts.changed() + touched.positions.len();
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

/// The merged periods in which `partner` owns an active `Always` code, over the codes at
/// `positions`: each code's active periods, cut to the spans of its terms that name the
/// partner with `Always`.
fn always_periods(
    partner: PartnerId,
    positions: &[u32],
    codes: &Chunked<CodeRecord>,
) -> Vec<Window> {
    let mut periods = Vec::new();
    for code in positions.iter().filter_map(|&p| codes.get(p as usize)) {
        if !code.is_tracking() {
            continue;
        }
        let steps: SmallVec<[(Option<Timestamp>, Terms); 2]> = code.terms_steps().collect();
        for (i, &(from, terms)) in steps.iter().enumerate() {
            if terms.owner != partner || terms.credit != CreditPolicy::Always {
                continue;
            }
            let until = steps.get(i + 1).and_then(|(next, _)| *next);
            let span = Window { from, until };
            periods.extend(
                code.periods()
                    .into_iter()
                    .filter_map(|p| p.intersect(&span)),
            );
        }
    }
    merge(periods)
}
