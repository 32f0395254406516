//! A registry as plain data, in registration order: what the snapshots (JSON through serde, and
//! the compact binary form) write and read, and the two ways of reading one back — through
//! every registration rule, or trusting a snapshot whose checksum held.

use std::sync::Arc;

use super::history::{History, HistoryEntry, Recorded};
use super::lineage::{Lineage, Stretch};
use super::store::Store;
use crate::definitions::{
    Definition, Entry, InOrder, Key, TermChange, index_ids, index_texts, validate_list,
};
use crate::model::{
    Change, Checkpoint, Code, CodeId, Contract, Error, ExceptionList, LifecycleEvent, PartnerId,
    Reason, Settings,
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
    /// The stretches of the registry's lineage; `None` in a snapshot written before they
    /// were kept.
    pub(crate) lineage: Option<Vec<Stretch>>,
    /// Where the history before the one kept was folded, if it was.
    pub(crate) checkpoint: Option<Checkpoint>,
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
pub(crate) enum ReadMode {
    /// Every registration rule, as if each code were added again.
    Validate,
    /// The form of the data only: ids unique, references in range. For snapshots whose
    /// checksum held, written by this crate from a valid registry.
    Trust,
}

impl Store {
    /// The registry as plain data.
    pub(crate) fn to_image(&self) -> Image {
        // An added code still as added is written as its position: the same definition, or
        // (after a change that left it as it was) an equal one.
        let position_as_added = |added: &Definition| {
            let position = *self.by_id.get(&added.code.id())?;
            let now = &self.entries[position].definition;
            (std::ptr::eq(&**now, added) || now.code == added.code).then_some(position)
        };
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
                    events: e.events().collect(),
                    term_changes: e.term_changes().collect(),
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
                        Recorded::Added(definition) => match position_as_added(definition) {
                            Some(position) => ImageChange::AddOf(position),
                            None => ImageChange::Change(entry.change()),
                        },
                        Recorded::Other(change) => ImageChange::Change((**change).clone()),
                    },
                    note: entry.note().map(Arc::from),
                })
                .collect(),
            lineage: Some(self.lineage.stretches(self.history.revision()).to_vec()),
            checkpoint: self.checkpoint,
        }
    }

    /// Reads a registry back. With [`ReadMode::Validate`] a code the registry would reject fails
    /// with the registry's own error, naming it; with [`ReadMode::Trust`] only the form is checked.
    pub(crate) fn from_image(image: Image, check: ReadMode) -> Result<Store, Error> {
        let mut restore = Restore::new(image.settings, check, image.codes.len());
        for code in image.codes {
            restore.code(code)?;
        }
        for (partner, contract) in image.contracts {
            restore.contract(partner, contract)?;
        }
        for list in image.exception_lists {
            restore.exception_list(list)?;
        }
        restore.reserve_history(image.history.len());
        for entry in image.history {
            restore.history(entry)?;
        }
        restore.finish(image.revision, image.lineage, image.checkpoint)
    }
}

/// A registry being read back, one part after another, so that a snapshot of a million codes
/// is never held whole beside the registry it becomes.
pub(crate) struct Restore {
    store: Store,
    check: ReadMode,
    history: Vec<HistoryEntry>,
}

impl Restore {
    /// `codes` is how many codes are coming, to size the tables once.
    pub(crate) fn new(settings: Settings, check: ReadMode, codes: usize) -> Restore {
        let mut store = Store::new(settings);
        store.entries.reserve(codes);
        if check == ReadMode::Validate {
            store.by_id.reserve(codes);
            store.exact.reserve(codes);
        }
        Restore {
            store,
            check,
            history: Vec::new(),
        }
    }

    pub(crate) fn code(&mut self, code: ImageCode) -> Result<(), Error> {
        let ImageCode {
            code,
            mut events,
            mut term_changes,
            removed,
        } = code;
        // Registration trims a text before storing it, so a snapshot never holds white space
        // around one. Were it taken as it is, the two reads would disagree: the validated one
        // re-registers (and so trims) the code, the trusted one keeps it whole.
        if code.text().trim().len() != code.text().len() {
            let why = format!(
                "code {} has the text {:?}, with white space around it, which registration \
                 would have trimmed",
                code.id(),
                code.text()
            );
            return Err(Error::snapshot(why));
        }
        let store = &mut self.store;
        let position = store.entries.len();
        match self.check {
            ReadMode::Validate => {
                let definition = store.validate(code, &Default::default())?;
                let id = definition.code.id();
                // One probe of the id index, not two: at a million codes each is a cache miss.
                match store.by_id.entry(id) {
                    std::collections::hash_map::Entry::Occupied(_) => return Err(twice(id)),
                    std::collections::hash_map::Entry::Vacant(slot) => slot.insert(position),
                };
                store.push(definition);
            }
            ReadMode::Trust => {
                // Indexed all at once by `finish`, which is several times faster.
                store.entries.push(Entry::new(trusted(code)?));
                store.live += 1;
            }
        }
        // Stable sorts: at one instant the order they were applied in is kept.
        events.sort_by_key(|e| e.at);
        term_changes.sort_by_key(|c| c.at);
        let entry = &mut store.entries[position];
        if !events.is_empty() || !term_changes.is_empty() {
            let timeline = entry.timeline_mut();
            timeline.events = InOrder::of(events.into_iter().map(|e| (e.at, e.action)));
            timeline.term_changes = InOrder::of(term_changes.into_iter().map(|c| (c.at, c.update)));
        }
        if removed {
            entry.removed = true;
            // Nothing to remove when trusted: only `finish` indexes, live codes only.
            entry
                .definition
                .with_folded(|folded| store.exact.remove(folded, position));
            store.live -= 1;
        }
        Ok(())
    }

