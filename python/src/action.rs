//! After the decision (SPEC §10) from Python, one order at a time: the stored action of a
//! decision (`Decision.action`, or built from what a host stored) and its changes judged
//! (`Action.judge`). The table path is `changes`.

use promo_attribution::actions::{Action, ChangeResult, Clawback, Judgement, OrderChange};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

use crate::convert::{
    instant, optional_instant, payout_rule_parts, payout_source_name, stored_payout_rule,
};
use crate::errors::{OrRaise, other};

/// The action of a decision: what judging the order's refunds, restatements and
/// cancellations needs, without the engine.
#[pyclass(name = "Action", module = "promo_attribution", frozen)]
#[derive(Clone)]
pub(crate) struct PyAction {
    pub(crate) inner: Action,
}

#[pymethods]
impl PyAction {
    /// An action from what a host stored: the order's instant and amount; for a credited
    /// decision its payout rule (`fixed` or `percent_bps`) and rate, and where the rule came
    /// from; when it locks; whether it takes clawbacks.
    #[new]
    #[pyo3(signature = (at, amount, payout_rule=None, payout_rate=None, payout_source=None, lock_at=None, clawback=false))]
    fn new(
        at: &Bound<'_, PyAny>,
        amount: u64,
        payout_rule: Option<&str>,
        payout_rate: Option<i64>,
        payout_source: Option<&str>,
        lock_at: Option<&Bound<'_, PyAny>>,
        clawback: bool,
    ) -> PyResult<Self> {
        let mut action = Action::new(instant(at)?, amount)
            .lock_at(optional_instant(lock_at)?)
            .clawback(clawback_of(clawback));
        if let Some(rule) = payout_rule {
            let rule = stored_payout_rule(rule, payout_rate, payout_source)
                .map_err(|(_, kind, message)| other(kind, message))?;
            action = action.rule(rule);
        }
        Ok(PyAction { inner: action })
    }

    /// When the order was placed (RFC 3339, UTC).
    #[getter]
    fn at(&self) -> String {
        self.inner.at().to_string()
    }

    /// The order amount at the decision, in minor units.
    #[getter]
    fn amount(&self) -> u64 {
        self.inner.amount()
    }

    /// The payout at the decision.
    #[getter]
    fn payout(&self) -> u64 {
        self.inner.payout()
    }

    /// `fixed` or `percent_bps`; `None` when the decision pays nothing.
    #[getter]
    fn payout_rule(&self) -> Option<&'static str> {
        self.inner
            .payout_rule()
            .map(|r| payout_rule_parts(r.payout).0)
    }

    /// The rule's value: minor units for `fixed`, basis points for `percent_bps`.
    #[getter]
    fn payout_rate(&self) -> Option<u64> {
        self.inner
            .payout_rule()
            .map(|r| payout_rule_parts(r.payout).1)
    }

    /// `exception_list:N`, `contract` or `program`.
    #[getter]
    fn payout_source(&self) -> Option<String> {
        self.inner
            .payout_rule()
            .map(|r| payout_source_name(r.source).into_owned())
    }

    /// When the action locks (RFC 3339), or `None`: never.
    #[getter]
    fn lock_at(&self) -> Option<String> {
        self.inner.locks_at().map(|t| t.to_string())
    }

    /// Whether changes at or after the lock still apply.
    #[getter]
    fn clawback(&self) -> bool {
        takes_clawback(&self.inner)
    }

    /// Judges the order's changes: `(at, "refund", amount)`, `(at, "restate", amount)` or
    /// `(at, "cancel", reason)` tuples, all of them, each time (the action is never updated,
    /// so no change is applied twice).
    fn judge(&self, changes: &Bound<'_, PyAny>) -> PyResult<PyJudgement> {
        Ok(PyJudgement {
            inner: self.inner.judge(&read_changes(changes)?),
        })
    }

    fn __repr__(&self) -> String {
        format!(
            "Action(at={:?}, amount={}, payout={})",
            self.at(),
            self.inner.amount(),
            self.inner.payout()
        )
    }
}

pub(crate) fn clawback_of(clawback: bool) -> Clawback {
    if clawback {
        Clawback::Enabled
    } else {
        Clawback::Disabled
    }
}

pub(crate) fn takes_clawback(action: &Action) -> bool {
    !matches!(action.takes_clawback(), Clawback::Disabled)
}

