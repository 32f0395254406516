//! The mutable, validating set of one program's code definitions, and its history.

mod apply;
mod checkpoint;
mod codec;
mod digest;
mod generate;
mod history;
mod image;
mod lineage;
mod refresh;
mod snapshot;
mod store;
mod tags;
mod validate;
mod wire;

use std::sync::Arc;

use crate::engine::Engine;
use crate::model::{
    BulkError, Change, Code, CodeId, Contract, CreditPolicy, Error, ExceptionList, LifecycleEvent,
    MAX_NOTE_LEN, PartnerId, Settings, Terms, Timestamp, Window, check_len,
};
use apply::Undo;
pub use history::HistoryEntry;
use history::Recorded;
#[cfg_attr(not(feature = "serde"), allow(unused_imports))]
pub(crate) use image::{Image, ImageChange, ImageCode, ImageEntry, ReadMode};
#[cfg_attr(not(feature = "serde"), allow(unused_imports))]
pub(crate) use lineage::Stretch;
use store::Store;
pub(crate) use validate::Batch;

/// The mutable set of code definitions of one program, validated as they are added and
/// changed, with the history of every change.
///
/// Add codes, contracts and lifecycle events, then [`compile`](Registry::compile) an immutable
/// [`Engine`] to attribute orders. Every registration rule is checked on the way in, so a
/// registry that holds a code can always compile it.
///
/// # Changing codes while they are in use
///
/// Codes change all day: [`transfer`](Registry::transfer) a code to another partner,
/// [`set_credit`](Registry::set_credit), [`set_window`](Registry::set_window) ("change active
/// dates"), [`set_deal`](Registry::set_deal), [`set_label`](Registry::set_label),
/// [`remove`](Registry::remove) a code announced by mistake, [`expire`](Registry::expire) and
/// [`reactivate`](Registry::reactivate) — one at a time, or several as one all-or-nothing
/// [`apply`](Registry::apply). Ownership and policy change from an instant on, so an order
/// placed before it is judged by the terms it had then. Every successful call makes a new
/// [`revision`](Registry::revision) and is kept in the [`history`](Registry::history), with the
/// host's note if it gave one.
///
/// # Failure leaves nothing half-applied
///
/// [`add`](Registry::add) either adds the code or returns an error and changes nothing.
/// [`add_all`](Registry::add_all) validates every row — against the registry and against the
/// earlier rows of the same batch — reports every error, and adds nothing unless all are valid.
///
/// ```
/// use promo_attribution::{Code, CodeId, PartnerId, Registry, Settings};
///
/// let mut registry = Registry::new(Settings::default());
/// let err = registry
///     .add_all([
///         Code::tracking(CodeId(1), "SAVE10", PartnerId(1)),
///         Code::tracking(CodeId(2), "   ", PartnerId(1)),
///         Code::tracking(CodeId(3), "(", PartnerId(2)).regex(),
///         Code::tracking(CodeId(4), "SAVE20", PartnerId(2)),
///     ])
///     .unwrap_err();
/// assert_eq!(err.errors().len(), 2);
/// assert_eq!(err.errors()[0].row(), Some(1));
/// assert!(registry.is_empty());
/// ```
///
/// # Persistence
///
/// With the `serde` feature, a registry serialises as a snapshot of every definition —
/// settings, codes with their lifecycle events and changes of terms, contracts, exception
/// lists, the history — and reads back through the same validation as
/// [`add`](Registry::add), except that a code's text must already be trimmed, as `add` stores
/// it. An [`Engine`] is not serialised: compile it again from the registry
/// read back.
#[derive(Debug)]
pub struct Registry {
    store: Store,
}

impl Default for Registry {
    fn default() -> Registry {
        Registry::new(Settings::default())
    }
}

impl Clone for Registry {
    /// A copy that shares the original's history so far, and so brings the original's
    /// engines up to date at the cost of the changes since (see
    /// [`refresh_plan`](Registry::refresh_plan)); from here on, the two may change apart.
    fn clone(&self) -> Registry {
        let mut store = self.store.clone();
        store.lineage.fork(store.history.revision() + 1);
        Registry { store }
    }
}

