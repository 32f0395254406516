//! Building an engine's state from a registry's definitions.

use std::collections::HashMap;
use std::sync::Arc;

use foldhash::fast::RandomState;

use super::payouts::ExceptionLists;
use super::schedule::{active_periods, merge};
use super::state::{CodeRecord, Kind, State};
use crate::definitions::{Entry, IdIndex, ValidatedList};
use crate::matching::{Matcher, Pattern};
use crate::model::{
    AlwaysOwnerClicks, Code, CodeTracking, Contract, CreditPolicy, Error, PartnerId, Settings,
    Timestamp, Window,
};

/// Compiles the state of an engine. Fails only on capacity (see
/// [`Registry::compile`](crate::Registry::compile)).
pub(crate) fn compile<'a>(
    settings: &Settings,
    entries: &[Entry],
    by_id: &IdIndex,
    contracts: &HashMap<PartnerId, Contract>,
    exception_lists: impl IntoIterator<Item = &'a ValidatedList>,
    revision: u64,
) -> Result<State, Error> {
    let patterns = entries.iter().map(|e| {
        if e.removed {
            Pattern::Nothing
        } else {
            e.definition.pattern()
        }
    });
    let matcher = Matcher::build(patterns, settings.regex_anchoring)?;
    let codes: Vec<CodeRecord> = entries.iter().map(record).collect();
    let always_owner_periods = match (settings.always_owner_clicks, settings.tracking) {
        (AlwaysOwnerClicks::Ignore, CodeTracking::Enabled) => always_owner_periods(&codes),
        _ => HashMap::default(),
    };
    Ok(State {
        settings: settings.clone(),
        revision,
        codes,
        definitions: entries.iter().map(|e| Arc::clone(&e.definition)).collect(),
        by_id: Arc::new(by_id.clone()),
        matcher,
        contracts: contracts.iter().map(|(&p, &c)| (p, c)).collect(),
        exception_lists: ExceptionLists::build(exception_lists),
        always_owner_periods,
    })
}

pub(crate) fn record(entry: &Entry) -> CodeRecord {
    let code = &entry.definition.code;
    let kind = match code {
        _ if entry.removed => Kind::Removed,
        Code::Tracking(_) => Kind::Tracking,
        Code::Restricted(_) => Kind::Restricted,
    };
    CodeRecord {
        id: code.id(),
        kind,
        scheduled_from: code.window().from,
        active: active_periods(code.window(), &entry.events),
        terms: entry.terms_timeline(),
    }
}

/// Per partner, the merged periods in which it owns an active `Always` code: the code's active
/// periods, cut to the spans of its terms that name the partner with `Always`.
fn always_owner_periods(codes: &[CodeRecord]) -> HashMap<PartnerId, Vec<Window>, RandomState> {
    let mut periods: HashMap<PartnerId, Vec<Window>, RandomState> = HashMap::default();
    for code in codes.iter().filter(|c| c.is_tracking()) {
        for (i, &(from, terms)) in code.terms.iter().enumerate() {
            if terms.credit != CreditPolicy::Always {
                continue;
            }
            let until: Option<Timestamp> = code.terms.get(i + 1).and_then(|(next, _)| *next);
            let span = Window { from, until };
            let owned = periods.entry(terms.owner).or_default();
            owned.extend(code.active.iter().filter_map(|p| p.intersect(&span)));
        }
    }
    for owned in periods.values_mut() {
        *owned = merge(std::mem::take(owned));
    }
    periods
}
