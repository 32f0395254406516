//! The compact binary snapshot: everything a registry holds, in a form that reads back fast
//! enough to restart a program of a million codes in about a second.
//!
//! Layout: the magic `PROMOREG`, the format version (u32), the body's length (u64), the body,
//! and a 64-bit checksum of all that precedes it. Integers are little-endian; texts are a u32
//! length and UTF-8 bytes; an absent value is a 0 byte, a present one a 1 byte and the value.
//! The checksum catches a file cut short or altered by accident (it is not a signature): a
//! snapshot that fails it, or any check of form, is an error, never a different registry.

use super::codec::{read_registry, write_image};
use super::image::ReadMode;
use super::store::Store;
use super::wire::{Reader, Writer};
use crate::model::Error;

const MAGIC: &[u8; 8] = b"PROMOREG";
/// The layout this version writes. Format 2 added the settings of SPEC §10 (the lock and
/// clawback) after the program's payout, format 3 the per-order limits of SPEC §12 after them
/// and the registry's lineage after the history; the formats before, without them, still
/// read, with their defaults (and a lineage of their own).
const FORMAT: u32 = 4;
/// The oldest layout this version reads.
const OLDEST_FORMAT: u32 = 1;
const HEADER: usize = 8 + 4 + 8;

/// The registry as a snapshot. See [`Registry::to_bytes`](crate::Registry::to_bytes).
pub(super) fn write(store: &Store) -> Vec<u8> {
    let image = store.to_image();
    let mut out = Writer::with_capacity(64 + image.codes.len() * 48);
    out.bytes(MAGIC);
    out.u32(FORMAT);
    out.u64(0); // the body's length, written below
    write_image(&mut out, &image);
    let mut bytes = out.into_bytes();
    let body = (bytes.len() - HEADER) as u64;
    bytes[12..HEADER].copy_from_slice(&body.to_le_bytes());
    let sum = checksum(&bytes);
    bytes.extend_from_slice(&sum.to_le_bytes());
    bytes
}

/// A 64-bit checksum of `bytes`, eight at a time: catches truncation and accidental damage.
fn checksum(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h = 0x005E_ED0F_5A4D_0001 ^ bytes.len() as u64;
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        h = (h ^ u64::from_le_bytes(w)).wrapping_mul(K).rotate_left(29);
    }
    for &byte in words.remainder() {
        h = (h ^ u64::from(byte)).wrapping_mul(K).rotate_left(29);
    }
    h ^= h >> 32;
    h = h.wrapping_mul(K);
    h ^ (h >> 29)
}

/// The registry in a snapshot, once its header, length and checksum hold, read as `check`
/// says. See [`Registry::from_bytes`](crate::Registry::from_bytes).
pub(super) fn read(bytes: &[u8], check: ReadMode) -> Result<Store, Error> {
    if bytes.len() < HEADER + 8 || &bytes[..8] != MAGIC {
        return Err(Error::snapshot(
            "not a registry snapshot (no PROMOREG header)",
        ));
    }
    let mut header = Reader::new(bytes, 8);
    let format = header.u32()?;
    if !(OLDEST_FORMAT..=FORMAT).contains(&format) {
        return Err(Error::snapshot(format!(
            "snapshot format {format} is not one this version reads (it reads formats \
             {OLDEST_FORMAT} to {FORMAT})"
        )));
    }
    let body = header.u64()?;
    let end = usize::try_from(body)
        .ok()
        .and_then(|body| body.checked_add(HEADER))
        .filter(|&end| end.checked_add(8) == Some(bytes.len()))
        .ok_or_else(|| {
            Error::snapshot(format!(
                "the snapshot is {} bytes, its header says {}: cut short or altered",
                bytes.len(),
                body.saturating_add((HEADER + 8) as u64)
            ))
        })?;
    let mut sum = [0u8; 8];
    sum.copy_from_slice(&bytes[end..]);
    if checksum(&bytes[..end]) != u64::from_le_bytes(sum) {
        return Err(Error::snapshot(
            "the checksum does not match: the snapshot was altered",
        ));
    }
    let mut reader = Reader::new(&bytes[..end], HEADER).for_format(format);
    let store = read_registry(&mut reader, format, check)?;
    if reader.position() != end {
        let left = end - reader.position();
        return Err(Error::snapshot(format!("{left} bytes left over")));
    }
    Ok(store)
}
