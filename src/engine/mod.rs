//! The compiled, immutable snapshot of a registry: every public method of [`Engine`] is here;
//! the work is done in the submodules.
//!
//! - `compile`: building the state (`state`) from a registry's definitions.
//! - `decide`: the attribution decision, one function per rule; with `clicks` (rule 1),
//!   `resolve` (rule 3), `payouts` (rule 9: exception lists and the payout precedence) and
//!   `schedule` (when a code is active).
//! - `conflicts`: code requests and the conflict report.

mod batch;
mod clicks;
mod compile;
mod conflicts;
mod decide;
mod diagnostics;
mod generate;
mod owners;
mod payouts;
mod positions;
mod resolve;
mod schedule;
mod shared;
mod state;

use std::sync::Arc;

use smallvec::SmallVec;

use crate::definitions::{RegistryView, Touched};
use crate::model::{
    Attribution, Availability, Code, CodeHit, CodeId, CodeState, Conflict, Conversion, Decision,
    Error, GenerateRequest, Generated, MemoryUsage, PartnerId, Settings, Sighting, SightingCheck,
    Terms, Timestamp, Violation, Window,
};
use state::State;

/// An immutable, compiled snapshot of a [`Registry`](crate::Registry): answers
/// [`attribute`](Engine::attribute).
///
/// # Cloning
///
/// The compiled state lives behind an [`Arc`]: cloning an engine is a reference-count increment,
/// and clones can be sent to and used from any number of threads at once.
///
/// # Fallibility
///
/// Building an engine can fail (see [`Registry::compile`](crate::Registry::compile));
/// attributing cannot. Whatever an order holds — no codes or ten thousand, a megabyte of text,
/// clicks from the far future — `attribute` returns a [`Decision`] in time linear in the
/// order's size, and what was odd about the order shows in the decision's diagnostics.
#[derive(Clone)]
pub struct Engine {
    state: Arc<State>,
}

impl std::fmt::Debug for Engine {
    /// A summary: the compiled internals of a large program are not worth printing.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = &*self.state;
        let regex_codes = state
            .definitions
            .iter()
            .zip(state.codes.iter())
            .filter(|(d, c)| c.kind != state::Kind::Removed && d.code.is_regex())
            .count();
        f.debug_struct("Engine")
            .field("revision", &state.revision)
            .field("codes", &state.live)
            .field("exact_codes", &(state.live - regex_codes))
            .field("regex_codes", &regex_codes)
            .field("contracts", &state.contracts.len())
            .field("settings", &state.settings)
            .finish()
    }
}

impl Engine {
    pub(crate) fn compile(source: &RegistryView<'_>) -> Result<Engine, Error> {
        Ok(Engine {
            state: Arc::new(compile::compile(source)?),
        })
    }

    /// This engine brought up to the source's revision, given what changed since its own (the
    /// caller checked that the engine comes from the source's registry, at a revision not
    /// after its own); a full compile when it has taken in too many changes since its last.
    pub(crate) fn refresh(
        &self,
        source: &RegistryView<'_>,
        touched: &Touched,
    ) -> Result<Engine, Error> {
        let state = &*self.state;
        if state.revision == source.revision {
            return Ok(self.clone());
        }
        Ok(Engine {
            state: Arc::new(compile::refresh(state, source, touched)?),
        })
    }

    /// The stamp of the engine's revision in the lineage of the registry it reflects.
    pub(crate) fn stamp(&self) -> u64 {
        self.state.stamp
    }

    /// Whether bringing this engine up to a registry of `entries` codes, given what changed,
    /// compiles whole instead.
    pub(crate) fn needs_compaction(&self, entries: usize, touched: &Touched) -> bool {
        compile::needs_compaction(&self.state, entries, touched)
    }

    /// The settings the engine was compiled with.
    pub fn settings(&self) -> &Settings {
        &self.state.settings
    }

    /// The number of codes, tracking and restricted (removed codes do not count).
    pub fn len(&self) -> usize {
        self.state.live
    }

    /// Whether the engine holds no code.
    pub fn is_empty(&self) -> bool {
        self.state.live == 0
    }

