//! Templates of generated codes: any text parses or fails cleanly; a template that parses
//! prints back to itself, and every code it spells is one a registry takes — generated
//! against a registry holding some of its texts and a regex family, each code free, distinct
//! ignoring case, and the same again for the same seed.

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use promo_attribution::generate::{GenerateRequest, Template};
use promo_attribution::{Code, CodeId, ErrorKind, PartnerId, Registry};

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    template: &'a str,
    alphabet: Option<&'a str>,
    vanity: bool,
    count: u8,
    seed: u64,
    /// Texts registered first, for another partner.
    taken: Vec<&'a str>,
    family: Option<&'a str>,
}

fuzz_target!(|input: Input<'_>| {
    let parsed = if input.vanity {
        Template::vanity(input.template)
    } else {
        Template::parse(input.template)
    };
    let Ok(mut template) = parsed else { return };
    if !input.vanity {
        let again = Template::parse(&template.to_string()).expect("a template prints as it parses");
        assert_eq!(again, template);
    }
    if let Some(alphabet) = input.alphabet {
        match template.clone().alphabet(alphabet) {
            Ok(other) => template = other,
            Err(err) => assert_eq!(err.kind(), ErrorKind::InvalidTemplate),
        }
    }
    let mut registry = Registry::default();
    for (i, text) in input.taken.iter().take(8).enumerate() {
        let _ = registry.add(Code::tracking(CodeId(i as u64), *text, PartnerId(2)));
    }
    if let Some(family) = input.family {
        let _ = registry.add(Code::tracking(CodeId(99), family, PartnerId(3)).regex());
    }
    let engine = registry.compile().expect("a small registry compiles");
    let request = GenerateRequest::new(PartnerId(1), template, usize::from(input.count % 16))
        .seed(input.seed);
    match engine.generate(&request) {
        Ok(generated) => {
            assert_eq!(generated.texts().len(), request.count);
            let mut seen = std::collections::HashSet::new();
            for text in generated.texts() {
                let availability = engine
                    .check_available(text, request.partner, request.window)
                    .expect("a generated code is a valid code");
                assert!(availability.is_available(), "{text:?} collides");
                assert!(seen.insert(text.to_lowercase()), "{text:?} twice");
            }
            assert_eq!(engine.generate(&request).expect("again"), generated);
            let mut copy = registry.clone();
            copy.add_generated(&engine, &request, CodeId(1_000), "fuzz")
                .expect("free codes register");
        }
        Err(err) => assert_eq!(err.kind(), ErrorKind::NamespaceExhausted, "{err}"),
    }
});
