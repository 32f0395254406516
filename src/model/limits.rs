//! The bounds every code obeys, in one place: the registry validates against them, the matcher
//! sizes its buffers by them, and entered codes beyond them are rejected unread.

/// The longest code, registered or entered, in bytes after trimming: 256.
pub const MAX_CODE_LEN: usize = 256;

/// The largest compiled form (Thompson NFA, in bytes) a single regex code may have: 256 KiB.
///
/// Real code families (`^SUMMER\d{2}$`, `^P-[A-Z0-9]{6}$`) take a few hundred bytes to a few
/// KiB; the limit only stops patterns like `\w{500}` that would make every lookup slow.
pub const MAX_REGEX_SIZE: usize = 256 * 1024;
