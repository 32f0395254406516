//! Leak indicators from attributed traffic: codes used without their owner on the path, usage
//! spikes, and bursts of unknown codes. Counted incrementally, merged like reports, judged on
//! demand against thresholds the host chooses.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use crate::engine::Engine;
use crate::model::{CodeHit, CodeId, Conversion, Decision, PartnerId, Timestamp};

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// When a [`LeakMonitor`] raises an alert. Every threshold is the host's choice; the defaults
/// are a reasonable start for a program with hundreds of orders a day.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LeakThresholds {
    /// A code needs at least this many uses before its share of uses without an owner click
    /// is judged. Default 20.
    pub min_uses: u64,
    /// The share (0 to 1) of a code's uses with no click by its owner on the path at or above
    /// which it looks leaked: customers found it somewhere other than the owner's audience.
    /// Default 0.8.
    #[cfg_attr(feature = "serde", serde(with = "serde_float"))]
    pub no_owner_click_share: f64,
    /// How many days before a day make its baseline (the mean uses per day). Default 7.
    pub baseline_days: u32,
    /// A day's uses of a code above this many times its baseline are a spike. Default 3.
    #[cfg_attr(feature = "serde", serde(with = "serde_float"))]
    pub spike_factor: f64,
    /// A spike needs at least this many uses on the day. Default 20.
    pub spike_min_uses: u64,
    /// How many hours before an hour make its baseline of unknown codes. Default 24.
    pub baseline_hours: u32,
    /// An hour's unknown codes above this many times the baseline are a burst. Default 5.
    #[cfg_attr(feature = "serde", serde(with = "serde_float"))]
    pub burst_factor: f64,
    /// A burst needs at least this many unknown codes in the hour. Default 50.
    pub burst_min_unknown: u64,
}

/// A threshold as a JSON number, or `"NaN"`, `"inf"` or `"-inf"` for what JSON has no number
/// for (serde_json would write `null`, which then fails to load). `null` reads as NaN.
#[cfg(feature = "serde")]
mod serde_float {
    use std::fmt;

    use serde::de::{self, Visitor};
    use serde::{Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(x: &f64, serializer: S) -> Result<S::Ok, S::Error> {
        match *x {
            x if x.is_finite() => serializer.serialize_f64(x),
            x if x.is_nan() => serializer.serialize_str("NaN"),
            x if x > 0.0 => serializer.serialize_str("inf"),
            _ => serializer.serialize_str("-inf"),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
        deserializer.deserialize_any(Float)
    }

    struct Float;

    impl Visitor<'_> for Float {
        type Value = f64;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a number, \"NaN\", \"inf\" or \"-inf\"")
        }

        fn visit_f64<E: de::Error>(self, x: f64) -> Result<f64, E> {
            Ok(x)
        }

        fn visit_u64<E: de::Error>(self, x: u64) -> Result<f64, E> {
            Ok(x as f64)
        }

        fn visit_i64<E: de::Error>(self, x: i64) -> Result<f64, E> {
            Ok(x as f64)
        }

        fn visit_unit<E: de::Error>(self) -> Result<f64, E> {
            Ok(f64::NAN)
        }

        fn visit_none<E: de::Error>(self) -> Result<f64, E> {
            Ok(f64::NAN)
        }

        fn visit_str<E: de::Error>(self, s: &str) -> Result<f64, E> {
            match s {
                "NaN" => Ok(f64::NAN),
                "inf" => Ok(f64::INFINITY),
                "-inf" => Ok(f64::NEG_INFINITY),
                other => Err(E::custom(format!(
                    "{} is not a threshold: expected a number, \"NaN\", \"inf\" or \"-inf\"",
                    crate::model::Excerpt::new(other)
                ))),
            }
        }
    }
}

impl Default for LeakThresholds {
    fn default() -> LeakThresholds {
        LeakThresholds {
            min_uses: 20,
            no_owner_click_share: 0.8,
            baseline_days: 7,
            spike_factor: 3.0,
            spike_min_uses: 20,
            baseline_hours: 24,
            burst_factor: 5.0,
            burst_min_unknown: 50,
        }
    }
}

/// Something in the traffic the host should look at. Values, not actions: the host decides.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(tag = "kind", rename_all = "snake_case"))]
pub enum LeakAlert {
    /// Most uses of the code came with no click by its owner on the path.
    NoOwnerClick {
        /// The code.
        code: CodeId,
        /// Its owner.
        owner: PartnerId,
        /// Its uses.
        uses: u64,
        /// Of them, with no click by the owner.
        without_owner_click: u64,
    },
    /// The code was used far more on one day than on the days before.
    UsageSpike {
        /// The code.
        code: CodeId,
        /// The start of the day (UTC).
        day: Timestamp,
        /// Its uses that day.
        uses: u64,
        /// The mean uses per day over the baseline days before.
        baseline: f64,
    },
    /// Far more unknown codes were entered in one hour than before: someone may be guessing.
    UnknownCodeBurst {
        /// The start of the hour (UTC).
        hour: Timestamp,
        /// Unknown codes entered in it.
        unknown: u64,
        /// The mean per hour over the baseline hours before.
        baseline: f64,
    },
}

