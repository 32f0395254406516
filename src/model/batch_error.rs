//! The errors of a batch, all of them, for a batch that was refused whole.

use std::fmt;

use super::error::Error;

/// Every error of a batch handed to [`Registry::add_all`](crate::Registry::add_all) or
/// [`Registry::apply`](crate::Registry::apply), in row order. Nothing of the batch was applied.
///
/// Each [`Error`] in it carries its [`row`](Error::row).
#[derive(Debug)]
pub struct BulkError {
    errors: Vec<Error>,
    rows: usize,
    /// What did not happen: `added` for codes, `changed` for a batch of changes.
    undone: &'static str,
}

impl BulkError {
    pub(crate) fn new(errors: Vec<Error>, rows: usize) -> BulkError {
        BulkError {
            errors,
            rows,
            undone: "added",
        }
    }

    /// The errors of a batch of changes, none of which was applied.
    pub(crate) fn changes(errors: Vec<Error>, rows: usize) -> BulkError {
        BulkError {
            errors,
            rows,
            undone: "changed",
        }
    }

    /// The errors, one or more, in row order.
    pub fn errors(&self) -> &[Error] {
        &self.errors
    }

    /// The errors, by value.
    pub fn into_errors(self) -> Vec<Error> {
        self.errors
    }
}

impl fmt::Display for BulkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} of {} rows rejected, nothing was {}",
            self.errors.len(),
            self.rows,
            self.undone
        )?;
        if let Some(first) = self.errors.first() {
            write!(f, "; first: {first}")?;
        }
        Ok(())
    }
}

impl std::error::Error for BulkError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.errors
            .first()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}
