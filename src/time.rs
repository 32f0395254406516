//! The crate's own UTC instant and half-open window types.
//!
//! The library never reads a clock: every instant is handed in by the host, so a decision is a
//! pure function of its inputs. Millisecond precision is what the reference platforms store and
//! what the specification asks for; an `i64` of milliseconds covers ±292 million years, so no
//! realistic input overflows it.

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::Error;

const MS_PER_SECOND: i64 = 1_000;
const MS_PER_DAY: i64 = 86_400 * MS_PER_SECOND;

/// A UTC instant with millisecond precision, counted from the Unix epoch.
///
/// Build one from Unix milliseconds or seconds, from a [`SystemTime`], or by parsing an
/// RFC 3339 string; it displays as RFC 3339 in UTC.
///
/// ```
/// use promo_attribution::Timestamp;
///
/// let t: Timestamp = "2026-03-10T12:00:00+01:00".parse()?;
/// assert_eq!(t, Timestamp::from_unix_seconds(1_773_140_400));
/// assert_eq!(t.to_string(), "2026-03-10T11:00:00Z");
/// # Ok::<(), promo_attribution::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The earliest representable instant.
    pub const MIN: Timestamp = Timestamp(i64::MIN);
    /// The latest representable instant.
    pub const MAX: Timestamp = Timestamp(i64::MAX);
    /// 1970-01-01T00:00:00Z.
    pub const UNIX_EPOCH: Timestamp = Timestamp(0);

    /// The instant `ms` milliseconds after the Unix epoch (before it when negative).
    pub const fn from_unix_millis(ms: i64) -> Timestamp {
        Timestamp(ms)
    }

    /// The instant `s` seconds after the Unix epoch, saturating at [`Timestamp::MIN`] and
    /// [`Timestamp::MAX`].
    pub const fn from_unix_seconds(s: i64) -> Timestamp {
        Timestamp(s.saturating_mul(MS_PER_SECOND))
    }

    /// Milliseconds since the Unix epoch.
    pub const fn as_unix_millis(self) -> i64 {
        self.0
    }

    /// This instant moved `d` earlier, saturating at [`Timestamp::MIN`].
    pub fn saturating_sub(self, d: Duration) -> Timestamp {
        Timestamp(self.0.saturating_sub(duration_millis(d)))
    }

    /// This instant moved `d` later, saturating at [`Timestamp::MAX`].
    pub fn saturating_add(self, d: Duration) -> Timestamp {
        Timestamp(self.0.saturating_add(duration_millis(d)))
    }

    /// The same instant as a [`SystemTime`], or `None` where the platform cannot represent it.
    pub fn to_system_time(self) -> Option<SystemTime> {
        let magnitude = Duration::from_millis(self.0.unsigned_abs());
        if self.0 >= 0 {
            UNIX_EPOCH.checked_add(magnitude)
        } else {
            UNIX_EPOCH.checked_sub(magnitude)
        }
    }
}

