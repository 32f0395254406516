//! Applying changes: each validated before it touches anything, each leaving an undo record, so
//! that a batch that fails part-way is rolled back to exactly where it began.

use std::sync::Arc;

use super::history::Recorded;
use super::store::Store;
use super::validate::check_label;
use crate::definitions::{Definition, Entry, Slot, TermUpdate, validate_list};
use crate::model::{
    Change, Code, CodeId, Contract, Error, Lifecycle, PartnerId, Reason, Timestamp,
};

/// How to take one applied change back.
pub(super) enum Undo {
    /// A code was appended.
    Added,
    /// The code at this position had this definition.
    Definition {
        position: usize,
        old: Arc<Definition>,
    },
    /// A lifecycle event was recorded for the code at this position, where it sits.
    Event { position: usize, slot: Slot },
    /// A change of terms was recorded, likewise.
    Term { position: usize, slot: Slot },
    /// The code at this position was removed.
    Removed { position: usize },
    /// The partner had this contract, or none.
    Contract {
        partner: PartnerId,
        old: Option<Contract>,
    },
    /// An exception list was appended.
    ExceptionList,
}

impl Store {
    /// Applies one change, or fails having changed nothing. Pushes how to undo it.
    pub(super) fn apply_change(
        &mut self,
        change: Change,
        undo: &mut Vec<Undo>,
    ) -> Result<Recorded, Error> {
        match change {
            Change::Add { code } => {
                let definition = self.validate(code, &Default::default())?;
                let definition = self.insert(definition);
                undo.push(Undo::Added);
                return Ok(Recorded::Added(definition));
            }
            Change::Expire { code, at } => self.record_event(code, at, Lifecycle::Expire, undo)?,
            Change::Reactivate { code, at } => {
                self.record_event(code, at, Lifecycle::Reactivate, undo)?;
            }
            Change::Transfer { code, to, at } => {
                let position = self.tracking(code, "a transfer")?;
                self.record_terms(position, at, TermUpdate::Owner(to), undo);
            }
            Change::SetCredit { code, credit, at } => {
                let position = self.tracking(code, "a credit policy")?;
                self.record_terms(position, at, TermUpdate::Credit(credit), undo);
            }
            Change::SetWindow { code, window } => {
                let position = self.live(code)?;
                self.validate_window(position, &window)
                    .map_err(|reason| self.code_error(position, reason))?;
                self.redefine(position, undo, |code| match code {
                    Code::Tracking(t) => t.window = window,
                    Code::Restricted(r) => r.window = window,
                });
            }
            Change::SetDeal { code, deal } => {
                let position = self.tracking(code, "a deal")?;
                self.redefine(position, undo, |code| {
                    if let Code::Tracking(t) = code {
                        t.deal = deal;
                    }
                });
            }
            Change::SetLabel { code, ref label } => {
                let position = self.live(code)?;
                check_label(label.as_deref())
                    .map_err(|reason| self.code_error(position, reason))?;
                self.redefine(position, undo, |code| match code {
                    Code::Tracking(t) => t.label.clone_from(label),
                    Code::Restricted(r) => r.label.clone_from(label),
                });
            }
            Change::Remove { code, now } => {
                let position = self.live(code)?;
                match self.entries[position].definition.code.window().from {
                    None => return Err(self.code_error(position, Reason::CodeAlwaysInEffect)),
                    Some(from) if now >= from => {
                        let since = from.to_string().into();
                        return Err(self.code_error(position, Reason::CodeInEffect(since)));
                    }
                    Some(_) => {}
                }
                let entry = &mut self.entries[position];
                entry.removed = true;
                entry
                    .definition
                    .with_folded(|folded| self.exact.remove(folded, position));
                self.live -= 1;
                undo.push(Undo::Removed { position });
            }
            Change::SetContract { partner, contract } => {
                contract
                    .window
                    .check()
                    .map_err(|reason| Error::contract(partner, reason))?;
                let old = self.contracts.insert(partner, contract);
                undo.push(Undo::Contract { partner, old });
            }
            Change::RemoveContract { partner } => {
                let old = self.contracts.remove(&partner);
                undo.push(Undo::Contract { partner, old });
            }
            Change::AddExceptionList { ref list } => {
                let validated = validate_list(list)?;
                self.exception_lists.push((list.clone(), validated));
                undo.push(Undo::ExceptionList);
            }
        }
        Ok(Recorded::Other(Box::new(change)))
    }