    /// The heap memory the engine holds, by part: a figure for capacity planning, computed from
    /// the capacities of its tables. It leaves out the per-thread caches of the general regex
    /// engine, which only the rare regex code the matcher cannot compile itself uses.
    ///
    /// The code definitions are shared with the registry the engine was compiled from (and with
    /// other engines compiled from it) rather than copied; they count here in full, since the
    /// engine keeps them alive on its own once the registry is dropped.
    ///
    /// ```
    /// use promo_attribution::{Code, CodeId, PartnerId, Registry};
    ///
    /// let mut registry = Registry::default();
    /// registry.add(Code::tracking(CodeId(1), "SAVE10", PartnerId(1)))?;
    /// let usage = registry.compile()?.memory_usage();
    /// assert!(usage.exact_index > 0);
    /// assert_eq!(usage.total(), usage.exact_index + usage.regex_matcher + usage.definitions);
    /// # Ok::<(), promo_attribution::Error>(())
    /// ```
    pub fn memory_usage(&self) -> MemoryUsage {
        self.state.memory_usage()
    }

    /// The definition of a code.
    pub fn code(&self, id: CodeId) -> Option<&Code> {
        self.state.definition(id).map(|d| &d.code)
    }

    /// The registry [`revision`](crate::Registry::revision) the engine reflects: stamp it on the
    /// decisions the engine makes, and any of them can be traced to the registry as it was.
    pub fn revision(&self) -> u64 {
        self.state.revision
    }

    /// A tracking code's owner and credit policy at `t`, as attribution reads them; `None` for
    /// a restricted, unknown or removed code. See
    /// [`Registry::terms_at`](crate::Registry::terms_at).
    pub fn terms_at(&self, id: CodeId, t: Timestamp) -> Option<Terms> {
        self.state.record(id)?.terms_at(t)
    }

    /// A tracking code's owner at `t`; see [`terms_at`](Engine::terms_at).
    pub fn owner_at(&self, id: CodeId, t: Timestamp) -> Option<PartnerId> {
        self.terms_at(id, t).map(|terms| terms.owner)
    }

    /// A code's state at `t`: pending, active or expired, with manual expiry applied.
    pub fn state(&self, id: CodeId, t: Timestamp) -> Option<CodeState> {
        self.state.record(id).map(|code| code.state(t))
    }

    /// Decides who gets the credit for an order, or why the sale is invalid, and says why.
    ///
    /// The rules, in order:
    /// 1. Clicks qualify when `at - lookback <= click.at <= at` (and, with
    ///    [`AlwaysOwnerClicks::Ignore`](crate::settings::AlwaysOwnerClicks::Ignore), are not by a partner
    ///    owning an active `Always` code). They are ordered by instant, then input position; the click winner is the last
    ///    (or first) of them.
    /// 2. With code tracking disabled, codes are ignored and the click winner is credited.
    /// 3. Each entered code resolves to at most one active tracking code (exact before regex,
    ///    then higher priority, then registered earlier).
    /// 4. A matched code is satisfied when its policy is `Always`; `IfInvolved` and its owner
    ///    has a qualifying click; `IfWinner` and its owner is the click winner.
    /// 5. Of the satisfied codes, the strongest policy wins, then the first entered: its owner
    ///    is credited via the code.
    /// 6. If codes matched but none is satisfied: with
    ///    [`UnmetPolicy::Invalidate`](crate::settings::UnmetPolicy::Invalidate) the click winner's sale is
    ///    invalid (`CodeOwnedByOtherPartner`), or unattributed without one; with
    ///    [`UnmetPolicy::FallBackToClicks`](crate::settings::UnmetPolicy::FallBackToClicks) the codes are
    ///    ignored.
    /// 7. Otherwise the click winner is credited via click, or the order is unattributed.
    /// 8. A credited partner's sale is invalid if an entered code hits an active restricted
    ///    code (`RestrictedCode`; only with tracking enabled), then if the partner's contract
    ///    does not cover `at` (`PartnerNotActive`).
    /// 9. A sale still credited pays by the first exception list naming any entered code (even
    ///    with tracking disabled: the lists price codes, they do not credit), else by the
    ///    partner's contract rate, else by the program's default. Invalid and unattributed
    ///    sales pay 0.
    ///
    /// An order's cost has a bound the program sets (SPEC §12): the rules judge the first
    /// [`max_entered_codes`](crate::Settings::max_entered_codes) entered codes, the rest are
    /// reported as [`CodeHit::NotJudged`](crate::decision::CodeHit::NotJudged) and take no part; the
    /// decision keeps at most [`max_other_matches`](crate::Settings::max_other_matches) other
    /// matches and counts the rest. The defaults are far above any honest order.
    ///
    /// ```
    /// use promo_attribution::{Click, Code, CodeId, Conversion, CreditPolicy, Outcome,
    ///     PartnerId, Registry, Timestamp, Via};
    ///
    /// let mut registry = Registry::default();
    /// registry.add(Code::tracking(CodeId(10), "BOB15", PartnerId(1)).credit(CreditPolicy::IfInvolved))?;
    /// let engine = registry.compile()?;
    ///
    /// let at: Timestamp = "2026-03-10T12:00:00Z".parse()?;
    /// let clicks = [
    ///     Click::new(PartnerId(1), "2026-03-08T09:00:00Z".parse()?),
    ///     Click::new(PartnerId(2), "2026-03-09T09:00:00Z".parse()?),
    /// ];
    /// let decision = engine.attribute(&Conversion::new(at).codes(&["bob15"]).clicks(&clicks));
    /// // Partner 2 had the last click, but partner 1 was involved and owns the code.
    /// assert_eq!(decision.outcome(), Outcome::Credited { partner: PartnerId(1), via: Via::Code(CodeId(10)) });
    /// assert_eq!(decision.click_winner(), Some(PartnerId(2)));
    /// # Ok::<(), promo_attribution::Error>(())
    /// ```
    pub fn attribute(&self, conversion: &Conversion<'_>) -> Decision {
        decide::attribute(&self.state, conversion)
    }