/// Whole milliseconds of `d`, saturating at `i64::MAX`.
fn duration_millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl TryFrom<SystemTime> for Timestamp {
    type Error = Error;

    /// Sub-millisecond digits are dropped (rounded towards the past). Fails only for a
    /// `SystemTime` more than ±292 million years from the epoch.
    fn try_from(t: SystemTime) -> Result<Timestamp, Error> {
        let out_of_range = || Error::timestamp(format!("system time {t:?}"), "is out of range");
        match t.duration_since(UNIX_EPOCH) {
            Ok(after) => i64::try_from(after.as_millis())
                .map(Timestamp)
                .map_err(|_| out_of_range()),
            Err(before) => {
                let before = before.duration();
                // Round towards the past so that 1.5 ms before the epoch is -2 ms, like the
                // positive side rounds 1.5 ms after it to 1 ms.
                let mut ms = before.as_millis();
                if before.as_nanos() % 1_000_000 != 0 {
                    ms += 1;
                }
                i64::try_from(ms)
                    .map(|ms| Timestamp(-ms))
                    .map_err(|_| out_of_range())
            }
        }
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC: `2026-03-10T12:00:00Z`, with `.mmm` only when the milliseconds are not
    /// zero. Years outside 0000–9999 are written with a sign, as ISO 8601 expanded years.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.0.div_euclid(MS_PER_DAY);
        let ms_of_day = self.0.rem_euclid(MS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        let secs = ms_of_day / MS_PER_SECOND;
        let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
        if (0..=9999).contains(&year) {
            write!(f, "{year:04}")?;
        } else {
            write!(f, "{year:+07}")?;
        }
        write!(f, "-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}")?;
        let ms = ms_of_day % MS_PER_SECOND;
        if ms != 0 {
            write!(f, ".{ms:03}")?;
        }
        f.write_str("Z")
    }
}

impl FromStr for Timestamp {
    type Err = Error;

    /// Parses an RFC 3339 date-time: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`. A lower-case
    /// `t`/`z` or a space between date and time is accepted, as RFC 3339 allows. Digits below the
    /// millisecond are dropped. Leap seconds (`:60`) are rejected: Unix time has no place for them.
    fn from_str(s: &str) -> Result<Timestamp, Error> {
        parse_rfc3339(s).map_err(|why| Error::timestamp(format!("{s:?}"), why))
    }
}

fn parse_rfc3339(s: &str) -> Result<Timestamp, &'static str> {
    let b = s.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Result<i64, &'static str> {
        let part = b.get(range).ok_or("is not an RFC 3339 date-time")?;
        part.iter().try_fold(0i64, |acc, &c| {
            if c.is_ascii_digit() {
                Ok(acc * 10 + i64::from(c - b'0'))
            } else {
                Err("is not an RFC 3339 date-time")
            }
        })
    };
    let expect = |at: usize, allowed: &[u8]| -> Result<(), &'static str> {
        match b.get(at) {
            Some(c) if allowed.contains(c) => Ok(()),
            _ => Err("is not an RFC 3339 date-time"),
        }
    };
    let year = digits(0..4)?;
    expect(4, b"-")?;
    let month = digits(5..7)?;
    expect(7, b"-")?;
    let day = digits(8..10)?;
    expect(10, b"Tt ")?;
    let hour = digits(11..13)?;
    expect(13, b":")?;
    let minute = digits(14..16)?;
    expect(16, b":")?;
    let second = digits(17..19)?;
    let mut at = 19;
    let mut millis = 0;
    if b.get(at) == Some(&b'.') {
        at += 1;
        let start = at;
        while b.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
        if at == start {
            return Err("has a decimal point without digits");
        }
        // Keep the first three digits, padded: ".5" is 500 ms, ".123456" is 123 ms.
        let fraction = &b[start..at];
        for i in 0..3 {
            millis = millis * 10 + fraction.get(i).map_or(0, |c| i64::from(c - b'0'));
        }
    }
    let offset_minutes = match b.get(at) {
        Some(b'Z' | b'z') if at + 1 == b.len() => 0,
        Some(sign @ (b'+' | b'-')) if at + 6 == b.len() => {
            let oh = digits(at + 1..at + 3)?;
            expect(at + 3, b":")?;
            let om = digits(at + 4..at + 6)?;
            if oh > 23 || om > 59 {
                return Err("has an offset out of range");
            }
            let total = oh * 60 + om;
            if *sign == b'-' { -total } else { total }
        }
        _ => return Err("needs a time zone offset (Z or ±HH:MM) at the end"),
    };
    if !(1..=12).contains(&month) {
        return Err("has a month out of range");
    }
    if day < 1 || day > days_in_month(year, month) {
        return Err("has a day out of range for its month");
    }
    if hour > 23 || minute > 59 {
        return Err("has a time of day out of range");
    }
    if second > 59 {
        return Err("has a second out of range (leap seconds are not supported)");
    }
    let days = days_from_civil(year, month, day);
    let local = days * MS_PER_DAY + ((hour * 60 + minute) * 60 + second) * MS_PER_SECOND + millis;
    Ok(Timestamp(local - offset_minutes * 60 * MS_PER_SECOND))
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's proleptic-Gregorian day algorithms ("chrono-Compatible Low-Level Date
// Algorithms"): exact for every i64 day count this type can produce.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    // i128 keeps the shift by 719468 from overflowing at the ends of the i64 range.
    let z = i128::from(days) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i128::from(month <= 2);
    // Every year reachable from an i64 of milliseconds fits an i64 comfortably.
    (year as i64, month as i64, day as i64)
}

