//! The binary encoding of a registry's image, for the snapshot: every value in a fixed order;
//! ids, counts, revisions, positions and text lengths as LEB128 (format 4 on; eight bytes, and
//! four for a text's length, before), other integers little-endian and fixed-width; texts as a
//! length and UTF-8; an absent value as a 0 byte and a present one as a 1 byte and the value.
//! Reading checks the form of everything it reads.

use std::sync::Arc;

use super::history::HistoryEntry;
use super::image::{Image, ImageChange, ImageCode, ImageEntry, ReadMode, Restore};
use super::lineage::Stretch;
use super::store::Store;
use super::tags::Tagged;
use super::wire::{Reader, Writer};
use crate::definitions::{TermChange, TermUpdate};
use crate::model::{
    Change, Checkpoint, CodeId, CreditPolicy, Error, LifecycleEvent, PartnerId, Settings,
};

pub(super) fn write_image(out: &mut Writer, image: &Image) {
    let s = &image.settings;
    out.tagged(s.tracking);
    out.tagged(s.click_winner);
    out.u64(u64::try_from(s.lookback.as_millis()).unwrap_or(u64::MAX));
    out.tagged(s.unmet_policy);
    out.tagged(s.always_owner_clicks);
    out.tagged(s.contracts);
    out.tagged(s.regex_anchoring);
    out.payout(s.payout);
    // Format 2.
    out.opt(s.lock_after, |out, after| {
        out.u64(u64::try_from(after.as_millis()).unwrap_or(u64::MAX));
    });
    out.tagged(s.clawback);
    // Format 3.
    out.u64(s.max_entered_codes as u64);
    out.u64(s.max_other_matches as u64);

    out.len(image.codes.len());
    for c in &image.codes {
        out.code(&c.code);
        out.u8(u8::from(c.removed));
        out.len(c.events.len());
        for e in &c.events {
            out.instant(e.at);
            out.tagged(e.action);
        }
        out.len(c.term_changes.len());
        for t in &c.term_changes {
            out.instant(t.at);
            match t.update {
                TermUpdate::Owner(owner) => {
                    out.u8(0);
                    out.uint(owner.0);
                }
                TermUpdate::Credit(credit) => {
                    out.u8(1);
                    // A full integer here, where the code itself has a byte: format 1 wrote so.
                    out.uint(u64::from(credit.tag()));
                }
            }
        }
    }
    out.len(image.contracts.len());
    for &(partner, contract) in &image.contracts {
        out.uint(partner.0);
        out.contract(contract);
    }
    out.len(image.exception_lists.len());
    for list in &image.exception_lists {
        out.list(list);
    }
    out.uint(image.revision);
    out.len(image.history.len());
    for entry in &image.history {
        out.uint(entry.revision);
        out.opt(entry.note.as_deref(), Writer::str);
        match &entry.change {
            ImageChange::AddOf(position) => {
                out.u8(0);
                out.len(*position);
            }
            ImageChange::Change(change) => write_change(out, change),
        }
    }
    // Format 3.
    let stretches = image.lineage.as_deref().unwrap_or_default();
    out.len(stretches.len());
    for stretch in stretches {
        out.uint(stretch.from);
        out.u64(stretch.seed);
    }
    // Format 4.
    out.opt(image.checkpoint, |out, checkpoint| {
        out.uint(checkpoint.revision());
        out.bytes(&checkpoint.digest());
    });
}

/// A history entry as the digest of a checkpoint reads it: its revision, its note and its change
/// in full (an added code as itself, not as a position in a snapshot).
pub(super) fn write_entry(out: &mut Writer, entry: &HistoryEntry) {
    out.uint(entry.revision());
    out.opt(entry.note(), Writer::str);
    write_change(out, &entry.change());
}

fn write_change(out: &mut Writer, change: &Change) {
    match change {
        Change::Add { code } => {
            out.u8(1);
            out.code(code);
        }
        Change::Expire { code, at } | Change::Reactivate { code, at } => {
            out.u8(if matches!(change, Change::Expire { .. }) {
                2
            } else {
                3
            });
            out.uint(code.0);
            out.instant(*at);
        }
        Change::Transfer { code, to, at } => {
            out.u8(4);
            out.uint(code.0);
            out.uint(to.0);
            out.instant(*at);
        }
        Change::SetCredit { code, credit, at } => {
            out.u8(5);
            out.uint(code.0);
            out.tagged(*credit);
            out.instant(*at);
        }
        Change::SetWindow { code, window } => {
            out.u8(6);
            out.uint(code.0);
            out.window(*window);
        }
        Change::SetDeal { code, deal } => {
            out.u8(7);
            out.uint(code.0);
            out.opt(*deal, Writer::uint);
        }
        Change::SetLabel { code, label } => {
            out.u8(8);
            out.uint(code.0);
            out.opt(label.as_deref(), Writer::str);
        }
        Change::Remove { code, now } => {
            out.u8(9);
            out.uint(code.0);
            out.instant(*now);
        }
        Change::SetContract { partner, contract } => {
            out.u8(10);
            out.uint(partner.0);
            out.contract(*contract);
        }
        Change::RemoveContract { partner } => {
            out.u8(11);
            out.uint(partner.0);
        }
        Change::AddExceptionList { list } => {
            out.u8(12);
            out.list(list);
        }
    }
}