    /// Attributes many orders at once: for each, the same outcome, code and payout as
    /// [`attribute`](Engine::attribute) gives, without the diagnostics, in order.
    ///
    /// This is the path for re-attributing history and for jobs over many orders: while it
    /// decides one order, it asks for the memory the orders after it will read, so that the
    /// memory round trips of different orders overlap instead of queueing, and it builds no
    /// diagnostics. Ask [`attribute`](Engine::attribute) for the why of the orders that need
    /// it. Orders of several programs go through a [`Catalog`](crate::Catalog).
    ///
    /// ```
    /// use promo_attribution::{
    ///     Code, CodeId, Conversion, Outcome, PartnerId, Registry, Timestamp, Via,
    /// };
    ///
    /// let mut registry = Registry::default();
    /// registry.add(Code::tracking(CodeId(10), "BOB15", PartnerId(1)))?;
    /// let engine = registry.compile()?;
    ///
    /// let at: Timestamp = "2026-03-10T12:00:00Z".parse()?;
    /// let orders = [
    ///     Conversion::new(at).codes(&["bob15"]).amount(5_000),
    ///     Conversion::new(at).codes(&["NOPE"]),
    /// ];
    /// let attributions = engine.attribute_batch(&orders);
    /// assert_eq!(attributions[0].outcome(), Outcome::Credited { partner: PartnerId(1), via: Via::Code(CodeId(10)) });
    /// assert_eq!(attributions[1].outcome(), Outcome::Unattributed);
    /// for (order, attribution) in orders.iter().zip(&attributions) {
    ///     assert_eq!(engine.attribute(order).attribution(), *attribution);
    /// }
    /// # Ok::<(), promo_attribution::Error>(())
    /// ```
    pub fn attribute_batch(&self, conversions: &[Conversion<'_>]) -> Vec<Attribution> {
        let mut out = Vec::new();
        batch::attribute_batch(conversions, |_| &*self.state, &mut out);
        out
    }

    /// [`attribute_batch`](Engine::attribute_batch) over orders of several engines, the i-th
    /// by `engine_of(i)`: what a [`Catalog`](crate::Catalog) runs.
    pub(crate) fn attribute_routed<'e>(
        conversions: &[Conversion<'_>],
        engine_of: impl Fn(usize) -> &'e Engine,
    ) -> Vec<Attribution> {
        let mut out = Vec::new();
        batch::attribute_batch(conversions, |i| &*engine_of(i).state, &mut out);
        out
    }

    /// Whether a code seen promoted somewhere is a violation (the reference's monitoring).
    ///
    /// The text resolves as an entered code would at the sighting's instant, and the owner is
    /// the code's owner at that instant. Then, the first that applies: it hits an active
    /// restricted code → [`Violation::Restricted`](crate::monitoring::Violation::Restricted); it hits a
    /// tracking code (active or not) whose owner is not the promoting partner →
    /// [`Violation::NotAuthorized`](crate::monitoring::Violation::NotAuthorized); it hits a tracking code
    /// that is not active → [`Violation::Expired`](crate::monitoring::Violation::Expired) (the
    /// [`hit`](SightingCheck::hit) carries the state). A code the registry does not know is no
    /// violation: it credits nobody.
    ///
    /// ```
    /// use promo_attribution::{Code, CodeId, PartnerId, Registry, Timestamp};
    /// use promo_attribution::monitoring::{Sighting, Violation};
    ///
    /// let t = |s: &str| s.parse::<Timestamp>();
    /// let mut registry = Registry::default();
    /// registry.add(Code::tracking(CodeId(10), "JANE15", PartnerId(1)))?;
    /// registry.add(Code::tracking(CodeId(11), "WINTER25", PartnerId(2)).ends_at(t("2026-03-01T00:00:00Z")?))?;
    /// let engine = registry.compile()?;
    ///
    /// let at = t("2026-03-10T12:00:00Z")?;
    /// let check = |text, by| engine.check_sighting(&Sighting::new(text, at).promoted_by(PartnerId(by))).violation;
    /// assert_eq!(check("jane15", 1), None);
    /// assert_eq!(check("jane15", 7), Some(Violation::NotAuthorized));
    /// assert_eq!(check("WINTER25", 2), Some(Violation::Expired));
    /// # Ok::<(), promo_attribution::Error>(())
    /// ```
    pub fn check_sighting(&self, sighting: &Sighting<'_>) -> SightingCheck {
        let (hit, owner) = resolve::resolve_text(&self.state, sighting.code, sighting.at);
        let violation = match hit {
            CodeHit::Restricted(_) => Some(Violation::Restricted),
            _ if owner.is_some()
                && sighting.promoted_by.is_some()
                && sighting.promoted_by != owner =>
            {
                Some(Violation::NotAuthorized)
            }
            // An inactive hit with an owner is a tracking code; an inactive restricted code
            // no longer blocks anything, so seeing it is harmless.
            CodeHit::Inactive { .. } if owner.is_some() => Some(Violation::Expired),
            _ => None,
        };
        SightingCheck {
            hit,
            owner,
            violation,
        }
    }

    /// Whether a partner may be given a new exact code `text` for `window` (the reference's
    /// "allow partners to request promo codes"), and if not, what it collides with.
    ///
    /// Collisions are codes whose schedules overlap `window`: an exact code with the same text
    /// ignoring case (of anyone, the partner included), a restricted code with that text, and
    /// a regex code that matches the text as suggested, folded, or in upper case and belongs to
    /// another partner at some instant the two schedules share (a code handed over during the
    /// window counts). A collision names the owner at the first instant it applies. Lifecycle
    /// events are not considered: an expired code can be reactivated.
    ///
    /// Fails, like [`Registry::add`](crate::Registry::add), when the text is not a valid code
    /// (empty after trimming, too long, a control character) or the window is invalid.
    ///
    /// ```
    /// use promo_attribution::{Code, CodeId, PartnerId, Registry, Window};
    /// use promo_attribution::conflicts::Collision;
    ///
    /// let mut registry = Registry::default();
    /// registry.add(Code::tracking(CodeId(1), "JANE15", PartnerId(1)))?;
    /// registry.add(Code::tracking(CodeId(2), r"^SUMMER\d+$", PartnerId(2)).regex())?;
    /// let engine = registry.compile()?;
    ///
    /// assert!(engine.check_available("JANE20", PartnerId(1), Window::ALWAYS)?.is_available());
    /// let taken = engine.check_available("jane15", PartnerId(3), Window::ALWAYS)?;
    /// assert_eq!(taken.collisions(), [Collision::Exact { code: CodeId(1), owner: PartnerId(1) }]);
    /// let shadowing = engine.check_available("summer26", PartnerId(3), Window::ALWAYS)?;
    /// assert_eq!(shadowing.collisions()[0].to_string(), r#"regex code 2 of partner 2 matches "SUMMER26""#);
    /// # Ok::<(), promo_attribution::Error>(())
    /// ```
    pub fn check_available(
        &self,
        text: &str,
        partner: PartnerId,
        window: Window,
    ) -> Result<Availability, Error> {
        conflicts::check_available(&self.state, text, partner, window)
    }

    /// Generates `request.count` codes for `request.partner` from a template (SPEC §11), each
    /// one [`check_available`](Engine::check_available) accepts for the partner and the
    /// request's window — no exact or restricted code with the same text ignoring case whose
    /// schedule overlaps it, no other owner's regex code matching it, prefix or none — and no
    /// two equal ignoring case. The same engine revision, template and seed give the same
    /// codes. To register them as well, in one batch, see
    /// [`Registry::add_generated`](crate::Registry::add_generated).
    ///
    /// A random template gets at most 16 draws per code asked plus 64; it fails with
    /// [`NamespaceExhausted`](crate::ErrorKind::NamespaceExhausted) when they run out, or at
    /// once when it spells fewer texts than asked. A vanity template tries its base, then two
    /// texts of the base and two random characters, for each code, and fails the same way,
    /// naming the base, when all three are taken. An invalid window is
    /// [`InvalidWindow`](crate::ErrorKind::InvalidWindow).
    ///
    /// ```
    /// use promo_attribution::{Code, CodeId, PartnerId, Registry};
    /// use promo_attribution::generate::{GenerateRequest, Template};
    ///
    /// let mut registry = Registry::default();
    /// registry.add(Code::tracking(CodeId(1), "BOB15", PartnerId(7)))?;
    /// registry.add(Code::tracking(CodeId(2), r"^BOB-\d+$", PartnerId(8)).regex())?;
    /// let engine = registry.compile()?;
    ///
    /// let request = GenerateRequest::new(PartnerId(9), Template::parse("BOB-{6}")?, 3).seed(42);
    /// let generated = engine.generate(&request)?;
    /// assert_eq!(generated.texts().len(), 3);
    /// assert_eq!(engine.generate(&request)?, generated); // reproducible
    /// for text in generated.texts() {
    ///     assert!(text.starts_with("BOB-") && text.len() == 10);
    ///     assert!(engine.check_available(text, PartnerId(9), request.window)?.is_available());
    /// }
    /// // The vanity base is taken: two random characters are appended.
    /// let vanity = GenerateRequest::new(PartnerId(9), Template::vanity("bob15")?, 1);
    /// assert_eq!(engine.generate(&vanity)?.texts()[0].len(), 7);
    /// # Ok::<(), promo_attribution::Error>(())
    /// ```
    pub fn generate(&self, request: &GenerateRequest) -> Result<Generated, Error> {
        generate::generate(&self.state, request)
    }

    /// The overlaps among the registered codes a brand should know about, without failing:
    /// exact codes shadowing another partner's regex code, regex codes of different partners
    /// matching the same code, restricted codes shadowing a regex code. Only codes whose
    /// schedules overlap are compared, and "different partners" means different owners at
    /// some instant the two schedules share, so a code handed from one partner to another
    /// conflicts from the handover on. Each conflict comes with a text that shows it.
    ///
    /// Regex codes are compared exactly, as languages: the product of their DFAs is searched
    /// for a shortest text both accept. Pairs whose literal prefixes rule out a shared text
    /// (`^P\d+$` and `^Q\d+$`) are skipped without building anything. A pair the check cannot
    /// decide within its limits is reported as
    /// [`RegexOverlapUnknown`](crate::conflicts::Conflict::RegexOverlapUnknown), never guessed.
    ///
    /// Exact and restricted codes are checked against every regex code as registered, folded
    /// and upper-cased. The cost is one regex lookup per exact code plus one product per pair
    /// of regex codes with compatible prefixes and suffixes: meant for a report, not the
    /// checkout path. Members of a code family (`^P\d{4}-17$`, `^P\d{4}-18$`) end with
    /// literals that rule out a shared text, and are told apart without a product.
    ///
    /// The work among regex codes has a budget, [`conflicts_within`](Engine::conflicts_within)
    /// 200,000,000 units (seconds, not minutes, however many codes share a family): when it
    /// runs out, every regex code not yet compared with the codes after it is reported as
    /// [`RegexOverlapUnchecked`](crate::conflicts::Conflict::RegexOverlapUnchecked), never dropped.
    /// Memory stays linear in the number of codes.
    ///
    /// ```
    /// use promo_attribution::{Code, CodeId, PartnerId, Registry, Timestamp};
    /// use promo_attribution::conflicts::Conflict;
    ///
    /// let mut registry = Registry::default();
    /// registry.add(Code::tracking(CodeId(1), r"^P\d+$", PartnerId(1)).regex())?;
    /// registry.add(Code::tracking(CodeId(2), r"^P[0-9]{4}$", PartnerId(2)).regex())?;
    /// registry.add(Code::tracking(CodeId(3), "P2026", PartnerId(3)))?;
    /// registry.add(Code::restricted(CodeId(4), "P0000").until(Timestamp::from_unix_seconds(2_000_000_000)))?;
    /// let conflicts = registry.compile()?.conflicts();
    /// assert_eq!(conflicts, [
    ///     Conflict::ExactShadowsRegex { exact: CodeId(3), regex: CodeId(1), example: "P2026".into() },
    ///     Conflict::ExactShadowsRegex { exact: CodeId(3), regex: CodeId(2), example: "P2026".into() },
    ///     Conflict::RegexOverlap { winner: CodeId(1), loser: CodeId(2), example: "P0000".into() },
    ///     Conflict::RestrictedShadowsRegex { restricted: CodeId(4), regex: CodeId(1), example: "P0000".into() },
    ///     Conflict::RestrictedShadowsRegex { restricted: CodeId(4), regex: CodeId(2), example: "P0000".into() },
    /// ]);
    /// # Ok::<(), promo_attribution::Error>(())
    /// ```
    pub fn conflicts(&self) -> Vec<Conflict> {
        conflicts::conflicts(&self.state, conflicts::CONFLICT_BUDGET)
    }

    /// [`conflicts`](Engine::conflicts) with a work budget of `budget` units among regex
    /// codes: one per pair of codes considered, one per state of a product of two automata
    /// explored. A budget of 0 compares no regex codes and reports each as
    /// [`RegexOverlapUnchecked`](crate::conflicts::Conflict::RegexOverlapUnchecked).
    ///
    /// ```
    /// use promo_attribution::{Code, CodeId, PartnerId, Registry};
    /// use promo_attribution::conflicts::Conflict;
    ///
    /// let mut registry = Registry::default();
    /// registry.add(Code::tracking(CodeId(1), r"^P\d+$", PartnerId(1)).regex())?;
    /// registry.add(Code::tracking(CodeId(2), r"^P[0-9]{4}$", PartnerId(2)).regex())?;
    /// let engine = registry.compile()?;
    /// assert_eq!(engine.conflicts_within(0), [
    ///     Conflict::RegexOverlapUnchecked { regex: CodeId(1) },
    ///     Conflict::RegexOverlapUnchecked { regex: CodeId(2) },
    /// ]);
    /// # Ok::<(), promo_attribution::Error>(())
    /// ```
    pub fn conflicts_within(&self, budget: u64) -> Vec<Conflict> {
        conflicts::conflicts(&self.state, budget)
    }

    /// The case-folded text of every exact code (tracking or restricted), each once.
    pub(crate) fn exact_keys(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.state.matchers().exact_keys()
    }

    pub(crate) fn has_regex_codes(&self) -> bool {
        self.state.matchers().has_regex_codes()
    }

    /// Whether any regex code, active or not, matches `text`.
    pub(crate) fn any_regex_matches(&self, text: &str) -> bool {
        let mut hits: SmallVec<[u32; 8]> = SmallVec::new();
        self.state.regex_matches(text, &mut hits);
        !hits.is_empty()
    }

    /// What `text` hits at `at`, as an entered code would, and the owner of the tracking code
    /// hit (active or not).
    pub(crate) fn resolve_text(&self, text: &str, at: Timestamp) -> (CodeHit, Option<PartnerId>) {
        resolve::resolve_text(&self.state, text, at)
    }
}
