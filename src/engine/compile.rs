//! Building an engine's state from a registry's definitions.

use std::collections::HashMap;
use std::sync::Arc;

use foldhash::fast::RandomState;

use super::payouts::ExceptionLists;
use super::schedule::{active_periods, merge};
use super::state::{CodeRecord, State};
use crate::definitions::{Entry, IdIndex, ValidatedList};
use crate::matching::Matcher;
use crate::model::{
    AlwaysOwnerClicks, Code, CodeTracking, Contract, CreditPolicy, Error, PartnerId, Settings,
    Window,
};

/// Compiles the state of an engine. Fails only on capacity (see
/// [`Registry::compile`](crate::Registry::compile)).
pub(crate) fn compile<'a>(
    settings: &Settings,
    entries: &[Entry],
    by_id: &Arc<IdIndex>,
    contracts: &HashMap<PartnerId, Contract>,
    exception_lists: impl IntoIterator<Item = &'a ValidatedList>,
) -> Result<State, Error> {
    let matcher = Matcher::build(
        entries.iter().map(|e| e.definition.pattern()),
        settings.regex_anchoring,
    )?;
    let codes: Vec<CodeRecord> = entries.iter().map(record).collect();
    let always_owner_periods = match (settings.always_owner_clicks, settings.tracking) {
        (AlwaysOwnerClicks::Ignore, CodeTracking::Enabled) => always_owner_periods(&codes),
        _ => HashMap::default(),
    };
    Ok(State {
        settings: settings.clone(),
        codes,
        definitions: entries.iter().map(|e| Arc::clone(&e.definition)).collect(),
        by_id: Arc::clone(by_id),
        matcher,
        contracts: contracts.iter().map(|(&p, &c)| (p, c)).collect(),
        exception_lists: ExceptionLists::build(exception_lists),
        always_owner_periods,
    })
}

fn record(entry: &Entry) -> CodeRecord {
    let code = &entry.definition.code;
    let (credit, owner) = match code {
        Code::Tracking(t) => (Some(t.credit), t.owner),
        Code::Restricted(_) => (None, PartnerId(0)),
    };
    CodeRecord {
        id: code.id(),
        credit,
        owner,
        scheduled_from: code.window().from,
        active: active_periods(code.window(), &entry.events),
    }
}

/// Per partner, the merged periods in which it owns an active `Always` code.
fn always_owner_periods(codes: &[CodeRecord]) -> HashMap<PartnerId, Vec<Window>, RandomState> {
    let mut periods: HashMap<PartnerId, Vec<Window>, RandomState> = HashMap::default();
    for code in codes {
        if code.credit == Some(CreditPolicy::Always) {
            periods
                .entry(code.owner)
                .or_default()
                .extend(code.active.iter().copied());
        }
    }
    for owned in periods.values_mut() {
        *owned = merge(std::mem::take(owned));
    }
    periods
}
