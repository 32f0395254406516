//! The crate's own UTC instant and half-open window types.
//!
//! The library never reads a clock: every instant is handed in by the host, so a decision is a
//! pure function of its inputs. Millisecond precision is what the reference platforms store and
//! what the specification asks for. The range is `jiff`'s, the years -9999 to 9999, so that
//! every instant prints as text that parses back to it, which snapshots and bulk files rely on.

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jiff::fmt::temporal::DateTimePrinter;

use super::error::{Error, Reason};
use super::excerpt::{EXCERPT_CHARS, Excerpt};

const MS_PER_SECOND: i64 = 1_000;
const NS_PER_MS: i32 = 1_000_000;

/// A UTC instant with millisecond precision, counted from the Unix epoch, between
/// [`Timestamp::MIN`] (`-009999-01-02T01:59:59Z`) and [`Timestamp::MAX`]
/// (`9999-12-30T22:00:00Z`): the range of [`jiff::Timestamp`] at whole milliseconds.
///
/// Build one from Unix milliseconds or seconds (clamped to the range), from a [`SystemTime`] or
/// a [`jiff::Timestamp`], or by parsing RFC 3339 text; it displays as RFC 3339 in UTC, and the
/// display of every instant parses back to the same instant.
///
/// ```
/// use promo_attribution::Timestamp;
///
/// let t: Timestamp = "2026-03-10T12:00:00+01:00".parse()?;
/// assert_eq!(t, Timestamp::from_unix_seconds(1_773_140_400));
/// assert_eq!(t.to_string(), "2026-03-10T11:00:00Z");
/// assert_eq!(format!("{t:?}"), "Timestamp(2026-03-10T11:00:00Z)");
/// assert_eq!(Timestamp::MAX.to_string().parse::<Timestamp>()?, Timestamp::MAX);
/// # Ok::<(), promo_attribution::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The earliest representable instant, `-009999-01-02T01:59:59Z`.
    pub const MIN: Timestamp = Timestamp(-377_705_023_201_000);
    /// The latest representable instant, `9999-12-30T22:00:00Z`.
    pub const MAX: Timestamp = Timestamp(253_402_207_200_000);
    /// 1970-01-01T00:00:00Z.
    pub const UNIX_EPOCH: Timestamp = Timestamp(0);

    /// The instant `ms` milliseconds after the Unix epoch (before it when negative), clamped to
    /// [`Timestamp::MIN`]..=[`Timestamp::MAX`].
    pub const fn from_unix_millis(ms: i64) -> Timestamp {
        if ms < Timestamp::MIN.0 {
            Timestamp::MIN
        } else if ms > Timestamp::MAX.0 {
            Timestamp::MAX
        } else {
            Timestamp(ms)
        }
    }

    /// The instant `s` seconds after the Unix epoch, clamped to
    /// [`Timestamp::MIN`]..=[`Timestamp::MAX`].
    pub const fn from_unix_seconds(s: i64) -> Timestamp {
        Timestamp::from_unix_millis(s.saturating_mul(MS_PER_SECOND))
    }

    /// The instant `ms` milliseconds after the Unix epoch, or `None` outside
    /// [`Timestamp::MIN`]..=[`Timestamp::MAX`].
    pub const fn try_from_unix_millis(ms: i64) -> Option<Timestamp> {
        if ms < Timestamp::MIN.0 || ms > Timestamp::MAX.0 {
            None
        } else {
            Some(Timestamp(ms))
        }
    }

    /// Milliseconds since the Unix epoch.
    pub const fn as_unix_millis(self) -> i64 {
        self.0
    }

    /// This instant moved `d` earlier, saturating at [`Timestamp::MIN`].
    pub fn saturating_sub(self, d: Duration) -> Timestamp {
        Timestamp::from_unix_millis(self.0.saturating_sub(duration_millis(d)))
    }

    /// This instant moved `d` later, saturating at [`Timestamp::MAX`].
    pub fn saturating_add(self, d: Duration) -> Timestamp {
        Timestamp::from_unix_millis(self.0.saturating_add(duration_millis(d)))
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

    fn to_jiff(self) -> jiff::Timestamp {
        // Every instant of the range is one of jiff's: the bounds are jiff's own.
        jiff::Timestamp::from_millisecond(self.0).unwrap_or(if self.0 < 0 {
            jiff::Timestamp::MIN
        } else {
            jiff::Timestamp::MAX
        })
    }
}