/// Reads a registry written in `format`, part after part, into `check`'s kind of restore.
pub(super) fn read_registry(
    r: &mut Reader<'_>,
    format: u32,
    check: ReadMode,
) -> Result<Store, Error> {
    let mut settings = Settings {
        tracking: r.tagged()?,
        click_winner: r.tagged()?,
        lookback: std::time::Duration::from_millis(r.u64()?),
        unmet_policy: r.tagged()?,
        always_owner_clicks: r.tagged()?,
        contracts: r.tagged()?,
        regex_anchoring: r.tagged()?,
        payout: r.payout()?,
        ..Settings::default()
    };
    if format >= 2 {
        settings.lock_after = r.opt(|r| Ok(std::time::Duration::from_millis(r.u64()?)))?;
        settings.clawback = r.tagged()?;
    }
    if format >= 3 {
        // A limit above what this machine can count is no limit.
        settings.max_entered_codes = usize::try_from(r.u64()?).unwrap_or(usize::MAX);
        settings.max_other_matches = usize::try_from(r.u64()?).unwrap_or(usize::MAX);
    }

    let n = r.len(9)?;
    let mut restore = Restore::new(settings, check, n);
    for _ in 0..n {
        let code = r.code()?;
        let removed = r.tag(&[false, true])?;
        let events = (0..r.len(9)?)
            .map(|_| {
                Ok(LifecycleEvent {
                    at: r.instant()?,
                    action: r.tagged()?,
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let term_changes = (0..r.len(10)?)
            .map(|_| {
                let at = r.instant()?;
                let update = match r.u8()? {
                    0 => TermUpdate::Owner(PartnerId(r.uint()?)),
                    1 => {
                        let credit = u8::try_from(r.uint()?).ok().and_then(CreditPolicy::of_tag);
                        TermUpdate::Credit(credit.ok_or_else(|| r.bad("an unknown credit policy"))?)
                    }
                    _ => return Err(r.bad("an unknown change of terms")),
                };
                Ok(TermChange { at, update })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        restore.code(ImageCode {
            code,
            events,
            term_changes,
            removed,
        })?;
    }
    for _ in 0..r.len(4)? {
        restore.contract(PartnerId(r.uint()?), r.contract()?)?;
    }
    for _ in 0..r.len(8)? {
        restore.exception_list(r.list()?)?;
    }
    let revision = r.uint()?;
    let n = r.len(4)?;
    restore.reserve_history(n);
    for _ in 0..n {
        let revision = r.uint()?;
        let note = r.opt(Reader::str)?.map(Arc::from);
        let change = read_change(r)?;
        restore.history(ImageEntry {
            revision,
            change,
            note,
        })?;
    }
    let lineage = if format >= 3 {
        let stretches = (0..r.len(9)?)
            .map(|_| {
                Ok(Stretch {
                    from: r.uint()?,
                    seed: r.u64()?,
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        Some(stretches)
    } else {
        None
    };
    let checkpoint = if format >= 4 {
        r.opt(|r| {
            let revision = r.uint()?;
            Ok(Checkpoint::new(revision, r.array()?))
        })?
    } else {
        None
    };
    restore.finish(revision, lineage, checkpoint)
}

fn read_change(r: &mut Reader<'_>) -> Result<ImageChange, Error> {
    let tag = r.u8()?;
    let change = match tag {
        0 => {
            let position = r.uint()?;
            let position =
                usize::try_from(position).map_err(|_| r.bad("a position out of range"))?;
            return Ok(ImageChange::AddOf(position));
        }
        1 => Change::Add { code: r.code()? },
        2 => Change::Expire {
            code: CodeId(r.uint()?),
            at: r.instant()?,
        },
        3 => Change::Reactivate {
            code: CodeId(r.uint()?),
            at: r.instant()?,
        },
        4 => Change::Transfer {
            code: CodeId(r.uint()?),
            to: PartnerId(r.uint()?),
            at: r.instant()?,
        },
        5 => Change::SetCredit {
            code: CodeId(r.uint()?),
            credit: r.tagged()?,
            at: r.instant()?,
        },
        6 => Change::SetWindow {
            code: CodeId(r.uint()?),
            window: r.window()?,
        },
        7 => Change::SetDeal {
            code: CodeId(r.uint()?),
            deal: r.opt(Reader::uint)?,
        },
        8 => Change::SetLabel {
            code: CodeId(r.uint()?),
            label: r.opt(Reader::str)?,
        },
        9 => Change::Remove {
            code: CodeId(r.uint()?),
            now: r.instant()?,
        },
        10 => Change::SetContract {
            partner: PartnerId(r.uint()?),
            contract: r.contract()?,
        },
        11 => Change::RemoveContract {
            partner: PartnerId(r.uint()?),
        },
        12 => Change::AddExceptionList { list: r.list()? },
        _ => return Err(r.bad("an unknown change")),
    };
    Ok(ImageChange::Change(change))
}
