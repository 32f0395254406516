//! The mutable, validating set of one program's code definitions.

use std::collections::HashMap;
use std::sync::Arc;

use crate::definitions::{
    Definition, Entry, IdIndex, Key, TextIndex, ValidatedList, validate_list,
};
use crate::engine::Engine;
use crate::model::{
    BulkError, Code, CodeId, Contract, Error, ExceptionList, Lifecycle, LifecycleEvent, PartnerId,
    Reason, Settings, Timestamp, check_text,
};

/// The mutable set of code definitions of one program, validated as they are added.
///
/// Add codes, contracts and lifecycle events, then [`compile`](Registry::compile) an immutable
/// [`Engine`] to attribute orders. Every registration rule is checked on the way in, so a
/// registry that holds a code can always compile it.
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
///         Code::tracking(CodeId(1), "SAVE10", PartnerId(1)).into(),
///         Code::tracking(CodeId(2), "   ", PartnerId(1)).into(),
///         Code::tracking(CodeId(3), "(", PartnerId(2)).regex().into(),
///         Code::restricted(CodeId(4), "STAFF").into(),
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
/// settings, codes with their lifecycle events, contracts, exception lists — and reads back
/// through the same validation as [`add`](Registry::add). An [`Engine`] is not serialised:
/// compile it again from the registry read back.
#[derive(Clone, Debug, Default)]
pub struct Registry {
    settings: Settings,
    entries: Vec<Entry>,
    /// Code id → index in `entries`. Shared with the engines compiled from the registry, which
    /// index their codes the same way; the registry copies it on its next change if an engine
    /// still holds it (a copy of a flat table, far cheaper than building it again).
    by_id: Arc<IdIndex>,
    /// Case-folded text of exact codes (tracking and restricted) → entries, in registration
    /// order.
    exact: TextIndex,
    contracts: HashMap<PartnerId, Contract>,
    /// In registration order, each with its validated form.
    exception_lists: Vec<(ExceptionList, ValidatedList)>,
}

impl Registry {
    /// An empty registry for a program with these settings.
    pub fn new(settings: Settings) -> Registry {
        Registry {
            settings,
            ..Registry::default()
        }
    }

    /// The program's settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The number of codes, tracking and restricted.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no code is registered.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The code with this id.
    pub fn get(&self, id: CodeId) -> Option<&Code> {
        self.by_id
            .get(&id)
            .map(|&i| &self.entries[i].definition.code)
    }

