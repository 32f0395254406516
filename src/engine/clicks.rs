//! Rule 1 of the decision: the qualifying clicks of one conversion, the click winner, and who
//! was involved.

use std::cell::OnceCell;

use smallvec::SmallVec;

use super::schedule::in_periods;
use super::shared::Layered;
use crate::model::{Click, ClickWinner, Conversion, PartnerId, Timestamp, Window};

/// The qualifying clicks of one conversion.
pub(crate) struct Clicks<'a> {
    all: &'a [Click],
    earliest: Timestamp,
    at: Timestamp,
    always_owner_periods: &'a Layered<PartnerId, Vec<Window>>,
    /// The partner of the winning qualifying click.
    pub(crate) winner: Option<PartnerId>,
    /// The partners with a qualifying click, sorted; built on the first `involved` question,
    /// so that orders whose codes never ask pay nothing for it. The caller owns it, so that
    /// returning a `Clicks` does not copy its inline buffer.
    involved: &'a OnceCell<Involved>,
}

/// The cache behind [`Clicks::involved`].
pub(crate) type Involved = SmallVec<[PartnerId; 8]>;

impl<'a> Clicks<'a> {
    /// The clicks that qualify: those with `at - lookback <= click.at <= at`, less those of the
    /// partners in `always_owner_periods` at `at` (empty unless the program ignores the clicks
    /// of `Always` code owners). The winner is the last (or first) in instant order, ties
    /// broken by input position.
    pub(crate) fn qualifying(
        lookback: std::time::Duration,
        click_winner: ClickWinner,
        always_owner_periods: &'a Layered<PartnerId, Vec<Window>>,
        conversion: &Conversion<'a>,
        involved: &'a OnceCell<Involved>,
    ) -> Clicks<'a> {
        let mut clicks = Clicks {
            all: conversion.clicks,
            earliest: conversion.at.saturating_sub(lookback),
            at: conversion.at,
            always_owner_periods,
            winner: None,
            involved,
        };
        let mut best: Option<(Timestamp, PartnerId)> = None;
        for click in clicks.all.iter().filter(|c| clicks.qualifies(c)) {
            let better = match (best, click_winner) {
                (None, _) => true,
                // Ties go to the later position for last-click, the earlier for first-click.
                (Some((t, _)), ClickWinner::LastClick) => click.at >= t,
                (Some((t, _)), ClickWinner::FirstClick) => click.at < t,
            };
            if better {
                best = Some((click.at, click.partner));
            }
        }
        clicks.winner = best.map(|(_, partner)| partner);
        clicks
    }

    fn qualifies(&self, click: &Click) -> bool {
        self.earliest <= click.at
            && click.at <= self.at
            && !self
                .always_owner_periods
                .get(&click.partner)
                .is_some_and(|periods| in_periods(periods, self.at))
    }

    /// Whether `partner` has a qualifying click.
    pub(crate) fn involved(&self, partner: PartnerId) -> bool {
        let involved = self.involved.get_or_init(|| {
            let mut partners: Involved = self
                .all
                .iter()
                .filter(|c| self.qualifies(c))
                .map(|c| c.partner)
                .collect();
            partners.sort_unstable();
            partners.dedup();
            partners
        });
        involved.binary_search(&partner).is_ok()
    }
}
