//! A host that keeps its engine up to date while orders flow.
//!
//! ```text
//! cargo run --release -p live
//! ```
//!
//! Four threads attribute orders against the current engine, stamping every decision with the
//! registry revision that made it. Meanwhile a desk thread approves partners' code requests,
//! hands codes to other partners and moves dates: each change is applied to the registry,
//! appended to an append-only table in SQLite (the host's own store of record), and published
//! as a new engine brought up to date at the cost of that one change. At the end the program
//! restarts the way a host would — the latest binary snapshot from the database, then the
//! changes recorded after it — and checks that it gets the same registry back.

use std::collections::BTreeMap;
use std::error::Error;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::thread;
use std::time::{Duration, Instant};

use promo_attribution::{
    Change, Click, Code, CodeId, Conversion, CreditPolicy, Engine, MatchMode, PartnerId, Registry,
    Timestamp, Window,
};
use rusqlite::{Connection, OptionalExtension, params};

const PARTNERS: u64 = 500;
const CODES_PER_PARTNER: u64 = 40;
const ORDER_THREADS: usize = 4;
/// Each order thread attributes at least this many, and goes on until the desk is done.
const ORDERS_PER_THREAD: usize = 50_000;
/// A bound on each thread's orders, whatever the desk does.
const MAX_ORDERS_PER_THREAD: usize = 2_000_000;
const DESK_CHANGES: usize = 400;

/// The current engine, published to the order threads. A read lock held for the time it takes
/// to clone an `Arc`, and a write lock for the time it takes to replace one: nobody waits on
/// the work of compiling or of attributing, which happens outside the lock. (`arc-swap` would
/// save the read lock's atomic operations; with a handful of threads a std lock is simpler and
/// measures the same here.)
type Published = Arc<RwLock<Engine>>;

fn main() -> Result<(), Box<dyn Error>> {
    let path = std::env::temp_dir().join(format!("promo-live-{}.sqlite", std::process::id()));
    let result = run(&path);
    let _ = std::fs::remove_file(&path);
    result
}

fn run(path: &PathBuf) -> Result<(), Box<dyn Error>> {
    let db = Connection::open(path)?;
    create_tables(&db)?;
    let base = Timestamp::from_unix_seconds(1_773_100_800); // 2026-03-10

    // The program as it stands in the morning: recorded, and snapshotted for fast restarts.
    let mut registry = Registry::default();
    registry.add_all(seed_codes())?;
    append_history(&db, &registry, 0)?;
    save_snapshot(&db, &registry)?;
    let published: Published = Arc::new(RwLock::new(registry.compile()?));

    // Orders, on their threads, until they are done.
    let stop = Arc::new(AtomicBool::new(false));
    let order_threads: Vec<_> = (0..ORDER_THREADS)
        .map(|t| {
            let published = Arc::clone(&published);
            let stop = Arc::clone(&stop);
            thread::spawn(move || attribute_orders(&published, &stop, t as u64, base))
        })
        .collect();

    // The desk, on this thread, while the orders flow.
    let mut rng = Rng(0xDE5C);
    let mut change_us = Vec::new();
    let mut store_us = Vec::new();
    let mut tally: BTreeMap<&str, usize> = BTreeMap::new();
    let mut next_id = PARTNERS * CODES_PER_PARTNER;
    for i in 0..DESK_CHANGES {
        let current = published.read().map_err(|_| "poisoned")?.clone();
        let (kind, change, note) = desk_change(&current, &mut rng, &mut next_id, base, i);
        let Some(change) = change else {
            *tally.entry("requests refused").or_default() += 1;
            continue;
        };
        let start = Instant::now();
        let before = registry.revision();
        if let Err(err) = registry.apply_with_note([change], note) {
            println!("desk: {err}");
            continue;
        }
        let applied = start.elapsed();
        let start = Instant::now();
        append_history(&db, &registry, before)?;
        store_us.push(start.elapsed().as_secs_f64() * 1e6);
        let start = Instant::now();
        let next = registry.refresh(&current)?;
        *published.write().map_err(|_| "poisoned")? = next;
        change_us.push((applied + start.elapsed()).as_secs_f64() * 1e6);
        *tally.entry(kind).or_default() += 1;
        thread::sleep(Duration::from_micros(200));
    }
    stop.store(true, Ordering::Relaxed);
    let mut order_ns = Vec::new();
    let mut by_revision: BTreeMap<u64, usize> = BTreeMap::new();
    for handle in order_threads {
        let (latencies, revisions) = handle.join().map_err(|_| "an order thread panicked")?;
        order_ns.extend(latencies);
        for (revision, n) in revisions {
            *by_revision.entry(revision).or_default() += n;
        }
    }

    println!(
        "orders: {} on {ORDER_THREADS} threads; attribute {}",
        order_ns.len(),
        percentiles(&mut order_ns, "ns")
    );
    println!(
        "decisions stamped with {} revisions, {} to {}",
        by_revision.len(),
        by_revision.keys().next().unwrap_or(&0),
        by_revision.keys().next_back().unwrap_or(&0)
    );
    let kinds: Vec<String> = tally.iter().map(|(k, n)| format!("{n} {k}")).collect();
    println!("desk: {}", kinds.join(", "));
    println!(
        "change to engine (applied, engine brought up to date and published): {}",
        percentiles(&mut change_us, "µs")
    );
    println!(
        "change appended to SQLite (a committed transaction): {}",
        percentiles(&mut store_us, "µs")
    );

    // A restart: the latest snapshot, then the changes recorded after it.
    let start = Instant::now();
    let restarted = restart(&db)?;
    let engine = restarted.compile()?;
    let rows: i64 = db.query_row("SELECT COUNT(*) FROM changes", [], |row| row.get(0))?;
    println!(
        "restart: snapshot and {} changes replayed from SQLite ({rows} rows) in {} ms",
        restarted.revision() - snapshot_revision(&db)?,
        start.elapsed().as_millis()
    );
    if restarted.revision() != registry.revision() || restarted.history() != registry.history() {
        return Err("the restarted registry differs from the live one".into());
    }
    let live = published.read().map_err(|_| "poisoned")?.clone();
    let mut rng = Rng(77);
    for _ in 0..10_000 {
        let (codes, clicks, at) = order(&mut rng, base);
        let order = Conversion::new(at).codes(&codes).clicks(&clicks);
        if engine.attribute(&order) != live.attribute(&order) {
            return Err("the restarted engine decides differently".into());
        }
    }
    println!(
        "restarted: revision {}, the same history, the same decisions on 10,000 orders",
        restarted.revision()
    );
    Ok(())
}

