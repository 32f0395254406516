//! What a credited sale pays, as a program, a contract or an exception list states it.

use super::time::Window;

/// A payout rule: a fixed amount per sale, or a share of the order amount.
///
/// Money is integer minor units (cents) throughout; a percentage is in basis points (1/100 of a
/// percent) and its result rounds half to even to a whole minor unit.
///
/// ```
/// use promo_attribution::Payout;
///
/// assert_eq!(Payout::Fixed(700).on(5_000), 700);
/// assert_eq!(Payout::PercentBps(1_000).on(5_000), 500);
/// // 10 % of 50.05 is 5.005: half to even gives 5.00; of 50.15, 5.015 gives 5.02.
/// assert_eq!(Payout::PercentBps(1_000).on(5_005), 500);
/// assert_eq!(Payout::PercentBps(1_000).on(5_015), 502);
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Payout {
    /// This many minor units per sale, whatever the order amount.
    Fixed(u64),
    /// This many basis points of the order amount: `1_000` is 10 %. Values above `10_000`
    /// (more than the order is worth) are accepted, for bonus rates.
    PercentBps(u32),
}

impl Default for Payout {
    /// Nothing: `Fixed(0)`, the payout of a program that configured none.
    fn default() -> Payout {
        Payout::Fixed(0)
    }
}

impl Payout {
    /// The payout on an order of `amount` minor units. Never overflows: the product is taken in
    /// 128 bits, and a result beyond `u64::MAX` (only reachable with rates above 100 % on
    /// amounts near `u64::MAX`) saturates.
    pub fn on(self, amount: u64) -> u64 {
        match self {
            Payout::Fixed(fixed) => fixed,
            Payout::PercentBps(bps) => {
                // Every real order fits in 64 bits, where dividing by a constant is a multiply;
                // 128-bit division is a library call, several times slower.
                if let Some(product) = amount.checked_mul(u64::from(bps)) {
                    let (quotient, remainder) = (product / 10_000, product % 10_000);
                    let round_up = remainder > 5_000 || (remainder == 5_000 && quotient % 2 == 1);
                    return quotient + u64::from(round_up);
                }
                let product = u128::from(amount) * u128::from(bps);
                let (quotient, remainder) = (product / 10_000, product % 10_000);
                let round_up = remainder > 5_000 || (remainder == 5_000 && quotient % 2 == 1);
                u64::try_from(quotient + u128::from(round_up)).unwrap_or(u64::MAX)
            }
        }
    }
}

/// A partner's contract: when the partner may be paid and, optionally, at what rate.
///
/// A `Window` converts into a contract without a payout of its own, so
/// `registry.set_contract(partner, window)` reads as before.
///
/// ```
/// use promo_attribution::{Contract, Payout, Window};
///
/// let contract = Contract::new(Window::ALWAYS).payout(Payout::PercentBps(1_500));
/// assert_eq!(contract.payout, Some(Payout::PercentBps(1_500)));
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Contract {
    /// When the partner may be paid; a sale credited outside it is invalid with
    /// [`PartnerNotActive`](crate::InvalidReason::PartnerNotActive).
    pub window: Window,
    /// The partner's rate, overriding the program's default payout; `None` keeps the default.
    pub payout: Option<Payout>,
}

impl Contract {
    /// A contract over `window`, at the program's default payout.
    #[must_use]
    pub const fn new(window: Window) -> Contract {
        Contract {
            window,
            payout: None,
        }
    }

    /// Sets the partner's own rate.
    #[must_use]
    pub const fn payout(mut self, payout: Payout) -> Contract {
        self.payout = Some(payout);
        self
    }
}

impl From<Window> for Contract {
    fn from(window: Window) -> Contract {
        Contract::new(window)
    }
}

/// A promo-code exception list (the reference's way to pay a different rate — `$0` included —
/// on chosen codes): when an entered code is one of its codes, the list's payout applies, above
/// any contract or program payout.
///
/// Codes compare case-insensitively (Unicode simple case folding, as exact codes do), after
/// trimming. With a *match expression* — a regex with exactly one capture group — the
/// expression is searched in the entered code and the text of its group is what is compared:
/// `^([A-Za-z]{3})[0-9]+$` with codes `ABC`, `XYZ` covers `abc12345` and `XYZ9`.
///
/// The codes of a list need not be registered: a list may name public codes (`WELCOME`) that
/// credit nobody but should not pay the click winner either.
///
/// ```
/// use promo_attribution::{ExceptionList, Payout};
///
/// let list = ExceptionList::new("brand codes", Payout::PercentBps(200))
///     .codes(["ABC", "XYZ"])
///     .match_expression("^([A-Za-z]{3})[0-9]+$");
/// assert_eq!(list.name(), "brand codes");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ExceptionList {
    name: String,
    #[cfg_attr(feature = "serde", serde(default))]
    codes: Vec<String>,
    #[cfg_attr(feature = "serde", serde(default))]
    match_expression: Option<String>,
    payout: Payout,
}

impl ExceptionList {
    /// An empty list named `name` that pays `payout`.
    #[must_use]
    pub fn new(name: impl Into<String>, payout: Payout) -> ExceptionList {
        ExceptionList {
            name: name.into(),
            codes: Vec::new(),
            match_expression: None,
            payout,
        }
    }

    /// Adds codes to the list.
    #[must_use]
    pub fn codes<S: Into<String>>(mut self, codes: impl IntoIterator<Item = S>) -> Self {
        self.codes.extend(codes.into_iter().map(Into::into));
        self
    }

    /// Sets the match expression: a regex with exactly one capture group, whose text is looked
    /// up among the list's codes.
    #[must_use]
    pub fn match_expression(mut self, expression: impl Into<String>) -> Self {
        self.match_expression = Some(expression.into());
        self
    }

    /// The list's name, for people.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The list's codes, as given.
    pub fn code_texts(&self) -> &[String] {
        &self.codes
    }

    /// The match expression, if any.
    pub fn expression(&self) -> Option<&str> {
        self.match_expression.as_deref()
    }

    /// What the list pays.
    pub fn payout(&self) -> Payout {
        self.payout
    }
}

/// Which rule set a decision's payout.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum PayoutSource {
    /// The exception list at this position in registration order.
    ExceptionList(usize),
    /// The credited partner's contract.
    Contract,
    /// The program's default ([`Settings::payout`](crate::Settings::payout)).
    Program,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_round_half_to_even() {
        let cases = [
            // (amount, bps, expected)
            (5_000, 1_000, 500),
            (5_005, 1_000, 500), // 500.5 → 500
            (5_015, 1_000, 502), // 501.5 → 502
            (5_006, 1_000, 501), // 500.6 → 501
            (5_004, 1_000, 500), // 500.4 → 500
            (1, 5_000, 0),       // 0.5 → 0
            (3, 5_000, 2),       // 1.5 → 2
            (0, 1_000, 0),
            (12_345, 0, 0),
            (10_000, 10_000, 10_000),
            (u64::MAX, 10_000, u64::MAX),
            (u64::MAX, u32::MAX, u64::MAX), // saturates instead of overflowing
            (u64::MAX / 10_000 + 1, 10_000, u64::MAX / 10_000 + 1), // past 64 bits: exact
            (1 << 60, 15_000, 3 << 59),
        ];
        for (amount, bps, expected) in cases {
            assert_eq!(
                Payout::PercentBps(bps).on(amount),
                expected,
                "{bps} bps of {amount}"
            );
        }
        assert_eq!(Payout::Fixed(0).on(u64::MAX), 0);
        assert_eq!(Payout::Fixed(123).on(0), 123);
    }
}
