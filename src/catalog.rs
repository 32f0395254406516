//! Engines by program, for jobs that cover many brands at once.

use std::collections::BTreeMap;

use crate::engine::Engine;
use crate::model::{Attribution, Conversion, Decision, Error, ProgramId};

/// The engines of several programs, each order routed to its program's: what a job that
/// re-attributes the orders of many brands at once holds.
///
/// Cloning a catalog clones one [`Engine`] handle per program (a reference count each).
///
/// ```
/// use promo_attribution::{Catalog, Code, CodeId, Conversion, ErrorKind, Outcome, PartnerId,
///     ProgramId, Registry, Timestamp, Via};
///
/// let mut shoes = Registry::default();
/// shoes.add(Code::tracking(CodeId(1), "STEP10", PartnerId(1)))?;
/// let mut hats = Registry::default();
/// hats.add(Code::tracking(CodeId(1), "STEP10", PartnerId(2)))?;
///
/// let mut catalog = Catalog::new();
/// catalog.insert(ProgramId(7), shoes.compile()?);
/// catalog.insert(ProgramId(8), hats.compile()?);
///
/// let at: Timestamp = "2026-03-10T12:00:00Z".parse()?;
/// let order = Conversion::new(at).codes(&["step10"]);
/// let attributions = catalog.attribute_batch(&[(ProgramId(7), order), (ProgramId(8), order)])?;
/// assert_eq!(attributions[0].outcome(), Outcome::Credited { partner: PartnerId(1), via: Via::Code(CodeId(1)) });
/// assert_eq!(attributions[1].outcome(), Outcome::Credited { partner: PartnerId(2), via: Via::Code(CodeId(1)) });
///
/// let err = catalog.attribute_batch(&[(ProgramId(7), order), (ProgramId(9), order)]).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::UnknownProgram);
/// assert_eq!(err.to_string(), "row 1: the catalog has no engine for program 9");
/// # Ok::<(), promo_attribution::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    engines: BTreeMap<ProgramId, Engine>,
}

impl Catalog {
    /// A catalog with no program.
    pub fn new() -> Catalog {
        Catalog::default()
    }

    /// Sets the engine of `program`; returns the one it replaces.
    pub fn insert(&mut self, program: ProgramId, engine: Engine) -> Option<Engine> {
        self.engines.insert(program, engine)
    }

    /// Takes the engine of `program` out.
    pub fn remove(&mut self, program: ProgramId) -> Option<Engine> {
        self.engines.remove(&program)
    }

    /// The engine of `program`.
    pub fn get(&self, program: ProgramId) -> Option<&Engine> {
        self.engines.get(&program)
    }

    /// The programs that have an engine, ascending.
    pub fn programs(&self) -> impl Iterator<Item = ProgramId> + '_ {
        self.engines.keys().copied()
    }

    /// The number of programs.
    pub fn len(&self) -> usize {
        self.engines.len()
    }

    /// Whether the catalog has no program.
    pub fn is_empty(&self) -> bool {
        self.engines.is_empty()
    }

    /// [`Engine::attribute`] by the engine of `program`; fails
    /// ([`UnknownProgram`](crate::ErrorKind::UnknownProgram)) when it has none.
    pub fn attribute(
        &self,
        program: ProgramId,
        conversion: &Conversion<'_>,
    ) -> Result<Decision, Error> {
        let engine = self.get(program).ok_or_else(|| Error::no_engine(program))?;
        Ok(engine.attribute(conversion))
    }

    /// [`Engine::attribute_batch`] over orders of any programs, each by its program's engine,
    /// in order. Fails, attributing nothing, when an order names a program the catalog has
    /// no engine for ([`UnknownProgram`](crate::ErrorKind::UnknownProgram)); the error's
    /// [`row`](Error::row) is the first such order's position.
    pub fn attribute_batch(
        &self,
        orders: &[(ProgramId, Conversion<'_>)],
    ) -> Result<Vec<Attribution>, Error> {
        let engines = self.engines_of(orders.iter().map(|(program, _)| *program))?;
        let conversions: Vec<Conversion<'_>> = orders.iter().map(|(_, c)| *c).collect();
        Ok(Engine::attribute_routed(&conversions, |i| engines[i]))
    }

    /// The engine of each order's program, or the error naming the first order without one.
    /// Orders of one program usually come together: the last answer is tried first.
    fn engines_of(
        &self,
        programs: impl ExactSizeIterator<Item = ProgramId>,
    ) -> Result<Vec<&Engine>, Error> {
        let mut engines = Vec::with_capacity(programs.len());
        let mut last: Option<(ProgramId, &Engine)> = None;
        for (row, program) in programs.enumerate() {
            let engine = match last {
                Some((p, engine)) if p == program => engine,
                _ => {
                    let engine = self
                        .get(program)
                        .ok_or_else(|| Error::no_engine(program).at_row(row))?;
                    last = Some((program, engine));
                    engine
                }
            };
            engines.push(engine);
        }
        Ok(engines)
    }
}