/// The morning's codes: exact codes for every partner, and a regex family for some.
fn seed_codes() -> Vec<Code> {
    let mut codes = Vec::new();
    for partner in 0..PARTNERS {
        for n in 0..CODES_PER_PARTNER {
            let id = CodeId(partner * CODES_PER_PARTNER + n);
            let credit = if n % 3 == 0 {
                CreditPolicy::IfInvolved
            } else {
                CreditPolicy::Always
            };
            codes.push(
                Code::tracking(id, format!("P{partner}-{n}"), PartnerId(partner))
                    .credit(credit)
                    .into(),
            );
        }
    }
    codes
}

/// One of the desk's changes: approve a partner's request for a code (when nothing collides),
/// hand a code to another partner, or move a code's dates.
fn desk_change(
    engine: &Engine,
    rng: &mut Rng,
    next_id: &mut u64,
    base: Timestamp,
    i: usize,
) -> (&'static str, Option<Change>, String) {
    let partner = PartnerId(rng.below(PARTNERS));
    let code = CodeId(rng.below(PARTNERS * CODES_PER_PARTNER));
    let at = base.saturating_add(Duration::from_secs(rng.below(3) * 3_600));
    match i % 3 {
        0 => {
            // Some requests ask for a text that is taken.
            let text = if rng.below(10) == 0 {
                format!("P{}-1", rng.below(PARTNERS))
            } else {
                format!("REQ{i}-{}", partner.0)
            };
            // What a request page asks before creating the code.
            let free = engine
                .check_available(&text, partner, Window::ALWAYS)
                .is_ok_and(|availability| availability.is_available());
            let change = free.then(|| {
                *next_id += 1;
                Change::Add {
                    code: Code::tracking(CodeId(*next_id), text, partner).into(),
                }
            });
            (
                "approvals",
                change,
                format!("desk: request of partner {partner}"),
            )
        }
        1 => (
            "transfers",
            Some(Change::Transfer {
                code,
                to: partner,
                at,
            }),
            format!("desk: ticket {i}, handover to partner {partner}"),
        ),
        _ => (
            "date moves",
            Some(Change::SetWindow {
                code,
                window: Window::starting_at(Timestamp::from_unix_seconds(1_770_000_000)),
            }),
            format!("desk: ticket {i}, campaign start moved"),
        ),
    }
}

