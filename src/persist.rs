//! Serde support (feature `serde`) for what is not plain data: registry snapshots, validated
//! again when read, and orders in owned form.

use std::fmt;
use std::sync::Arc;

use serde::de::{Error as _, MapAccess, Visitor};
use serde::ser::SerializeStruct;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::definitions::{TermChange, TermUpdate};
use crate::model::{
    Change, Checkpoint, Click, Code, Contract, Conversion, CreditPolicy, ExceptionList,
    LifecycleEvent, PartnerId, Settings, Timestamp,
};
use crate::registry::{Image, ImageChange, ImageCode, ImageEntry, ReadMode, Registry, Stretch};

/// The shape this version writes. A snapshot of a format it does not read is an error that
/// says so, never a guess. Format 3 added the settings of SPEC §10 (`lock_after_ms`,
/// `clawback`), format 4 the per-order limits of SPEC §12 (`max_entered_codes`,
/// `max_other_matches`) and the registry's `lineage`, format 5 the registry's `checkpoint`; a
/// snapshot of an earlier format, without them, reads with their defaults (a lineage of its
/// own, no checkpoint).
const FORMAT: u32 = 5;
/// The oldest shape this version reads.
const OLDEST_FORMAT: u32 = 2;

/// One code of a snapshot, with what changed it over time.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SnapshotCode {
    code: Code,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    events: Vec<LifecycleEvent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    terms: Vec<SnapshotTerms>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    removed: bool,
}

/// A change of owner or policy: `{"at": …, "owner": 2}` or `{"at": …, "credit": "if_winner"}`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SnapshotTerms {
    at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    owner: Option<PartnerId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    credit: Option<CreditPolicy>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SnapshotContract {
    partner: PartnerId,
    #[serde(flatten)]
    contract: Contract,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SnapshotEntry {
    revision: u64,
    change: Change,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

/// A stretch of the registry's lineage: `{"from": 0, "seed": "9f3c…"}`, the seed in hex so
/// that tools reading numbers as doubles (`jq`, JavaScript) keep it whole.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SnapshotStretch {
    from: u64,
    seed: String,
}

impl From<&Stretch> for SnapshotStretch {
    fn from(stretch: &Stretch) -> SnapshotStretch {
        SnapshotStretch {
            from: stretch.from,
            seed: format!("{:016x}", stretch.seed),
        }
    }
}

/// Where the history was folded: `{"revision": 8, "digest": "5f0c…"}`, the digest in hex.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SnapshotCheckpoint {
    revision: u64,
    digest: String,
}

impl From<Checkpoint> for SnapshotCheckpoint {
    fn from(checkpoint: Checkpoint) -> SnapshotCheckpoint {
        SnapshotCheckpoint {
            revision: checkpoint.revision(),
            digest: checkpoint.digest_hex(),
        }
    }
}

impl SnapshotCheckpoint {
    fn into_checkpoint<E: serde::de::Error>(self) -> Result<Checkpoint, E> {
        let bad = || {
            E::custom(format!(
                "a checkpoint digest is 64 hexadecimal digits, not {:?}",
                self.digest
            ))
        };
        let hex = self.digest.as_bytes();
        if hex.len() != 64 || !hex.is_ascii() {
            return Err(bad());
        }
        let mut digest = [0u8; 32];
        for (byte, pair) in digest.iter_mut().zip(hex.chunks_exact(2)) {
            let pair = std::str::from_utf8(pair).map_err(|_| bad())?;
            *byte = u8::from_str_radix(pair, 16).map_err(|_| bad())?;
        }
        Ok(Checkpoint::new(self.revision, digest))
    }
}

impl SnapshotStretch {
    fn into_stretch<E: serde::de::Error>(self) -> Result<Stretch, E> {
        let seed = u64::from_str_radix(&self.seed, 16).map_err(|_| {
            E::custom(format!(
                "a lineage seed is 16 hexadecimal digits, not {:?}",
                self.seed
            ))
        })?;
        Ok(Stretch {
            from: self.from,
            seed,
        })
    }
}