    pub(crate) fn contract(&mut self, partner: PartnerId, contract: Contract) -> Result<(), Error> {
        if self.check == ReadMode::Validate {
            contract
                .window
                .check()
                .map_err(|reason| Error::contract(partner, reason))?;
        }
        self.store.contracts.insert(partner, contract);
        Ok(())
    }

    pub(crate) fn exception_list(&mut self, list: ExceptionList) -> Result<(), Error> {
        let validated = validate_list(&list)?;
        self.store.exception_lists.push((list, validated));
        Ok(())
    }

    pub(crate) fn reserve_history(&mut self, entries: usize) {
        self.history.reserve(entries);
    }

    pub(crate) fn history(&mut self, entry: ImageEntry) -> Result<(), Error> {
        let ImageEntry {
            revision,
            change,
            note,
        } = entry;
        let last = self.history.last().map_or(0, HistoryEntry::revision);
        if revision < last {
            let why = format!("history revision {revision} comes after {last}");
            return Err(Error::snapshot(why));
        }
        let recorded = match change {
            ImageChange::AddOf(position) => match self.store.entries.get(position) {
                Some(entry) => Recorded::Added(Arc::clone(&entry.definition)),
                None => {
                    let why = format!("history names code position {position}, past the end");
                    return Err(Error::snapshot(why));
                }
            },
            ImageChange::Change(Change::Add { code }) => match self.registered_as(&code) {
                Some(definition) => Recorded::Added(definition),
                None => Recorded::Other(Box::new(Change::Add { code })),
            },
            ImageChange::Change(change) => Recorded::Other(Box::new(change)),
        };
        self.history
            .push(HistoryEntry::new(revision, recorded, note));
        Ok(())
    }

    /// The definition of the code `code` added, if it is still as added: a JSON snapshot
    /// writes both in full, and the history shares it, as the registry written did (a
    /// registry read back from JSON held every code twice, and wrote a longer binary snapshot
    /// than the one it was read from). The binary form says so itself, by position.
    fn registered_as(&self, code: &Code) -> Option<Arc<Definition>> {
        let position = *self.store.by_id.get(&code.id())?;
        let entry = &self.store.entries[position];
        (entry.definition.code == *code).then(|| Arc::clone(&entry.definition))
    }

    /// The registry, at `revision`, of the lineage of the registry the snapshot was taken of
    /// (a new one for a snapshot without it), forked: the two may change apart from here.
    pub(crate) fn finish(
        mut self,
        revision: u64,
        lineage: Option<Vec<Stretch>>,
        checkpoint: Option<Checkpoint>,
    ) -> Result<Store, Error> {
        let last = self.history.last().map_or(0, HistoryEntry::revision);
        if last > revision {
            let why = format!("history reaches revision {last}, past the registry's {revision}");
            return Err(Error::snapshot(why));
        }
        if let Some(checkpoint) = checkpoint {
            let folded = checkpoint.revision();
            if folded > revision {
                let why =
                    format!("checkpoint at revision {folded}, past the registry's {revision}");
                return Err(Error::snapshot(why));
            }
            if let Some(first) = self.history.first().filter(|e| e.revision() <= folded) {
                let why = format!(
                    "history holds revision {}, folded by the checkpoint at revision {folded}",
                    first.revision()
                );
                return Err(Error::snapshot(why));
            }
        }
        if self.check == ReadMode::Trust {
            self.store.by_id = index_ids(&self.store.entries).map_err(twice)?;
            self.store.exact = index_texts(&self.store.entries);
        }
        self.store.checkpoint = checkpoint;
        self.store.history = History::restore(self.history, revision);
        let mut lineage = match lineage {
            None => Lineage::new(),
            Some(stretches) => Lineage::from_stretches(stretches).ok_or_else(|| {
                Error::snapshot(
                    "the lineage's stretches must start at revision 0 and each after the one \
                     before",
                )
            })?,
        };
        lineage.fork(revision + 1);
        self.store.lineage = lineage;
        Ok(self.store)
    }
}

fn twice(id: CodeId) -> Error {
    Error::snapshot(format!("code {id} appears twice"))
}

/// A code from a trusted snapshot: trimmed and checked when it was added, so only its key is
/// derived again.
fn trusted(code: Code) -> Result<Definition, Error> {
    let key = Key::of_validated(&code)
        .map_err(|reason: Reason| Error::code(code.id(), code.text(), reason))?;
    Ok(Definition { code, key })
}