/// Attributes orders until it has done its share and the desk is done; returns each decision's
/// latency and how many decisions each revision made.
fn attribute_orders(
    published: &Published,
    stop: &AtomicBool,
    seed: u64,
    base: Timestamp,
) -> (Vec<f64>, BTreeMap<u64, usize>) {
    let mut rng = Rng(0x0D0E + seed);
    let mut latencies = Vec::with_capacity(ORDERS_PER_THREAD);
    let mut revisions: BTreeMap<u64, usize> = BTreeMap::new();
    for n in 0..MAX_ORDERS_PER_THREAD {
        if n >= ORDERS_PER_THREAD && stop.load(Ordering::Relaxed) {
            break;
        }
        let engine = match published.read() {
            Ok(engine) => engine.clone(),
            Err(_) => break,
        };
        let (codes, clicks, at) = order(&mut rng, base);
        let start = Instant::now();
        let decision = engine.attribute(&Conversion::new(at).codes(&codes).clicks(&clicks));
        latencies.push(start.elapsed().as_nanos() as f64);
        // The stamp a host stores beside the decision.
        *revisions.entry(engine.revision()).or_default() += 1;
        std::hint::black_box(decision);
    }
    (latencies, revisions)
}

/// A random order: a code or none, a few clicks, an instant in the day.
fn order(rng: &mut Rng, base: Timestamp) -> (Vec<String>, Vec<Click>, Timestamp) {
    let at = base.saturating_add(Duration::from_secs(rng.below(86_400)));
    let codes = match rng.below(4) {
        0 => vec![],
        1 => vec![format!("nope{}", rng.below(1_000))],
        _ => vec![format!(
            "p{}-{}",
            rng.below(PARTNERS),
            rng.below(CODES_PER_PARTNER)
        )],
    };
    let clicks = (0..rng.below(3))
        .map(|_| {
            let ago = Duration::from_secs(rng.below(7 * 86_400));
            Click::new(PartnerId(rng.below(PARTNERS)), at.saturating_sub(ago))
        })
        .collect();
    (codes, clicks, at)
}

fn create_tables(db: &Connection) -> rusqlite::Result<()> {
    db.execute_batch(
        "CREATE TABLE changes (
             revision INTEGER NOT NULL,
             seq      INTEGER NOT NULL,
             kind     TEXT NOT NULL,
             code     INTEGER,
             partner  INTEGER,
             text     TEXT,
             regex    INTEGER,
             credit   TEXT,
             at_ms    INTEGER,
             from_ms  INTEGER,
             until_ms INTEGER,
             note     TEXT,
             PRIMARY KEY (revision, seq)
         );
         CREATE TABLE snapshots (revision INTEGER PRIMARY KEY, bytes BLOB NOT NULL);",
    )
}

/// Appends the changes made after `since` to the table, in one transaction.
fn append_history(db: &Connection, registry: &Registry, since: u64) -> Result<(), Box<dyn Error>> {
    let tx = db.unchecked_transaction()?;
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO changes (revision, seq, kind, code, partner, text, regex, credit, at_ms,
                                  from_ms, until_ms, note)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )?;
        for (seq, entry) in registry.history_since(since).iter().enumerate() {
            let row = Row::of(&entry.change())?;
            insert.execute(params![
                entry.revision() as i64,
                seq as i64,
                row.kind,
                row.code,
                row.partner,
                row.text,
                row.regex,
                row.credit,
                row.at_ms,
                row.from_ms,
                row.until_ms,
                entry.note(),
            ])?;
        }
    }
    tx.commit()?;
    Ok(())
}

fn save_snapshot(db: &Connection, registry: &Registry) -> rusqlite::Result<()> {
    db.execute(
        "INSERT INTO snapshots (revision, bytes) VALUES (?1, ?2)",
        params![registry.revision() as i64, registry.to_bytes()],
    )?;
    Ok(())
}

fn snapshot_revision(db: &Connection) -> rusqlite::Result<u64> {
    db.query_row("SELECT MAX(revision) FROM snapshots", [], |row| {
        row.get::<_, i64>(0)
    })
    .map(|r| r as u64)
}

