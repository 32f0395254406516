//! The one-byte tags by which the binary snapshot writes the crate's closed sets, each set's
//! tags spelled once, in one exhaustive match: writing and reading both go through
//! [`Tagged::tag`], so a new value cannot be written without a tag, nor read back under another
//! one. A tag, once given, never changes: snapshots of every format read back.

use crate::model::{
    AlwaysOwnerClicks, Clawback, ClickWinner, CodeTracking, Contracts, CreditPolicy, Lifecycle,
    RegexAnchoring, UnmetPolicy,
};

/// A closed set written as a one-byte tag.
pub(super) trait Tagged: Copy + PartialEq + 'static {
    /// What the set is, for the error of an unknown tag.
    const WHAT: &'static str;
    /// Every value.
    const ALL: &'static [Self];

    fn tag(self) -> u8;

    /// The value of `tag`, if any has it.
    fn of_tag(tag: u8) -> Option<Self> {
        Self::ALL.iter().copied().find(|value| value.tag() == tag)
    }
}

/// `impl Tagged for Set { Value => tag, … }`, matching the set exhaustively.
macro_rules! tags {
    ($($set:ident { $($value:ident => $tag:literal,)+ })+) => {$(
        impl Tagged for $set {
            const WHAT: &'static str = $set::WHAT;
            const ALL: &'static [Self] = &$set::ALL;

            fn tag(self) -> u8 {
                match self {
                    $($set::$value => $tag,)+
                }
            }
        }
    )+};
}

tags! {
    CreditPolicy { Always => 0, IfInvolved => 1, IfWinner => 2, }
    CodeTracking { Enabled => 0, Disabled => 1, }
    ClickWinner { LastClick => 0, FirstClick => 1, }
    UnmetPolicy { Invalidate => 0, FallBackToClicks => 1, }
    AlwaysOwnerClicks { Count => 0, Ignore => 1, }
    Contracts { Optional => 0, Required => 1, }
    RegexAnchoring { WholeCode => 0, Search => 1, }
    Clawback { Disabled => 0, Enabled => 1, }
    Lifecycle { Expire => 0, Reactivate => 1, }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn distinct<T: Tagged + std::fmt::Debug>() {
        let mut tags: Vec<u8> = T::ALL.iter().map(|v| v.tag()).collect();
        tags.sort_unstable();
        tags.dedup();
        assert_eq!(tags.len(), T::ALL.len(), "two {}s share a tag", T::WHAT);
        for &value in T::ALL {
            assert_eq!(T::of_tag(value.tag()), Some(value));
        }
        assert_eq!(T::of_tag(u8::MAX), None);
    }

    #[test]
    fn every_set_has_distinct_tags() {
        distinct::<CreditPolicy>();
        distinct::<CodeTracking>();
        distinct::<ClickWinner>();
        distinct::<UnmetPolicy>();
        distinct::<AlwaysOwnerClicks>();
        distinct::<Contracts>();
        distinct::<RegexAnchoring>();
        distinct::<Clawback>();
        distinct::<Lifecycle>();
    }

    /// The tags of format 1, which every snapshot since has kept.
    #[test]
    fn tags_never_change() {
        assert_eq!(CreditPolicy::ALL.map(CreditPolicy::tag), [0, 1, 2]);
        assert_eq!(Lifecycle::ALL.map(Lifecycle::tag), [0, 1]);
        assert_eq!(Clawback::Enabled.tag(), 1);
        assert_eq!(RegexAnchoring::Search.tag(), 1);
    }
}
