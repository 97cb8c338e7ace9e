//! What the message catalogue costs a run: parsing one language's Fluent
//! file into a bundle (once per run, on the first message), and formatting
//! a message with a plural afterwards. The same steps as `text::bundle`.

use criterion::{Criterion, criterion_group, criterion_main};
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

const EN: &str = include_str!("../assets/i18n/en.ftl");
const DE: &str = include_str!("../assets/i18n/de.ftl");

fn bundle(source: &str, code: &str) -> FluentBundle<FluentResource> {
    let id: unic_langid::LanguageIdentifier = code.parse().expect("a language id");
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    bundle.set_use_isolating(false);
    let resource = FluentResource::try_new(source.to_owned()).expect("the file parses");
    bundle.add_resource(resource).expect("no message twice");
    bundle
}

fn catalogue(c: &mut Criterion) {
    c.bench_function(
        "catalogue: parse en.ftl into a bundle (once per run)",
        |b| {
            b.iter(|| bundle(std::hint::black_box(EN), "en"));
        },
    );
    c.bench_function(
        "catalogue: parse de.ftl into a bundle (once per run)",
        |b| {
            b.iter(|| bundle(std::hint::black_box(DE), "de"));
        },
    );
    let de = bundle(DE, "de");
    c.bench_function("catalogue: format one message with a plural (de)", |b| {
        b.iter(|| {
            let message = de.get_message("board-live-on").expect("the id exists");
            let mut args = FluentArgs::new();
            args.set("count", FluentValue::from(std::hint::black_box(12)));
            let mut errors = Vec::new();
            de.format_pattern(message.value().expect("a value"), Some(&args), &mut errors)
                .into_owned()
        });
    });
}

criterion_group!(benches, catalogue);
criterion_main!(benches);