/// Whole milliseconds of `d`, saturating at `i64::MAX`.
fn duration_millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl From<jiff::Timestamp> for Timestamp {
    /// Digits below the millisecond are dropped, rounding towards the past (1.5 ms before the
    /// epoch is -2 ms), as for a [`SystemTime`].
    fn from(t: jiff::Timestamp) -> Timestamp {
        let sub_ms = i64::from(t.subsec_nanosecond().div_euclid(NS_PER_MS));
        Timestamp::from_unix_millis(t.as_second().saturating_mul(MS_PER_SECOND) + sub_ms)
    }
}

impl From<Timestamp> for jiff::Timestamp {
    fn from(t: Timestamp) -> jiff::Timestamp {
        t.to_jiff()
    }
}

impl TryFrom<SystemTime> for Timestamp {
    type Error = Error;

    /// Sub-millisecond digits are dropped (rounded towards the past). Fails for a `SystemTime`
    /// outside [`Timestamp::MIN`]..=[`Timestamp::MAX`].
    fn try_from(t: SystemTime) -> Result<Timestamp, Error> {
        let out_of_range =
            || Error::timestamp(format!("system time {t:?}"), "is out of range".to_owned());
        let ms = match t.duration_since(UNIX_EPOCH) {
            Ok(after) => i64::try_from(after.as_millis()).ok(),
            Err(before) => {
                let before = before.duration();
                // Round towards the past so that 1.5 ms before the epoch is -2 ms, like the
                // positive side rounds 1.5 ms after it to 1 ms.
                let mut ms = before.as_millis();
                if before.as_nanos() % 1_000_000 != 0 {
                    ms += 1;
                }
                i64::try_from(ms).ok().map(|ms| -ms)
            }
        };
        ms.and_then(Timestamp::try_from_unix_millis)
            .ok_or_else(out_of_range)
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC: `2026-03-10T12:00:00Z`, with `.mmm` only when the milliseconds are not
    /// zero. Years before 0000 are written with a sign and six digits (`-000001-12-31T…`), as
    /// ISO 8601 expanded years, which [`FromStr`] reads back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = if self.0.rem_euclid(MS_PER_SECOND) == 0 {
            0
        } else {
            3
        };
        let mut text = String::with_capacity(32);
        DateTimePrinter::new()
            .precision(Some(digits))
            .print_timestamp(&self.to_jiff(), &mut text)
            .map_err(|_| fmt::Error)?;
        f.write_str(&text)
    }
}

impl fmt::Debug for Timestamp {
    /// `Timestamp(2026-03-10T12:00:00Z)`: the instant, not a count of milliseconds.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({self})")
    }
}

/// `t + d` is [`t.saturating_add(d)`](Timestamp::saturating_add): past [`Timestamp::MAX`] is
/// `MAX`, so a lookback or a lock delay never panics.
///
/// ```
/// use std::time::Duration;
/// use promo_attribution::Timestamp;
///
/// let t: Timestamp = "2026-03-10T12:00:00Z".parse()?;
/// assert_eq!((t + Duration::from_secs(86_400)).to_string(), "2026-03-11T12:00:00Z");
/// assert_eq!((t - Duration::from_secs(3_600)).to_string(), "2026-03-10T11:00:00Z");
/// assert_eq!(Timestamp::MAX + Duration::from_secs(1), Timestamp::MAX);
/// # Ok::<(), promo_attribution::Error>(())
/// ```
impl std::ops::Add<Duration> for Timestamp {
    type Output = Timestamp;

