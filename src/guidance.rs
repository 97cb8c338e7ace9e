//! Step guidance and the app's error codes: their structure (which codes a
//! step names, where its guide is) is data in `assets/`, their words come
//! from the message catalogue.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::text::Lang;

const GUIDANCE_JSON: &str = include_str!("../assets/guidance.json");
const ERROR_CODES_JSON: &str = include_str!("../assets/error_codes.json");

/// One step's guide: which app errors belong to it and where the official
/// guide is. Its words are [`StepText`].
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct StepGuide {
    pub name: String,
    pub errors: Vec<i64>,
    /// The page's path under a dealer's `docs_base_url`.
    pub doc_path: String,
    /// The maker's archived developer page (`archive_base` + this + `.md`).
    pub archive_page: String,
}

/// A step's guidance in words, in one language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepText {
    pub title: String,
    pub purpose: String,
    pub needs: Vec<String>,
    pub does: Vec<String>,
}

impl StepGuide {
    /// The catalogue key of this guide: the step name, or `generic`.
    fn key(&self) -> &str {
        if self.name.is_empty() {
            "generic"
        } else {
            &self.name
        }
    }

    /// The guide's words in `lang`; `title` is the raw name for the generic
    /// guide of an unknown step.
    pub fn text(&self, lang: Lang, raw_name: &str) -> StepText {
        let key = self.key();
        let id = |part: &str| format!("step-{key}-{part}");
        StepText {
            title: step_title(lang, raw_name),
            purpose: crate::text::message(lang, &id("purpose"), None),
            needs: crate::text::lines(lang, &id("needs")),
            does: crate::text::lines(lang, &id("does")),
        }
    }
}

/// The documentation's own term for a step, in `lang`, or its raw name for a
/// step this tool does not know.
pub fn step_title(lang: Lang, name: &str) -> String {
    let id = format!("step-{name}-title");
    if crate::text::has(lang, &id) {
        crate::text::message(lang, &id, None)
    } else {
        name.to_owned()
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Guidance {
    /// The maker's developer pages, archived at a fixed commit (the live
    /// site removed them).
    pub archive_base: String,
    pub service_page: String,
    pub service_archive: String,
    steps: Vec<StepGuide>,
    generic: StepGuide,
}

/// Where a link leads; the screen says which.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    /// The gateway's page for the customer, in their language.
    Gateway,
    /// The dealer's own help pages (`docs_base_url`).
    Dealer,
    /// The maker's archived developer documentation (English, for
    /// technicians, not customers).
    Archive,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuideLink {
    pub url: String,
    pub kind: LinkKind,
}

/// The technician's "Guide" link for `step` (or the service page): the
/// dealer's page when one is set, else the archived developer page; never
/// the removed site.
pub fn technician_link(docs_base_url: Option<&str>, step: Option<&str>) -> GuideLink {
    let g = guidance();
    let (path, archive) = match step.map(|name| g.for_step(name)) {
        Some(guide) => (guide.doc_path.as_str(), guide.archive_page.as_str()),
        None => (g.service_page.as_str(), g.service_archive.as_str()),
    };
    match docs_base_url {
        Some(base) => GuideLink {
            url: doc_url(base, path),
            kind: LinkKind::Dealer,
        },
        None => GuideLink {
            url: format!("{}{archive}.md", g.archive_base),
            kind: LinkKind::Archive,
        },
    }
}

/// The customer's link for `step` (QR code and `o`): the gateway's page in
/// `lang` when the gateway offers pages, else the technician's link.
pub fn customer_link(
    pages: Option<&str>,
    lang: Lang,
    docs_base_url: Option<&str>,
    step: Option<&str>,
) -> GuideLink {
    match pages {
        Some(base) => {
            let name = step.unwrap_or("generic");
            let segment: String = url::form_urlencoded::byte_serialize(name.as_bytes()).collect();
            GuideLink {
                url: format!(
                    "{}/guidance/{segment}?lang={}",
                    base.trim_end_matches('/'),
                    lang.code()
                ),
                kind: LinkKind::Gateway,
            }
        }
        None => technician_link(docs_base_url, step),
    }
}

impl Guidance {
    /// The guide of a step by its canonical name; unknown steps get the
    /// generic guide.
    pub fn for_step(&self, name: &str) -> &StepGuide {
        self.steps
            .iter()
            .find(|g| g.name == name)
            .unwrap_or(&self.generic)
    }
}

/// One error code the customer's app may show.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct ErrorCode {
    pub code: i64,
    /// The steps-cache reset (`resetSteps=true`) is the remedy.
    pub reset_cures: bool,
    pub step: Option<String>,
}

impl ErrorCode {
    /// What the code means, in `lang`.
    pub fn meaning(&self, lang: Lang) -> String {
        crate::text::message(lang, &format!("code-{}-meaning", self.code), None)
    }

    /// What helps, in `lang`.
    pub fn remedy(&self, lang: Lang) -> String {
        crate::text::message(lang, &format!("code-{}-remedy", self.code), None)
    }
}

/// The built-in guidance. The asset is checked by the tests, so a broken file
/// cannot ship.
pub fn guidance() -> &'static Guidance {
    static GUIDANCE: OnceLock<Guidance> = OnceLock::new();
    GUIDANCE.get_or_init(|| {
        serde_json::from_str(GUIDANCE_JSON).expect("assets/guidance.json is valid (tested)")
    })
}

