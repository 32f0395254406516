//! The page scanner over arbitrary pages: never a panic, every range on character boundaries,
//! in order, and each one a registered code as an entered code would hit it.

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use promo_attribution::Conversion;
use promo_attribution::decision::CodeHit;
use promo_attribution::monitoring::PageScanner;

#[derive(Arbitrary, Debug)]
struct Input {
    program: common::ProgramSpec,
    page: String,
    at: u8,
}

fuzz_target!(|input: Input| {
    let (registry, _) = common::build(&input.program);
    let Ok(engine) = registry.compile() else {
        return;
    };
    let Ok(scanner) = PageScanner::new(&engine) else {
        return;
    };
    let page = &input.page;
    let at = common::instant(input.at);
    let found = scanner.scan(page, at);
    let mut last = None;
    for f in &found {
        assert!(f.start < f.end && page.is_char_boundary(f.start) && page.is_char_boundary(f.end));
        assert!(last <= Some((f.start, f.end)), "{found:?}");
        last = Some((f.start, f.end));
        assert_ne!(f.hit, CodeHit::Unknown);
        let text = &page[f.start..f.end];
        let decision = engine.attribute(&Conversion::new(at).codes(&[text]));
        assert_eq!(decision.entered()[0], f.hit, "{text:?} in {page:?}");
    }
});
