//! A brand's program with a handful of realistic codes, and a few orders attributed.
//!
//! ```text
//! cargo run --example quickstart
//! ```

use promo_attribution::{
    Click, Code, CodeId, Conversion, CreditPolicy, Decision, PartnerId, Registry, Settings,
    Timestamp, Window,
};

const INFLUENCER: PartnerId = PartnerId(1);
const COUPON_SITE: PartnerId = PartnerId(2);
const CONTENT_SITE: PartnerId = PartnerId(3);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let t = |s: &str| s.parse::<Timestamp>();

    let mut registry = Registry::new(Settings::default());
    registry.add_all([
        // The influencer's own code credits her whatever the clicks say.
        Code::tracking(CodeId(10), "EMMA15", INFLUENCER)
            .credit(CreditPolicy::Always)
            .label("Emma's 15% code"),
        // A coupon site's code only pays when the site also sent the customer.
        Code::tracking(CodeId(11), "DEALS20", COUPON_SITE).credit(CreditPolicy::IfInvolved),
        // A whole family of seasonal codes for the content site: SUMMER + anything.
        Code::tracking(CodeId(20), r"^SUMMER\d{2,4}$", CONTENT_SITE)
            .regex()
            .credit(CreditPolicy::IfWinner)
            .window(Window::between(
                t("2026-06-01T00:00:00Z")?,
                t("2026-09-01T00:00:00Z")?,
            )),
    ])?;
    // The staff discount must never be paid out.
    registry.add(Code::restricted(CodeId(30), "STAFF50").until(t("2027-01-01T00:00:00Z")?))?;
    // The influencer's contract ended in September; her code stays assigned to her.
    registry.set_contract(INFLUENCER, Window::until(t("2026-09-30T00:00:00Z")?))?;
    // The coupon site's code leaked on a forum: expired from mid-July.
    registry.expire(CodeId(11), t("2026-07-15T00:00:00Z")?)?;
    let engine = registry.compile()?;

    let july = t("2026-07-10T18:30:00Z")?;
    let august = t("2026-08-02T09:15:00Z")?;
    let october = t("2026-10-05T20:00:00Z")?;
    let coupon_click = [Click::new(COUPON_SITE, t("2026-07-10T18:00:00Z")?)];
    let two_clicks = [
        Click::new(COUPON_SITE, t("2026-07-30T12:00:00Z")?),
        Click::new(CONTENT_SITE, t("2026-08-01T21:00:00Z")?),
    ];
    let orders: [(&str, Conversion<'_>); 7] = [
        (
            "influencer code, no click",
            Conversion::new(july).codes(&["emma15"]).amount(8_900),
        ),
        (
            "coupon code with the coupon site's click",
            Conversion::new(july)
                .codes(&["DEALS20"])
                .clicks(&coupon_click),
        ),
        (
            "seasonal code, content site had the last click",
            Conversion::new(august)
                .codes(&["SUMMER26"])
                .clicks(&two_clicks),
        ),
        (
            "leaked coupon code after its expiry",
            Conversion::new(august)
                .codes(&["deals20"])
                .clicks(&two_clicks),
        ),
        (
            "influencer code plus the staff discount",
            Conversion::new(august).codes(&["EMMA15", "staff50"]),
        ),
        (
            "influencer code after her contract ended",
            Conversion::new(october).codes(&["EMMA15"]),
        ),
        (
            "a typo and no click",
            Conversion::new(october).codes(&["  SUMER26 "]),
        ),
    ];

    for (what, order) in &orders {
        let decision = engine.attribute(order);
        println!("{what}:");
        println!("  codes {:?} -> {}", order.codes, decision);
        explain(&decision);
    }
    Ok(())
}

fn explain(decision: &Decision) {
    for (position, hit) in decision.entered().iter().enumerate() {
        println!("  entered code #{position}: {hit}");
    }
    for other in decision.other_matches() {
        println!(
            "  also matched: code {} (entered #{}), not credited: {}",
            other.code, other.entered, other.why
        );
    }
    if let Some(winner) = decision.click_winner() {
        println!("  click winner: partner {winner}");
    }
}