    fn add(self, d: Duration) -> Timestamp {
        self.saturating_add(d)
    }
}

/// `t - d` is [`t.saturating_sub(d)`](Timestamp::saturating_sub).
impl std::ops::Sub<Duration> for Timestamp {
    type Output = Timestamp;

    fn sub(self, d: Duration) -> Timestamp {
        self.saturating_sub(d)
    }
}

impl FromStr for Timestamp {
    type Err = Error;

    /// Parses an RFC 3339 date-time, `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, as `jiff`
    /// reads ISO 8601: a lower-case `t`/`z` or a space between date and time, the basic format
    /// (`20260310T120000Z`) and expanded years (`+002026`, `-000001`) are accepted too; an
    /// offset is required. Digits below the millisecond are dropped (towards the past); a leap
    /// second (`:60`) reads as `:59`, since Unix time has no place for it. An instant outside
    /// [`Timestamp::MIN`]..=[`Timestamp::MAX`] is an error.
    fn from_str(s: &str) -> Result<Timestamp, Error> {
        let fail = |why: &dyn fmt::Display| {
            Error::timestamp(
                Excerpt::new(s).to_string(),
                format!("is not an instant: {why}"),
            )
        };
        // The longest instant jiff reads is about 40 bytes; past that its message, which
        // quotes the input, is not worth its length.
        if s.len() > EXCERPT_CHARS {
            return Err(fail(&format_args!("it is {} bytes long", s.len())));
        }
        s.parse::<jiff::Timestamp>()
            .map(Timestamp::from)
            .map_err(|why| fail(&why))
    }
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

    /// The instants in both windows, if any.
    pub(crate) fn intersect(&self, other: &Window) -> Option<Window> {
        let both = Window {
            from: self.from.max(other.from),
            until: match (self.until, other.until) {
                (Some(x), Some(y)) => Some(x.min(y)),
                (x, y) => x.or(y),
            },
        };
        both.is_valid().then_some(both)
    }

