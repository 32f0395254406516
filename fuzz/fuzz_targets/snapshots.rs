//! Binary snapshots: the fuzzer's bytes are a snapshot's body, framed with a valid header and
//! checksum (random bytes would only ever fail the checksum). Reading never panics; what reads
//! compiles or fails cleanly, and writes back to bytes that read back the same.

#![no_main]

use libfuzzer_sys::fuzz_target;
use promo_attribution::Registry;

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

fn framed(body: &[u8]) -> Vec<u8> {
    let mut bytes = b"PROMOREG".to_vec();
    bytes.extend_from_slice(&1u32.to_le_bytes());
    bytes.extend_from_slice(&(body.len() as u64).to_le_bytes());
    bytes.extend_from_slice(body);
    let sum = checksum(&bytes);
    bytes.extend_from_slice(&sum.to_le_bytes());
    bytes
}

fuzz_target!(|body: &[u8]| {
    let bytes = framed(body);
    // Untrusted bytes: validated, they give a registry every rule holds for, or an error.
    if let Ok(registry) = Registry::from_bytes_validated(&bytes) {
        let _ = registry.compile();
        let written = registry.to_bytes();
        let back = Registry::from_bytes(&written).expect("a snapshot written reads back");
        assert_eq!(back.to_bytes(), written);
    }
    // Trusted bytes skip the rules, but must still never panic.
    if let Ok(registry) = Registry::from_bytes(&bytes) {
        let _ = registry.compile();
    }
});
