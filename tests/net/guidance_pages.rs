//! The customer's guidance pages served by the simulator: every step in
//! every language, made from the same catalogue as the terminal's panel
//! (its purpose and needs spoken to the customer);
//! unknown steps and languages; escaping; a gateway without pages.

use std::time::Duration;

use stepwise::client::{ClientOptions, Gateway};
use stepwise::guidance::guidance;
use stepwise::sim::{Scenario, spawn};
use stepwise::text::Lang;

fn escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

async fn get(url: &str) -> (u16, Option<String>, String) {
    let response = reqwest::get(url).await.expect("the simulator answers");
    let status = response.status().as_u16();
    let lang = response
        .headers()
        .get("content-language")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (status, lang, response.text().await.unwrap())
}

#[tokio::test]
async fn every_step_in_every_language_holds_the_panels_words() {
    let sim = spawn(Scenario::built_in(), None).await.unwrap();
    let base = sim.url();
    for name in ["trusterPhoneNumber", "deviceActivation", "mediumCarKey"] {
        for lang in Lang::ALL {
            let url = format!("{base}/guidance/{name}?lang={}", lang.code());
            let (status, content_lang, page) = get(&url).await;
            assert_eq!(status, 200, "{url}");
            assert_eq!(content_lang.as_deref(), Some(lang.code()), "{url}");
            assert!(
                page.contains(&format!("<html lang=\"{}\">", lang.code())),
                "{url}"
            );
            let mut words = guidance().for_step(name).text(*lang, name);
            // The page's own purpose and needs where the panel's speak of
            // the customer (`page-step-*`: "your PIN").
            let own = |part: &str| format!("page-step-{name}-{part}");
            if stepwise::text::has(*lang, &own("purpose")) {
                words.purpose = stepwise::text::message(*lang, &own("purpose"), None);
            }
            if stepwise::text::has(*lang, &own("needs")) {
                words.needs = stepwise::text::lines(*lang, &own("needs"));
            }
            for text in words
                .does
                .iter()
                .chain(&words.needs)
                .chain([&words.purpose, &words.title])
            {
                assert!(page.contains(&escaped(text)), "{url} misses {text:?}");
            }
            assert!(page.len() < 20 * 1024, "{url}: {} bytes", page.len());
        }
    }
}

#[tokio::test]
async fn unknown_steps_get_the_generic_page_and_unknown_languages_english() {
    let sim = spawn(Scenario::built_in(), None).await.unwrap();
    let base = sim.url();
    let (status, lang, page) = get(&format!("{base}/guidance/faceScan?lang=xx")).await;
    assert_eq!((status, lang.as_deref()), (200, Some("en")));
    // The customer reads that the step is unknown, in words for them.
    let unknown = stepwise::text::message(Lang::En, "page-unknown-purpose", None);
    assert!(page.contains(&escaped(&unknown)), "{page}");
    assert!(page.contains("faceScan"));
    let (status, lang, _) = get(&format!("{base}/guidance/deviceActivation")).await;
    assert_eq!((status, lang.as_deref()), (200, Some("en")));
}

#[tokio::test]
async fn a_step_name_with_markup_is_shown_as_text() {
    let sim = spawn(Scenario::built_in(), None).await.unwrap();
    let url = format!(
        "{}/guidance/%3Cscript%3Ealert(%22x%22)%3C%2Fscript%3E'?lang=en",
        sim.url()
    );
    let (status, _, page) = get(&url).await;
    assert_eq!(status, 200);
    assert!(!page.contains("<script"), "{page}");
    assert!(page.contains("&lt;script&gt;"), "{page}");
}

#[tokio::test]
async fn the_client_sees_whether_a_gateway_serves_pages() {
    let options = ClientOptions {
        timeout: Duration::from_secs(5),
        ..ClientOptions::default()
    };
    let sim = spawn(Scenario::built_in(), None).await.unwrap();
    let gw = Gateway::new(&sim.url(), "dev".into(), None, options.clone()).unwrap();
    assert!(gw.offers_guidance_pages().await);
    // A gateway without the call answers 404: the client falls back.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let gw = Gateway::new(&format!("http://{addr}"), "dev".into(), None, options).unwrap();
    assert!(!gw.offers_guidance_pages().await);
}
