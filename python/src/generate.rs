//! What `Engine.generate` and `Registry.add_generated` take: a template string (a run such as
//! `{6}`, or else a vanity base), an optional alphabet, the codes' schedule and a seed.

use promo_attribution::generate::{GenerateRequest, Template};
use promo_attribution::{CreditPolicy, PartnerId, Window};
use pyo3::prelude::*;

use crate::convert::{named, optional_instant};
use crate::errors::OrRaise;

/// The crate's request from the binding's arguments.
#[allow(clippy::too_many_arguments)]
pub(crate) fn request(
    partner: u64,
    template: &str,
    count: usize,
    seed: u64,
    starts_at: Option<&Bound<'_, PyAny>>,
    ends_at: Option<&Bound<'_, PyAny>>,
    alphabet: Option<&str>,
    credit: &str,
) -> PyResult<GenerateRequest> {
    let mut parsed = if template.contains('{') {
        Template::parse(template)
    } else {
        Template::vanity(template)
    }
    .or_raise()?;
    if let Some(alphabet) = alphabet {
        parsed = parsed.alphabet(alphabet).or_raise()?;
    }
    let window = Window {
        from: optional_instant(starts_at)?,
        until: optional_instant(ends_at)?,
    };
    Ok(GenerateRequest::new(PartnerId(partner), parsed, count)
        .window(window)
        .seed(seed)
        .credit(named::<CreditPolicy>(credit)?))
}
