//! A registry as plain data, in registration order: what the snapshots (JSON through serde, and
//! the compact binary form) write and read, and the two ways of reading one back — through
//! every registration rule, or trusting a snapshot whose checksum held.

use std::collections::HashMap;
use std::sync::Arc;

use super::history::{History, HistoryEntry, Recorded};
use super::store::Store;
use crate::definitions::{Definition, Key, TermChange, validate_list};
use crate::model::{
    Change, Code, Contract, Error, ExceptionList, LifecycleEvent, PartnerId, Reason, Settings,
};

/// Everything a registry holds.
pub(crate) struct Image {
    pub(crate) settings: Settings,
    pub(crate) codes: Vec<ImageCode>,
    /// Sorted by partner.
    pub(crate) contracts: Vec<(PartnerId, Contract)>,
    pub(crate) exception_lists: Vec<ExceptionList>,
    pub(crate) revision: u64,
    pub(crate) history: Vec<ImageEntry>,
}

pub(crate) struct ImageCode {
    pub(crate) code: Code,
    pub(crate) events: Vec<LifecycleEvent>,
    pub(crate) term_changes: Vec<TermChange>,
    pub(crate) removed: bool,
}

pub(crate) struct ImageEntry {
    pub(crate) revision: u64,
    pub(crate) change: ImageChange,
    pub(crate) note: Option<Arc<str>>,
}

pub(crate) enum ImageChange {
    /// The code at this position was added as it still is: the entry shares its definition.
    AddOf(usize),
    Change(Change),
}

/// How a snapshot is read back.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Check {
    /// Every registration rule, as if each code were added again.
    Validate,
    /// The form of the data only: ids unique, references in range. For snapshots whose
    /// checksum held, written by this crate from a valid registry.
    Trust,
}

impl Store {
    /// The registry as plain data.
    pub(crate) fn to_image(&self) -> Image {
        let position_of_definition: HashMap<*const Definition, usize> = self
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| (Arc::as_ptr(&e.definition), i))
            .collect();
        let mut contracts: Vec<(PartnerId, Contract)> =
            self.contracts.iter().map(|(&p, &c)| (p, c)).collect();
        contracts.sort_by_key(|(partner, _)| *partner);
        Image {
            settings: self.settings.clone(),
            codes: self
                .entries
                .iter()
                .map(|e| ImageCode {
                    code: e.definition.code.clone(),
                    events: e.events.clone(),
                    term_changes: e.term_changes.clone(),
                    removed: e.removed,
                })
                .collect(),
            contracts,
            exception_lists: self
                .exception_lists
                .iter()
                .map(|(l, _)| l.clone())
                .collect(),
            revision: self.history.revision(),
            history: self
                .history
                .entries()
                .iter()
                .map(|entry| ImageEntry {
                    revision: entry.revision(),
                    change: match entry.recorded() {
                        Recorded::Added(definition) => {
                            match position_of_definition.get(&Arc::as_ptr(definition)) {
                                Some(&position) => ImageChange::AddOf(position),
                                None => ImageChange::Change(entry.change()),
                            }
                        }
                        Recorded::Other(change) => ImageChange::Change(change.clone()),
                    },
                    note: entry.note().map(Arc::from),
                })
                .collect(),
        }
    }

    /// Reads a registry back. With [`Check::Validate`] a code the registry would reject fails
    /// with the registry's own error, naming it; with [`Check::Trust`] only the form is checked.
    pub(crate) fn from_image(image: Image, check: Check) -> Result<Store, Error> {
        let mut registry = Store::new(image.settings);
        for ImageCode {
            code,
            mut events,
            mut term_changes,
            removed,
        } in image.codes
        {
            let definition = match check {
                Check::Validate => registry.validate(code, &Default::default())?,
                Check::Trust => trusted(code)?,
            };
            let id = definition.code.id();
            if registry.by_id.contains_key(&id) {
                return Err(Error::snapshot(format!("code {id} appears twice")));
            }
            let position = registry.entries.len();
            registry.insert(definition);
            // Stable sorts: at one instant the order they were applied in is kept.
            events.sort_by_key(|e| e.at);
            term_changes.sort_by_key(|c| c.at);
            let entry = &mut registry.entries[position];
            entry.events = events;
            entry.term_changes = term_changes;
            if removed {
                entry.removed = true;
                if let Some(folded) = entry.definition.key.folded() {
                    registry.exact.remove(folded, position);
                }
                registry.live -= 1;
            }
        }
        for (partner, contract) in image.contracts {
            if check == Check::Validate {
                contract
                    .window
                    .check()
                    .map_err(|reason| Error::contract(partner, reason))?;
            }
            registry.contracts.insert(partner, contract);
        }
        for list in image.exception_lists {
            let validated = validate_list(&list)?;
            registry.exception_lists.push((list, validated));
        }
        let mut entries = Vec::with_capacity(image.history.len());
        let mut last = 0;
        for ImageEntry {
            revision,
            change,
            note,
        } in image.history
        {
            if revision < last || revision > image.revision {
                return Err(Error::snapshot(format!(
                    "history revision {revision} out of order (after {last}, at most {})",
                    image.revision
                )));
            }
            last = revision;
            let recorded = match change {
                ImageChange::AddOf(position) => match registry.entries.get(position) {
                    Some(entry) => Recorded::Added(Arc::clone(&entry.definition)),
                    None => {
                        let why = format!("history names code position {position}, past the end");
                        return Err(Error::snapshot(why));
                    }
                },
                ImageChange::Change(change) => Recorded::Other(change),
            };
            entries.push(HistoryEntry::new(revision, recorded, note));
        }
        registry.history = History::restore(entries, image.revision);
        Ok(registry)
    }
}

/// A code from a trusted snapshot: trimmed and checked when it was added, so only its key is
/// derived again.
fn trusted(code: Code) -> Result<Definition, Error> {
    let key = Key::of_validated(&code)
        .map_err(|reason: Reason| Error::code(code.id(), code.text(), reason))?;
    Ok(Definition { code, key })
}