impl From<TermChange> for SnapshotTerms {
    fn from(change: TermChange) -> SnapshotTerms {
        let (owner, credit) = match change.update {
            TermUpdate::Owner(owner) => (Some(owner), None),
            TermUpdate::Credit(credit) => (None, Some(credit)),
        };
        SnapshotTerms {
            at: change.at,
            owner,
            credit,
        }
    }
}

impl SnapshotTerms {
    fn into_change<E: serde::de::Error>(self) -> Result<TermChange, E> {
        let update = match (self.owner, self.credit) {
            (Some(owner), None) => TermUpdate::Owner(owner),
            (None, Some(credit)) => TermUpdate::Credit(credit),
            _ => {
                return Err(E::custom(
                    "a change of terms has exactly one of owner and credit",
                ));
            }
        };
        Ok(TermChange {
            at: self.at,
            update,
        })
    }
}

/// A snapshot of the whole registry, in a stable snake_case shape: its format version (first),
/// settings, every code in registration order with its lifecycle events, changes of owner and
/// policy, and whether it was removed; contracts (sorted by partner), exception lists, the
/// revision, the history kept, the lineage (the stamps by which the registry read back brings
/// the engines of this one up to date: see
/// [`Registry::refresh_plan`](crate::Registry::refresh_plan)), and the last checkpoint (see
/// [`Registry::checkpoint`](crate::Registry::checkpoint)), or `null`. An [`Engine`](crate::Engine) is never serialised: compile it
/// again from the registry read back.
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
impl Serialize for Registry {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let image = self.to_image();
        let codes: Vec<SnapshotCode> = image
            .codes
            .iter()
            .map(|c| SnapshotCode {
                code: c.code.clone(),
                events: c.events.clone(),
                terms: c
                    .term_changes
                    .iter()
                    .copied()
                    .map(SnapshotTerms::from)
                    .collect(),
                removed: c.removed,
            })
            .collect();
        let contracts: Vec<SnapshotContract> = image
            .contracts
            .iter()
            .map(|&(partner, contract)| SnapshotContract { partner, contract })
            .collect();
        let history: Vec<SnapshotEntry> = image
            .history
            .iter()
            .map(|entry| SnapshotEntry {
                revision: entry.revision,
                change: match &entry.change {
                    ImageChange::AddOf(position) => Change::Add {
                        code: image.codes[*position].code.clone(),
                    },
                    ImageChange::Change(change) => change.clone(),
                },
                note: entry.note.as_deref().map(str::to_owned),
            })
            .collect();
        let lineage: Option<Vec<SnapshotStretch>> = image
            .lineage
            .as_ref()
            .map(|stretches| stretches.iter().map(SnapshotStretch::from).collect());
        let checkpoint = image.checkpoint.map(SnapshotCheckpoint::from);
        let mut out = serializer.serialize_struct("Snapshot", 9)?;
        out.serialize_field("format", &FORMAT)?;
        out.serialize_field("settings", &image.settings)?;
        out.serialize_field("codes", &codes)?;
        out.serialize_field("contracts", &contracts)?;
        out.serialize_field("exception_lists", &image.exception_lists)?;
        out.serialize_field("revision", &image.revision)?;
        out.serialize_field("history", &history)?;
        out.serialize_field("lineage", &lineage)?;
        out.serialize_field("checkpoint", &checkpoint)?;
        out.end()
    }
}

/// Reads a snapshot back through the registry's own validation: a snapshot edited by hand into
/// something the registry would reject (a duplicate code, a bad regex) fails with that error's
/// message, naming the code. A snapshot of another format version, or none, fails saying so.
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
impl<'de> Deserialize<'de> for Registry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Registry, D::Error> {
        let image = deserializer.deserialize_struct("Snapshot", &FIELDS, SnapshotVisitor)?;
        Registry::from_image(image, ReadMode::Validate).map_err(D::Error::custom)
    }
}

const FIELDS: [&str; 9] = [
    "format",
    "settings",
    "codes",
    "contracts",
    "exception_lists",
    "revision",
    "history",
    "lineage",
    "checkpoint",
];