impl fmt::Display for LeakAlert {
    /// One line a person can read: `code 10 of partner 1: 28 of 30 uses without a click by the
    /// owner`, `code 10: 45 uses on the day from 2026-03-10T00:00:00Z, against a baseline of
    /// 3.1 a day`, `120 unknown codes in the hour from 2026-03-10T14:00:00Z, against a baseline
    /// of 4.2 an hour`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            LeakAlert::NoOwnerClick {
                code,
                owner,
                uses,
                without_owner_click,
            } => write!(
                f,
                "code {code} of partner {owner}: {without_owner_click} of {uses} uses without a \
                 click by the owner"
            ),
            LeakAlert::UsageSpike {
                code,
                day,
                uses,
                baseline,
            } => write!(
                f,
                "code {code}: {uses} uses on the day from {day}, against a baseline of \
                 {baseline:.1} a day"
            ),
            LeakAlert::UnknownCodeBurst {
                hour,
                unknown,
                baseline,
            } => write!(
                f,
                "{unknown} unknown codes in the hour from {hour}, against a baseline of \
                 {baseline:.1} an hour"
            ),
        }
    }
}

/// One code's counts.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct CodeUsage {
    /// The owner at the latest use, and that use's instant: a code handed to another partner
    /// is reported under its latest owner. Uses are judged by the owner at their own instant.
    owner: (Timestamp, PartnerId),
    uses: u64,
    without_owner_click: u64,
    /// Day number (UTC days since the epoch) → uses.
    per_day: BTreeMap<i64, u64>,
}

impl CodeUsage {
    fn new(owner: (Timestamp, PartnerId)) -> CodeUsage {
        CodeUsage {
            owner,
            uses: 0,
            without_owner_click: 0,
            per_day: BTreeMap::new(),
        }
    }
}

/// Leak indicators from attributed traffic, fed one conversion at a time.
///
/// A *use* is an entered code that matched an active tracking code. The monitor counts, per
/// code, its uses, those with no click among the conversion's clicks by the partner who owned
/// the code at the conversion's instant, and its uses per UTC day; and the unknown codes
/// entered per UTC hour. A code handed to another partner is reported under the owner of its
/// latest use. Like a
/// [`PerformanceReport`](crate::reports::PerformanceReport), monitors **merge** (associatively,
/// commutatively), so they can be kept per shard or per day and combined;
/// [`alerts`](LeakMonitor::alerts) judges the combined counts.
///
/// ```
/// use promo_attribution::{Code, CodeId, Conversion, PartnerId, Registry, Timestamp};
/// use promo_attribution::reports::{LeakAlert, LeakMonitor, LeakThresholds};
///
/// let mut registry = Registry::default();
/// registry.add(Code::tracking(CodeId(10), "JANE15", PartnerId(1)))?;
/// let engine = registry.compile()?;
///
/// let mut monitor = LeakMonitor::new();
/// let at = Timestamp::from_unix_seconds(1_773_144_000);
/// for _ in 0..30 {
///     // Typed with no click by jane on the path: found elsewhere.
///     let order = Conversion::new(at).codes(&["JANE15"]);
///     monitor.add(&engine, &order, &engine.attribute(&order));
/// }
/// let alerts = monitor.alerts(&LeakThresholds::default());
/// assert!(matches!(alerts[0], LeakAlert::NoOwnerClick { code: CodeId(10), uses: 30, without_owner_click: 30, .. }));
/// # Ok::<(), promo_attribution::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LeakMonitor {
    codes: HashMap<CodeId, CodeUsage>,
    /// Hour number (UTC hours since the epoch) → unknown codes entered.
    unknown: BTreeMap<i64, u64>,
}

fn add_to(count: &mut u64, n: u64) {
    *count = count.saturating_add(n);
}

impl LeakMonitor {
    /// An empty monitor.
    pub fn new() -> LeakMonitor {
        LeakMonitor::default()
    }

    /// Counts one conversion with the decision `engine` gave it.
    pub fn add(&mut self, engine: &Engine, conversion: &Conversion<'_>, decision: &Decision) {
        let at = conversion.at.as_unix_millis();
        // The partners who clicked, sorted once: an order of many codes and many clicks is
        // looked up per code, not scanned per code.
        let mut clicked: Option<Vec<PartnerId>> = None;
        for hit in decision.entered() {
            match *hit {
                CodeHit::Matched(id) => {
                    let Some(owner) = engine.owner_at(id, conversion.at) else {
                        continue;
                    };
                    let latest = (conversion.at, owner);
                    let usage = self
                        .codes
                        .entry(id)
                        .or_insert_with(|| CodeUsage::new(latest));
                    usage.owner = usage.owner.max(latest);
                    add_to(&mut usage.uses, 1);
                    let clicked = clicked.get_or_insert_with(|| {
                        let mut partners: Vec<PartnerId> =
                            conversion.clicks.iter().map(|c| c.partner).collect();
                        partners.sort_unstable();
                        partners.dedup();
                        partners
                    });
                    if clicked.binary_search(&owner).is_err() {
                        add_to(&mut usage.without_owner_click, 1);
                    }
                    add_to(usage.per_day.entry(at.div_euclid(DAY_MS)).or_default(), 1);
                }
                CodeHit::Unknown => {
                    add_to(self.unknown.entry(at.div_euclid(HOUR_MS)).or_default(), 1);
                }
                _ => {}
            }
        }
    }

