//! Bringing an engine up to date with a registry: at the cost of the changes since the revision
//! it reflects when the registry shares that revision's history, by a full compile otherwise,
//! and saying beforehand which it will be.

use super::Registry;
use super::history::Recorded;
use crate::definitions::{RegistryView, Touched};
use crate::engine::Engine;
use crate::model::{Change, Error, RefreshPlan};

impl Registry {
    /// `engine` brought up to date with this registry, at the cost of what changed since the
    /// revision it reflects: the new engine shares everything else with it, so both can serve
    /// at once while the old one drains (after one change they hold a few hundred kilobytes
    /// apart, not two copies of the program).
    ///
    /// It decides every order exactly as [`compile`](Registry::compile) would. An engine of
    /// this registry's lineage — compiled from it, from a registry it was cloned from, or from
    /// the registry a snapshot it was read from was taken of — is brought up to date at the
    /// cost of the changes since, as long as the two share the history up to the engine's
    /// revision. Otherwise, and now and then to keep lookups fast (when many codes were added
    /// since the last full compile), it compiles in full:
    /// [`refresh_plan`](Registry::refresh_plan) says beforehand which it will be, and why.
    ///
    /// ```
    /// use promo_attribution::{Code, CodeId, Conversion, PartnerId, Registry, Timestamp};
    ///
    /// let t = |s: &str| s.parse::<Timestamp>();
    /// let mut registry = Registry::default();
    /// registry.add(Code::tracking(CodeId(10), "SAVE10", PartnerId(1)))?;
    /// let engine = registry.compile()?;
    ///
    /// registry.transfer(CodeId(10), PartnerId(2), t("2026-03-01T00:00:00Z")?)?;
    /// registry.add(Code::tracking(CodeId(11), "BOB15", PartnerId(3)))?;
    /// let next = registry.refresh(&engine)?;
    /// assert_eq!((engine.revision(), next.revision()), (1, 3));
    ///
    /// let order = Conversion::new(t("2026-03-10T00:00:00Z")?).codes(&["save10"]);
    /// assert_eq!(engine.attribute(&order).to_string(), "credited partner 1 via code 10");
    /// assert_eq!(next.attribute(&order).to_string(), "credited partner 2 via code 10");
    /// # Ok::<(), promo_attribution::Error>(())
    /// ```
    pub fn refresh(&self, engine: &Engine) -> Result<Engine, Error> {
        let source = self.source();
        match self.plan(engine) {
            (RefreshPlan::Incremental { .. }, Some(touched)) => engine.refresh(&source, &touched),
            _ => Engine::compile(&source),
        }
    }

    /// How [`refresh`](Registry::refresh) would bring `engine` up to date: at the cost of the
    /// changes since its revision, or by a full compile, and why. It costs what finding the
    /// changes costs, nothing more.
    ///
    /// ```
    /// use promo_attribution::{Code, CodeId, PartnerId, Registry};
    /// use promo_attribution::history::RefreshPlan;
    ///
    /// let mut registry = Registry::default();
    /// registry.add(Code::tracking(CodeId(10), "SAVE10", PartnerId(1)))?;
    /// let engine = registry.compile()?;
    ///
    /// // A clone shares the history up to now: it brings the engine up to date cheaply.
    /// let mut copy = registry.clone();
    /// copy.add(Code::tracking(CodeId(11), "BOB15", PartnerId(3)))?;
    /// assert_eq!(copy.refresh_plan(&engine), RefreshPlan::Incremental { changes: 1 });
    ///
    /// // Once both changed apart, the copy's engines are not the original's.
    /// registry.add(Code::tracking(CodeId(12), "JANE20", PartnerId(4)))?;
    /// let engine = registry.compile()?;
    /// assert_eq!(copy.refresh_plan(&engine), RefreshPlan::OtherLineage);
    /// # Ok::<(), promo_attribution::Error>(())
    /// ```
    pub fn refresh_plan(&self, engine: &Engine) -> RefreshPlan {
        self.plan(engine).0
    }

    /// The plan, and what changed since the engine's revision when it is incremental.
    fn plan(&self, engine: &Engine) -> (RefreshPlan, Option<Touched>) {
        if engine.revision() > self.revision() {
            return (RefreshPlan::EngineAhead, None);
        }
        if engine.stamp() != self.store.lineage.stamp(engine.revision()) {
            return (RefreshPlan::OtherLineage, None);
        }
        if self
            .store
            .checkpoint
            .is_some_and(|checkpoint| engine.revision() < checkpoint.revision())
        {
            return (RefreshPlan::BeforeCheckpoint, None);
        }
        let changes = self.store.history.since(engine.revision()).len();
        let touched = self.touched_since(engine.revision());
        if engine.needs_compaction(self.store.entries.len(), &touched) {
            return (RefreshPlan::Compaction, None);
        }
        (RefreshPlan::Incremental { changes }, Some(touched))
    }

    pub(super) fn source(&self) -> RegistryView<'_> {
        RegistryView {
            settings: &self.store.settings,
            entries: &self.store.entries,
            by_id: &self.store.by_id,
            contracts: &self.store.contracts,
            exception_lists: self.store.exception_lists.iter().map(|(_, v)| v).collect(),
            revision: self.revision(),
            stamp: self.store.lineage.stamp(self.revision()),
        }
    }

    /// What the changes after `revision` touched.
    fn touched_since(&self, revision: u64) -> Touched {
        let mut touched = Touched::default();
        for entry in self.store.history.since(revision) {
            let code = || {
                entry
                    .code_id()
                    .and_then(|id| self.store.by_id.get(&id))
                    .copied()
            };
            let change = match entry.recorded() {
                Recorded::Added(_) => {
                    touched.positions.extend(code());
                    continue;
                }
                Recorded::Other(change) => &**change,
            };
            // Every kind named: a new kind of change must say what it touches, or an engine
            // brought up to date would miss it.
            match change {
                Change::Add { .. }
                | Change::Expire { .. }
                | Change::Reactivate { .. }
                | Change::Transfer { .. }
                | Change::SetCredit { .. }
                | Change::SetWindow { .. }
                | Change::SetDeal { .. }
                | Change::SetLabel { .. }
                | Change::Remove { .. } => touched.positions.extend(code()),
                Change::SetContract { partner, .. } | Change::RemoveContract { partner } => {
                    touched.partners.push(*partner);
                }
                Change::AddExceptionList { .. } => touched.exception_lists = true,
            }
        }
        touched.positions.sort_unstable();
        touched.positions.dedup();
        touched.partners.sort_unstable();
        touched.partners.dedup();
        touched
    }
}
