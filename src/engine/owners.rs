//! The periods in which a partner owns an active `Always` code — whose clicks a program that
//! ignores them leaves out (SPEC §5, step 1) — kept as a count of such codes over time, so
//! that a change to one code moves its own spans in and out of the count instead of going
//! over every code the partner ever held.

use std::collections::{BTreeMap, HashMap};

use super::schedule::{instant, millis};
use super::shared::Layered;
use crate::model::{PartnerId, Window};
use foldhash::fast::RandomState;

/// Per instant (Unix milliseconds, `i64::MIN` for the start of time and `i64::MAX` for its
/// end), how many `Always` codes of the partner start minus how many end there. Instants where
/// the two cancel out are not kept: the map holds as many keys as the partner's periods have
/// distinct ends, whatever the number of codes.
pub(crate) type Coverage = BTreeMap<i64, i64>;

/// The always-owner periods of every partner, and the counts they are computed from.
#[derive(Clone)]
pub(crate) struct AlwaysOwners {
    /// Per partner, the merged periods: what attribution reads.
    pub(crate) periods: Layered<PartnerId, Vec<Window>>,
    coverage: Layered<PartnerId, Coverage>,
}

/// Changes to the counts of several partners, gathered before any is applied.
#[derive(Default)]
pub(crate) struct Moves(HashMap<PartnerId, Vec<(i64, i64)>, RandomState>);

impl Moves {
    /// Counts the spans of a code in which it is an active `Always` code of a partner in
    /// (`sign` 1) or out (`sign` -1).
    pub(crate) fn spans(
        &mut self,
        spans: impl IntoIterator<Item = (PartnerId, Window)>,
        sign: i64,
    ) {
        for (partner, span) in spans {
            let moves = self.0.entry(partner).or_default();
            moves.push((millis(span.from, i64::MIN), sign));
            moves.push((millis(span.until, i64::MAX), -sign));
        }
    }
}

impl AlwaysOwners {
    /// None: for programs that count every click.
    pub(crate) fn none() -> AlwaysOwners {
        AlwaysOwners {
            periods: Layered::new(HashMap::default()),
            coverage: Layered::new(HashMap::default()),
        }
    }

    /// Those of codes with these spans (see [`Moves::spans`]).
    pub(crate) fn of(spans: impl Iterator<Item = (PartnerId, Window)>) -> AlwaysOwners {
        let mut moves = Moves::default();
        moves.spans(spans, 1);
        let mut coverage: HashMap<PartnerId, Coverage, RandomState> = HashMap::default();
        for (partner, moves) in moves.0 {
            let counts = coverage.entry(partner).or_default();
            apply(counts, &moves);
        }
        let periods = coverage
            .iter()
            .map(|(&partner, counts)| (partner, periods(counts)))
            .filter(|(_, periods)| !periods.is_empty())
            .collect();
        AlwaysOwners {
            periods: Layered::new(periods),
            coverage: Layered::new(coverage),
        }
    }

    /// These periods with `moves` applied: each partner moved costs a copy of its counts.
    pub(crate) fn moved(&mut self, moves: Moves) {
        for (partner, moves) in moves.0 {
            let mut counts = self.coverage.get(&partner).cloned().unwrap_or_default();
            apply(&mut counts, &moves);
            let merged = periods(&counts);
            self.periods
                .set(partner, (!merged.is_empty()).then_some(merged));
            self.coverage
                .set(partner, (!counts.is_empty()).then_some(counts));
        }
    }

    /// The number of partners changed since the periods were compiled.
    pub(crate) fn changed(&self) -> usize {
        self.coverage.changed()
    }

    /// Heap bytes.
    pub(crate) fn memory_usage(&self) -> usize {
        let windows = |periods: &Vec<Window>| periods.capacity() * size_of::<Window>();
        // A B-tree node holds up to eleven pairs; count each pair with a share of its node.
        let counts = |counts: &Coverage| counts.len() * 2 * size_of::<(i64, i64)>();
        self.periods.memory_usage(windows) + self.coverage.memory_usage(counts)
    }
}

fn apply(counts: &mut Coverage, moves: &[(i64, i64)]) {
    for &(at, by) in moves {
        let count = counts.entry(at).or_default();
        *count += by;
        if *count == 0 {
            counts.remove(&at);
        }
    }
}

/// The merged periods in which the count is above zero; touching periods are one.
fn periods(counts: &Coverage) -> Vec<Window> {
    let mut out = Vec::new();
    let mut running = 0i64;
    let mut since = None;
    for (&at, &by) in counts {
        let before = running;
        running += by;
        if before <= 0 && running > 0 {
            since = Some(at);
        } else if before > 0 && running <= 0 {
            if let Some(from) = since.take() {
                out.push(Window {
                    from: instant(from, i64::MIN),
                    until: instant(at, i64::MAX),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Timestamp;

    fn t(s: i64) -> Timestamp {
        Timestamp::from_unix_seconds(s)
    }

    fn counted(spans: &[Window]) -> Vec<Window> {
        let mut counts = Coverage::new();
        for span in spans {
            let moves = [
                (millis(span.from, i64::MIN), 1),
                (millis(span.until, i64::MAX), -1),
            ];
            apply(&mut counts, &moves);
        }
        periods(&counts)
    }

    #[test]
    fn counts_merge_overlapping_and_touching_spans() {
        let cases: &[(&[Window], &[Window])] = &[
            (&[], &[]),
            (&[Window::ALWAYS, Window::ALWAYS], &[Window::ALWAYS]),
            (
                &[Window::between(t(10), t(20)), Window::between(t(20), t(25))],
                &[Window::between(t(10), t(25))],
            ),
            (
                &[
                    Window::between(t(30), t(40)),
                    Window::between(t(10), t(20)),
                    Window::starting_at(t(38)),
                ],
                &[Window::between(t(10), t(20)), Window::starting_at(t(30))],
            ),
            (
                &[Window::until(t(5)), Window::between(t(1), t(9))],
                &[Window::until(t(9))],
            ),
        ];
        for (spans, merged) in cases {
            assert_eq!(counted(spans), *merged, "{spans:?}");
        }
    }

    #[test]
    fn a_span_counted_out_leaves_the_others() {
        let mut counts = Coverage::new();
        let a = [(i64::MIN, 1), (i64::MAX, -1)];
        let b = [(t(10).as_unix_millis(), 1), (t(20).as_unix_millis(), -1)];
        apply(&mut counts, &a);
        apply(&mut counts, &b);
        apply(&mut counts, &a.map(|(at, by)| (at, -by)));
        assert_eq!(periods(&counts), [Window::between(t(10), t(20))]);
        apply(&mut counts, &b.map(|(at, by)| (at, -by)));
        assert!(counts.is_empty());
    }
}