/// A half-open window of time, `[from, until)`: the start is inclusive, the end exclusive, and
/// either bound may be absent (open).
///
/// Windows are the schedules of codes and the terms of partner contracts. A window whose end is
/// not after its start is rejected when it is registered, never silently accepted.
///
/// ```
/// use promo_attribution::{Timestamp, Window};
///
/// let from = Timestamp::from_unix_seconds(100);
/// let until = Timestamp::from_unix_seconds(200);
/// let w = Window::between(from, until);
/// assert!(w.contains(from));
/// assert!(!w.contains(until));
/// assert!(Window::ALWAYS.contains(Timestamp::MIN));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
pub struct Window {
    /// The first instant inside the window; `None` is open towards the past.
    pub from: Option<Timestamp>,
    /// The first instant after the window; `None` is open towards the future.
    pub until: Option<Timestamp>,
}

impl Window {
    /// The window that contains every instant.
    pub const ALWAYS: Window = Window {
        from: None,
        until: None,
    };

    /// `[from, until)`.
    pub const fn between(from: Timestamp, until: Timestamp) -> Window {
        Window {
            from: Some(from),
            until: Some(until),
        }
    }

    /// `[from, ∞)`.
    pub const fn starting_at(from: Timestamp) -> Window {
        Window {
            from: Some(from),
            until: None,
        }
    }

    /// `(-∞, until)`.
    pub const fn until(until: Timestamp) -> Window {
        Window {
            from: None,
            until: Some(until),
        }
    }

    /// Whether `t` lies inside: `from <= t < until`.
    pub fn contains(&self, t: Timestamp) -> bool {
        self.from.is_none_or(|from| from <= t) && self.until.is_none_or(|until| t < until)
    }

    /// Whether the two windows share at least one instant.
    pub fn overlaps(&self, other: &Window) -> bool {
        let starts_before_other_ends = match (self.from, other.until) {
            (Some(from), Some(until)) => from < until,
            _ => true,
        };
        let other_starts_before_end = match (other.from, self.until) {
            (Some(from), Some(until)) => from < until,
            _ => true,
        };
        starts_before_other_ends && other_starts_before_end
    }

