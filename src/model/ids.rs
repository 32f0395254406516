//! The host's identifiers: partners, codes and programs are numbered by the host, never by the
//! crate.

use std::fmt;

/// A partner (the reference's "media"): an influencer, a coupon site, a content site. The id is
/// the host's own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct PartnerId(pub u64);

/// A code, tracking or restricted. The id is the host's own and unique within a registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct CodeId(pub u64);

/// A brand's partner program (the reference's program or campaign). One
/// [`Registry`](crate::Registry) holds the codes of one program; a bulk file, a batch job or a
/// catalog of engines tells programs apart by this id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct ProgramId(pub u64);

macro_rules! display_as_number {
    ($($id:ty),*) => {$(
        impl fmt::Display for $id {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

display_as_number!(PartnerId, CodeId, ProgramId);
