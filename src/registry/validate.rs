//! The registration rules, checked before anything changes: a code against the registry and
//! the rest of its batch, a schedule against the other codes of its text.

use std::collections::HashMap;

use super::store::Store;
use crate::definitions::{Definition, Key, TextIndex};
use crate::matching::fold;
use crate::model::{Code, CodeId, Error, MAX_LABEL_LEN, Reason, Window, check_len, check_text};

impl Store {
    /// Checks one code against the registry and against the codes of `batch`, which are
    /// validated but not yet inserted, and derives its key.
    pub(crate) fn validate(&self, mut code: Code, batch: &Batch) -> Result<Definition, Error> {
        let trimmed = code.text().trim();
        if trimmed.len() != code.text().len() {
            *code.text_mut() = trimmed.to_owned();
        }
        let (id, text, window) = (code.id(), code.text(), code.window());
        let fail = |reason| Error::code(id, text, reason);
        if let Some(&i) = self.by_id.get(&id) {
            let existing = &self.entries[i];
            let existing_text = existing.definition.code.text().into();
            return Err(fail(if existing.removed {
                Reason::RemovedId(existing_text)
            } else {
                Reason::DuplicateId(id, existing_text)
            }));
        }
        if let Some(&i) = batch.by_id.get(&id) {
            let existing = batch.definitions[i].code.text().into();
            return Err(fail(Reason::DuplicateId(id, existing)));
        }
        check_text(text).map_err(fail)?;
        check_label(code.label()).map_err(fail)?;
        window.check().map_err(fail)?;
        let key = Key::of(&code).map_err(fail)?;
        if let Key::Exact = key {
            let clash = fold::with_any_folded(text, |folded| {
                self.exact_clash(folded, &window, None)
                    .or_else(|| batch.exact_clash(folded, &window))
                    .map(|other| duplicate(other, &window))
            });
            if let Some(reason) = clash {
                return Err(fail(reason));
            }
        }
        Ok(Definition { code, key })
    }

    /// A live exact code other than the one at `except` whose folded text is `folded` and whose
    /// schedule overlaps `window`.
    pub(super) fn exact_clash(
        &self,
        folded: &str,
        window: &Window,
        except: Option<usize>,
    ) -> Option<&Code> {
        self.exact
            .candidates(folded)
            .iter()
            .filter(|&&i| Some(i) != except)
            .map(|&i| &self.entries[i].definition)
            .find(|other| {
                other.with_folded(|text| text == folded) == Some(true)
                    && other.code.window().overlaps(window)
            })
            .map(|other| &other.code)
    }

    /// Checks a new schedule for the code at `position`, as a new code's would be.
    pub(super) fn validate_window(&self, position: usize, window: &Window) -> Result<(), Reason> {
        window.check()?;
        let definition = &self.entries[position].definition;
        let clash = definition.with_folded(|folded| {
            self.exact_clash(folded, window, Some(position))
                .map(|other| duplicate(other, window))
        });
        clash.flatten().map_or(Ok(()), Err)
    }
}

/// A code's label is at most [`MAX_LABEL_LEN`] bytes.
pub(super) fn check_label(label: Option<&str>) -> Result<(), Reason> {
    label.map_or(Ok(()), |label| check_len("label", label, MAX_LABEL_LEN))
}

/// Two exact codes of one text whose schedules would overlap.
fn duplicate(existing: &Code, window: &Window) -> Reason {
    Reason::DuplicateCode {
        existing: existing.id(),
        existing_text: existing.text().into(),
        existing_window: existing.window().to_string().into(),
        window: window.to_string().into(),
    }
}

/// Codes validated together, not yet inserted: what a later code of the same batch is checked
/// against, besides the registry.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    pub(super) definitions: Vec<Definition>,
    by_id: HashMap<CodeId, usize>,
    exact: TextIndex,
}

impl Batch {
    pub(super) fn push(&mut self, definition: Definition) {
        let index = self.definitions.len();
        self.by_id.insert(definition.code.id(), index);
        definition.with_folded(|folded| self.exact.insert(folded, index));
        self.definitions.push(definition);
    }

    fn exact_clash(&self, folded: &str, window: &Window) -> Option<&Code> {
        self.exact
            .candidates(folded)
            .iter()
            .map(|&i| &self.definitions[i])
            .find(|other| {
                other.with_folded(|text| text == folded) == Some(true)
                    && other.code.window().overlaps(window)
            })
            .map(|other| &other.code)
    }

    /// The number of codes.
    #[cfg_attr(not(feature = "csv"), allow(dead_code))]
    pub(crate) fn len(&self) -> usize {
        self.definitions.len()
    }
}
