//! The guidance pages the customer's phone opens (`GET /guidance/{name}`):
//! one small self-contained HTML document per step and language, made from
//! the same guidance data and catalogue as the terminal's panel. Every text
//! is escaped by the template (maud), so nothing from a scenario or the
//! network can become markup.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::guidance::{explain_code, guidance};
use crate::text::Lang;
use crate::tr;

/// A small style that reads at 360 px and on a desktop; no fonts, images or
/// scripts from anywhere.
const STYLE: &str = "body{font:16px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;\
margin:0 auto;max-width:40rem;padding:1rem;color:#111;background:#fff;overflow-wrap:anywhere}\
h1{font-size:1.4rem;margin:.2rem 0 .6rem}h2{font-size:1.1rem;margin:1.2rem 0 .4rem}\
ol,ul{padding-left:1.4rem}li{margin:.3rem 0}.step{color:#555;font-size:.9rem}\
dl{margin:0}dt{font-weight:600;margin-top:.6rem}dd{margin:0 0 0 1rem}\
footer{margin-top:2rem;color:#555;font-size:.85rem}\
@media(prefers-color-scheme:dark){body{color:#eee;background:#111}.step,footer{color:#aaa}}";

/// The page of step `name` in `lang`. An unknown step gets the generic
/// guidance under its own (escaped) name.
/// The page speaks to the customer only: its own headings and, for a step
/// stepwise does not know, its own words; the error codes with their
/// meaning and no technician's remedy (keys, commands), which the dealer
/// reads on the terminal instead.
pub fn guidance_page(lang: Lang, name: &str) -> String {
    let guide = guidance().for_step(name);
    let mut words = guide.text(lang, name);
    if guide.is_generic() {
        words.purpose = tr!(lang, "page-unknown-purpose");
        words.does = crate::text::lines(lang, "page-unknown-does");
        words.needs = Vec::new();
    } else {
        // Where the panel speaks of "the customer's PIN", the page says
        // "your PIN" (`page-step-*`).
        let id = |part: &str| format!("page-step-{name}-{part}");
        if crate::text::has(lang, &id("purpose")) {
            words.purpose = crate::text::message(lang, &id("purpose"), None);
        }
        if crate::text::has(lang, &id("needs")) {
            words.needs = crate::text::lines(lang, &id("needs"));
        }
    }
    let codes: Vec<_> = guide
        .errors
        .iter()
        .filter_map(|c| explain_code(*c))
        .collect();
    let page: Markup = html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (words.title) " · stepwise" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                p.step { (tr!(lang, "page-kicker")) }
                h1 { (words.title) }
                p { (words.purpose) }
                h2 { (tr!(lang, "page-does")) }
                ol {
                    @for action in &words.does { li { (action) } }
                }
                @if !words.needs.is_empty() {
                    h2 { (tr!(lang, "page-needs")) }
                    ul {
                        @for need in &words.needs { li { (need) } }
                    }
                }
                @if !codes.is_empty() {
                    h2 { (tr!(lang, "page-errors")) }
                    dl {
                        @for code in &codes {
                            dt { (code.code) }
                            dd { (code.meaning(lang)) }
                        }
                    }
                    p { (tr!(lang, "page-errors-hint")) }
                }
                footer { (tr!(lang, "page-footer")) " · " code { (name) } }
            }
        }
    };
    page.into_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_holds_the_panels_words_and_declares_its_language() {
        let page = guidance_page(Lang::En, "deviceActivation");
        assert!(
            page.starts_with("<!DOCTYPE html><html lang=\"en\">"),
            "{page}"
        );
        let words = guidance()
            .for_step("deviceActivation")
            .text(Lang::En, "deviceActivation");
        // The panel's steps and title; the page's own purpose and needs.
        let purpose = tr!(Lang::En, "page-step-deviceActivation-purpose");
        let needs = crate::text::lines(Lang::En, "page-step-deviceActivation-needs");
        for text in words
            .does
            .iter()
            .chain(&needs)
            .chain([&purpose, &words.title])
        {
            let escaped = maud::html! { (text) }.into_string();
            assert!(page.contains(&escaped), "missing {text:?}");
        }
        assert!(page.contains("2312"));
        assert!(!page.contains("<script") && !page.contains("src=") && !page.contains("href="));
    }

    #[test]
    fn portugal_and_brazil_get_their_own_page() {
        let portugal = guidance_page(Lang::PtPt, "trusterPhoneNumber");
        let brazil = guidance_page(Lang::Pt, "trusterPhoneNumber");
        assert!(portugal.contains("<html lang=\"pt-PT\">"), "{portugal}");
        assert!(brazil.contains("<html lang=\"pt-BR\">"), "{brazil}");
        // Portugal: o seu concessionário, a aplicação, de confiança.
        assert!(portugal.contains("seu concessionário"), "{portugal}");
        assert!(portugal.contains("aplicação") && !portugal.contains("aplicativo"));
        assert!(portugal.contains("de confiança") && !portugal.contains("confiável"));
        assert!(brazil.contains("concessionária"), "{brazil}");
        assert!(brazil.contains("aplicativo") && brazil.contains("confiável"));
    }

    #[test]
    fn a_page_speaks_to_the_customer_only() {
        for lang in Lang::ALL {
            for name in [
                "trusterPhoneNumber",
                "deviceActivation",
                "mediumCarKey",
                "x",
            ] {
                let page = guidance_page(*lang, name);
                // No command, no backtick, no key of the wizard.
                assert!(
                    !page.contains('`') && !page.contains("stepwise steps"),
                    "{lang} {name}"
                );
                assert!(
                    !page.contains("--reset") && !page.contains("--car"),
                    "{lang} {name}"
                );
                for remedy in ["code-2311-remedy", "code-2312-remedy", "code-2317-remedy"] {
                    let text = tr!(*lang, "guide-does");
                    assert!(!page.contains(&text), "{lang} {name}: {text}");
                    let remedy = crate::text::message(*lang, remedy, None);
                    let escaped = maud::html! { (remedy) }.into_string();
                    assert!(!page.contains(&escaped), "{lang} {name}: {remedy}");
                }
            }
            // A step stepwise does not know says so, to the customer.
            let unknown = guidance_page(*lang, "someNewStep");
            let says = maud::html! { (tr!(*lang, "page-unknown-purpose")) }.into_string();
            assert!(unknown.contains(&says), "{lang}: {unknown}");
        }
    }

    /// The page speaks to the customer, never of them: "your PIN", not
    /// "the customer's PIN", in every language.
    #[test]
    fn a_page_says_you_not_the_customer() {
        let customer = |lang: Lang| match lang {
            Lang::En => "customer",
            Lang::Fr => "client",
            Lang::De => "Kunde",
            Lang::Nl => "klant",
            Lang::It | Lang::Es | Lang::Pt | Lang::PtPt => "cliente",
        };
        for lang in Lang::ALL {
            for name in ["trusterPhoneNumber", "deviceActivation", "mediumCarKey"] {
                let page = guidance_page(*lang, name).to_lowercase();
                let word = customer(*lang).to_lowercase();
                assert!(!page.contains(&word), "{lang} {name}: {word} in {page}");
            }
        }
    }

    #[test]
    fn unknown_names_are_escaped_text() {
        let name = "<script>alert(\"x\")</script>'";
        let page = guidance_page(Lang::En, name);
        assert!(!page.contains("<script>"), "{page}");
        assert!(page.contains("&lt;script&gt;"), "{page}");
    }

    #[test]
    fn a_page_is_small() {
        for name in [
            "trusterPhoneNumber",
            "deviceActivation",
            "mediumCarKey",
            "x",
        ] {
            let page = guidance_page(Lang::En, name);
            assert!(page.len() < 20 * 1024, "{name}: {} bytes", page.len());
        }
    }
}
