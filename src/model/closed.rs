//! Closed sets of named values — policies, settings, reasons — each declared once, by
//! [`closed_set!`]: the enum, its values in order, their stable names, and parsing. A new value
//! is one line in the declaration; every consumer that must say something about it (the
//! decision, the snapshot's tags, the bulk file's words) matches the set exhaustively, so the
//! compiler points to each.

use super::error::Error;
use super::excerpt::Excerpt;
use super::reason::Reason;

/// Declares a closed set: the enum (`Copy`, `#[non_exhaustive]`, serialised by the names
/// given), `ALL` in declaration order, `as_str`, `Display` and `FromStr` (the name, exactly).
///
/// `pub enum Name as "what it is" { Variant = "name", … }`: the phrase names the set in the
/// error of a name that is none of its values.
macro_rules! closed_set {
    (
        $(#[$meta:meta])*
        pub enum $name:ident as $what:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $word:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[non_exhaustive]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
        pub enum $name {
            $(
                $(#[$vmeta])*
                #[cfg_attr(feature = "serde", serde(rename = $word))]
                $variant,
            )+
        }

        impl $name {
            /// What the set is, as errors name it.
            pub(crate) const WHAT: &'static str = $what;

            #[doc = concat!("Every value, in declaration order: ", $("`", $word, "` ",)+ ".")]
            pub const ALL: [$name; [$($word),+].len()] = [$($name::$variant),+];

            /// The stable snake_case name, which `FromStr` and serde read and write.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word,)+
                }
            }
        }

        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::core::str::FromStr for $name {
            type Err = $crate::Error;

            /// The stable name, exactly; an error of kind `InvalidValue` names the values.
            fn from_str(s: &str) -> Result<$name, $crate::Error> {
                $name::ALL
                    .into_iter()
                    .find(|value| value.as_str() == s)
                    .ok_or_else(|| {
                        $crate::model::closed::unknown($name::WHAT, s, &$name::ALL.map($name::as_str))
                    })
            }
        }
    };
}

pub(crate) use closed_set;

/// The error of a name that is none of `names`.
pub(crate) fn unknown(what: &str, given: &str, names: &[&str]) -> Error {
    Error::bulk(Reason::InvalidValue(format!(
        "unknown {what} {}: expected one of {}",
        Excerpt::from(given),
        names.join(", "),
    )))
}

#[cfg(test)]
mod tests {
    use crate::model::{
        AlwaysOwnerClicks, CancelReason, Clawback, ClickWinner, CodeTracking, Contracts,
        CreditPolicy, ErrorKind, Lifecycle, MatchMode, RegexAnchoring, UnmetPolicy,
    };

    /// Each set's names are distinct and read back as their value; anything else is refused
    /// with the set's names.
    macro_rules! round_trips {
        ($($set:ty),+) => {$({
            let names: Vec<&str> = <$set>::ALL.iter().map(|v| v.as_str()).collect();
            for value in <$set>::ALL {
                assert_eq!(value.as_str().parse::<$set>().ok(), Some(value));
                assert_eq!(value.to_string(), value.as_str());
                assert_eq!(names.iter().filter(|n| **n == value.as_str()).count(), 1);
            }
            let error = "Not A Value".parse::<$set>().err().map(|e| (e.kind(), e.to_string()));
            let (kind, message) = error.unwrap_or_else(|| panic!("{} took a bad name", stringify!($set)));
            assert_eq!(kind, ErrorKind::InvalidValue);
            assert!(message.contains(&names.join(", ")), "{message}");
        })+};
    }

    #[test]
    fn names_round_trip() {
        round_trips!(
            CreditPolicy,
            MatchMode,
            CodeTracking,
            AlwaysOwnerClicks,
            Contracts,
            ClickWinner,
            UnmetPolicy,
            RegexAnchoring,
            Clawback,
            CancelReason,
            Lifecycle
        );
    }

    #[test]
    fn messages_name_the_set() {
        let message = "sometimes"
            .parse::<CreditPolicy>()
            .map_err(|e| e.to_string());
        assert_eq!(
            message,
            Err("unknown credit policy \"sometimes\": expected one of always, if_involved, if_winner".to_owned())
        );
    }
}
