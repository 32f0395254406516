//! A code's activity over time: its schedule minus the spans of manual expiry, as sorted,
//! disjoint periods computed once at compile time, so that "is it active at t" is a binary
//! search however many lifecycle events a code has.

use smallvec::SmallVec;

use crate::model::{Lifecycle, LifecycleEvent, Timestamp, Window};

/// An instant as Unix milliseconds, `open` standing for an open end (the start or the end of
/// time): no instant of the range is `i64::MIN` or `i64::MAX`.
pub(crate) fn millis(t: Option<Timestamp>, open: i64) -> i64 {
    t.map_or(open, Timestamp::as_unix_millis)
}

/// The inverse of [`millis`].
pub(crate) fn instant(ms: i64, open: i64) -> Option<Timestamp> {
    (ms != open).then(|| Timestamp::from_unix_millis(ms))
}

/// Whether `t` lies in one of `periods` (sorted and disjoint).
pub(crate) fn in_periods(periods: &[Window], t: Timestamp) -> bool {
    let i = periods.partition_point(|p| p.until.is_some_and(|until| until <= t));
    periods.get(i).is_some_and(|p| p.contains(t))
}

/// The periods in which a code with this schedule and these events is active.
pub(crate) fn active_periods(
    schedule: Window,
    events: impl IntoIterator<Item = LifecycleEvent>,
) -> SmallVec<[Window; 1]> {
    let mut out = SmallVec::new();
    let mut push = |manual: Window| {
        if let Some(period) = schedule.intersect(&manual) {
            out.push(period);
        }
    };
    let mut expired = false;
    let mut since = None;
    for event in events {
        let now_expired = event.action == Lifecycle::Expire;
        if now_expired == expired {
            continue;
        }
        if !expired {
            push(Window {
                from: since,
                until: Some(event.at),
            });
        }
        expired = now_expired;
        since = Some(event.at);
    }
    if !expired {
        push(Window {
            from: since,
            until: None,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> Timestamp {
        Timestamp::from_unix_seconds(s)
    }

    fn ev(at: i64, action: Lifecycle) -> LifecycleEvent {
        LifecycleEvent { at: t(at), action }
    }

    #[test]
    fn active_periods_apply_events_to_the_schedule() {
        use Lifecycle::{Expire, Reactivate};
        let schedule = Window::between(t(10), t(100));
        type Probes = &'static [(i64, bool)];
        let cases: &[(&[LifecycleEvent], Probes)] = &[
            (&[], &[(9, false), (10, true), (99, true), (100, false)]),
            (&[ev(50, Expire)], &[(49, true), (50, false), (99, false)]),
            (
                &[ev(50, Expire), ev(60, Reactivate)],
                &[(55, false), (60, true), (99, true)],
            ),
            (&[ev(5, Expire)], &[(10, false), (50, false)]),
            (
                &[ev(5, Expire), ev(20, Reactivate)],
                &[(10, false), (20, true)],
            ),
            (&[ev(50, Expire), ev(50, Reactivate)], &[(50, true)]),
            (
                &[ev(50, Reactivate), ev(50, Expire)],
                &[(50, false), (49, true)],
            ),
            (&[ev(200, Reactivate)], &[(150, false), (50, true)]),
            (
                &[ev(20, Expire), ev(30, Expire), ev(40, Reactivate)],
                &[(35, false), (40, true)],
            ),
        ];
        for (events, probes) in cases {
            let periods = active_periods(schedule, events.iter().copied());
            for &(at, active) in *probes {
                assert_eq!(in_periods(&periods, t(at)), active, "{events:?} at {at}");
            }
        }
    }
}
