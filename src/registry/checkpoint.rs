//! Folding a registry's history into its base: what a registry keeps stays bounded by what it
//! holds and what changed since, not by everything it was ever through.

use super::Registry;
use super::codec::write_entry;
use super::digest::Sha256;
use super::history::HistoryEntry;
use super::wire::Writer;
use crate::model::{Checkpoint, Error};

impl Registry {
    /// Folds the history up to revision `through` into the registry's base, and returns the
    /// checkpoint that stands for it.
    ///
    /// Nothing a registry decides with changes: the codes, their events and changes of terms
    /// stay, and revision numbers go on where they were. What goes is the list of changes up
    /// to `through`: [`history`](Registry::history) starts after it, a snapshot is that much
    /// smaller and reads back that much faster (a million codes added in one call left a
    /// million entries). The checkpoint keeps a SHA-256 digest of the entries folded, chained
    /// through the checkpoints before, so that a host that archived them (from `history`,
    /// before folding) can show which changes a decision stamped with an earlier revision was
    /// made under: see [`history_digest`](Registry::history_digest).
    ///
    /// Engines at a revision before `through` are brought up to date by a full compile
    /// afterwards ([`RefreshPlan::BeforeCheckpoint`](crate::history::RefreshPlan::BeforeCheckpoint));
    /// engines at `through` or later, incrementally as before. A `through` at or before the
    /// last checkpoint folds nothing and returns that checkpoint; one past the registry's
    /// [`revision`](Registry::revision) is an
    /// [`UnknownRevision`](crate::ErrorKind::UnknownRevision) error, and nothing changes.
    ///
    /// ```
    /// use promo_attribution::{Code, CodeId, PartnerId, Registry};
    /// use promo_attribution::history::RefreshPlan;
    ///
    /// let mut registry = Registry::default();
    /// registry.add(Code::tracking(CodeId(1), "SAVE10", PartnerId(1)))?;
    /// registry.add(Code::tracking(CodeId(2), "BOB15", PartnerId(2)))?;
    /// let early = registry.compile()?;
    /// let archived = registry.history().to_vec();
    ///
    /// let checkpoint = registry.checkpoint(registry.revision())?;
    /// assert_eq!((checkpoint.revision(), registry.history().len()), (2, 0));
    /// assert_eq!(Registry::history_digest(None, &archived), checkpoint.digest());
    ///
    /// registry.add(Code::tracking(CodeId(3), "JANE20", PartnerId(3)))?;
    /// assert_eq!(registry.revision(), 3);
    /// assert_eq!(registry.refresh_plan(&early), RefreshPlan::Incremental { changes: 1 });
    /// # Ok::<(), promo_attribution::Error>(())
    /// ```
    pub fn checkpoint(&mut self, through: u64) -> Result<Checkpoint, Error> {
        let revision = self.revision();
        if through > revision {
            return Err(Error::unknown_revision(through, revision));
        }
        let before = self.store.checkpoint;
        if let Some(last) = before.filter(|last| last.revision() >= through) {
            return Ok(last);
        }
        let folded = self.store.history.fold_through(through);
        let checkpoint =
            Checkpoint::new(through, Registry::history_digest(before.as_ref(), &folded));
        self.store.checkpoint = Some(checkpoint);
        Ok(checkpoint)
    }

    /// The last [`checkpoint`](Registry::checkpoint), if the history was ever folded.
    pub fn last_checkpoint(&self) -> Option<Checkpoint> {
        self.store.checkpoint
    }

    /// The digest a checkpoint folding `entries` after `before` (the checkpoint before it, if
    /// any) keeps: SHA-256 over the digest of `before` (32 zero bytes if none) and each entry's
    /// revision, note and change, in the compact binary form of the snapshots. A host that
    /// archived the entries a checkpoint folded checks them against it with this.
    pub fn history_digest(before: Option<&Checkpoint>, entries: &[HistoryEntry]) -> [u8; 32] {
        let mut digest = Sha256::new();
        digest.update(&before.map_or([0; 32], Checkpoint::digest));
        let mut buffer = Writer::with_capacity(64 * 1024);
        for entry in entries {
            write_entry(&mut buffer, entry);
            if buffer.as_bytes().len() >= 60 * 1024 {
                digest.update(buffer.as_bytes());
                buffer.clear();
            }
        }
        digest.update(buffer.as_bytes());
        digest.finish()
    }
}
