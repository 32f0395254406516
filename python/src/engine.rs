//! `Engine`, `Decision` and `PerformanceReport`.

use promo_attribution::actions::Reversal;
use promo_attribution::decision::CodeHit;
use promo_attribution::reports::{PerformanceReport, Stats};
use promo_attribution::{Click, Conversion, Decision, Engine, PartnerId, Timestamp};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::action::{PyAction, read_changes};
use crate::arrow::{self, Program, Programs};
use crate::capsule;
use crate::convert::{instant, outcome_parts, payout_source_name};
use crate::errors::OrRaise;
use crate::generate;

/// A compiled, immutable engine: attributes orders. Safe to share between threads; the
/// attribution of Arrow data runs without the GIL.
#[pyclass(name = "Engine", module = "promo_attribution", frozen)]
pub(crate) struct PyEngine {
    pub(crate) inner: Engine,
}

impl PyEngine {
    pub(crate) fn new(inner: Engine) -> PyEngine {
        PyEngine { inner }
    }
}

/// What an order's conversion borrows, read from Python arguments: its instant, and its
/// clicks from `(partner_id, at)` pairs (`None` for none).
pub(crate) struct Order {
    at: Timestamp,
    clicks: Vec<Click>,
}

impl Order {
    pub(crate) fn read(
        at: &Bound<'_, PyAny>,
        clicks: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Order> {
        let clicks = match clicks {
            Some(clicks) if !clicks.is_none() => clicks
                .try_iter()?
                .map(|item| {
                    let (partner, at): (u64, Bound<'_, PyAny>) = item?.extract()?;
                    Ok(Click::new(PartnerId(partner), instant(&at)?))
                })
                .collect::<PyResult<_>>()?,
            _ => Vec::new(),
        };
        Ok(Order {
            at: instant(at)?,
            clicks,
        })
    }

    pub(crate) fn conversion<'a>(&'a self, codes: &'a [String], amount: u64) -> Conversion<'a> {
        Conversion::new(self.at)
            .codes(codes)
            .clicks(&self.clicks)
            .amount(amount)
    }
}

#[pymethods]
impl PyEngine {
    /// Decides who gets the credit for one order, and why. `codes` are the texts typed at
    /// checkout, `clicks` `(partner_id, at)` pairs, `amount` minor currency units.
    #[pyo3(signature = (at, codes=Vec::new(), clicks=None, amount=0))]
    fn attribute(
        &self,
        at: &Bound<'_, PyAny>,
        codes: Vec<String>,
        clicks: Option<&Bound<'_, PyAny>>,
        amount: u64,
    ) -> PyResult<PyDecision> {
        let order = Order::read(at, clicks)?;
        let conversion = order.conversion(&codes, amount);
        Ok(PyDecision::from(&self.inner.attribute(&conversion)))
    }

    /// Attributes every row of a pyarrow `Table` or `RecordBatch` (or any object with
    /// `__arrow_c_stream__` or `__arrow_c_array__`), without copying it; returns the same kind
    /// of object with the output columns. See the package docs for the columns.
    ///
    /// `threads` is how many threads share the work (every core by default; 1 runs on the
    /// calling thread alone). The output is the same whatever it is, rows in input order.
    #[pyo3(signature = (data, *, threads = None))]
    fn attribute_arrow<'py>(
        &self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
        threads: Option<usize>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let threads = arrow::threads(threads)?;
        let batches = capsule::import(data)?;
        let engine = &self.inner;
        let program = Program {
            revision: engine.revision() as i64,
            settings: engine.settings().clone(),
        };
        let out = py.detach(|| {
            arrow::attribute_batches(&batches, Programs::One(&program), threads, |rows| {
                Ok(engine.attribute_batch(&rows.conversions()))
            })
        })?;
        capsule::to_pyarrow(py, out, data)
    }

    /// `count` codes for `partner` from `template` (`"BOB-{6}"`, or a vanity base `"BOB15"`),
    /// each free of every registered code for the schedule given and distinct ignoring case;
    /// the same engine revision, template and seed give the same codes. Raises
    /// `namespace_exhausted` when the template cannot yield them.
    #[pyo3(signature = (partner, template, count, *, seed=0, starts_at=None, ends_at=None, alphabet=None))]
    #[allow(clippy::too_many_arguments)]
    fn generate(
        &self,
        py: Python<'_>,
        partner: u64,
        template: &str,
        count: usize,
        seed: u64,
        starts_at: Option<&Bound<'_, PyAny>>,
        ends_at: Option<&Bound<'_, PyAny>>,
        alphabet: Option<&str>,
    ) -> PyResult<Vec<String>> {
        let request = generate::request(
            partner, template, count, seed, starts_at, ends_at, alphabet, "always",
        )?;
        let engine = &self.inner;
        let generated = py.detach(|| engine.generate(&request)).or_raise()?;
        Ok(generated.into_texts())
    }

    /// The registry revision this engine reflects.
    #[getter]
    fn revision(&self) -> u64 {
        self.inner.revision()
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    fn __repr__(&self) -> String {
        format!(
            "Engine(codes={}, revision={})",
            self.inner.len(),
            self.inner.revision()
        )
    }
}

/// One attribution decision, with its diagnostics.
#[pyclass(name = "Decision", module = "promo_attribution", frozen)]
pub(crate) struct PyDecision {
    /// `credited`, `invalid` or `unattributed`.
    #[pyo3(get)]
    outcome: &'static str,
    /// The credited partner, or the partner whose sale is invalid.
    #[pyo3(get)]
    partner_id: Option<u64>,
    /// `code` or `click` for a credited order.
    #[pyo3(get)]
    via: Option<&'static str>,
    /// The code the decision turned on.
    #[pyo3(get)]
    code_id: Option<u64>,
    /// Why an invalid sale must not be paid.
    #[pyo3(get)]
    reason: Option<&'static str>,
    /// What the sale pays, in minor units.
    #[pyo3(get)]
    payout: u64,
    /// `exception_list:N`, `contract` or `program`; `None` when nothing is paid.
    #[pyo3(get)]
    payout_source: Option<String>,
    /// The partner of the winning qualifying click.
    #[pyo3(get)]
    click_winner: Option<u64>,
    /// What each entered code hit: `matched:ID`, `restricted:ID`, `inactive:ID:STATE`,
    /// `unknown`, `empty`, `too_long`, `not_judged` (entered past the program's
    /// `max_entered_codes`).
    #[pyo3(get)]
    entered: Vec<String>,
    /// The codes that matched but lost, as `(entered_position, code_id, why)`.
    #[pyo3(get)]
    other_matches: Vec<(usize, u64, String)>,
    /// How many other matches were left out past the program's `max_other_matches`.
    #[pyo3(get)]
    other_matches_left_out: usize,
    /// What judging the order's later changes needs (`Decision.action`).
    action: PyAction,
}

fn hit_name(hit: &CodeHit) -> String {
    match hit {
        CodeHit::Empty => "empty".to_owned(),
        CodeHit::TooLong => "too_long".to_owned(),
        CodeHit::Restricted(id) => format!("restricted:{id}"),
        CodeHit::Matched(id) => format!("matched:{id}"),
        CodeHit::Inactive { code, state } => format!("inactive:{code}:{}", state.as_str()),
        CodeHit::NotJudged => "not_judged".to_owned(),
        CodeHit::Unknown => "unknown".to_owned(),
        // A kind of hit this binding does not name yet: the crate's own words for it.
        other => other.to_string(),
    }
}

impl From<&Decision> for PyDecision {
    fn from(decision: &Decision) -> PyDecision {
        let parts = outcome_parts(decision.outcome());
        PyDecision {
            outcome: parts.outcome,
            partner_id: parts.partner,
            via: parts.via,
            code_id: decision.code().map(|c| c.0),
            reason: parts.reason,
            payout: decision.payout(),
            payout_source: decision
                .payout_source()
                .map(|source| payout_source_name(source).into_owned()),
            click_winner: decision.click_winner().map(|p| p.0),
            entered: decision.entered().iter().map(hit_name).collect(),
            other_matches: decision
                .other_matches()
                .iter()
                .map(|m| (m.entered, m.code.0, m.why.to_string()))
                .collect(),
            other_matches_left_out: decision.other_matches_left_out(),
            action: PyAction {
                inner: decision.action(),
            },
        }
    }
}

#[pymethods]
impl PyDecision {
    /// The decision's action: store it, and judge the order's refunds, restatements and
    /// cancellations against it later (`Action.judge`).
    #[getter]
    fn action(&self) -> PyAction {
        self.action.clone()
    }

    fn __repr__(&self) -> String {
        let mut parts = vec![format!("outcome={:?}", self.outcome)];
        if let Some(p) = self.partner_id {
            parts.push(format!("partner_id={p}"));
        }
        if let Some(v) = self.via {
            parts.push(format!("via={v:?}"));
        }
        if let Some(c) = self.code_id {
            parts.push(format!("code_id={c}"));
        }
        if let Some(r) = self.reason {
            parts.push(format!("reason={r:?}"));
        }
        parts.push(format!("payout={}", self.payout));
        format!("Decision({})", parts.join(", "))
    }
}

/// Performance by promo code and by partner (the reference's report), built order by order.
#[pyclass(name = "PerformanceReport", module = "promo_attribution")]
pub(crate) struct PyPerformanceReport {
    inner: PerformanceReport,
}

fn stats_dict<'py>(py: Python<'py>, stats: &Stats) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("actions", stats.actions)?;
    d.set_item("credited", stats.credited)?;
    d.set_item("revenue", stats.revenue)?;
    d.set_item("payout", stats.payout)?;
    d.set_item("invalid", stats.invalid_total())?;
    d.set_item("locked", stats.locked)?;
    d.set_item("reversed", stats.reversed_total())?;
    let by_reason = PyDict::new(py);
    for reversal in Reversal::ALL {
        by_reason.set_item(reversal.as_str(), stats.reversed(reversal))?;
    }
    d.set_item("reversed_by_reason", by_reason)?;
    Ok(d)
}

