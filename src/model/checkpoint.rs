//! Where a registry's history was folded into its base: what
//! [`Registry::checkpoint`](crate::Registry::checkpoint) leaves.

use std::fmt;

/// The history of a registry up to `revision`, folded into its base: the revision numbers go on
/// where they were, and the digest stands for the entries folded, so that a decision stamped
/// with an earlier revision stays explainable from an archive of them (see
/// [`Registry::history_digest`](crate::Registry::history_digest)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Checkpoint {
    revision: u64,
    digest: [u8; 32],
}

impl Checkpoint {
    pub(crate) fn new(revision: u64, digest: [u8; 32]) -> Checkpoint {
        Checkpoint { revision, digest }
    }

    /// The last revision folded: the history kept starts after it.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// The SHA-256 digest of the history folded, chained through the checkpoints before.
    pub fn digest(&self) -> [u8; 32] {
        self.digest
    }

    /// The digest in lowercase hexadecimal, as snapshots write it: 64 digits.
    pub fn digest_hex(&self) -> String {
        self.digest.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// `revision 8, digest 5f0c…` with the digest in full, in lowercase hexadecimal.
impl fmt::Display for Checkpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "revision {}, digest {}",
            self.revision,
            self.digest_hex()
        )
    }
}
