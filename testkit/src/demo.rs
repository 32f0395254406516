//! A realistic demo program shared by the `report` and `monitor` examples: a brand with an
//! influencer, coupon sites, a blog and a podcast, their codes and contracts, and a seeded
//! generator of a day of orders.

use promo_attribution::{
    Click, Code, CodeId, Contract, CreditPolicy, ExceptionList, PartnerId, Payout, Registry,
    Settings, Timestamp, Window,
};

use crate::workload::Rng;

/// A day, in milliseconds.
pub const DAY_MS: i64 = 86_400_000;

/// 2026-03-09T00:00:00Z, a Monday.
pub const MONDAY: Timestamp = Timestamp::from_unix_millis(1_773_014_400_000);

/// Partner names, by id, for printing.
pub fn partner_name(id: PartnerId) -> &'static str {
    match id.0 {
        1 => "jane (influencer)",
        2 => "couponhub",
        3 => "techblog",
        4 => "mike (influencer)",
        5 => "podcast",
        6 => "dealfinder",
        7 => "cashback.example",
        _ => "other",
    }
}

/// The demo program: 8 % of the order by default, 12 % for jane, $0 on site-wide codes.
pub fn registry() -> Registry {
    let mut settings = Settings::default();
    settings.payout = Payout::PercentBps(800);
    let mut registry = Registry::new(settings);
    let tracking = |id, text: &str, owner, credit| {
        Code::tracking(CodeId(id), text, PartnerId(owner))
            .credit(credit)
            .into()
    };
    let codes: Vec<Code> = vec![
        tracking(10, "JANE15", 1, CreditPolicy::Always),
        tracking(11, "SAVE10", 2, CreditPolicy::IfWinner),
        tracking(12, "SPRING20", 2, CreditPolicy::IfInvolved),
        Code::tracking(CodeId(13), r"^TECHBLOG\d{2}$", PartnerId(3))
            .regex()
            .credit(CreditPolicy::IfInvolved)
            .into(),
        tracking(14, "MIKE20", 4, CreditPolicy::Always),
        Code::tracking(CodeId(15), r"^POD-[A-Z]{3}\d{2}$", PartnerId(5))
            .regex()
            .into(),
        Code::tracking(CodeId(16), "WINTER25", PartnerId(6))
            .ends_at(MONDAY)
            .into(),
        Code::restricted(CodeId(30), "STAFF50").into(),
    ];
    registry.add_all(codes).expect("the demo codes are valid");
    registry
        .set_contract(
            PartnerId(1),
            Contract::new(Window::ALWAYS).payout(Payout::PercentBps(1_200)),
        )
        .expect("valid contract");
    // Mike's contract ends on Tuesday: his sales from then on are not payable.
    registry
        .set_contract(PartnerId(4), Window::until(MONDAY.plus_days(1)))
        .expect("valid contract");
    registry
        .add_exception_list(
            ExceptionList::new("site-wide codes", Payout::Fixed(0)).codes(["WELCOME", "FREESHIP"]),
        )
        .expect("valid list");
    registry
}

/// Whole days after an instant (or before it, when negative).
pub trait PlusDays {
    /// This instant `days` days later.
    fn plus_days(self, days: i64) -> Timestamp;
}

impl PlusDays for Timestamp {
    fn plus_days(self, days: i64) -> Timestamp {
        Timestamp::from_unix_millis(self.as_unix_millis() + days * DAY_MS)
    }
}

/// One generated order, owning its inputs.
pub struct Order {
    /// The order's id, as a host would print it.
    pub id: String,
    /// When it was placed.
    pub at: Timestamp,
    /// The codes typed at checkout.
    pub codes: Vec<String>,
    /// The partner clicks on its path.
    pub clicks: Vec<Click>,
    /// Its amount, in minor units.
    pub amount: u64,
}

/// Entered codes, how often customers type them (parts per 100 of orders with a code), and the
/// partner whose audience they come from.
const POPULARITY: &[(&str, usize, Option<u64>)] = &[
    ("JANE15", 28, Some(1)),
    ("SAVE10", 22, Some(2)),
    ("WELCOME", 14, None),
    ("SPRING20", 8, Some(2)),
    ("TECHBLOG", 8, Some(3)), // completed with two digits
    ("MIKE20", 6, Some(4)),
    ("POD", 5, Some(5)), // completed as POD-XXX99
    ("WINTER25", 3, Some(6)),
    ("STAFF50", 2, None),
    ("GUESS", 4, None), // a random guess
];

/// How often a customer typing a partner's code also clicked that partner's link, in percent.
const OWNER_CLICK_PERCENT: usize = 75;

/// The orders of one day. A `leak` puts that code on a share of the day's orders, typed without
/// any click by its owner, as when a code escapes to a coupon site.
pub fn day(start: Timestamp, orders: usize, seed: u64, leak: Option<(&str, usize)>) -> Vec<Order> {
    let mut rng = Rng(seed | 1);
    let total_weight: usize = POPULARITY.iter().map(|(_, w, _)| w).sum();
    (0..orders)
        .map(|n| {
            let at = Timestamp::from_unix_millis(
                start.as_unix_millis() + (rng.below(86_400) as i64) * 1_000,
            );
            let mut clicks: Vec<Click> = (0..rng.below(4))
                .map(|_| {
                    let partner = PartnerId(1 + rng.below(7) as u64);
                    let ago = (rng.below(20 * 86_400) as i64) * 1_000;
                    Click::new(
                        partner,
                        Timestamp::from_unix_millis(at.as_unix_millis() - ago),
                    )
                })
                .collect();
            let mut codes = Vec::new();
            if let Some((code, percent)) = leak {
                if rng.below(100) < percent {
                    codes.push(code.to_owned());
                }
            }
            if codes.is_empty() && rng.below(100) < 55 {
                let mut pick = rng.below(total_weight);
                let (code, _, owner) = POPULARITY
                    .iter()
                    .find(|(_, w, _)| {
                        let hit = pick < *w;
                        pick = pick.saturating_sub(*w);
                        hit
                    })
                    .copied()
                    .unwrap_or(POPULARITY[0]);
                let text = match code {
                    "TECHBLOG" => format!("TECHBLOG{:02}", rng.below(100)),
                    "POD" => format!("POD-ABC{:02}", rng.below(100)),
                    "GUESS" => format!("SAVE{}", 11 + rng.below(80)),
                    other => other.to_owned(),
                };
                if let Some(owner) = owner {
                    if rng.below(100) < OWNER_CLICK_PERCENT {
                        let ago = (rng.below(3 * 86_400) as i64) * 1_000;
                        clicks.push(Click::new(
                            PartnerId(owner),
                            Timestamp::from_unix_millis(at.as_unix_millis() - ago),
                        ));
                    }
                }
                // One customer in five types in lower case.
                codes.push(if rng.below(5) == 0 {
                    text.to_lowercase()
                } else {
                    text
                });
            }
            Order {
                id: format!("{}-{n:05}", start.as_unix_millis() / DAY_MS),
                at,
                codes,
                clicks,
                amount: 1_500 + rng.below(23_500) as u64,
            }
        })
        .collect()
}