/// Reads the fields in any order — a host may keep the snapshot in PostgreSQL `jsonb`, which
/// sorts keys by length, or pass it through `jq -S` — and checks the format whichever place it
/// has. A snapshot of another version should fail on its version, not on whatever field that
/// version added: it does when its format comes first, as this version writes it; a field
/// that fails before the format was read says that the format was not read yet.
struct SnapshotVisitor;

/// Checks a snapshot's format version.
fn check_format<E: serde::de::Error>(format: u32) -> Result<(), E> {
    if (OLDEST_FORMAT..=FORMAT).contains(&format) {
        Ok(())
    } else {
        Err(E::custom(format!(
            "snapshot format {format} is not one this version reads (it reads formats \
             {OLDEST_FORMAT} to {FORMAT})"
        )))
    }
}

impl<'de> Visitor<'de> for SnapshotVisitor {
    type Value = Image;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a registry snapshot")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Image, A::Error> {
        let mut format: Option<u32> = None;
        let mut settings = None;
        let mut codes: Option<Vec<SnapshotCode>> = None;
        let mut contracts: Vec<SnapshotContract> = Vec::new();
        let mut exception_lists: Vec<ExceptionList> = Vec::new();
        let mut revision = 0;
        let mut history: Vec<SnapshotEntry> = Vec::new();
        let mut lineage: Option<Vec<SnapshotStretch>> = None;
        let mut checkpoint: Option<SnapshotCheckpoint> = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == "format" {
                let read: u32 = map.next_value()?;
                check_format(read)?;
                format = Some(read);
                continue;
            }
            let unversioned = |err: A::Error| match format {
                Some(_) => err,
                None => A::Error::custom(format!(
                    "{err} (in \"{key}\", read before the snapshot's \"format\": a snapshot of \
                     another version fails so)"
                )),
            };
            match key.as_str() {
                "settings" => settings = Some(map.next_value().map_err(unversioned)?),
                "codes" => codes = Some(map.next_value().map_err(unversioned)?),
                "contracts" => contracts = map.next_value().map_err(unversioned)?,
                "exception_lists" => exception_lists = map.next_value().map_err(unversioned)?,
                "revision" => revision = map.next_value().map_err(unversioned)?,
                "history" => history = map.next_value().map_err(unversioned)?,
                "lineage" => lineage = map.next_value().map_err(unversioned)?,
                "checkpoint" => checkpoint = map.next_value().map_err(unversioned)?,
                other => {
                    return Err(unversioned(A::Error::unknown_field(other, &FIELDS)));
                }
            }
        }
        if format.is_none() {
            return Err(A::Error::custom(format!(
                "not a registry snapshot of format {FORMAT}: it has no \"format\""
            )));
        }
        let settings: Settings = settings.ok_or_else(|| A::Error::missing_field("settings"))?;
        let codes = codes.ok_or_else(|| A::Error::missing_field("codes"))?;
        let codes = codes
            .into_iter()
            .map(|c| {
                Ok(ImageCode {
                    code: c.code,
                    events: c.events,
                    term_changes: c
                        .terms
                        .into_iter()
                        .map(SnapshotTerms::into_change)
                        .collect::<Result<_, A::Error>>()?,
                    removed: c.removed,
                })
            })
            .collect::<Result<Vec<_>, A::Error>>()?;
        let history = history
            .into_iter()
            .map(|entry| ImageEntry {
                revision: entry.revision,
                change: ImageChange::Change(entry.change),
                note: entry.note.map(Arc::from),
            })
            .collect();
        let lineage = lineage
            .map(|stretches| {
                stretches
                    .into_iter()
                    .map(SnapshotStretch::into_stretch)
                    .collect::<Result<Vec<_>, A::Error>>()
            })
            .transpose()?;
        let checkpoint = checkpoint
            .map(SnapshotCheckpoint::into_checkpoint)
            .transpose()?;
        Ok(Image {
            lineage,
            checkpoint,
            settings,
            codes,
            contracts: contracts
                .into_iter()
                .map(|c| (c.partner, c.contract))
                .collect(),
            exception_lists,
            revision,
            history,
        })
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