impl Registry {
    /// An empty registry for a program with these settings, at revision 0.
    pub fn new(settings: Settings) -> Registry {
        Registry::from_store(Store::new(settings))
    }

    fn from_store(store: Store) -> Registry {
        Registry { store }
    }

    /// The program's settings.
    pub fn settings(&self) -> &Settings {
        &self.store.settings
    }

    /// The number of codes, tracking and restricted (removed codes do not count).
    pub fn len(&self) -> usize {
        self.store.live
    }

    /// Whether no code is registered.
    pub fn is_empty(&self) -> bool {
        self.store.live == 0
    }

    /// The code with this id, as it is now; `None` for an unknown or removed id.
    pub fn get(&self, id: CodeId) -> Option<&Code> {
        self.store.entry(id).map(|e| &e.definition.code)
    }

    /// Every code, in registration order (removed codes left out).
    pub fn codes(&self) -> impl Iterator<Item = &Code> + '_ {
        self.store
            .entries
            .iter()
            .filter(|e| !e.removed)
            .map(|e| &e.definition.code)
    }

    /// The lifecycle events recorded for a code, in time order (at one instant, in the order
    /// applied); `None` for an unknown or removed id.
    ///
    /// ```
    /// use promo_attribution::{Code, CodeId, Lifecycle, PartnerId, Registry, Timestamp};
    ///
    /// let t = |s: &str| s.parse::<Timestamp>();
    /// let mut registry = Registry::default();
    /// registry.add(Code::tracking(CodeId(10), "SAVE10", PartnerId(1)))?;
    /// registry.reactivate(CodeId(10), t("2026-04-01T00:00:00Z")?)?;
    /// registry.expire(CodeId(10), t("2026-03-01T00:00:00Z")?)?;
    /// let actions: Vec<Lifecycle> = registry.events(CodeId(10)).unwrap().map(|e| e.action).collect();
    /// assert_eq!(actions, [Lifecycle::Expire, Lifecycle::Reactivate]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn events(
        &self,
        id: CodeId,
    ) -> Option<impl DoubleEndedIterator<Item = LifecycleEvent> + ExactSizeIterator + '_> {
        self.store.entry(id).map(|e| e.events())
    }

    /// A tracking code's owner and credit policy at `t`: those of the last
    /// [`transfer`](Registry::transfer) and [`set_credit`](Registry::set_credit) effective at or
    /// before `t` (at one instant, the one applied last), else the registered ones. `None` for
    /// a restricted, unknown or removed code.
    pub fn terms_at(&self, id: CodeId, t: Timestamp) -> Option<Terms> {
        self.store.entry(id)?.terms_at(t)
    }

    /// A tracking code's owner at `t`; see [`terms_at`](Registry::terms_at).
    pub fn owner_at(&self, id: CodeId, t: Timestamp) -> Option<PartnerId> {
        self.terms_at(id, t).map(|terms| terms.owner)
    }

    /// The revision the registry is at: 0 when new, one more after every call that changed it.
    pub fn revision(&self) -> u64 {
        self.store.history.revision()
    }

    /// Every change kept, oldest first, each with the revision it made and the host's note:
    /// every change since the registry was made, or since its last
    /// [`checkpoint`](Registry::checkpoint).
    pub fn history(&self) -> &[HistoryEntry] {
        self.store.history.entries()
    }

    /// The changes made after `revision`, oldest first: what a host appends to its own store
    /// after each change, or what an engine at `revision` has not seen. Of a `revision` before
    /// the last [`checkpoint`](Registry::checkpoint), only the changes kept, after it.
    pub fn history_since(&self, revision: u64) -> &[HistoryEntry] {
        self.store.history.since(revision)
    }

    /// Validates and adds one code. On error nothing changes.
    ///
    /// The code's text is trimmed of surrounding white space first. The checks, in order:
    /// duplicate id; empty, too long (over [`MAX_CODE_LEN`](crate::limits::MAX_CODE_LEN) bytes) or
    /// containing a control character; a window that does not end after it starts; for an exact code, another
    /// exact code (tracking or restricted) with the same case-folded text and an overlapping
    /// schedule; for a regex code, a pattern that does not parse, uses look-around or
    /// back-references, matches the empty string, or compiles to more than
    /// [`MAX_REGEX_SIZE`](crate::limits::MAX_REGEX_SIZE) bytes.
    pub fn add(&mut self, code: impl Into<Code>) -> Result<(), Error> {
        self.change(Change::Add { code: code.into() })
    }

    /// Validates every code of a batch and adds them all, or none.
    ///
    /// Rows are checked in order, each against the registry and the valid rows before it, so a
    /// duplicate inside the batch is reported at its second occurrence. The error lists every
    /// rejected row; each [`Error::row`] is the zero-based position in the batch.
    ///
    /// Like [`add`](Registry::add), it takes codes as they are built. Codes of one kind go in
    /// as they come; a mix of kinds needs one type, `Code`:
    ///
    /// ```
    /// use promo_attribution::{Code, CodeId, PartnerId, Registry};
    ///
    /// let mut registry = Registry::default();
    /// registry.add_all([
    ///     Code::tracking(CodeId(1), "JANE10", PartnerId(7)),
    ///     Code::tracking(CodeId(2), "JANE20", PartnerId(7)),
    /// ])?;
    /// registry.add_all([
    ///     Code::from(Code::tracking(CodeId(3), "MIKE10", PartnerId(8))),
    ///     Code::from(Code::restricted(CodeId(4), "STAFF50")),
    /// ])?;
    /// assert_eq!(registry.len(), 4);
    /// # Ok::<(), promo_attribution::BulkError>(())
    /// ```
    pub fn add_all<C: Into<Code>>(
        &mut self,
        codes: impl IntoIterator<Item = C>,
    ) -> Result<(), BulkError> {
        let batch = self.validate_batch(codes.into_iter().map(Into::into))?;
        self.insert_batch(batch);
        Ok(())
    }

    /// Validates a batch without changing the registry: each code against the registry and
    /// the valid codes before it. Errors carry their zero-based row.
    pub(crate) fn validate_batch(
        &self,
        codes: impl IntoIterator<Item = Code>,
    ) -> Result<Batch, BulkError> {
        let mut batch = Batch::default();
        let mut errors = Vec::new();
        let mut rows = 0;
        for (row, code) in codes.into_iter().enumerate() {
            rows += 1;
            match self.store.validate(code, &batch) {
                Ok(definition) => batch.push(definition),
                Err(err) => errors.push(err.at_row(row)),
            }
        }
        if errors.is_empty() {
            Ok(batch)
        } else {
            Err(BulkError::new(errors, rows))
        }
    }

    /// Adds a batch [`validate_batch`](Registry::validate_batch) accepted, as one revision.
    /// Cannot fail, so a batch is never half-applied; the caller must not have changed the
    /// registry since the batch was validated.
    pub(crate) fn insert_batch(&mut self, batch: Batch) {
        let added = batch
            .definitions
            .into_iter()
            .map(|definition| Recorded::Added(self.store.insert(definition)))
            .collect();
        self.store.history.record(added, None);
    }

    /// Applies a batch of changes, in order, each seeing the ones before it: all of them, or
    /// none. Every rejected change is reported, with its zero-based [`row`](Error::row) in the
    /// batch; after an error the registry is exactly as it was. Returns the new revision (the
    /// same one, for an empty batch).
    pub fn apply(&mut self, changes: impl IntoIterator<Item = Change>) -> Result<u64, BulkError> {
        self.apply_noted(changes, None)
    }

    /// [`apply`](Registry::apply), keeping the host's `note` (who, why) with the changes in the
    /// history. A note longer than [`MAX_NOTE_LEN`](crate::limits::MAX_NOTE_LEN) bytes is an error
    /// ([`TextTooLong`](crate::ErrorKind::TextTooLong)), and nothing is applied.
    pub fn apply_with_note(
        &mut self,
        changes: impl IntoIterator<Item = Change>,
        note: impl Into<String>,
    ) -> Result<u64, BulkError> {
        self.apply_noted(changes, Some(Arc::from(note.into())))
    }

    fn apply_noted(
        &mut self,
        changes: impl IntoIterator<Item = Change>,
        note: Option<Arc<str>>,
    ) -> Result<u64, BulkError> {
        if let Some(note) = &note {
            if let Err(reason) = check_len("note", note, MAX_NOTE_LEN) {
                return Err(BulkError::changes(vec![Error::text(reason)], 0));
            }
        }
        let mut undo = Vec::new();
        let mut recorded = Vec::new();
        let mut errors = Vec::new();
        let mut rows = 0;
        for (row, change) in changes.into_iter().enumerate() {
            rows += 1;
            match self.store.apply_change(change, &mut undo) {
                Ok(change) => recorded.push(change),
                Err(err) => errors.push(err.at_row(row)),
            }
        }
        if errors.is_empty() {
            Ok(self.store.history.record(recorded, note))
        } else {
            self.store.undo(undo);
            Err(BulkError::changes(errors, rows))
        }
    }

    /// One change, as its own revision; on error nothing changes.
    fn change(&mut self, change: Change) -> Result<(), Error> {
        let mut undo: Vec<Undo> = Vec::new();
        let recorded = self.store.apply_change(change, &mut undo)?;
        self.store.history.record(vec![recorded], None);
        Ok(())
    }

    /// Records that the code is manually expired from `at` on.
    ///
    /// The event is kept with its instant: orders before `at` still see the code as it was.
    pub fn expire(&mut self, id: CodeId, at: Timestamp) -> Result<(), Error> {
        self.change(Change::Expire { code: id, at })
    }

    /// Records that a manual expiry of the code ends at `at`. The schedule still applies: a
    /// reactivated code past its end stays expired.
    pub fn reactivate(&mut self, id: CodeId, at: Timestamp) -> Result<(), Error> {
        self.change(Change::Reactivate { code: id, at })
    }

    /// Hands a tracking code to partner `to` from `at` on. Orders placed before `at` still
    /// credit the owner the code had then; from `at` on, every rule that names the code's owner
    /// (whose clicks satisfy it, who is credited) names `to`.
    ///
    /// Fails with [`NotATrackingCode`](crate::ErrorKind::NotATrackingCode) for a restricted
    /// code, [`UnknownCode`](crate::ErrorKind::UnknownCode) for an unknown or removed one.
    ///
    /// ```
    /// use promo_attribution::{Code, CodeId, Conversion, PartnerId, Registry, Timestamp};
    ///
    /// let t = |s: &str| s.parse::<Timestamp>();
    /// let mut registry = Registry::default();
    /// registry.add(Code::tracking(CodeId(10), "SAVE10", PartnerId(1)))?;
    /// registry.transfer(CodeId(10), PartnerId(2), t("2026-03-01T00:00:00Z")?)?;
    /// let engine = registry.compile()?;
    ///
    /// let before = Conversion::new(t("2026-02-20T00:00:00Z")?).codes(&["SAVE10"]);
    /// let after = Conversion::new(t("2026-03-10T00:00:00Z")?).codes(&["SAVE10"]);
    /// assert_eq!(engine.attribute(&before).to_string(), "credited partner 1 via code 10");
    /// assert_eq!(engine.attribute(&after).to_string(), "credited partner 2 via code 10");
    /// # Ok::<(), promo_attribution::Error>(())
    /// ```
    pub fn transfer(&mut self, id: CodeId, to: PartnerId, at: Timestamp) -> Result<(), Error> {
        self.change(Change::Transfer { code: id, to, at })
    }

    /// Sets a tracking code's credit policy from `at` on; orders before `at` keep the policy
    /// they had. Fails like [`transfer`](Registry::transfer).
    pub fn set_credit(
        &mut self,
        id: CodeId,
        credit: CreditPolicy,
        at: Timestamp,
    ) -> Result<(), Error> {
        self.change(Change::SetCredit {
            code: id,
            credit,
            at,
        })
    }

    /// Replaces a code's schedule (the reference's "change active dates"). The new window is
    /// checked as a new code's would be: it must end after it starts
    /// ([`InvalidWindow`](crate::ErrorKind::InvalidWindow)), and for an exact code no other
    /// exact code of the same text may have a schedule overlapping it
    /// ([`DuplicateCode`](crate::ErrorKind::DuplicateCode)).
    pub fn set_window(&mut self, id: CodeId, window: Window) -> Result<(), Error> {
        self.change(Change::SetWindow { code: id, window })
    }

    /// Sets or clears a tracking code's deal id (the reference's "apply deal"); it never
    /// changes crediting.
    pub fn set_deal(&mut self, id: CodeId, deal: Option<u64>) -> Result<(), Error> {
        self.change(Change::SetDeal { code: id, deal })
    }

    /// Sets or clears a code's display label.
    pub fn set_label(&mut self, id: CodeId, label: Option<String>) -> Result<(), Error> {
        self.change(Change::SetLabel { code: id, label })
    }

    /// Deletes a code that has never been in effect — one announced by mistake — while `now`
    /// is before its start. A code in effect, or with no start (in effect since it was
    /// registered), fails with [`CodeInEffect`](crate::ErrorKind::CodeInEffect): expire it
    /// instead, so that its history is kept. The removed code's id is never used again; its
    /// text is free for another code.
    pub fn remove(&mut self, id: CodeId, now: Timestamp) -> Result<(), Error> {
        self.change(Change::Remove { code: id, now })
    }

    /// Sets (or replaces) a partner's contract: its window and, optionally, its own payout
    /// rate. A sale credited to the partner outside the window is invalid with
    /// [`PartnerNotActive`](crate::InvalidReason::PartnerNotActive); the partner's codes stay
    /// assigned. A bare [`Window`](crate::Window) is a contract at the program's default payout.
    ///
    /// ```
    /// use promo_attribution::{Contract, Payout, PartnerId, Registry, Window};
    ///
    /// let mut registry = Registry::default();
    /// registry.set_contract(PartnerId(1), Window::ALWAYS)?;
    /// registry.set_contract(PartnerId(2), Contract::new(Window::ALWAYS).payout(Payout::Fixed(250)))?;
    /// assert_eq!(registry.contract(PartnerId(2)).and_then(|c| c.payout), Some(Payout::Fixed(250)));
    /// # Ok::<(), promo_attribution::Error>(())
    /// ```
    pub fn set_contract(
        &mut self,
        partner: PartnerId,
        contract: impl Into<Contract>,
    ) -> Result<(), Error> {
        let contract = contract.into();
        self.change(Change::SetContract { partner, contract })
    }

    /// Removes a partner's contract, returning it.
    pub fn remove_contract(&mut self, partner: PartnerId) -> Option<Contract> {
        let old = self.store.contracts.get(&partner).copied()?;
        // Removing a contract that exists cannot fail.
        self.change(Change::RemoveContract { partner }).ok()?;
        Some(old)
    }

    /// Every registered contract, by partner, in no particular order.
    pub fn contracts(&self) -> impl ExactSizeIterator<Item = (PartnerId, Contract)> + '_ {
        self.store
            .contracts
            .iter()
            .map(|(&partner, &contract)| (partner, contract))
    }

    /// A partner's contract, if one is registered.
    pub fn contract(&self, partner: PartnerId) -> Option<Contract> {
        self.store.contracts.get(&partner).copied()
    }

    /// Validates and appends a promo-code exception list. Lists apply in the order they were
    /// added: the first that names an entered code sets the payout. On error nothing changes.
    ///
    /// Each code of the list must be a valid code text (not empty after trimming, at most
    /// [`MAX_CODE_LEN`](crate::limits::MAX_CODE_LEN) bytes, no control character); a match expression
    /// must compile and have exactly one capture group
    /// ([`InvalidMatchExpression`](crate::ErrorKind::InvalidMatchExpression)).
    ///
    /// ```
    /// use promo_attribution::{ErrorKind, ExceptionList, Payout, Registry};
    ///
    /// let mut registry = Registry::default();
    /// registry.add_exception_list(ExceptionList::new("site-wide", Payout::Fixed(0)).codes(["WELCOME"]))?;
    /// let err = registry
    ///     .add_exception_list(ExceptionList::new("bad", Payout::Fixed(0)).match_expression("^[A-Z]+$"))
    ///     .unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::InvalidMatchExpression);
    /// assert_eq!(registry.exception_lists().count(), 1);
    /// # Ok::<(), promo_attribution::Error>(())
    /// ```
    pub fn add_exception_list(&mut self, list: ExceptionList) -> Result<(), Error> {
        self.change(Change::AddExceptionList { list })
    }

    /// The exception lists, in the order they apply.
    pub fn exception_lists(&self) -> impl ExactSizeIterator<Item = &ExceptionList> + '_ {
        self.store.exception_lists.iter().map(|(list, _)| list)
    }

    /// The registry as a compact binary snapshot: settings, every code with its events and
    /// changes of terms (removed ones too, so that their ids stay retired), contracts,
    /// exception lists, the revision and the history, with a format version and a checksum.
    ///
    /// [`from_bytes`](Registry::from_bytes) reads it back; an [`Engine`](crate::Engine) is
    /// not part of it: compile one from the registry read back.
    ///
    /// ```
    /// use promo_attribution::{Code, CodeId, PartnerId, Registry, Timestamp};
    ///
    /// let mut registry = Registry::default();
    /// registry.add(Code::tracking(CodeId(10), "SAVE10", PartnerId(1)))?;
    /// registry.transfer(CodeId(10), PartnerId(2), Timestamp::from_unix_seconds(1_772_323_200))?;
    /// let bytes = registry.to_bytes();
    ///
    /// let back = Registry::from_bytes(&bytes)?;
    /// assert_eq!(back.revision(), 2);
    /// assert_eq!(back.history(), registry.history());
    ///
    /// let mut damaged = bytes.clone();
    /// damaged[40] ^= 1;
    /// assert_eq!(Registry::from_bytes(&damaged).unwrap_err().kind(), promo_attribution::ErrorKind::InvalidSnapshot);
    /// # Ok::<(), promo_attribution::Error>(())
    /// ```
    pub fn to_bytes(&self) -> Vec<u8> {
        snapshot::write(&self.store)
    }

    /// Reads a snapshot written by [`to_bytes`](Registry::to_bytes), trusting its contents once
    /// its checksum and form hold: the codes were validated when they were registered, so they
    /// are not checked again (which is what makes a restart fast). Fails with
    /// [`InvalidSnapshot`](crate::ErrorKind::InvalidSnapshot) for bytes that are not a snapshot,
    /// are of another format version, or were cut short or altered.
    ///
    /// For bytes from a source you do not trust, use
    /// [`from_bytes_validated`](Registry::from_bytes_validated), which gives the same registry
    /// or the registry's own error.
    pub fn from_bytes(bytes: &[u8]) -> Result<Registry, Error> {
        snapshot::read(bytes, ReadMode::Trust).map(Registry::from_store)
    }

    /// [`from_bytes`](Registry::from_bytes), checking every code against every registration
    /// rule as if it were added again.
    pub fn from_bytes_validated(bytes: &[u8]) -> Result<Registry, Error> {
        snapshot::read(bytes, ReadMode::Validate).map(Registry::from_store)
    }

    /// The registry as plain data, for the serde snapshot.
    #[cfg_attr(not(feature = "serde"), allow(dead_code))]
    pub(crate) fn to_image(&self) -> Image {
        self.store.to_image()
    }

    /// A registry read back from plain data; see [`ReadMode`].
    #[cfg_attr(not(feature = "serde"), allow(dead_code))]
    pub(crate) fn from_image(image: Image, check: ReadMode) -> Result<Registry, Error> {
        Store::from_image(image, check).map(Registry::from_store)
    }

    /// Compiles an immutable [`Engine`] from the current definitions.
    ///
    /// The registry is left as it is, so it can be changed and compiled again; engines already
    /// compiled are unaffected. The engine reflects the registry's current
    /// [`revision`](Registry::revision). Every code was validated when it was added, so compiling fails
    /// only when the registry outgrows the engine's 32-bit tables
    /// ([`CapacityExceeded`](crate::ErrorKind::CapacityExceeded)): more than 2^32 − 1 codes, or
    /// more than 4 GiB of exact code text or of regex prefixes.
    pub fn compile(&self) -> Result<Engine, Error> {
        Engine::compile(&self.source())
    }
}