    /// Every code, in registration order.
    pub fn codes(&self) -> impl ExactSizeIterator<Item = &Code> + '_ {
        self.entries.iter().map(|e| &e.definition.code)
    }

    /// The lifecycle events recorded for a code, in time order; `None` for an unknown id.
    pub fn events(&self, id: CodeId) -> Option<&[LifecycleEvent]> {
        self.by_id
            .get(&id)
            .map(|&i| self.entries[i].events.as_slice())
    }

    /// Validates and adds one code. On error nothing changes.
    ///
    /// The code's text is trimmed of surrounding white space first. The checks, in order:
    /// duplicate id; empty, too long (over [`MAX_CODE_LEN`](crate::MAX_CODE_LEN) bytes) or
    /// containing a control character; a window that does not end after it starts; for an exact code, another
    /// exact code (tracking or restricted) with the same case-folded text and an overlapping
    /// schedule; for a regex code, a pattern that does not parse, uses look-around or
    /// back-references, matches the empty string, or compiles to more than
    /// [`MAX_REGEX_SIZE`](crate::MAX_REGEX_SIZE) bytes.
    pub fn add(&mut self, code: impl Into<Code>) -> Result<(), Error> {
        let definition = self.validate(code.into(), &Batch::default())?;
        self.insert(definition);
        Ok(())
    }

    /// Validates every code of a batch and adds them all, or none.
    ///
    /// Rows are checked in order, each against the registry and the valid rows before it, so a
    /// duplicate inside the batch is reported at its second occurrence. The error lists every
    /// rejected row; each [`Error::row`] is the zero-based position in the batch.
    pub fn add_all(&mut self, codes: impl IntoIterator<Item = Code>) -> Result<(), BulkError> {
        let batch = self.validate_batch(codes)?;
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
            match self.validate(code, &batch) {
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

    /// Adds a batch [`validate_batch`](Registry::validate_batch) accepted. Cannot fail, so a
    /// batch is never half-applied; the caller must not have changed the registry since the
    /// batch was validated.
    pub(crate) fn insert_batch(&mut self, batch: Batch) {
        for definition in batch.definitions {
            self.insert(definition);
        }
    }

    /// Records that the code is manually expired from `at` on.
    ///
    /// The event is kept with its instant: orders before `at` still see the code as it was.
    pub fn expire(&mut self, id: CodeId, at: Timestamp) -> Result<(), Error> {
        self.record(id, at, Lifecycle::Expire)
    }

    /// Records that a manual expiry of the code ends at `at`. The schedule still applies: a
    /// reactivated code past its end stays expired.
    pub fn reactivate(&mut self, id: CodeId, at: Timestamp) -> Result<(), Error> {
        self.record(id, at, Lifecycle::Reactivate)
    }

    fn record(&mut self, id: CodeId, at: Timestamp, action: Lifecycle) -> Result<(), Error> {
        let &i = self.by_id.get(&id).ok_or_else(|| Error::unknown_code(id))?;
        let events = &mut self.entries[i].events;
        let pos = events.partition_point(|e| e.at <= at);
        events.insert(pos, LifecycleEvent { at, action });
        Ok(())
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
        contract
            .window
            .check()
            .map_err(|reason| Error::contract(partner, reason))?;
        self.contracts.insert(partner, contract);
        Ok(())
    }

    /// Removes a partner's contract, returning it.
    pub fn remove_contract(&mut self, partner: PartnerId) -> Option<Contract> {
        self.contracts.remove(&partner)
    }

    /// Every registered contract, by partner, in no particular order.
    pub fn contracts(&self) -> impl ExactSizeIterator<Item = (PartnerId, Contract)> + '_ {
        self.contracts
            .iter()
            .map(|(&partner, &contract)| (partner, contract))
    }

    /// A partner's contract, if one is registered.
    pub fn contract(&self, partner: PartnerId) -> Option<Contract> {
        self.contracts.get(&partner).copied()
    }

    /// Validates and appends a promo-code exception list. Lists apply in the order they were
    /// added: the first that names an entered code sets the payout. On error nothing changes.
    ///
    /// Each code of the list must be a valid code text (not empty after trimming, at most
    /// [`MAX_CODE_LEN`](crate::MAX_CODE_LEN) bytes, no control character); a match expression
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
        let validated = validate_list(&list)?;
        self.exception_lists.push((list, validated));
        Ok(())
    }

    /// The exception lists, in the order they apply.
    pub fn exception_lists(&self) -> impl ExactSizeIterator<Item = &ExceptionList> + '_ {
        self.exception_lists.iter().map(|(list, _)| list)
    }

    /// Compiles an immutable [`Engine`] from the current definitions.
    ///
    /// The registry is left as it is, so it can be changed and compiled again; engines already
    /// compiled are unaffected. Every code was validated when it was added, so compiling fails
    /// only when the registry outgrows the engine's 32-bit tables
    /// ([`CapacityExceeded`](crate::ErrorKind::CapacityExceeded)): more than 2^32 − 1 codes, or
    /// more than 4 GiB of exact code text or of regex prefixes.
    pub fn compile(&self) -> Result<Engine, Error> {
        let lists = self.exception_lists.iter().map(|(_, validated)| validated);
        Engine::compile(
            &self.settings,
            &self.entries,
            &self.by_id,
            &self.contracts,
            lists,
        )
    }

    /// Checks one code against the registry and against the codes of `batch`, which are
    /// validated but not yet inserted.
    fn validate(&self, mut code: Code, batch: &Batch) -> Result<Definition, Error> {
        let trimmed = code.text().trim();
        if trimmed.len() != code.text().len() {
            *code.text_mut() = trimmed.to_owned();
        }
        let (id, text, window) = (code.id(), code.text(), code.window());
        let fail = |reason| Error::code(id, text, reason);
        let same_id = match self.by_id.get(&id) {
            Some(&i) => Some(&self.entries[i].definition.code),
            None => batch.by_id.get(&id).map(|&i| &batch.definitions[i].code),
        };
        if let Some(existing) = same_id {
            return Err(fail(Reason::DuplicateId(id, existing.text().into())));
        }
        check_text(text).map_err(fail)?;
        window.check().map_err(fail)?;
        let key = Key::of(&code).map_err(fail)?;
        if let Some(folded) = key.folded() {
            let registered = self
                .exact
                .candidates(folded)
                .iter()
                .map(|&i| &*self.entries[i].definition);
            let batched = batch
                .exact
                .candidates(folded)
                .iter()
                .map(|&i| &batch.definitions[i]);
            let clash = registered.chain(batched).find(|other| {
                other.key.folded() == Some(folded) && other.code.window().overlaps(&window)
            });
            if let Some(other) = clash {
                let other = &other.code;
                return Err(fail(Reason::DuplicateCode {
                    existing: other.id(),
                    existing_text: other.text().into(),
                    existing_window: other.window().to_string().into(),
                    window: window.to_string().into(),
                }));
            }
        }
        Ok(Definition { code, key })
    }

    fn insert(&mut self, definition: Definition) {
        let index = self.entries.len();
        Arc::make_mut(&mut self.by_id).insert(definition.code.id(), index);
        if let Some(folded) = definition.key.folded() {
            self.exact.insert(folded, index);
        }
        self.entries.push(Entry {
            definition: Arc::new(definition),
            events: Vec::new(),
        });
    }
}

/// Codes validated together, not yet inserted: what a later code of the same batch is checked
/// against, besides the registry.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    definitions: Vec<Definition>,
    by_id: HashMap<CodeId, usize>,
    exact: TextIndex,
}

impl Batch {
    fn push(&mut self, definition: Definition) {
        let index = self.definitions.len();
        self.by_id.insert(definition.code.id(), index);
        if let Some(folded) = definition.key.folded() {
            self.exact.insert(folded, index);
        }
        self.definitions.push(definition);
    }

    /// The number of codes.
    #[cfg_attr(not(feature = "csv"), allow(dead_code))]
    pub(crate) fn len(&self) -> usize {
        self.definitions.len()
    }
}
