//! Python values to the crate's and back: instants, names of settings, payouts.

use std::borrow::Cow;
use std::time::Duration;

use promo_attribution::actions::PayoutRule;
use promo_attribution::{Outcome, Payout, PayoutSource, Settings, Timestamp, Via};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use crate::errors::{OrRaise, other};

/// An instant from an RFC 3339 `str` or a time-zone-aware `datetime`.
pub(crate) fn instant(value: &Bound<'_, PyAny>) -> PyResult<Timestamp> {
    if let Ok(text) = value.cast::<PyString>() {
        return text.to_cow()?.parse::<Timestamp>().or_raise();
    }
    if value.hasattr("isoformat")? && value.hasattr("tzinfo")? {
        if value.getattr("tzinfo")?.is_none() {
            return Err(other(
                "invalid_timestamp",
                format!("{value} is a naive datetime: give it a time zone (datetime.timezone.utc)"),
            ));
        }
        let text: String = value.call_method0("isoformat")?.extract()?;
        return text.parse::<Timestamp>().or_raise();
    }
    Err(other(
        "invalid_timestamp",
        format!(
            "expected an RFC 3339 str or an aware datetime, got {}",
            value.get_type()
        ),
    ))
}

pub(crate) fn optional_instant(value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Timestamp>> {
    match value {
        Some(v) if !v.is_none() => instant(v).map(Some),
        _ => Ok(None),
    }
}

/// A value of one of the crate's closed sets, by its stable name; the error lists the names.
pub(crate) fn named<T: std::str::FromStr<Err = promo_attribution::Error>>(
    name: &str,
) -> PyResult<T> {
    name.parse()
        .map_err(|e: promo_attribution::Error| other("invalid_value", e.to_string()))
}

/// A payout from `{"fixed": minor_units}` or `{"percent_bps": basis_points}`.
pub(crate) fn payout(value: &Bound<'_, PyAny>) -> PyResult<Payout> {
    let dict = value.cast::<PyDict>().map_err(|_| {
        other(
            "invalid_value",
            "a payout is a dict: {\"fixed\": 500} or {\"percent_bps\": 1000}",
        )
    })?;
    if dict.len() == 1 {
        if let Some(fixed) = dict.get_item("fixed")? {
            return Ok(Payout::Fixed(fixed.extract()?));
        }
        if let Some(bps) = dict.get_item("percent_bps")? {
            return Ok(Payout::PercentBps(bps.extract()?));
        }
    }
    Err(other(
        "invalid_value",
        format!("{dict} is not a payout: expected {{\"fixed\": N}} or {{\"percent_bps\": N}}"),
    ))
}

/// The keyword arguments a registry takes: the crate's `Settings` fields, by the same names.
const SETTINGS: [&str; 12] = [
    "tracking",
    "click_winner",
    "lookback",
    "unmet_policy",
    "always_owner_clicks",
    "contracts",
    "regex_anchoring",
    "payout",
    "lock_after",
    "clawback",
    "max_entered_codes",
    "max_other_matches",
];

/// Program settings from keyword arguments named and valued as the crate's `Settings`: each
/// closed set by its stable name (`tracking="disabled"`), durations as `timedelta`s. A missing
/// key takes the crate's default; an unknown one is an error that lists the keys.
pub(crate) fn settings(kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Settings> {
    let mut settings = Settings::default();
    let Some(kwargs) = kwargs else {
        return Ok(settings);
    };
    for (key, value) in kwargs.iter() {
        let key: String = key.extract()?;
        let name = || value.extract::<String>();
        match key.as_str() {
            "tracking" => settings.tracking = named(&name()?)?,
            "click_winner" => settings.click_winner = named(&name()?)?,
            "lookback" => settings.lookback = duration(&key, &value)?,
            "unmet_policy" => settings.unmet_policy = named(&name()?)?,
            "always_owner_clicks" => settings.always_owner_clicks = named(&name()?)?,
            "contracts" => settings.contracts = named(&name()?)?,
            "regex_anchoring" => settings.regex_anchoring = named(&name()?)?,
            "payout" => settings.payout = payout(&value)?,
            "lock_after" => {
                settings.lock_after = if value.is_none() {
                    None
                } else {
                    Some(duration(&key, &value)?)
                };
            }
            "clawback" => settings.clawback = named(&name()?)?,
            "max_entered_codes" => settings.max_entered_codes = value.extract()?,
            "max_other_matches" => settings.max_other_matches = value.extract()?,
            _ => {
                let why = format!(
                    "unknown setting {key:?}: the settings are {}",
                    SETTINGS.join(", ")
                );
                return Err(other("invalid_value", why));
            }
        }
    }
    Ok(settings)
}

/// A non-negative `datetime.timedelta`, the setting `key`'s value.
fn duration(key: &str, value: &Bound<'_, PyAny>) -> PyResult<Duration> {
    value.extract::<Duration>().map_err(|_| {
        let why = format!(
            "{key} is a non-negative datetime.timedelta, got {}",
            value.repr().map_or_else(|_| "?".into(), |r| r.to_string())
        );
        other("invalid_value", why)
    })
}

/// The names an outcome is told by in Python and in Arrow: outcome, partner, via, reason.
pub(crate) struct OutcomeParts {
    pub(crate) outcome: &'static str,
    pub(crate) partner: Option<u64>,
    pub(crate) via: Option<&'static str>,
    pub(crate) reason: Option<&'static str>,
}

pub(crate) fn outcome_parts(outcome: Outcome) -> OutcomeParts {
    match outcome {
        Outcome::Credited { partner, via } => OutcomeParts {
            outcome: "credited",
            partner: Some(partner.0),
            via: Some(match via {
                Via::Code(_) => "code",
                _ => "click",
            }),
            reason: None,
        },
        Outcome::Invalid { partner, reason } => OutcomeParts {
            outcome: "invalid",
            partner: Some(partner.0),
            via: None,
            reason: Some(reason.as_str()),
        },
        _ => OutcomeParts {
            outcome: "unattributed",
            partner: None,
            via: None,
            reason: None,
        },
    }
}

/// A payout source as Python and Arrow name it: `exception_list:N`, `contract` or `program`.
/// Borrowed but for an exception list's: a table of a million rows names a source per row.
pub(crate) fn payout_source_name(source: PayoutSource) -> Cow<'static, str> {
    match source {
        PayoutSource::ExceptionList(i) => Cow::Owned(format!("exception_list:{i}")),
        PayoutSource::Contract => Cow::Borrowed("contract"),
        _ => Cow::Borrowed("program"),
    }
}

/// The payout source named by [`payout_source_name`], or `None` for another text.
fn payout_source_named(name: &str) -> Option<PayoutSource> {
    match name {
        "contract" => Some(PayoutSource::Contract),
        "program" => Some(PayoutSource::Program),
        _ => name
            .strip_prefix("exception_list:")
            .and_then(|i| i.parse().ok())
            .map(PayoutSource::ExceptionList),
    }
}

/// The names a payout rule is told by in Python and Arrow: `fixed` or `percent_bps`, and the
/// value (minor units, or basis points).
pub(crate) const PAYOUT_RULES: [&str; 2] = ["fixed", "percent_bps"];

pub(crate) fn payout_rule_parts(payout: Payout) -> (&'static str, u64) {
    match payout {
        Payout::Fixed(v) => (PAYOUT_RULES[0], v),
        Payout::PercentBps(v) => (PAYOUT_RULES[1], u64::from(v)),
        _ => (PAYOUT_RULES[0], 0),
    }
}

/// The payout rule of [`payout_rule_parts`]' names, or why not.
fn payout_rule_named(rule: &str, value: i64) -> Result<Payout, String> {
    match rule {
        "fixed" => u64::try_from(value)
            .map(Payout::Fixed)
            .map_err(|_| format!("a fixed payout of {value} is negative")),
        "percent_bps" => u32::try_from(value)
            .map(Payout::PercentBps)
            .map_err(|_| format!("{value} basis points is not a rate")),
        other => Err(format!(
            "unknown payout rule {other:?}: expected {}",
            PAYOUT_RULES.join(" or ")
        )),
    }
}

/// What is wrong with a stored payout rule: the column at fault, the error kind, the message.
pub(crate) type BadRule = (&'static str, &'static str, String);

/// A payout rule from the words a host stored (the columns `attribute_arrow` writes): the
/// rule's name, its rate, and where it came from (absent: the program's default).
pub(crate) fn stored_payout_rule(
    rule: &str,
    rate: Option<i64>,
    source: Option<&str>,
) -> Result<PayoutRule, BadRule> {
    let rate = rate.ok_or((
        "payout_rate",
        "missing_value",
        "a payout_rule needs its payout_rate".to_owned(),
    ))?;
    let payout = payout_rule_named(rule, rate).map_err(|m| ("payout_rule", "invalid_value", m))?;
    let source = match source {
        None => PayoutSource::Program,
        Some(name) => payout_source_named(name).ok_or_else(|| {
            (
                "payout_source",
                "invalid_value",
                format!("unknown payout_source {name:?}"),
            )
        })?,
    };
    Ok(PayoutRule { source, payout })
}