#[pymethods]
impl PyPerformanceReport {
    #[new]
    fn new() -> Self {
        PyPerformanceReport {
            inner: PerformanceReport::new(),
        }
    }

    /// Attributes one order with `engine` and counts it; returns the decision. With
    /// `changes` (`(at, kind, amount or reason)` tuples, as `Action.judge` takes them) and
    /// `now`, counts it net of its changes: revenue and payout after them, a reversal by
    /// reason, and whether the action is locked at `now`.
    #[pyo3(signature = (engine, at, codes=Vec::new(), clicks=None, amount=0, changes=None, now=None))]
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        engine: &PyEngine,
        at: &Bound<'_, PyAny>,
        codes: Vec<String>,
        clicks: Option<&Bound<'_, PyAny>>,
        amount: u64,
        changes: Option<&Bound<'_, PyAny>>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyDecision> {
        let order = Order::read(at, clicks)?;
        let conversion = order.conversion(&codes, amount);
        let decision = engine.inner.attribute(&conversion);
        match (changes, now) {
            (None, None) => self.inner.add(&conversion, &decision),
            (Some(changes), Some(now)) => {
                let changes = read_changes(changes)?;
                let settled = decision.action().judge(&changes).settled();
                self.inner.add_settled(&decision, &settled, instant(now)?);
            }
            _ => {
                return Err(crate::errors::other(
                    "missing_value",
                    "changes and now go together: the report counts an action's state at now",
                ));
            }
        }
        Ok(PyDecision::from(&decision))
    }

    /// Per code (`None` for orders without one): `{code_id: {actions, credited, revenue,
    /// payout, invalid, locked, reversed, reversed_by_reason}}`; revenue and payout net of the
    /// changes of orders added with them.
    #[pyo3(signature = (include_no_code=true))]
    fn by_code<'py>(&self, py: Python<'py>, include_no_code: bool) -> PyResult<Bound<'py, PyDict>> {
        let out = PyDict::new(py);
        for (code, stats) in self.inner.by_code(include_no_code) {
            out.set_item(code.map(|c| c.0), stats_dict(py, &stats)?)?;
        }
        Ok(out)
    }

    /// Per credited partner.
    fn by_partner<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let out = PyDict::new(py);
        for (partner, stats) in self.inner.by_partner() {
            out.set_item(partner.0, stats_dict(py, &stats)?)?;
        }
        Ok(out)
    }

    /// Everything together.
    #[pyo3(signature = (include_no_code=true))]
    fn total<'py>(&self, py: Python<'py>, include_no_code: bool) -> PyResult<Bound<'py, PyDict>> {
        stats_dict(py, &self.inner.total(include_no_code))
    }
}