    /// [`is_valid`](Window::is_valid), as the reason a registration fails.
    pub(crate) fn check(&self) -> Result<(), Reason> {
        if self.is_valid() {
            Ok(())
        } else {
            Err(Reason::InvalidWindow(self.to_string().into()))
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

/// `"2026-03-10T12:00:00Z"`: readable, and what the conformance vectors use.
#[cfg(feature = "serde")]
impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
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
            // Below the millisecond, towards the past on both sides of the epoch.
            ("1969-12-31T23:59:59.9995Z", -1, "1969-12-31T23:59:59.999Z"),
            ("1970-01-01T00:00:00.0005Z", 0, "1970-01-01T00:00:00Z"),
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
                "-000001-12-31T23:59:59Z",
                -62_167_219_201_000,
                "-000001-12-31T23:59:59Z",
            ),
            (
                "9999-12-30T23:59:59+02:00",
                253_402_207_199_000,
                "9999-12-30T21:59:59Z",
            ),
            (
                "9999-12-30T22:00:00Z",
                253_402_207_200_000,
                "9999-12-30T22:00:00Z",
            ),
            (
                "-009999-01-02T01:59:59Z",
                -377_705_023_201_000,
                "-009999-01-02T01:59:59Z",
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
    fn rejects_malformed_and_out_of_range_text_naming_the_input() {
        const BAD: &[&str] = &[
            "",
            "2026-03-10",
            "2026-03-10T12:00:00",
            "2026-13-10T12:00:00Z",
            "2026-02-29T12:00:00Z",
            "2026-03-10T24:00:00Z",
            "2026-03-10T12:60:00Z",
            "2026-03-10T12:00:00.Z",
            "2026-03-10T12:00:00Zjunk",
            "２026-03-10T12:00:00Z",
            // Past the range: jiff's own bounds.
            "9999-12-31T23:59:59Z",
            "+010000-01-01T00:00:00Z",
        ];
        for &input in BAD {
            let err = input.parse::<Timestamp>().unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::InvalidTimestamp, "{input}");
            assert!(err.to_string().contains(&format!("{input:?}")), "{err}");
        }
    }

    #[test]
    fn the_bounds_are_jiffs_at_whole_milliseconds() {
        assert_eq!(
            Timestamp::MIN.as_unix_millis(),
            jiff::Timestamp::MIN.as_millisecond()
        );
        assert_eq!(
            jiff::Timestamp::from_millisecond(Timestamp::MAX.as_unix_millis() + 1).ok(),
            None
        );
        assert!(jiff::Timestamp::from_millisecond(Timestamp::MAX.as_unix_millis()).is_ok());
        assert_eq!(Timestamp::from(jiff::Timestamp::MAX), Timestamp::MAX);
        assert_eq!(Timestamp::from(jiff::Timestamp::MIN), Timestamp::MIN);
        for t in [Timestamp::MIN, Timestamp::MAX, Timestamp::UNIX_EPOCH] {
            assert_eq!(Timestamp::from(jiff::Timestamp::from(t)), t);
        }
    }

    #[test]
    fn construction_clamps_to_the_range() {
        assert_eq!(Timestamp::from_unix_millis(i64::MAX), Timestamp::MAX);
        assert_eq!(Timestamp::from_unix_millis(i64::MIN), Timestamp::MIN);
        assert_eq!(Timestamp::from_unix_seconds(i64::MAX), Timestamp::MAX);
        assert_eq!(Timestamp::try_from_unix_millis(i64::MAX), None);
        assert_eq!(
            Timestamp::try_from_unix_millis(-5),
            Some(Timestamp::from_unix_millis(-5))
        );
    }

    #[test]
    fn system_time_conversions() {
        let t = Timestamp::try_from(UNIX_EPOCH + Duration::from_micros(1_500)).unwrap();
        assert_eq!(t.as_unix_millis(), 1);
        let t = Timestamp::try_from(UNIX_EPOCH - Duration::from_micros(1_500)).unwrap();
        assert_eq!(t.as_unix_millis(), -2);
        let t = Timestamp::from_unix_millis(1_773_144_000_123);
        assert_eq!(Timestamp::try_from(t.to_system_time().unwrap()).unwrap(), t);
        let far = UNIX_EPOCH + Duration::from_secs(400_000_000_000);
        assert_eq!(
            Timestamp::try_from(far).unwrap_err().kind(),
            crate::ErrorKind::InvalidTimestamp
        );
    }

    #[test]
    fn jiff_conversions_round_towards_the_past() {
        let j = |s: &str| s.parse::<jiff::Timestamp>().unwrap();
        assert_eq!(
            Timestamp::from(j("1970-01-01T00:00:00.0015Z")).as_unix_millis(),
            1
        );
        assert_eq!(
            Timestamp::from(j("1969-12-31T23:59:59.9985Z")).as_unix_millis(),
            -2
        );
        assert_eq!(
            jiff::Timestamp::from(Timestamp::from_unix_millis(-1_500)),
            j("1969-12-31T23:59:58.5Z")
        );
    }

    proptest::proptest! {
        /// Every instant of the range prints as text that parses back to it.
        #[test]
        fn display_parses_back_over_the_whole_range(
            ms in Timestamp::MIN.as_unix_millis()..=Timestamp::MAX.as_unix_millis()
        ) {
            let t = Timestamp::from_unix_millis(ms);
            proptest::prop_assert_eq!(t.to_string().parse::<Timestamp>().ok(), Some(t));
        }
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
        assert_eq!(
            Timestamp::MAX.saturating_add(Duration::from_millis(1)),
            Timestamp::MAX
        );
    }
}
