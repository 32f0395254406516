//! Deterministic, seeded workloads shared by `benches/attribute.rs` and the `bench_report`
//! example, so that both measure the same registries and queries.
//!
//! Shapes follow what programs really hold: exact codes of 6–16 letters and digits, some with a
//! dash; regex families with a literal prefix (`^JANE\d+$`, `^JANE[0-9]{4}$`,
//! `^JANE-[A-Z0-9]{6}$`, `^JANE(20|25|50)OFF$`) and a few without one.

use std::collections::HashSet;

use promo_attribution::{Code, CodeId, PartnerId, Registry};

/// xorshift64*: deterministic and dependency-free.
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    fn pick(&mut self, alphabet: &[u8]) -> char {
        alphabet[self.below(alphabet.len())] as char
    }
}

const ALNUM: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
const LETTERS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS: &[u8] = b"0123456789";

/// An exact code: 6–16 characters, one in six with a dash inside.
pub fn exact_code(rng: &mut Rng) -> String {
    let len = 6 + rng.below(11);
    let mut code: String = (0..len).map(|_| rng.pick(ALNUM)).collect();
    if rng.below(6) == 0 {
        let at = 2 + rng.below(len - 3);
        code.replace_range(at..=at, "-");
    }
    code
}

/// `n` distinct exact codes.
pub fn exact_codes(n: usize, seed: u64) -> Vec<String> {
    let mut rng = Rng(seed);
    let mut seen = HashSet::with_capacity(n);
    let mut codes = Vec::with_capacity(n);
    while codes.len() < n {
        let code = exact_code(&mut rng);
        if seen.insert(code.clone()) {
            codes.push(code);
        }
    }
    codes
}

/// A regex code with a matching text and a near miss (the prefix right, the rest wrong).
pub struct RegexCode {
    /// The pattern registered.
    pub pattern: String,
    /// A text the pattern matches.
    pub hit: String,
    /// A text with the pattern's prefix that the pattern does not match.
    pub near_miss: String,
    /// Whether the pattern has a literal prefix.
    pub prefixed: bool,
}

/// `n` regex codes: prefix-like families on distinct words, plus one in 1,250 (at least one)
/// without a literal prefix.
pub fn regex_codes(n: usize, seed: u64) -> Vec<RegexCode> {
    let mut rng = Rng(seed);
    let unprefixed = if n == 0 { 0 } else { (n / 1250).max(1) };
    let mut words = HashSet::new();
    let mut out = Vec::with_capacity(n);
    while out.len() < n - unprefixed {
        let len = 4 + rng.below(5);
        let word: String = (0..len).map(|_| rng.pick(LETTERS)).collect();
        if !words.insert(word.clone()) {
            continue;
        }
        let digits =
            |rng: &mut Rng, k: usize| -> String { (0..k).map(|_| rng.pick(DIGITS)).collect() };
        let code = match out.len() % 4 {
            0 => RegexCode {
                pattern: format!(r"^{word}\d+$"),
                hit: {
                    let k = 1 + rng.below(6);
                    format!("{word}{}", digits(&mut rng, k))
                },
                near_miss: format!("{word}{}X", digits(&mut rng, 3)),
                prefixed: true,
            },
            1 => RegexCode {
                pattern: format!(r"^{word}[0-9]{{4}}$"),
                hit: format!("{word}{}", digits(&mut rng, 4)),
                near_miss: format!("{word}{}", digits(&mut rng, 5)),
                prefixed: true,
            },
            2 => {
                let tail: String = (0..6).map(|_| rng.pick(ALNUM)).collect();
                RegexCode {
                    pattern: format!(r"^{word}-[A-Z0-9]{{6}}$"),
                    hit: format!("{word}-{tail}"),
                    near_miss: format!("{word}-{}", &tail[..5]),
                    prefixed: true,
                }
            }
            _ => RegexCode {
                pattern: format!(r"^{word}(20|25|50)OFF$"),
                hit: format!("{word}{}OFF", ["20", "25", "50"][rng.below(3)]),
                near_miss: format!("{word}30OFF"),
                prefixed: true,
            },
        };
        out.push(code);
    }
    for i in 0..unprefixed {
        let word: String = (0..5).map(|_| rng.pick(LETTERS)).collect();
        out.push(match i % 3 {
            0 => RegexCode {
                pattern: format!(r"^[A-Z]{{2}}\d{{2}}{word}$"),
                hit: format!("QT42{word}"),
                near_miss: format!("QT4{word}"),
                prefixed: false,
            },
            1 => RegexCode {
                pattern: format!(r"(?i)^{}\d{{3}}$", word.to_lowercase()),
                hit: format!("{word}123"),
                near_miss: format!("{word}12"),
                prefixed: false,
            },
            _ => RegexCode {
                pattern: format!(r"^.*-{word}$"),
                hit: format!("SPRING-{word}"),
                near_miss: format!("SPRING{word}"),
                prefixed: false,
            },
        });
    }
    out
}

