/*!
Attribution of e-commerce orders to partners through tracking promo codes.

Brands pay partners — influencers, coupon sites, content sites — for the sales they drive. A
*tracking promo code* ties a sale to a partner even without a click: each code (an exact text, or
a regex for a whole family of codes) is assigned to exactly one partner with a credit policy, a
schedule, and a manual expire/reactivate history. Restricted codes make an order non-payable;
partner contracts bound when a partner may be paid. Given an order — its instant, the codes typed
at checkout, the partner clicks on its path — [`Engine::attribute`] decides who gets the credit,
or why the sale is invalid, and says why.

The behaviour follows *the reference*: the tracking promo codes of impact.com's partner
platform, as its brand help pages describe them (creating a code, regex codes, bulk upload,
expire and reactivate, exception lists, monitoring, the performance-by-promo-code and
action-listing reports). Where those pages are silent, these docs say what the crate chose.

The crate does no I/O and never reads a clock: the host loads definitions from its own storage,
passes every instant in, and stores what comes back. The same inputs always give the same
decision, so late orders and replays of last month are judged as they would have been on the day.

# Overview

- [`Registry`] — the mutable, validating set of one program's codes ([`Code::tracking`],
  [`Code::restricted`]), partner contracts and lifecycle events, under [`Settings`].
- [`Engine`] — compiled from a registry: immutable, `Send + Sync`, cheap to clone. Exact codes
  sit in an open-addressing hash index keyed by their case-folded text; regex codes are found
  through an index of their literal prefixes (and, where more than eight share one prefix or
  have none, of their literal suffixes) and each checked by a small automaton of its own, at
  most once per entered code, so the cost of a lookup grows with the code's length and with
  the number of patterns it could match, not with the number of codes. Patterns with neither a
  literal prefix nor a literal suffix (`^[A-Z]+\d+$`) are the exception: behind one DFA filter
  while it fits, checked one by one past it. [`Engine::memory_usage`]
  says what it holds; `BENCHMARKS.md` what it costs at 1,000,000 codes.
- [`Conversion`] in (its codes as [`EnteredCodes`]: `&str`s or `String`s, borrowed), [`Decision`]
  out: an [`Outcome`] plus, for every entered code, what it hit ([`CodeHit`](crate::decision::CodeHit)), and the codes
  that matched but lost ([`OtherMatch`](crate::decision::OtherMatch)).
- Payouts: the program's default [`Payout`] in [`Settings::payout`], a partner's own rate in
  its [`Contract`], and [`ExceptionList`]s of codes that pay differently (`$0` included). A
  credited [`Decision`] carries its [`payout`](Decision::payout) and the rule that set it
  ([`PayoutSource`]); money is integer minor units, never floating point.
- Reports: [`PerformanceReport`](crate::reports::PerformanceReport) (performance by promo code and by partner, [`Stats`](crate::reports::Stats)) and
  [`LeakMonitor`](crate::reports::LeakMonitor) (leak indicators, [`LeakAlert`](crate::reports::LeakAlert) under [`LeakThresholds`](crate::reports::LeakThresholds)) are fed one
  conversion at a time and **merge** associatively and commutatively, so a host can keep them
  per shard, thread or day and combine them; [`ActionRow`](crate::reports::ActionRow) is one flat row per conversion.
- Monitoring: [`Engine::check_sighting`] says whether a code seen promoted somewhere is a
  [`Violation`](crate::monitoring::Violation); [`PageScanner`](crate::monitoring::PageScanner) finds every registered code in a page of text.
- Code requests and conflicts: [`Engine::check_available`] says whether a partner may be given
  a new code and what it would collide with ([`Collision`](crate::conflicts::Collision)); [`Engine::conflicts`] lists the
  overlaps among registered codes a brand should know about ([`Conflict`](crate::conflicts::Conflict)), each with an
  example text, deciding regex overlaps exactly on their automata.
- Bulk files (feature `csv`): [`Upload::review`](crate::bulk::Upload::review) parses and validates a whole CSV file against
  the registries of its programs ([`ProgramId`]) and reports every problem with its line and
  column; [`Upload::apply`](crate::bulk::Upload::apply) adds every row or none; [`export_csv`](crate::bulk::export_csv) writes the same layout back.
- [`Error`] with [`ErrorKind`] from registration and compilation only; `attribute` never fails.

# Examples

Register codes, compile, attribute:

```
use promo_attribution::{Click, Code, CodeId, Conversion, CreditPolicy, Outcome, PartnerId,
    Registry, Settings, Timestamp, Via};

let mut registry = Registry::new(Settings::default());
registry.add(Code::tracking(CodeId(10), "SAVE10", PartnerId(1)).credit(CreditPolicy::Always))?;
registry.add(Code::tracking(CodeId(20), r"^(SUMMER).*", PartnerId(3)).regex())?;
let engine = registry.compile()?;

let at: Timestamp = "2026-03-10T12:00:00Z".parse()?;
let clicks = [Click::new(PartnerId(2), "2026-03-09T08:00:00Z".parse()?)];
let decision = engine.attribute(&Conversion::new(at).codes(&["save10"]).clicks(&clicks));
// An `always` code moves the credit away from the partner with the last click.
assert_eq!(
    decision.outcome(),
    Outcome::Credited { partner: PartnerId(1), via: Via::Code(CodeId(10)) },
);

let decision = engine.attribute(&Conversion::new(at).codes(&["SUMMER2026"]));
assert_eq!(decision.to_string(), "credited partner 3 via code 20");
# Ok::<(), promo_attribution::Error>(())
```

Restricted codes, contracts and lifecycle events:

```
use promo_attribution::{Code, CodeId, Conversion, InvalidReason, Outcome, PartnerId, Registry, Timestamp, Window};
use promo_attribution::decision::{CodeHit, CodeState};

let t = |s: &str| s.parse::<Timestamp>();
let mut registry = Registry::default();
registry.add(Code::tracking(CodeId(10), "SAVE10", PartnerId(1)))?;
registry.add(Code::tracking(CodeId(11), "BOB15", PartnerId(2)))?;
registry.add(Code::restricted(CodeId(30), "STAFF50").until(t("2027-01-01T00:00:00Z")?))?;
registry.set_contract(PartnerId(2), Window::until(t("2026-03-01T00:00:00Z")?))?;
registry.expire(CodeId(10), t("2026-03-05T00:00:00Z")?)?;
let engine = registry.compile()?;

let at = t("2026-03-10T12:00:00Z")?;
let decision = engine.attribute(&Conversion::new(at).codes(&["SAVE10"]));
assert_eq!(decision.outcome(), Outcome::Unattributed);
assert_eq!(decision.entered(), &[CodeHit::Inactive { code: CodeId(10), state: CodeState::Expired }]);

let decision = engine.attribute(&Conversion::new(at).codes(&["BOB15"]));
assert_eq!(
    decision.outcome(),
    Outcome::Invalid { partner: PartnerId(2), reason: InvalidReason::PartnerNotActive },
);

// An order placed before the expiry is still judged by the state on its own day.
let earlier = t("2026-03-01T12:00:00Z")?;
let decision = engine.attribute(&Conversion::new(earlier).codes(&["SAVE10", "staff50"]));
assert_eq!(
    decision.outcome(),
    Outcome::Invalid { partner: PartnerId(1), reason: InvalidReason::RestrictedCode },
);
# Ok::<(), promo_attribution::Error>(())
```

Registration errors name what they reject; a batch is all or nothing:

```
use promo_attribution::{Code, CodeId, ErrorKind, PartnerId, Registry};

let mut registry = Registry::default();
let err = registry.add(Code::tracking(CodeId(20), ".*", PartnerId(1)).regex()).unwrap_err();
assert_eq!(err.kind(), ErrorKind::MatchesEmpty);
assert_eq!(err.to_string(), r#"code 20 ".*": regex matches the empty string, so it would match every code"#);
```

Codes held as `String`s go in as they are, and a decision reads as a sentence:

```
use promo_attribution::{Code, CodeId, Conversion, PartnerId, Registry, Timestamp};

let mut registry = Registry::default();
registry.add(Code::tracking(CodeId(10), "SAVE10", PartnerId(1)))?;
let engine = registry.compile()?;

let typed: Vec<String> = vec![" save10 ".to_owned()];
let order = Conversion::new(Timestamp::from_unix_seconds(1_773_144_000)).codes(&typed);
assert_eq!(engine.attribute(&order).to_string(), "credited partner 1 via code 10");
# Ok::<(), promo_attribution::Error>(())
```

# Matching and precedence

- Entered codes are trimmed of surrounding white space. Empty or longer than [`MAX_CODE_LEN`](crate::limits::MAX_CODE_LEN)
  bytes, they match nothing and say so ([`CodeHit::Empty`](crate::decision::CodeHit::Empty), [`CodeHit::TooLong`](crate::decision::CodeHit::TooLong)). Past the
  program's [`Settings::max_entered_codes`] (32 by default), they are not judged at all
  ([`CodeHit::NotJudged`](crate::decision::CodeHit::NotJudged)).
- Exact codes compare case-insensitively by Unicode *simple* case folding: `save10` is
  `SAVE10`, `STRAẞE` is `straße` (but not `strasse`). Regex codes are case-sensitive unless
  the pattern says `(?i)`.
- A regex must match the whole entered code ([`RegexAnchoring::WholeCode`](crate::settings::RegexAnchoring::WholeCode), as if wrapped in
  `^(?:…)$`), or anywhere in it with [`RegexAnchoring::Search`](crate::settings::RegexAnchoring::Search).
- A code is active at `t` when `starts_at <= t < ends_at` and no manual expiry is in force at
  `t`. Codes not active at the order's instant never credit; the diagnostics still name them.
- When several active codes match one entered text: an exact code beats any regex code; among
  regex codes the higher `priority` wins, then the one registered earlier.
- Among entered codes whose policy is met, the strongest policy wins
  (`Always` > `IfInvolved` > `IfWinner`), then the first entered.

The whole decision procedure is spelled out on [`Engine::attribute`].

# Untrusted input

Orders come from customers, so `attribute` treats everything in them as hostile: entered codes
longer than [`MAX_CODE_LEN`](crate::limits::MAX_CODE_LEN) bytes are rejected after trimming without being scanned further;
regex matching runs in time linear in the text (no backtracking blow-up: look-around and
back-references are not supported); every regex code is bounded at registration to
[`MAX_REGEX_SIZE`](crate::limits::MAX_REGEX_SIZE) bytes compiled. The cost of an order is linear in its size: the number of
entered codes, their lengths, and the number of clicks.

# Debug builds of your own program

Registering and compiling regex codes builds automata with `regex-automata`, which is slow
without optimisation: this crate's own tests set `opt-level = 3` for it, but a dependency's
profile settings do not reach your build. In a debug build of your program,
[`Engine::conflicts`] measured 4× slower and compiling thousands of regex codes takes seconds.
Add to your `Cargo.toml`:

```toml
[profile.dev.package.regex-automata]
opt-level = 3

[profile.dev.package.regex-syntax]
opt-level = 3
```

# Crate features

- `csv` (on by default): [`Upload`](crate::bulk::Upload) reviews and applies files in the reference's bulk-upload
  layout, and [`export_csv`](crate::bulk::export_csv) writes registries back in it. Brings in the `csv` crate and `jiff`'s
  own copy of the IANA time-zone database (no file is read at run time).
- `serde` (off by default): `Serialize` and `Deserialize` for definitions, orders, decisions and
  reports, in a stable snake_case shape.
*/

