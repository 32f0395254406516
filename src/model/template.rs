//! Templates of generated codes (SPEC §11): literal text around one run of random characters,
//! or a vanity base, and what a request to generate codes from one holds.

use std::fmt;
use std::str::FromStr;

use super::code::{CreditPolicy, check_text};
use super::error::Error;
use super::ids::PartnerId;
use super::time::Window;

/// The characters a random run is drawn from unless a template says otherwise: capital letters
/// and digits without the ones customers mistake for each other (`I`, `L`, `O`, `0`, `1`).
pub const DEFAULT_ALPHABET: &str = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// The longest run of random characters a template may ask for.
pub const MAX_RANDOM_RUN: usize = 32;

/// Random characters a vanity base gets when it is taken, and how many texts are tried.
pub(crate) const VANITY_SUFFIX: usize = 2;
pub(crate) const VANITY_TRIES: usize = 3;

/// How generated codes are spelled: literal text around one run of random characters
/// (`BOB-{6}`), or a vanity base (`BOB15`) tried as it is, then with two random characters
/// appended, three texts in all (SPEC §11).
///
/// ```
/// use promo_attribution::ErrorKind;
/// use promo_attribution::generate::Template;
///
/// let template: Template = "BOB-{6}".parse()?;
/// assert_eq!(template.to_string(), "BOB-{6}");
/// assert_eq!(template.space(), 31u128.pow(6));
/// assert_eq!("BOB-{40}".parse::<Template>().unwrap_err().kind(), ErrorKind::InvalidTemplate);
///
/// let digits = Template::parse("P-{4}")?.alphabet("0123456789")?;
/// assert_eq!(digits.space(), 10_000);
/// assert!(Template::vanity("BOB15")?.is_vanity());
/// # Ok::<(), promo_attribution::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    shape: Shape,
    alphabet: Box<[char]>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Shape {
    Random {
        before: Box<str>,
        run: usize,
        after: Box<str>,
    },
    Vanity(Box<str>),
}

impl Template {
    /// A template of literal text with one run `{N}` of random characters (1 ≤ N ≤ 32), over
    /// [`DEFAULT_ALPHABET`]. White space around the template is trimmed, as registration trims
    /// a code. Fails with [`InvalidTemplate`](crate::ErrorKind::InvalidTemplate), saying why,
    /// for no run or more than one, a brace elsewhere, a run out of range, or literal text no
    /// code could hold (too long with its run, a control character).
    pub fn parse(template: &str) -> Result<Template, Error> {
        let text = template.trim();
        let fail = |why: &str| Error::template(text, why);
        let open = text
            .find('{')
            .ok_or_else(|| fail("it has no run of random characters, such as {6}"))?;
        let close = text[open..]
            .find('}')
            .map(|at| open + at)
            .ok_or_else(|| fail("the run of random characters is not closed by }"))?;
        let (before, after) = (&text[..open], &text[close + 1..]);
        if before.contains('}') || after.contains(['{', '}']) {
            return Err(fail("braces may only enclose one run of random characters"));
        }
        let digits = &text[open + 1..close];
        let run = digits
            .parse::<usize>()
            .ok()
            .filter(|run| {
                (1..=MAX_RANDOM_RUN).contains(run) && digits.bytes().all(|b| b.is_ascii_digit())
            })
            .ok_or_else(|| {
                fail(&format!(
                    "a run of random characters is {{1}} to {{{MAX_RANDOM_RUN}}} long"
                ))
            })?;
        Template {
            shape: Shape::Random {
                before: before.into(),
                run,
                after: after.into(),
            },
            alphabet: DEFAULT_ALPHABET.chars().collect(),
        }
        .checked()
    }

    /// A vanity template: `base` itself, then `base` and two random characters, three texts
    /// tried for each code. Fails like [`parse`](Template::parse) for a base no code could
    /// hold with its two characters.
    pub fn vanity(base: &str) -> Result<Template, Error> {
        Template {
            shape: Shape::Vanity(base.trim().into()),
            alphabet: DEFAULT_ALPHABET.chars().collect(),
        }
        .checked()
    }

    /// The template drawing its random characters from `alphabet` instead: at least two
    /// characters, none twice (ignoring case), no white space or control characters.
    pub fn alphabet(mut self, alphabet: &str) -> Result<Template, Error> {
        let chars: Vec<char> = alphabet.chars().collect();
        let fail = |why: &str| Error::template(&self.to_string(), why);
        if chars.len() < 2 {
            return Err(fail("an alphabet has two characters or more"));
        }
        if let Some(c) = chars.iter().find(|c| c.is_whitespace() || c.is_control()) {
            return Err(fail(&format!(
                "the alphabet holds {c:?}, which a code cannot"
            )));
        }
        let lower = |c: &char| c.to_lowercase().collect::<String>();
        for (i, a) in chars.iter().enumerate() {
            if let Some(b) = chars[i + 1..].iter().find(|b| lower(a) == lower(b)) {
                return Err(fail(&format!(
                    "the alphabet holds {a:?} and {b:?}, one character ignoring case"
                )));
            }
        }
        self.alphabet = chars.into();
        self.checked()
    }

