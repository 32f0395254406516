//! Serde support (feature `serde`) for what is not plain data: registry snapshots, validated
//! again when read, and orders in owned form.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::model::{
    Click, Code, Contract, Conversion, ExceptionList, Lifecycle, LifecycleEvent, PartnerId,
    Settings, Timestamp,
};
use crate::registry::Registry;

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
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
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
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
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
            // Every error, each once: the batch error's own message repeats the first.
            let all: Vec<String> = err.errors().iter().map(ToString::to_string).collect();
            D::Error::custom(format!(
                "{} of the snapshot's codes rejected: {}",
                all.len(),
                all.join("; ")
            ))
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
/// let decision = engine.attribute(&record.conversion());
/// assert_eq!(decision.outcome().partner().map(|p| p.0), Some(2));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
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
    /// The conversion to attribute, borrowing this record: its codes are borrowed as the
    /// `String`s they are, so nothing is allocated or copied.
    pub fn conversion(&self) -> Conversion<'_> {
        Conversion::new(self.at)
            .codes(&self.codes)
            .clicks(&self.clicks)
            .amount(self.amount)
    }
}

impl From<&Conversion<'_>> for ConversionRecord {
    fn from(conversion: &Conversion<'_>) -> ConversionRecord {
        ConversionRecord {
            at: conversion.at,
            codes: conversion.codes.iter().map(str::to_owned).collect(),
            clicks: conversion.clicks.to_vec(),
            amount: conversion.amount,
        }
    }
}