    /// Adds everything `other` counted to this monitor.
    pub fn merge(&mut self, other: &LeakMonitor) {
        for (id, theirs) in &other.codes {
            let mine = self
                .codes
                .entry(*id)
                .or_insert_with(|| CodeUsage::new(theirs.owner));
            mine.owner = mine.owner.max(theirs.owner);
            add_to(&mut mine.uses, theirs.uses);
            add_to(&mut mine.without_owner_click, theirs.without_owner_click);
            for (day, n) in &theirs.per_day {
                add_to(mine.per_day.entry(*day).or_default(), *n);
            }
        }
        for (hour, n) in &other.unknown {
            add_to(self.unknown.entry(*hour).or_default(), *n);
        }
    }

    /// A code's uses and, of them, those with no click by its owner.
    pub fn uses(&self, code: CodeId) -> Option<(u64, u64)> {
        self.codes
            .get(&code)
            .map(|u| (u.uses, u.without_owner_click))
    }

    /// Every alert the counts raise under `thresholds`: codes by id, their spikes by day, then
    /// the unknown-code bursts by hour.
    pub fn alerts(&self, thresholds: &LeakThresholds) -> Vec<LeakAlert> {
        let mut codes: Vec<(&CodeId, &CodeUsage)> = self.codes.iter().collect();
        codes.sort_unstable_by_key(|(id, _)| **id);
        let mut alerts = Vec::new();
        for (&code, usage) in codes {
            // Counts far below 2^53 in practice: the ratios are judgements, not money.
            let share = usage.without_owner_click as f64 / usage.uses.max(1) as f64;
            if usage.uses >= thresholds.min_uses && share >= thresholds.no_owner_click_share {
                alerts.push(LeakAlert::NoOwnerClick {
                    code,
                    owner: usage.owner.1,
                    uses: usage.uses,
                    without_owner_click: usage.without_owner_click,
                });
            }
            for (day, uses, baseline) in spikes(
                &usage.per_day,
                thresholds.baseline_days,
                thresholds.spike_factor,
                thresholds.spike_min_uses,
            ) {
                alerts.push(LeakAlert::UsageSpike {
                    code,
                    day: Timestamp::from_unix_millis(day.saturating_mul(DAY_MS)),
                    uses,
                    baseline,
                });
            }
        }
        for (hour, unknown, baseline) in spikes(
            &self.unknown,
            thresholds.baseline_hours,
            thresholds.burst_factor,
            thresholds.burst_min_unknown,
        ) {
            alerts.push(LeakAlert::UnknownCodeBurst {
                hour: Timestamp::from_unix_millis(hour.saturating_mul(HOUR_MS)),
                unknown,
                baseline,
            });
        }
        alerts
    }
}

/// The periods whose count is at least `min` and above `factor` times the mean of the up to
/// `window` periods before it. Periods before the first one counted are no baseline (a code
/// launched today has no history), so the first period is never a spike; periods without a
/// count inside the window count as zero.
fn spikes(counts: &BTreeMap<i64, u64>, window: u32, factor: f64, min: u64) -> Vec<(i64, u64, f64)> {
    let Some(&first) = counts.keys().next() else {
        return Vec::new();
    };
    let window = i64::from(window.max(1));
    counts
        .iter()
        .filter(|&(&period, &count)| period > first && count >= min)
        .filter_map(|(&period, &count)| {
            let from = (period - window).max(first);
            let days = (period - from) as f64;
            let sum: u64 = counts.range(from..period).map(|(_, n)| *n).sum();
            let baseline = sum as f64 / days;
            (count as f64 > factor * baseline).then_some((period, count, baseline))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spikes_need_history_volume_and_factor() {
        let counts = |pairs: &[(i64, u64)]| pairs.iter().copied().collect::<BTreeMap<_, _>>();
        // (counts, expected spike periods) with window 3, factor 3, min 10.
        type Case<'a> = (&'a [(i64, u64)], &'a [i64]);
        let cases: [Case<'_>; 6] = [
            (&[], &[]),
            (&[(5, 100)], &[]),                 // no history: never a spike
            (&[(1, 5), (2, 5), (3, 40)], &[3]), // 40 > 3 × 5
            (&[(1, 5), (2, 5), (3, 15)], &[]),  // 15 = 3 × 5 is not above
            (&[(1, 1), (2, 9)], &[]),           // 9 < min
            (&[(1, 30), (2, 0), (3, 0), (4, 0), (5, 12)], &[5]), // window 3: days 2–4 are 0
        ];
        for (pairs, expected) in cases {
            let got: Vec<i64> = spikes(&counts(pairs), 3, 3.0, 10)
                .into_iter()
                .map(|(p, _, _)| p)
                .collect();
            assert_eq!(got, expected, "{pairs:?}");
        }
    }
}
