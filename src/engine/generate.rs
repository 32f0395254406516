//! Generating codes (SPEC §11): texts drawn from a template until enough are free — free as
//! [`check_available`] judges a suggestion, and distinct by fold among themselves.

use std::collections::HashSet;

use super::conflicts::check_available;
use super::state::State;
use crate::matching::fold;
use crate::model::{Error, GenerateRequest, Generated, VANITY_SUFFIX, VANITY_TRIES};

/// The most draws a random template gets for `count` codes: at half its space taken about two
/// draws per code are expected, so running out within this many means the template is (nearly)
/// full, and an exhausted template fails after a bounded amount of work.
pub(crate) fn max_draws(count: usize) -> usize {
    count.saturating_mul(16).saturating_add(64)
}

/// See [`Engine::generate`](crate::Engine::generate).
pub(crate) fn generate(state: &State, request: &GenerateRequest) -> Result<Generated, Error> {
    let template = &request.template;
    request.window.check().map_err(Error::text)?;
    let mut random = SplitMix64(request.seed);
    let mut draws = 0;
    let mut taken = Taken::default();
    let mut texts = Vec::with_capacity(request.count.min(1 << 20));
    let mut text = String::new();
    if template.is_vanity() {
        'codes: while texts.len() < request.count {
            // The base alone only while no code took it.
            let first = usize::from(!texts.is_empty());
            for attempt in first..VANITY_TRIES {
                template.spell(attempt, |n| random.below(n), &mut text);
                draws += 1;
                if taken.take_if_free(state, &text, request)? {
                    texts.push(text.clone());
                    continue 'codes;
                }
            }
            return Err(Error::exhausted(format!(
                "vanity base \"{template}\" is taken, and so are the texts with {VANITY_SUFFIX} \
                 random characters tried ({} of {} codes found)",
                texts.len(),
                request.count
            )));
        }
        return Ok(Generated::new(texts, draws));
    }
    let space = template.space();
    let most = max_draws(request.count);
    if request.count as u128 > space {
        return Err(Error::exhausted(format!(
            "template \"{template}\" spells {space} texts, fewer than the {} codes asked",
            request.count
        )));
    }
    while texts.len() < request.count {
        if draws == most {
            return Err(Error::exhausted(format!(
                "template \"{template}\" gave {} free codes of the {} asked in {most} draws",
                texts.len(),
                request.count
            )));
        }
        template.spell(0, |n| random.below(n), &mut text);
        draws += 1;
        if taken.take_if_free(state, &text, request)? {
            texts.push(text.clone());
        }
    }
    Ok(Generated::new(texts, draws))
}

/// The generated texts so far, folded.
#[derive(Default)]
struct Taken(HashSet<Box<str>, foldhash::fast::RandomState>);

impl Taken {
    /// Whether `text` is free — a text not generated already, which no registered code
    /// collides with — taking it if it is.
    fn take_if_free(
        &mut self,
        state: &State,
        text: &str,
        request: &GenerateRequest,
    ) -> Result<bool, Error> {
        let folded = fold::fold(text);
        if self.0.contains(folded.as_str()) {
            return Ok(false);
        }
        let free = check_available(state, text, request.partner, request.window)?.is_available();
        if free {
            self.0.insert(folded.into());
        }
        Ok(free)
    }
}

/// SplitMix64 (Steele, Lea and Flood, 2014): a seed in, a reproducible stream out, on every
/// platform and version — which a host storing seeds needs, and `rand`'s generators do not
/// promise across releases.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform index below `n` (Lemire's multiply, rejecting the few values that would
    /// favour the low indexes).
    fn below(&mut self, n: usize) -> usize {
        let n = n as u64;
        let threshold = n.wrapping_neg() % n;
        loop {
            let product = u128::from(self.next()) * u128::from(n);
            if product as u64 >= threshold {
                return (product >> 64) as usize;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_is_the_published_stream_and_indexes_are_uniform() {
        // The first outputs for seed 0, as the reference implementation prints them.
        let mut random = SplitMix64(0);
        assert_eq!(random.next(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(random.next(), 0x6E78_9E6A_A1B9_65F4);
        let mut counts = [0usize; 31];
        for _ in 0..31_000 {
            counts[random.below(31)] += 1;
        }
        assert!(
            counts.iter().all(|&c| (800..1_200).contains(&c)),
            "{counts:?}"
        );
    }
}