/// The latest snapshot, then every change recorded after it, one revision at a time with the
/// note it was made with.
fn restart(db: &Connection) -> Result<Registry, Box<dyn Error>> {
    let snapshot: Option<(i64, Vec<u8>)> = db
        .query_row(
            "SELECT revision, bytes FROM snapshots ORDER BY revision DESC LIMIT 1",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    let (since, mut registry) = match snapshot {
        Some((revision, bytes)) => (revision, Registry::from_bytes(&bytes)?),
        None => (0, Registry::default()),
    };
    let mut select = db.prepare(
        "SELECT revision, kind, code, partner, text, regex, credit, at_ms, from_ms, until_ms, note
         FROM changes WHERE revision > ?1 ORDER BY revision, seq",
    )?;
    let mut rows = select.query([since])?;
    let mut batch: Vec<Change> = Vec::new();
    let mut batch_revision = None;
    let mut batch_note: Option<String> = None;
    while let Some(row) = rows.next()? {
        let revision: i64 = row.get(0)?;
        if batch_revision.is_some_and(|r| r != revision) {
            apply(&mut registry, std::mem::take(&mut batch), batch_note.take())?;
        }
        batch_revision = Some(revision);
        batch_note = row.get(10)?;
        batch.push(
            Row {
                kind: row.get(1)?,
                code: row.get(2)?,
                partner: row.get(3)?,
                text: row.get(4)?,
                regex: row.get(5)?,
                credit: row.get(6)?,
                at_ms: row.get(7)?,
                from_ms: row.get(8)?,
                until_ms: row.get(9)?,
            }
            .change()?,
        );
    }
    if !batch.is_empty() {
        apply(&mut registry, batch, batch_note)?;
    }
    Ok(registry)
}

fn apply(
    registry: &mut Registry,
    changes: Vec<Change>,
    note: Option<String>,
) -> Result<(), Box<dyn Error>> {
    match note {
        Some(note) => registry.apply_with_note(changes, note)?,
        None => registry.apply(changes)?,
    };
    Ok(())
}

/// A change as the table's columns hold it. This host's desk makes a few kinds of change; a
/// host that makes others adds their columns the same way.
struct Row {
    kind: String,
    code: Option<i64>,
    partner: Option<i64>,
    text: Option<String>,
    regex: Option<bool>,
    credit: Option<String>,
    at_ms: Option<i64>,
    from_ms: Option<i64>,
    until_ms: Option<i64>,
}

impl Row {
    fn of(change: &Change) -> Result<Row, Box<dyn Error>> {
        let mut row = Row {
            kind: String::new(),
            code: change.code_id().map(|id| id.0 as i64),
            partner: None,
            text: None,
            regex: None,
            credit: None,
            at_ms: None,
            from_ms: None,
            until_ms: None,
        };
        let ms = |t: Option<Timestamp>| t.map(Timestamp::as_unix_millis);
        match change {
            Change::Add {
                code: Code::Tracking(code),
            } => {
                row.kind = "add".into();
                row.partner = Some(code.owner.0 as i64);
                row.text = Some(code.text.clone());
                row.regex = Some(code.match_mode == MatchMode::Regex);
                row.credit = Some(code.credit.as_str().into());
                row.from_ms = ms(code.window.from);
                row.until_ms = ms(code.window.until);
            }
            Change::Transfer { to, at, .. } => {
                row.kind = "transfer".into();
                row.partner = Some(to.0 as i64);
                row.at_ms = Some(at.as_unix_millis());
            }
            Change::SetWindow { window, .. } => {
                row.kind = "set_window".into();
                row.from_ms = ms(window.from);
                row.until_ms = ms(window.until);
            }
            other => return Err(format!("this host's table does not hold {other:?}").into()),
        }
        Ok(row)
    }

    fn change(self) -> Result<Change, Box<dyn Error>> {
        let code = CodeId(self.code.ok_or("a change without its code")? as u64);
        let at = |ms: Option<i64>| ms.map(Timestamp::from_unix_millis);
        let window = Window {
            from: at(self.from_ms),
            until: at(self.until_ms),
        };
        Ok(match self.kind.as_str() {
            "add" => {
                let owner = PartnerId(self.partner.ok_or("an add without its owner")? as u64);
                let credit = match self.credit.as_deref() {
                    None => CreditPolicy::default(),
                    Some(name) => name.parse::<CreditPolicy>()?,
                };
                let text = self.text.ok_or("an add without its text")?;
                let mut tracking = Code::tracking(code, text, owner)
                    .credit(credit)
                    .window(window);
                if self.regex == Some(true) {
                    tracking = tracking.regex();
                }
                Change::Add {
                    code: tracking.into(),
                }
            }
            "transfer" => Change::Transfer {
                code,
                to: PartnerId(self.partner.ok_or("a transfer without its partner")? as u64),
                at: at(self.at_ms).ok_or("a transfer without its instant")?,
            },
            "set_window" => Change::SetWindow { code, window },
            other => return Err(format!("unknown change {other:?} in the table").into()),
        })
    }
}

/// `p50 …, p99 …, max …` of the samples.
fn percentiles(samples: &mut [f64], unit: &str) -> String {
    if samples.is_empty() {
        return "no samples".into();
    }
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize];
    format!(
        "p50 {:.1} {unit}, p99 {:.1} {unit}, max {:.1} {unit}",
        at(0.5),
        at(0.99),
        at(1.0)
    )
}

/// A small deterministic generator: the example needs no randomness crate.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}
