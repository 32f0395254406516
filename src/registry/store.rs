//! What a registry holds, apart from the identity that ties engines to it. The registry's
//! public methods (`mod.rs`) work through it; validation, changes and images add to it in
//! their own files.

use std::collections::HashMap;

use super::history::History;
use super::lineage::Lineage;
use crate::definitions::{Entry, IdIndex, TextIndex, ValidatedList};
use crate::model::{Checkpoint, CodeId, Contract, ExceptionList, PartnerId, Settings};

#[derive(Clone, Debug)]
pub(super) struct Store {
    pub(super) settings: Settings,
    /// In registration order; a removed code stays, marked, so that positions never move.
    pub(super) entries: Vec<Entry>,
    /// Code id → position in `entries`, removed codes included: their ids are never reused.
    pub(super) by_id: IdIndex,
    /// Case-folded text of live exact codes (tracking and restricted) → positions.
    pub(super) exact: TextIndex,
    /// The number of codes not removed.
    pub(super) live: usize,
    pub(super) contracts: HashMap<PartnerId, Contract>,
    /// In registration order, each with its validated form.
    pub(super) exception_lists: Vec<(ExceptionList, ValidatedList)>,
    /// The history kept: the changes after the last checkpoint.
    pub(super) history: History,
    /// Where the history before was folded, if it was.
    pub(super) checkpoint: Option<Checkpoint>,
    /// The stamps of its revisions, which engines are brought up to date by.
    pub(super) lineage: Lineage,
}

impl Store {
    pub(super) fn new(settings: Settings) -> Store {
        Store {
            settings,
            entries: Vec::new(),
            by_id: IdIndex::default(),
            exact: TextIndex::default(),
            live: 0,
            contracts: HashMap::new(),
            exception_lists: Vec::new(),
            history: History::default(),
            checkpoint: None,
            lineage: Lineage::new(),
        }
    }

    /// The entry of a code that is registered and not removed.
    pub(super) fn entry(&self, id: CodeId) -> Option<&Entry> {
        let entry = &self.entries[*self.by_id.get(&id)?];
        (!entry.removed).then_some(entry)
    }
}
