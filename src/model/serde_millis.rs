//! A [`Duration`] as milliseconds (serde `with`): a whole number when it is one
//! (`2592000000`), otherwise a fraction (`1.5`), so that a sub-millisecond part is not
//! dropped. A fraction is exact for durations up to about 104 days (2^53 nanoseconds); past
//! that, the nearest.

use std::fmt;
use std::time::Duration;

use serde::de::{self, Visitor};
use serde::{Deserializer, Serializer};

pub(crate) fn serialize<S: Serializer>(d: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    if d.subsec_nanos() % 1_000_000 == 0 {
        serializer.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    } else {
        serializer.serialize_f64(d.as_nanos() as f64 / 1e6)
    }
}

pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Duration, D::Error> {
    deserializer.deserialize_any(Millis)
}

struct Millis;

impl Visitor<'_> for Millis {
    type Value = Duration;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a non-negative number of milliseconds")
    }

    fn visit_u64<E: de::Error>(self, ms: u64) -> Result<Duration, E> {
        Ok(Duration::from_millis(ms))
    }

    fn visit_i64<E: de::Error>(self, ms: i64) -> Result<Duration, E> {
        u64::try_from(ms)
            .map(Duration::from_millis)
            .map_err(|_| E::custom(format!("a duration cannot be negative: {ms} ms")))
    }

    fn visit_f64<E: de::Error>(self, ms: f64) -> Result<Duration, E> {
        let nanos = (ms * 1e6).round();
        if !(0.0..=u64::MAX as f64).contains(&nanos) {
            return Err(E::custom(format!(
                "{ms} ms is not a duration: expected a non-negative, finite number"
            )));
        }
        Ok(Duration::from_nanos(nanos as u64))
    }
}

/// An optional [`Duration`] as milliseconds, or `null` (serde `with`).
pub(crate) mod optional {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(
        d: &Option<Duration>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => super::serialize(d, serializer),
            None => serializer.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Duration>, D::Error> {
        #[derive(Deserialize)]
        struct Millis(#[serde(with = "super")] Duration);
        Ok(Option::<Millis>::deserialize(deserializer)?.map(|Millis(d)| d))
    }
}
