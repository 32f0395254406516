//! Serde support (feature `serde`): instants as RFC 3339 text, durations as milliseconds, and
//! registry snapshots that are validated again when read.

use std::borrow::Cow;
use std::time::Duration;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::code::{Code, PartnerId};
use crate::decision::{Click, Conversion};
use crate::payout::{Contract, ExceptionList};
use crate::registry::{Lifecycle, LifecycleEvent, Registry};
use crate::settings::Settings;
use crate::time::Timestamp;

/// `"2026-03-10T12:00:00Z"`: readable, and what the conformance vectors use.
impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
        let text = Cow::<str>::deserialize(deserializer)?;
        text.parse().map_err(D::Error::custom)
    }
}

/// A [`Duration`] as whole milliseconds, the precision every instant has.
pub(crate) mod millis {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(d: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Duration, D::Error> {
        u64::deserialize(deserializer).map(Duration::from_millis)
    }
}

/// One code of a snapshot with its lifecycle events.
#[derive(Serialize, Deserialize)]
struct SnapshotCode<C> {
    code: C,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    events: Vec<LifecycleEvent>,
}

#[derive(Serialize, Deserialize)]
struct SnapshotContract {
    partner: PartnerId,
    #[serde(flatten)]
    contract: Contract,
}

/// The shape of a registry on the wire: everything [`Registry`] holds, in registration order.
#[derive(Serialize, Deserialize)]
struct Snapshot<C, L> {
    settings: Settings,
    codes: Vec<SnapshotCode<C>>,
    #[serde(default)]
    contracts: Vec<SnapshotContract>,
    // Not `default`: that would ask `L: Default` of the generic parameter.
    #[serde(default = "Vec::new")]
    exception_lists: Vec<L>,
}

/// A snapshot of every definition: settings, codes with their lifecycle events, contracts
/// (sorted by partner) and exception lists. An [`Engine`](crate::Engine) is never serialised:
/// compile it again from the registry read back.
impl Serialize for Registry {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut contracts: Vec<SnapshotContract> = self
            .contracts()
            .map(|(partner, contract)| SnapshotContract { partner, contract })
            .collect();
        contracts.sort_by_key(|c| c.partner);
        Snapshot {
            settings: self.settings().clone(),
            codes: self
                .codes()
                .map(|code| SnapshotCode {
                    code,
                    events: self.events(code.id()).unwrap_or_default().to_vec(),
                })
                .collect(),
            contracts,
            exception_lists: self.exception_lists().collect(),
        }
        .serialize(serializer)
    }
}

/// Reads a snapshot back through the registry's own validation: a snapshot edited by hand into
/// something the registry would reject (a duplicate code, a bad regex) fails with that error's
/// message, naming the code.
impl<'de> Deserialize<'de> for Registry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Registry, D::Error> {
        let snapshot = Snapshot::<Code, ExceptionList>::deserialize(deserializer)?;
        let mut registry = Registry::new(snapshot.settings);
        let mut events = Vec::new();
        let codes = snapshot.codes.into_iter().map(|entry| {
            let id = entry.code.id();
            events.extend(entry.events.into_iter().map(|e| (id, e)));
            entry.code
        });
        registry.add_all(codes.collect::<Vec<_>>()).map_err(|err| {
            let all: Vec<String> = err.errors().iter().map(ToString::to_string).collect();
            D::Error::custom(format!("{err}: {}", all.join("; ")))
        })?;
        for (id, event) in events {
            let recorded = match event.action {
                Lifecycle::Expire => registry.expire(id, event.at),
                Lifecycle::Reactivate => registry.reactivate(id, event.at),
            };
            recorded.map_err(D::Error::custom)?;
        }
        for SnapshotContract { partner, contract } in snapshot.contracts {
            registry
                .set_contract(partner, contract)
                .map_err(D::Error::custom)?;
        }
        for list in snapshot.exception_lists {
            registry
                .add_exception_list(list)
                .map_err(D::Error::custom)?;
        }
        Ok(registry)
    }
}

/// An order in owned form, for hosts that store or queue orders as data: what a
/// [`Conversion`] borrows, owned. Serialises to the same shape as a [`Conversion`].
///
/// ```
/// use promo_attribution::{ConversionRecord, Registry};
///
/// let record: ConversionRecord = serde_json::from_str(r#"{
///     "at": "2026-03-10T12:00:00Z",
///     "codes": ["save10"],
///     "clicks": [{"partner": 2, "at": "2026-03-09T08:00:00Z"}],
///     "amount": 5000
/// }"#)?;
/// let engine = Registry::default().compile()?;
/// let decision = engine.attribute(&record.conversion(&mut Vec::new()));
/// assert_eq!(decision.outcome().partner().map(|p| p.0), Some(2));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversionRecord {
    /// When the order was placed.
    pub at: Timestamp,
    /// The codes entered at checkout, as typed.
    #[serde(default)]
    pub codes: Vec<String>,
    /// The partner clicks on the order's path.
    #[serde(default)]
    pub clicks: Vec<Click>,
    /// The order amount, in minor units.
    #[serde(default)]
    pub amount: u64,
}

impl ConversionRecord {
    /// The conversion to attribute, borrowing this record; `codes` is scratch space for the
    /// list of code texts, reusable from one record to the next.
    pub fn conversion<'a>(&'a self, codes: &'a mut Vec<&'a str>) -> Conversion<'a> {
        codes.clear();
        codes.extend(self.codes.iter().map(String::as_str));
        Conversion::new(self.at)
            .codes(codes)
            .clicks(&self.clicks)
            .amount(self.amount)
    }
}

impl From<&Conversion<'_>> for ConversionRecord {
    fn from(conversion: &Conversion<'_>) -> ConversionRecord {
        ConversionRecord {
            at: conversion.at,
            codes: conversion.codes.iter().map(|&c| c.to_owned()).collect(),
            clicks: conversion.clicks.to_vec(),
            amount: conversion.amount,
        }
    }
}
