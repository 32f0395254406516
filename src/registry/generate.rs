//! Registering generated codes (SPEC §11): generated against the registry as it is, added in
//! one batch.

use super::Registry;
use crate::engine::Engine;
use crate::model::{BulkError, Change, Code, CodeId, Error, GenerateRequest, Reason};

impl Registry {
    /// Generates the codes `request` asks for ([`Engine::generate`]) and adds them in one
    /// batch with `note` in the history, ids `first_id`, `first_id + 1`, …; returns them.
    ///
    /// `engine` is brought up to date with the registry first ([`refresh`](Registry::refresh),
    /// at the cost of the changes it has not seen), so the codes are free in the registry as
    /// it is. All or nothing: a generation that fails, or an id already taken, adds nothing.
    /// The error is the generation's ([`InvalidWindow`](crate::ErrorKind::InvalidWindow),
    /// [`NamespaceExhausted`](crate::ErrorKind::NamespaceExhausted)) or the first code the
    /// batch rejected, with its row ([`DuplicateId`](crate::ErrorKind::DuplicateId)); ids that
    /// would pass `u64::MAX` are [`InvalidValue`](crate::ErrorKind::InvalidValue).
    ///
    /// ```
    /// use promo_attribution::{Code, CodeId, PartnerId, Registry};
    /// use promo_attribution::generate::{GenerateRequest, Template};
    ///
    /// let mut registry = Registry::default();
    /// registry.add(Code::tracking(CodeId(1), "SAVE10", PartnerId(1)))?;
    /// let engine = registry.compile()?;
    /// let request = GenerateRequest::new(PartnerId(2), Template::parse("JO-{5}")?, 100).seed(7);
    /// let codes = registry.add_generated(&engine, &request, CodeId(1_000), "spring campaign")?;
    /// assert_eq!(codes.len(), 100);
    /// assert_eq!(registry.len(), 101);
    /// assert_eq!(registry.get(CodeId(1_099)).unwrap().owner(), Some(PartnerId(2)));
    /// assert_eq!(registry.history().last().unwrap().note(), Some("spring campaign"));
    ///
    /// // Ids taken: nothing is added.
    /// let err = registry.add_generated(&engine, &request.seed(8), CodeId(1_050), "again").unwrap_err();
    /// assert_eq!(err.kind(), promo_attribution::ErrorKind::DuplicateId);
    /// assert_eq!(registry.len(), 101);
    /// # Ok::<(), promo_attribution::Error>(())
    /// ```
    pub fn add_generated(
        &mut self,
        engine: &Engine,
        request: &GenerateRequest,
        first_id: CodeId,
        note: impl Into<String>,
    ) -> Result<Vec<Code>, Error> {
        let last = u64::try_from(request.count.saturating_sub(1))
            .ok()
            .and_then(|more| first_id.0.checked_add(more));
        if last.is_none() {
            let why = format!(
                "ids from {first_id} for {} codes pass the largest id",
                request.count
            );
            return Err(Error::text(Reason::InvalidValue(why)));
        }
        let engine = self.refresh(engine)?;
        let texts = engine.generate(request)?.into_texts();
        let codes: Vec<Code> = (first_id.0..=last.unwrap_or(first_id.0))
            .zip(texts)
            .map(|(id, text)| {
                Code::tracking(CodeId(id), text, request.partner)
                    .credit(request.credit)
                    .window(request.window)
                    .into()
            })
            .collect();
        let changes = codes.iter().map(|code| Change::Add { code: code.clone() });
        self.apply_with_note(changes, note)
            .map_err(first_rejected)?;
        Ok(codes)
    }
}

/// The first code a batch of generated codes rejected (a batch is refused for at least one).
fn first_rejected(rejected: BulkError) -> Error {
    let summary = rejected.to_string();
    let first = rejected.into_errors().into_iter().next();
    first.unwrap_or_else(|| Error::text(Reason::InvalidValue(summary)))
}
