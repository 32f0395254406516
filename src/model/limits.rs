//! The bounds every code obeys, in one place: the registry validates against them, the matcher
//! sizes its buffers by them, and entered codes beyond them are rejected unread. The texts a
//! registry keeps for people (labels, list names, history notes) are bounded too: each is
//! kept in every snapshot for good.

/// The longest code, registered or entered, in bytes after trimming: 256.
pub const MAX_CODE_LEN: usize = 256;

/// The largest compiled form (Thompson NFA, in bytes) a single regex code may have: 256 KiB.
///
/// Real code families (`^SUMMER\d{2}$`, `^P-[A-Z0-9]{6}$`) take a few hundred bytes to a few
/// KiB; the limit only stops patterns like `\w{500}` that would make every lookup slow.
pub const MAX_REGEX_SIZE: usize = 256 * 1024;

/// The longest label of a code, and the longest name of an exception list, in bytes: 1 KiB.
/// A label is a display name; a megabyte of it would only weigh on every snapshot.
pub const MAX_LABEL_LEN: usize = 1024;

/// The longest note a host may keep with a change in the history
/// ([`Registry::apply_with_note`](crate::Registry::apply_with_note)), in bytes: 4 KiB.
pub const MAX_NOTE_LEN: usize = 4 * 1024;