    /// Takes back applied changes, the last first.
    pub(super) fn undo(&mut self, log: Vec<Undo>) {
        for step in log.into_iter().rev() {
            match step {
                Undo::Added => {
                    if let Some(entry) = self.entries.pop() {
                        let position = self.entries.len();
                        self.by_id.remove(&entry.definition.code.id());
                        entry
                            .definition
                            .with_folded(|folded| self.exact.remove(folded, position));
                        self.live -= 1;
                    }
                }
                Undo::Definition { position, old } => self.entries[position].definition = old,
                Undo::Event { position, slot } => {
                    self.entries[position].timeline_mut().events.forget(slot);
                }
                Undo::Term { position, slot } => {
                    self.entries[position]
                        .timeline_mut()
                        .term_changes
                        .forget(slot);
                }
                Undo::Removed { position } => {
                    let entry = &mut self.entries[position];
                    entry.removed = false;
                    entry
                        .definition
                        .with_folded(|folded| self.exact.insert(folded, position));
                    self.live += 1;
                }
                Undo::Contract { partner, old } => {
                    match old {
                        Some(contract) => self.contracts.insert(partner, contract),
                        None => self.contracts.remove(&partner),
                    };
                }
                Undo::ExceptionList => {
                    self.exception_lists.pop();
                }
            }
        }
    }

    /// Appends a validated code; returns its shared definition.
    pub(super) fn insert(&mut self, definition: Definition) -> Arc<Definition> {
        self.by_id.insert(definition.code.id(), self.entries.len());
        self.push(definition)
    }

    /// Appends a code whose id the caller has just mapped to the next position.
    pub(super) fn push(&mut self, definition: Definition) -> Arc<Definition> {
        let position = self.entries.len();
        definition.with_folded(|folded| self.exact.insert(folded, position));
        let entry = Entry::new(definition);
        let definition = Arc::clone(&entry.definition);
        self.entries.push(entry);
        self.live += 1;
        definition
    }

    /// The position of a code that is registered and not removed.
    fn live(&self, id: CodeId) -> Result<usize, Error> {
        match self.by_id.get(&id) {
            Some(&position) if !self.entries[position].removed => Ok(position),
            Some(&position) => Err(self.code_error(position, Reason::RemovedCode)),
            None => Err(Error::unknown_code(id)),
        }
    }

    /// The position of a live tracking code; `what` names the change for the error.
    fn tracking(&self, id: CodeId, what: &'static str) -> Result<usize, Error> {
        let position = self.live(id)?;
        match self.entries[position].definition.code {
            Code::Tracking(_) => Ok(position),
            _ => Err(self.code_error(position, Reason::NotATrackingCode(what))),
        }
    }

    fn code_error(&self, position: usize, reason: Reason) -> Error {
        let code = &self.entries[position].definition.code;
        Error::code(code.id(), code.text(), reason)
    }

    fn record_event(
        &mut self,
        id: CodeId,
        at: Timestamp,
        action: Lifecycle,
        undo: &mut Vec<Undo>,
    ) -> Result<(), Error> {
        let position = self.live(id)?;
        let slot = self.entries[position]
            .timeline_mut()
            .events
            .record(at, action);
        undo.push(Undo::Event { position, slot });
        Ok(())
    }

    fn record_terms(
        &mut self,
        position: usize,
        at: Timestamp,
        update: TermUpdate,
        undo: &mut Vec<Undo>,
    ) {
        let timeline = self.entries[position].timeline_mut();
        let slot = timeline.term_changes.record(at, update);
        undo.push(Undo::Term { position, slot });
    }

    /// Replaces the definition at `position` by a copy that `edit` changed; the old one stays
    /// with the engines and the history that share it.
    fn redefine(&mut self, position: usize, undo: &mut Vec<Undo>, edit: impl FnOnce(&mut Code)) {
        let old = Arc::clone(&self.entries[position].definition);
        let mut code = old.code.clone();
        edit(&mut code);
        self.entries[position].definition = Arc::new(Definition {
            code,
            key: old.key.clone(),
        });
        undo.push(Undo::Definition { position, old });
    }
}
