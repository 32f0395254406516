//! What a registry has been through: every change, with the revision that made it and the
//! host's note. Engines read it to learn what changed since the revision they reflect.

use std::sync::Arc;

use crate::definitions::Definition;
use crate::model::{Change, CodeId};

/// One change in a registry's [history](crate::Registry::history).
///
/// The changes of one call ([`apply`](crate::Registry::apply), [`add`](crate::Registry::add),
/// [`add_all`](crate::Registry::add_all), …) share a revision: revisions only grow, by one per
/// successful call, and an [`Engine`](crate::Engine) reflects the registry at one of them.
#[derive(Clone, Debug)]
pub struct HistoryEntry {
    revision: u64,
    change: Recorded,
    note: Option<Arc<str>>,
}

/// A change as kept: an added code shares its definition with the registry instead of being
/// copied, which would double the memory of a registry of a million codes.
#[derive(Clone, Debug)]
pub(crate) enum Recorded {
    Added(Arc<Definition>),
    /// Boxed: a change holds a whole code at most, which would make every entry that size.
    Other(Box<Change>),
}

impl HistoryEntry {
    pub(crate) fn new(revision: u64, change: Recorded, note: Option<Arc<str>>) -> HistoryEntry {
        HistoryEntry {
            revision,
            change,
            note,
        }
    }

    /// The revision the change made.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// The host's note on the call that made it (who, why), if any.
    pub fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }

    /// The change, as it was applied.
    pub fn change(&self) -> Change {
        match &self.change {
            Recorded::Added(definition) => Change::Add {
                code: definition.code.clone(),
            },
            Recorded::Other(change) => (**change).clone(),
        }
    }

    /// The code the change is about, when it is about one.
    pub fn code_id(&self) -> Option<CodeId> {
        match &self.change {
            Recorded::Added(definition) => Some(definition.code.id()),
            Recorded::Other(change) => change.code_id(),
        }
    }

    pub(crate) fn recorded(&self) -> &Recorded {
        &self.change
    }
}

impl PartialEq for HistoryEntry {
    fn eq(&self, other: &Self) -> bool {
        self.revision == other.revision
            && self.note == other.note
            && self.change() == other.change()
    }
}

impl Eq for HistoryEntry {}

/// The entries in revision order.
#[derive(Clone, Debug, Default)]
pub(crate) struct History {
    entries: Vec<HistoryEntry>,
    revision: u64,
}

impl History {
    pub(crate) fn revision(&self) -> u64 {
        self.revision
    }

    pub(crate) fn entries(&self) -> &[HistoryEntry] {
        &self.entries
    }

    /// The entries of the revisions after `revision`.
    pub(crate) fn since(&self, revision: u64) -> &[HistoryEntry] {
        let from = self.entries.partition_point(|e| e.revision <= revision);
        &self.entries[from..]
    }

    /// Records the changes of one call under the next revision, and returns it. A call that
    /// changed nothing makes no revision.
    pub(crate) fn record(&mut self, changes: Vec<Recorded>, note: Option<Arc<str>>) -> u64 {
        if changes.is_empty() {
            return self.revision;
        }
        self.revision += 1;
        let revision = self.revision;
        self.entries.extend(
            changes
                .into_iter()
                .map(|change| HistoryEntry::new(revision, change, note.clone())),
        );
        revision
    }

    /// Takes out the entries of the revisions up to `revision`, oldest first.
    pub(crate) fn fold_through(&mut self, revision: u64) -> Vec<HistoryEntry> {
        let end = self.entries.partition_point(|e| e.revision <= revision);
        self.entries.drain(..end).collect()
    }

    /// A history read back from a snapshot: entries in revision order, and the revision.
    pub(crate) fn restore(entries: Vec<HistoryEntry>, revision: u64) -> History {
        History { entries, revision }
    }
}