/// An iterable of `(at, kind, amount or reason)` tuples.
pub(crate) fn read_changes(changes: &Bound<'_, PyAny>) -> PyResult<Vec<OrderChange>> {
    let mut read = Vec::new();
    for item in changes.try_iter()? {
        read.push(change_of(&item?)?);
    }
    Ok(read)
}

/// One `(at, kind, amount or reason)` tuple.
fn change_of(item: &Bound<'_, PyAny>) -> PyResult<OrderChange> {
    let tuple = item.cast::<PyTuple>().map_err(|_| {
        other(
            "invalid_value",
            format!("a change is an (at, kind, amount or reason) tuple, not {item}"),
        )
    })?;
    if tuple.len() != 3 {
        return Err(other(
            "invalid_value",
            format!("a change is an (at, kind, amount or reason) tuple, not {tuple}"),
        ));
    }
    let at = instant(&tuple.get_item(0)?)?;
    let kind: String = tuple.get_item(1)?.extract()?;
    let value = tuple.get_item(2)?;
    let (amount, reason) = match value.extract::<i64>() {
        Ok(amount) => (Some(amount), None),
        Err(_) => (None, Some(value.extract::<String>()?)),
    };
    OrderChange::from_words(at, &kind, amount, reason.as_deref()).or_raise()
}

/// What judging an order's changes gave: one result per change, and where the action stands.
#[pyclass(name = "Judgement", module = "promo_attribution", frozen)]
pub(crate) struct PyJudgement {
    inner: Judgement,
}

#[pymethods]
impl PyJudgement {
    /// One dict per change, in the order given: `rejected` (the reason, or `None`), and for an
    /// accepted change `amount`, `payout`, `delta`, `state`, `reason` (of a reversal) and
    /// `after_lock`.
    #[getter]
    fn results<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        for result in self.inner.results() {
            list.append(result_dict(py, result)?)?;
        }
        Ok(list)
    }

    /// The amount after every accepted change.
    #[getter]
    fn amount(&self) -> u64 {
        self.inner.settled().amount()
    }

    /// The payout after every accepted change.
    #[getter]
    fn payout(&self) -> u64 {
        self.inner.settled().payout()
    }

    /// The payout after the changes minus the payout at the decision.
    #[getter]
    fn delta(&self) -> i64 {
        self.inner.settled().delta()
    }

    /// `pending`, `locked` or `reversed`, as the last accepted change left it.
    #[getter]
    fn state(&self) -> &'static str {
        self.inner.settled().state().as_str()
    }

    /// Why the action was reversed, if it was.
    #[getter]
    fn reason(&self) -> Option<&'static str> {
        self.inner.settled().reversal().map(|r| r.as_str())
    }

    fn __repr__(&self) -> String {
        format!("Judgement({})", self.inner.settled())
    }
}

fn result_dict<'py>(py: Python<'py>, result: &ChangeResult) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    let parts = ResultParts::of(result);
    dict.set_item("rejected", parts.rejected)?;
    dict.set_item("amount", parts.amount)?;
    dict.set_item("payout", parts.payout)?;
    dict.set_item("delta", parts.delta)?;
    dict.set_item("state", parts.state)?;
    dict.set_item("reason", parts.reason)?;
    dict.set_item("after_lock", parts.after_lock)?;
    Ok(dict)
}

/// A change result as Python and Arrow tell it: every field `None` that does not apply.
#[derive(Default)]
pub(crate) struct ResultParts {
    pub(crate) rejected: Option<&'static str>,
    pub(crate) amount: Option<u64>,
    pub(crate) payout: Option<u64>,
    pub(crate) delta: Option<i64>,
    pub(crate) state: Option<&'static str>,
    pub(crate) reason: Option<&'static str>,
    pub(crate) after_lock: Option<bool>,
}

impl ResultParts {
    pub(crate) fn of(result: &ChangeResult) -> ResultParts {
        match result {
            ChangeResult::Accepted(a) => ResultParts {
                rejected: None,
                amount: Some(a.amount),
                payout: Some(a.payout),
                delta: Some(a.delta),
                state: Some(a.state.as_str()),
                reason: a.reversal.map(|r| r.as_str()),
                after_lock: Some(a.after_lock),
            },
            ChangeResult::Rejected(why) => ResultParts {
                rejected: Some(why.as_str()),
                ..ResultParts::default()
            },
            _ => ResultParts::default(),
        }
    }
}
