//! The vocabulary: what hosts hand in and get back. Nothing here imports from the rest of the
//! crate; everything else builds on it.

mod action;
mod batch_error;
mod cell;
mod change;
mod checkpoint;
pub(crate) mod closed;
mod code;
mod conflict;
mod decision;
mod error;
mod excerpt;
mod ids;
mod limits;
mod memory;
mod order;
mod order_change;
mod payout;
mod reason;
mod refresh_plan;
#[cfg(feature = "serde")]
mod serde_millis;
mod settings;
mod sighting;
mod template;
mod time;

pub use action::{
    Action, ActionState, Applied, ChangeResult, Judgement, PayoutRule, Rejection, Reversal, Settled,
};
pub use batch_error::BulkError;
pub use change::{Change, Terms};
pub use checkpoint::Checkpoint;
pub use code::{
    Code, CreditPolicy, Lifecycle, LifecycleEvent, MatchMode, RestrictedCode, TrackingCode,
};
pub use conflict::{Availability, Collision, Conflict};
pub use decision::{
    Attribution, CodeHit, CodeState, Decision, InvalidReason, NotChosen, OtherMatch, Outcome, Via,
};
pub use error::{Error, ErrorKind};
pub use ids::{CodeId, PartnerId, ProgramId};
pub use limits::{MAX_CODE_LEN, MAX_LABEL_LEN, MAX_NOTE_LEN, MAX_REGEX_SIZE};
pub use memory::MemoryUsage;
pub use order::{Click, Conversion, EnteredCodes, EnteredCodesIter};
pub use order_change::{CancelReason, OrderChange, OrderChangeKind};
pub use payout::{Contract, ExceptionList, Payout, PayoutSource};
pub use refresh_plan::RefreshPlan;
pub use settings::{
    AlwaysOwnerClicks, Clawback, ClickWinner, CodeTracking, Contracts, RegexAnchoring, Settings,
    UnmetPolicy,
};
pub use sighting::{Sighting, SightingCheck, Violation};
pub use template::{DEFAULT_ALPHABET, GenerateRequest, Generated, MAX_RANDOM_RUN, Template};
pub(crate) use template::{VANITY_SUFFIX, VANITY_TRIES};
pub use time::{Timestamp, Window};

pub(crate) use action::{delta, payout_on};
pub(crate) use cell::neutralise;
pub(crate) use decision::lock_at;
// Read back by bulk uploads only.
#[cfg(feature = "csv")]
pub(crate) use cell::{reguard, restore};
pub(crate) use code::{check_len, check_text};
pub(crate) use error::Reason;
// For the bulk reader and the serde of thresholds.
#[cfg_attr(not(any(feature = "csv", feature = "serde")), allow(unused_imports))]
pub(crate) use excerpt::{EXCERPT_CHARS, Excerpt};
