//! The sizes registration refuses past: code texts, labels and notes, compiled regexes. (The
//! per-order limits are settings: [`Settings::max_entered_codes`](crate::Settings) and
//! `max_other_matches`.)

pub use crate::model::{MAX_CODE_LEN, MAX_LABEL_LEN, MAX_NOTE_LEN, MAX_REGEX_SIZE};