    /// Whether the window holds at least one instant: its end is after its start.
    pub(crate) fn is_valid(&self) -> bool {
        match (self.from, self.until) {
            (Some(from), Some(until)) => from < until,
            _ => true,
        }
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.from {
            Some(from) => write!(f, "[{from}, ")?,
            None => f.write_str("(-inf, ")?,
        }
        match self.until {
            Some(until) => write!(f, "{until})"),
            None => f.write_str("+inf)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn parses_and_displays_rfc3339() {
        const CASES: &[(&str, i64, &str)] = &[
            ("1970-01-01T00:00:00Z", 0, "1970-01-01T00:00:00Z"),
            ("1970-01-01T00:00:00.001Z", 1, "1970-01-01T00:00:00.001Z"),
            ("1969-12-31T23:59:59.999Z", -1, "1969-12-31T23:59:59.999Z"),
            (
                "2026-03-10T12:00:00Z",
                1_773_144_000_000,
                "2026-03-10T12:00:00Z",
            ),
            (
                "2026-03-10t12:00:00z",
                1_773_144_000_000,
                "2026-03-10T12:00:00Z",
            ),
            (
                "2026-03-10 12:00:00Z",
                1_773_144_000_000,
                "2026-03-10T12:00:00Z",
            ),
            (
                "2013-06-30T00:00:00-07:00",
                1_372_575_600_000,
                "2013-06-30T07:00:00Z",
            ),
            (
                "2026-03-10T12:00:00.5+00:00",
                1_773_144_000_500,
                "2026-03-10T12:00:00.500Z",
            ),
            (
                "2026-03-10T12:00:00.123999Z",
                1_773_144_000_123,
                "2026-03-10T12:00:00.123Z",
            ),
            (
                "2024-02-29T00:00:00Z",
                1_709_164_800_000,
                "2024-02-29T00:00:00Z",
            ),
            (
                "2000-02-29T23:59:59+05:30",
                951_848_999_000,
                "2000-02-29T18:29:59Z",
            ),
            (
                "0000-01-01T00:00:00Z",
                -62_167_219_200_000,
                "0000-01-01T00:00:00Z",
            ),
            (
                "9999-12-31T23:59:59Z",
                253_402_300_799_000,
                "9999-12-31T23:59:59Z",
            ),
        ];
        for &(input, millis, shown) in CASES {
            let t = ts(input);
            assert_eq!(t.as_unix_millis(), millis, "{input}");
            assert_eq!(t.to_string(), shown, "{input}");
            assert_eq!(ts(shown), t, "display of {input} parses back");
        }
    }

    #[test]
    fn rejects_malformed_rfc3339_naming_the_input() {
        const BAD: &[&str] = &[
            "",
            "2026-03-10",
            "2026-03-10T12:00:00",
            "2026-03-10T12:00Z",
            "2026-13-10T12:00:00Z",
            "2026-02-29T12:00:00Z",
            "2026-03-10T24:00:00Z",
            "2026-03-10T12:60:00Z",
            "2026-03-10T12:00:60Z",
            "2026-03-10T12:00:00.Z",
            "2026-03-10T12:00:00+0100",
            "2026-03-10T12:00:00+24:00",
            "2026-03-10T12:00:00Zjunk",
            "２026-03-10T12:00:00Z",
        ];
        for &input in BAD {
            let err = input.parse::<Timestamp>().unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::InvalidTimestamp, "{input}");
            assert!(err.to_string().contains(&format!("{input:?}")), "{err}");
        }
    }

    #[test]
    fn civil_round_trips_at_the_extremes() {
        for t in [Timestamp::MIN, Timestamp::MAX, Timestamp::UNIX_EPOCH] {
            let days = t.0.div_euclid(MS_PER_DAY);
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
            assert!(!t.to_string().is_empty());
        }
    }

    #[test]
    fn system_time_conversions() {
        let t = Timestamp::try_from(UNIX_EPOCH + Duration::from_micros(1_500)).unwrap();
        assert_eq!(t.as_unix_millis(), 1);
        let t = Timestamp::try_from(UNIX_EPOCH - Duration::from_micros(1_500)).unwrap();
        assert_eq!(t.as_unix_millis(), -2);
        let t = Timestamp::from_unix_millis(1_773_144_000_123);
        assert_eq!(Timestamp::try_from(t.to_system_time().unwrap()).unwrap(), t);
    }

    #[test]
    fn windows_are_half_open() {
        let a = Timestamp::from_unix_seconds(10);
        let b = Timestamp::from_unix_seconds(20);
        let c = Timestamp::from_unix_seconds(30);
        let w = Window::between(a, b);
        assert!(w.contains(a) && !w.contains(b));
        assert!(
            !w.overlaps(&Window::between(b, c)),
            "touching windows do not overlap"
        );
        assert!(w.overlaps(&Window::starting_at(a)));
        assert!(Window::until(b).overlaps(&Window::between(a, c)));
        assert!(!Window::until(a).overlaps(&Window::starting_at(a)));
        assert!(!Window::between(b, a).is_valid() && !Window::between(a, a).is_valid());
        assert_eq!(
            w.to_string(),
            "[1970-01-01T00:00:10Z, 1970-01-01T00:00:20Z)"
        );
    }

    #[test]
    fn saturating_arithmetic() {
        assert_eq!(
            Timestamp::MIN.saturating_sub(Duration::from_secs(1)),
            Timestamp::MIN
        );
        assert_eq!(Timestamp::MAX.saturating_add(Duration::MAX), Timestamp::MAX);
        assert_eq!(Timestamp::from_unix_seconds(i64::MAX), Timestamp::MAX);
    }
}