/// The built-in error codes, by code.
pub fn error_codes() -> &'static BTreeMap<i64, ErrorCode> {
    static CODES: OnceLock<BTreeMap<i64, ErrorCode>> = OnceLock::new();
    CODES.get_or_init(|| {
        let list: Vec<ErrorCode> = serde_json::from_str(ERROR_CODES_JSON)
            .expect("assets/error_codes.json is valid (tested)");
        list.into_iter().map(|e| (e.code, e)).collect()
    })
}

pub fn explain_code(code: i64) -> Option<&'static ErrorCode> {
    error_codes().get(&code)
}

/// Joins the documentation base URL (configurable, a dealer may use its own
/// help pages) and a page path.
pub fn doc_url(base: &str, path: &str) -> String {
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::steps::{CAR_KEY, DEVICE_ACTIVATION, TRUSTED_PHONE};

    #[test]
    fn assets_parse_and_cover_the_three_steps() {
        let g = guidance();
        for name in [TRUSTED_PHONE, DEVICE_ACTIVATION, CAR_KEY] {
            let guide = g.for_step(name);
            assert_eq!(guide.name, name);
            let text = guide.text(Lang::En, name);
            assert!(!text.purpose.is_empty() && !text.does.is_empty() && !text.needs.is_empty());
            assert_ne!(text.title, name, "a known step has a title");
            assert!(guide.doc_path.starts_with("/mobile-sdk/"));
            let link = technician_link(None, Some(name));
            assert_eq!(link.kind, LinkKind::Archive);
            assert!(link.url.starts_with("https://github.com/Stellantis/stellantis.github.io/blob/2e1e7b18640e00ba98058b9acfcdbd9a6faf13a4/mobile-sdk/2-"), "{}", link.url);
            assert!(!link.url.contains("developer.groupe-psa.io"));
        }
        let unknown = g.for_step("faceScan");
        assert!(unknown.name.is_empty());
        let text = unknown.text(Lang::En, "faceScan");
        assert_eq!(text.title, "faceScan");
        assert!(!text.does.is_empty());
    }

    #[test]
    fn cache_reset_codes_say_so() {
        for code in [2312, 2317] {
            let e = explain_code(code).expect("known code");
            assert!(e.reset_cures, "{code} is cured by a reset");
            assert!(e.remedy(Lang::En).to_lowercase().contains("reset"));
        }
        assert!(!explain_code(2342).unwrap().reset_cures);
        assert!(explain_code(2346).is_some());
        assert!(explain_code(1).is_none());
    }

    #[test]
    fn every_code_has_words() {
        for e in error_codes().values() {
            for id in [
                format!("code-{}-meaning", e.code),
                format!("code-{}-remedy", e.code),
            ] {
                assert!(crate::text::has(Lang::En, &id), "{id}");
            }
        }
    }

    #[test]
    fn every_code_a_guide_names_is_explained() {
        let g = guidance();
        for name in [TRUSTED_PHONE, DEVICE_ACTIVATION, CAR_KEY] {
            for code in &g.for_step(name).errors {
                assert!(explain_code(*code).is_some(), "{name} names {code}");
            }
        }
    }

    #[test]
    fn the_customer_link_is_the_gateways_page_when_offered() {
        let link = customer_link(
            Some("http://10.0.0.5:8080/"),
            Lang::En,
            Some("https://help.dealer.example"),
            Some("deviceActivation"),
        );
        assert_eq!(
            link.url,
            "http://10.0.0.5:8080/guidance/deviceActivation?lang=en"
        );
        assert_eq!(link.kind, LinkKind::Gateway);
        let link = customer_link(
            None,
            Lang::En,
            Some("https://help.dealer.example"),
            Some("mediumCarKey"),
        );
        assert_eq!(
            link.url,
            "https://help.dealer.example/mobile-sdk/security/carkey/"
        );
        assert_eq!(link.kind, LinkKind::Dealer);
    }

    #[test]
    fn doc_urls_join_with_one_slash() {
        assert_eq!(doc_url("https://h/", "/a/"), "https://h/a/");
        assert_eq!(doc_url("https://h", "a/"), "https://h/a/");
    }
}