    /// Whether this is a vanity template.
    pub fn is_vanity(&self) -> bool {
        matches!(self.shape, Shape::Vanity(_))
    }

    /// How many texts the template can spell (saturating): the alphabet's size to the power of
    /// the run; for a vanity base, the base and every two-character suffix.
    pub fn space(&self) -> u128 {
        let size = self.alphabet.len() as u128;
        match &self.shape {
            Shape::Random { run, .. } => (0..*run).fold(1u128, |n, _| n.saturating_mul(size)),
            Shape::Vanity(_) => 1 + size * size,
        }
    }

    /// Checks that every text the template spells is a valid code: its longest, drawn from the
    /// alphabet's widest character, and a vanity base alone.
    fn checked(self) -> Result<Template, Error> {
        let widest = self
            .alphabet
            .iter()
            .copied()
            .max_by_key(|c| c.len_utf8())
            .unwrap_or('A');
        let longest: String = match &self.shape {
            Shape::Random { before, run, after } => {
                format!("{before}{}{after}", widest.to_string().repeat(*run))
            }
            Shape::Vanity(base) => format!("{base}{}", widest.to_string().repeat(VANITY_SUFFIX)),
        };
        // A vanity base is given alone too.
        let base_alone = match &self.shape {
            Shape::Vanity(base) => check_text(base),
            Shape::Random { .. } => Ok(()),
        };
        match base_alone.and_then(|()| check_text(&longest)) {
            Ok(()) => Ok(self),
            Err(reason) => Err(Error::template(
                &self.to_string(),
                &format!("a code it spells would be refused: {reason}"),
            )),
        }
    }

    /// The text of a draw: `pick(n)` gives a random index below `n`. For a vanity template,
    /// `attempt` 0 is the base alone.
    pub(crate) fn spell(
        &self,
        attempt: usize,
        mut pick: impl FnMut(usize) -> usize,
        out: &mut String,
    ) {
        out.clear();
        let mut random = |out: &mut String, n: usize| {
            for _ in 0..n {
                out.push(self.alphabet[pick(self.alphabet.len())]);
            }
        };
        match &self.shape {
            Shape::Random { before, run, after } => {
                out.push_str(before);
                random(out, *run);
                out.push_str(after);
            }
            Shape::Vanity(base) => {
                out.push_str(base);
                if attempt > 0 {
                    random(out, VANITY_SUFFIX);
                }
            }
        }
    }
}

impl FromStr for Template {
    type Err = Error;

    fn from_str(template: &str) -> Result<Template, Error> {
        Template::parse(template)
    }
}

impl fmt::Display for Template {
    /// The template as [`parse`](Template::parse) reads it; a vanity template as its base.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.shape {
            Shape::Random { before, run, after } => write!(f, "{before}{{{run}}}{after}"),
            Shape::Vanity(base) => f.write_str(base),
        }
    }
}

/// What to generate: `count` codes from a template for a partner, registered for a window,
/// with a seed that makes the draw reproducible. See
/// [`Engine::generate`](crate::Engine::generate) and
/// [`Registry::add_generated`](crate::Registry::add_generated).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenerateRequest {
    /// Who the codes are for.
    pub partner: PartnerId,
    /// How they are spelled.
    pub template: Template,
    /// How many.
    pub count: usize,
    /// Their schedule, which the codes they must not collide with are compared over.
    pub window: Window,
    /// The seed of the draw: the same registry revision, template and seed give the same codes.
    pub seed: u64,
    /// The credit policy they are registered with.
    pub credit: CreditPolicy,
}

impl GenerateRequest {
    /// `count` codes from `template` for `partner`, always in effect, seed 0, policy `Always`.
    pub fn new(partner: PartnerId, template: Template, count: usize) -> GenerateRequest {
        GenerateRequest {
            partner,
            template,
            count,
            window: Window::ALWAYS,
            seed: 0,
            credit: CreditPolicy::Always,
        }
    }

    /// The request with this schedule.
    #[must_use]
    pub fn window(mut self, window: Window) -> GenerateRequest {
        self.window = window;
        self
    }

    /// The request with this seed.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> GenerateRequest {
        self.seed = seed;
        self
    }

    /// The request with this credit policy.
    #[must_use]
    pub fn credit(mut self, credit: CreditPolicy) -> GenerateRequest {
        self.credit = credit;
        self
    }
}

/// The texts a request generates, and how many were drawn to find them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Generated {
    texts: Vec<String>,
    draws: usize,
}

impl Generated {
    pub(crate) fn new(texts: Vec<String>, draws: usize) -> Generated {
        Generated { texts, draws }
    }

    /// The generated texts, in the order drawn.
    pub fn texts(&self) -> &[String] {
        &self.texts
    }

    /// The generated texts, by value.
    pub fn into_texts(self) -> Vec<String> {
        self.texts
    }

    /// How many texts were drawn (and checked) to find them: the count asked for when the
    /// template's space is empty, about twice it when half of it is taken.
    pub fn draws(&self) -> usize {
        self.draws
    }
}
