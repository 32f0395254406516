//! Binary snapshots, starting from real ones: a registry built from the fuzzer's program (its
//! history maybe folded by a checkpoint) is written, and must read back — trusted, validated,
//! and through JSON — to the same bytes and to engines that decide every order as the
//! original's does. Then its body is altered (bytes flipped, bytes spliced in) and framed
//! again with a valid checksum (random bytes would only ever fail it): reading never panics;
//! what the validated read accepts, the trusted read accepts too, as the same registry deciding
//! the same way, and it compiles; what only the trusted read accepts still compiles or fails
//! cleanly.

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use promo_attribution::{Click, Conversion, Engine, Registry};

/// The snapshot layout's checksum (src/registry/snapshot.rs), so that a body can be framed.
fn checksum(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h = 0x005E_ED0F_5A4D_0001 ^ bytes.len() as u64;
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        h = (h ^ u64::from_le_bytes(w)).wrapping_mul(K).rotate_left(29);
    }
    for &byte in words.remainder() {
        h = (h ^ u64::from(byte)).wrapping_mul(K).rotate_left(29);
    }
    h ^= h >> 32;
    h = h.wrapping_mul(K);
    h ^ (h >> 29)
}

/// The magic, the format and the body's length before the body; the checksum after it.
const HEADER: usize = 8 + 4 + 8;

fn framed(format: [u8; 4], body: &[u8]) -> Vec<u8> {
    let mut bytes = b"PROMOREG".to_vec();
    bytes.extend_from_slice(&format);
    bytes.extend_from_slice(&(body.len() as u64).to_le_bytes());
    bytes.extend_from_slice(body);
    let sum = checksum(&bytes);
    bytes.extend_from_slice(&sum.to_le_bytes());
    bytes
}

#[derive(Arbitrary, Debug)]
struct Input {
    program: common::ProgramSpec,
    checkpoint: bool,
    /// Body bytes flipped: an offset and the bits.
    flips: Vec<(u16, u8)>,
    /// Bytes put in at an offset of the body, in place of as many.
    splice: Option<(u16, Vec<u8>)>,
    orders: Vec<common::OrderSpec>,
}

/// Whether two engines decide every order alike.
fn same_decisions(a: &Engine, b: &Engine, orders: &[common::OrderSpec]) -> bool {
    orders.iter().take(8).all(|order| {
        let codes = common::entered(order);
        let clicks: Vec<Click> = common::clicks(order);
        let conversion: Conversion<'_> = common::conversion(order, &codes, &clicks);
        a.attribute(&conversion) == b.attribute(&conversion)
    })
}

fuzz_target!(|input: Input| {
    let (mut registry, _) = common::build(&input.program);
    if input.checkpoint {
        registry
            .checkpoint(registry.revision())
            .expect("the registry's own revision");
    }
    let engine = registry.compile().expect("a small registry compiles");
    let bytes = registry.to_bytes();

    // The snapshot as written reads back, every way, to the same registry.
    let trusted = Registry::from_bytes(&bytes).expect("a snapshot written reads back");
    let validated = Registry::from_bytes_validated(&bytes).expect("and passes every rule");
    let json = serde_json::to_string(&registry).expect("writes");
    let from_json: Registry = serde_json::from_str(&json).expect("a JSON snapshot reads back");
    for back in [&trusted, &validated, &from_json] {
        assert_eq!(
            back.to_bytes(),
            bytes,
            "a snapshot read back writes other bytes"
        );
        let compiled = back.compile().expect("what was compiled compiles again");
        assert!(
            same_decisions(&engine, &compiled, &input.orders),
            "a registry read back decides otherwise"
        );
    }

    // Altered, and framed again so that the checksum holds.
    let mut body = bytes[HEADER..bytes.len() - 8].to_vec();
    for &(offset, bits) in input.flips.iter().take(4) {
        let at = usize::from(offset) % body.len();
        body[at] ^= bits;
    }
    if let Some((offset, spliced)) = &input.splice {
        let at = usize::from(*offset) % (body.len() + 1);
        let end = (at + spliced.len()).min(body.len());
        body.splice(at..end, spliced.iter().copied().take(64));
    }
    let format = [bytes[8], bytes[9], bytes[10], bytes[11]];
    let altered = framed(format, &body);
    let trusted = Registry::from_bytes(&altered);
    if let Ok(validated) = Registry::from_bytes_validated(&altered) {
        let trusted = trusted
            .as_ref()
            .expect("the trusted read refused what the validated one accepted");
        let written = validated.to_bytes();
        assert_eq!(
            trusted.to_bytes(),
            written,
            "the two reads gave other registries"
        );
        let back = Registry::from_bytes(&written).expect("a snapshot written reads back");
        assert_eq!(back.to_bytes(), written);
        let a = validated.compile().expect("a validated registry compiles");
        let b = trusted
            .compile()
            .expect("and so does the same one, trusted");
        assert!(
            same_decisions(&a, &b, &input.orders),
            "the two reads decide otherwise"
        );
    } else if let Ok(trusted) = trusted {
        // Trusted bytes skip the rules, but must still never panic.
        let _ = trusted.compile();
    }
});