// `deny`, not `forbid`: the prefetch hint in `prefetch` is the one audited exception, and
// CI checks that no other file holds `unsafe`.
#![deny(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod actions;
#[cfg(feature = "csv")]
pub mod bulk;
mod catalog;
mod changes;
pub mod conflicts;
pub mod decision;
mod definitions;
mod engine;
pub mod generate;
pub mod history;
mod leaks;
pub mod limits;
mod matching;
mod model;
mod monitor;
pub mod monitoring;
#[cfg(feature = "serde")]
mod persist;
mod prefetch;
mod registry;
mod report;
pub mod reports;
pub mod settings;

pub use crate::catalog::Catalog;
pub use crate::engine::Engine;
pub use crate::model::{
    Attribution, BulkError, Change, Click, Code, CodeId, Contract, Conversion, CreditPolicy,
    Decision, EnteredCodes, Error, ErrorKind, ExceptionList, InvalidReason, Lifecycle,
    LifecycleEvent, MatchMode, MemoryUsage, Outcome, PartnerId, Payout, PayoutSource, ProgramId,
    RestrictedCode, Settings, Terms, Timestamp, TrackingCode, Via, Window,
};
#[cfg(feature = "serde")]
pub use crate::persist::ConversionRecord;
pub use crate::registry::Registry;

// The README's example is compiled and run as a doctest, so it cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