/// Registers exact codes (ids from 0) and regex codes (ids after them), owners spread over
/// 5,000 partners.
pub fn registry(exact: &[String], regex: &[RegexCode]) -> Registry {
    let mut registry = Registry::default();
    let codes = exact
        .iter()
        .enumerate()
        .map(|(i, text)| {
            Code::tracking(CodeId(i as u64), text.as_str(), PartnerId(i as u64 % 5000))
        })
        .chain(regex.iter().enumerate().map(|(i, r)| {
            Code::tracking(
                CodeId((exact.len() + i) as u64),
                r.pattern.as_str(),
                PartnerId(i as u64 % 5000),
            )
            .regex()
        }));
    registry
        .add_all(codes)
        .expect("the generated registry is valid");
    registry
}

/// Texts stored back to back in one buffer, so that walking them is a linear scan.
pub struct PackedTexts {
    buf: String,
    ends: Vec<u32>,
}

impl PackedTexts {
    /// The texts, in order.
    pub fn new(texts: impl IntoIterator<Item = String>) -> PackedTexts {
        let mut buf = String::new();
        let mut ends = Vec::new();
        for text in texts {
            buf.push_str(&text);
            ends.push(buf.len() as u32);
        }
        PackedTexts { buf, ends }
    }

    /// How many texts there are.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The `i`th text.
    pub fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.buf[start..self.ends[i] as usize]
    }
}

/// Exact codes of the registry's shape that it does not hold.
pub fn misses(registered: &[String], n: usize, seed: u64) -> Vec<String> {
    let known: HashSet<&str> = registered.iter().map(String::as_str).collect();
    let mut rng = Rng(seed);
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let code = exact_code(&mut rng);
        if !known.contains(code.as_str()) {
            out.push(code);
        }
    }
    out
}

/// `n` texts drawn uniformly from `from`.
pub fn sample(from: &[String], n: usize, seed: u64) -> Vec<String> {
    let mut rng = Rng(seed);
    (0..n)
        .map(|_| from[rng.below(from.len())].clone())
        .collect()
}

/// The same texts with the case of each letter flipped at random.
pub fn mixed_case(texts: &[String], seed: u64) -> Vec<String> {
    let mut rng = Rng(seed);
    texts
        .iter()
        .map(|t| {
            t.chars()
                .map(|c| {
                    if rng.below(2) == 0 {
                        c.to_ascii_lowercase()
                    } else {
                        c
                    }
                })
                .collect()
        })
        .collect()
}

/// Texts that walk part of the way into a regex prefix and leave it: each pattern's word minus
/// its last letter, then `9Z`, which no family's tail accepts.
pub fn regex_misses(regex: &[RegexCode], n: usize, seed: u64) -> Vec<String> {
    let prefixed: Vec<&RegexCode> = regex.iter().filter(|r| r.prefixed).collect();
    let mut rng = Rng(seed);
    (0..n)
        .map(|_| {
            let r = prefixed[rng.below(prefixed.len())];
            let word: String = r.hit.chars().take_while(char::is_ascii_uppercase).collect();
            format!("{}9Z", &word[..word.len() - 1])
        })
        .collect()
}

/// The instant every generated order is attributed at.
pub const ORDER_AT: i64 = 1_773_144_000;

/// `n` orders of 0–3 codes, each drawn by `pick`, and 0–8 clicks by any of 5,000 partners in
/// the 20 days before [`ORDER_AT`].
pub fn orders<'t>(
    n: usize,
    seed: u64,
    mut pick: impl FnMut(&mut Rng) -> &'t str,
) -> Vec<(Vec<&'t str>, Vec<promo_attribution::Click>)> {
    use promo_attribution::{Click, Timestamp};
    let mut rng = Rng(seed);
    (0..n)
        .map(|_| {
            let codes = (0..rng.below(4)).map(|_| pick(&mut rng)).collect();
            let clicks = (0..rng.below(9))
                .map(|_| {
                    Click::new(
                        PartnerId(rng.below(5000) as u64),
                        Timestamp::from_unix_seconds(ORDER_AT - rng.below(86_400 * 20) as i64),
                    )
                })
                .collect();
            (codes, clicks)
        })
        .collect()
}

/// Prose of about `bytes` bytes, with a code from `code` after every 20 to 60 words, set off by
/// spaces and punctuation as a coupon site would print it.
pub fn page(bytes: usize, seed: u64, mut code: impl FnMut(&mut Rng) -> String) -> String {
    const WORDS: &[&str] = &[
        "the",
        "best",
        "deals",
        "this",
        "week",
        "use",
        "code",
        "at",
        "checkout",
        "for",
        "off",
        "your",
        "order",
        "verified",
        "today",
        "free",
        "shipping",
        "on",
        "all",
        "coats",
        "and",
        "shoes",
        "expires",
        "soon",
        "works",
        "site-wide",
        "exclusive",
        "readers",
        "save",
    ];
    let mut rng = Rng(seed | 1);
    let mut page = String::with_capacity(bytes + 64);
    let mut until_code = 20 + rng.below(40);
    while page.len() < bytes {
        if until_code == 0 {
            page.push_str(": ");
            page.push_str(&code(&mut rng));
            page.push_str(". ");
            until_code = 20 + rng.below(40);
        } else {
            page.push_str(WORDS[rng.below(WORDS.len())]);
            page.push(' ');
            until_code -= 1;
        }
    }
    page
}
