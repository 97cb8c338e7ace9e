//! Step guidance and the app's error codes: their structure (which codes a
//! step names, where its guide is) is data in `assets/`, their words come
//! from the message catalogue.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::text::Lang;

const GUIDANCE_JSON: &str = include_str!("../assets/guidance.json");
const ERROR_CODES_JSON: &str = include_str!("../assets/error_codes.json");
const CLIENT_CODES_JSON: &str = include_str!("../assets/client_codes.json");

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
    /// True for the guide of a step stepwise does not know.
    pub fn is_generic(&self) -> bool {
        self.name.is_empty()
    }

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
/// Whether `url` points at this machine only (`localhost`, a loopback
/// address): a phone or another device cannot open it.
pub fn is_loopback_url(url: &str) -> bool {
    match url::Url::parse(url)
        .ok()
        .and_then(|u| u.host().map(|h| h.to_owned()))
    {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

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
    /// Limits that bite with this code (catalogue ids `limit-<name>`).
    #[serde(default)]
    pub limits: Vec<String>,
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

/// A code or string the open clients of the same backend show their users
/// (`NOK:MAXNBTOOLS`, `invalid_grant`, 40400, ...).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct ClientCode {
    /// As the clients spell it.
    pub text: String,
    /// Its catalogue key: `client-<key>-meaning`, `client-<key>-remedy`.
    pub key: String,
    /// Limits that bite with this code (catalogue ids `limit-<name>`).
    #[serde(default)]
    pub limits: Vec<String>,
}

/// The open clients' codes, in the order of the asset.
pub fn client_codes() -> &'static [ClientCode] {
    static CODES: OnceLock<Vec<ClientCode>> = OnceLock::new();
    CODES.get_or_init(|| {
        serde_json::from_str(CLIENT_CODES_JSON).expect("assets/client_codes.json is valid (tested)")
    })
}

/// The longest code the explainer takes.
pub const MAX_CODE_CHARS: usize = 32;

/// A character a code read off a phone may hold.
pub fn is_code_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, ':' | '_' | '.' | ' ' | '-')
}

/// A code as compared: upper case, `:`, a space or `-` as `_` (as a person
/// copies `NOK: MAXNBTOOLS` off a phone), runs of them as one, and the `NOK`
/// prefix (which the clients print as `NOK:`, `NOK_` or twice) left out.
fn normalise(raw: &str) -> String {
    let mut code = String::with_capacity(raw.len());
    for c in raw.trim().chars() {
        let c = match c {
            ':' | ' ' | '-' => '_',
            c => c.to_ascii_uppercase(),
        };
        if !(c == '_' && code.ends_with('_')) {
            code.push(c);
        }
    }
    let mut code = code.trim_matches('_').to_owned();
    while let Some(rest) = code.strip_prefix("NOK_") {
        code = rest.to_owned();
    }
    code
}

/// A code the explainer knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Known {
    /// One of the app's (SDK's) numeric codes.
    App(&'static ErrorCode),
    /// One of the open clients' codes.
    Client(&'static ClientCode),
}

/// What the customer read off the phone, digits or text in any case:
/// `2312`, `NOK:MAXNBTOOLS`, `nok_blocked`, `invalid_grant`, `40400`.
pub fn explain(raw: &str) -> Option<Known> {
    let raw = raw.trim();
    if let Some(e) = raw.parse::<i64>().ok().and_then(explain_code) {
        return Some(Known::App(e));
    }
    let wanted = normalise(raw);
    if wanted.is_empty() {
        return None;
    }
    let client = client_codes()
        .iter()
        .find(|c| normalise(&c.text) == wanted)
        .map(Known::Client);
    // The words read around an app's code ("Error 2312", "code 2317",
    // "2312.", "E2312"): its one run of digits, when that is a code
    // (stranger 48, AW6).
    client.or_else(|| {
        let mut runs = raw
            .split(|c: char| !c.is_ascii_digit())
            .filter(|run| !run.is_empty());
        let digits = runs.next()?;
        if runs.next().is_some() {
            return None;
        }
        digits
            .parse::<i64>()
            .ok()
            .and_then(explain_code)
            .map(Known::App)
    })
}

impl Known {
    /// The code as the tool spells it.
    pub fn code(&self) -> String {
        match self {
            Known::App(e) => e.code.to_string(),
            Known::Client(c) => c.text.clone(),
        }
    }

    pub fn meaning(&self, lang: Lang) -> String {
        match self {
            Known::App(e) => e.meaning(lang),
            Known::Client(c) => {
                crate::text::message(lang, &format!("client-{}-meaning", c.key), None)
            }
        }
    }

    pub fn remedy(&self, lang: Lang) -> String {
        match self {
            Known::App(e) => e.remedy(lang),
            Known::Client(c) => {
                crate::text::message(lang, &format!("client-{}-remedy", c.key), None)
            }
        }
    }

    /// The limits that bite, in words.
    pub fn limits(&self, lang: Lang) -> Vec<String> {
        let names = match self {
            Known::App(e) => &e.limits,
            Known::Client(c) => &c.limits,
        };
        names
            .iter()
            .map(|n| crate::text::message(lang, &format!("limit-{n}"), None))
            .collect()
    }

    /// The steps-cache reset is the remedy.
    pub fn reset_cures(&self) -> bool {
        matches!(self, Known::App(e) if e.reset_cures)
    }
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
    fn the_explainer_takes_what_the_customer_reads_in_any_case() {
        let key = |raw: &str| match explain(raw) {
            Some(Known::Client(c)) => Some(c.key.as_str()),
            Some(Known::App(e)) => panic!("{raw} read as app code {}", e.code),
            None => None,
        };
        assert_eq!(key("NOK:MAXNBTOOLS"), Some("maxnbtools"));
        assert_eq!(key("nok:maxnbtools"), Some("maxnbtools"));
        assert_eq!(key("MAXNBTOOLS"), Some("maxnbtools"));
        assert_eq!(key("nok_blocked"), Some("blocked"));
        assert_eq!(key("NOK_BLOCKED"), Some("blocked"));
        for typed in ["Error 2312", "code 2312", "2312.", "E2312", "err-2312"] {
            assert!(
                matches!(explain(typed), Some(Known::App(e)) if e.code == 2312),
                "{typed}"
            );
        }
        assert!(explain("2312 2317").is_none());
        assert_eq!(key("NOK:NOK_BLOCKED"), Some("blocked"));
        // As a person copies it off a phone: a space or a dash between.
        assert_eq!(key("NOK MAXNBTOOLS"), Some("maxnbtools"));
        assert_eq!(key("nok: maxnbtools "), Some("maxnbtools"));
        assert_eq!(key("NOK-BLOCKED"), Some("blocked"));
        assert_eq!(key("invalid grant"), Some("invalid-grant"));
        assert_eq!(key("NEED_AUTHORIZATION"), Some("need-authorization"));
        assert_eq!(key("Invalid_Grant"), Some("invalid-grant"));
        assert_eq!(
            key("No.Matching.Service.Key"),
            Some("no-matching-service-key")
        );
        assert_eq!(key(" 40400 "), Some("40400"));
        assert_eq!(key("50000"), Some("50000"));
        assert_eq!(key("NOK:"), None);
        assert_eq!(key("NOK"), None);
        assert_eq!(key("BOGUS"), None);
        assert_eq!(key(""), None);
        assert!(matches!(explain("2312"), Some(Known::App(e)) if e.code == 2312));
        assert!(explain("2312").unwrap().reset_cures());
        assert!(!explain("NOK:MAXNBTOOLS").unwrap().reset_cures());
    }

    #[test]
    fn the_sms_lock_is_told_where_it_bites() {
        for raw in ["NOK:MAXNBTOOLS", "NOK:FORBIDDEN", "2305", "2310"] {
            let limits = explain(raw).unwrap().limits(Lang::En);
            assert!(
                limits.iter().any(|l| l.contains("20 SMS activations")),
                "{raw}: {limits:?}"
            );
        }
        let otp = explain("NOK:ACCESS").unwrap().limits(Lang::De);
        assert!(
            otp.iter().any(|l| l.contains("6 OTP-Codes pro 24 h")),
            "{otp:?}"
        );
        assert!(explain("2312").unwrap().limits(Lang::En).is_empty());
    }

    #[test]
    fn every_client_code_and_limit_has_words_in_every_language() {
        for lang in Lang::ALL {
            for c in client_codes() {
                for part in ["meaning", "remedy"] {
                    let id = format!("client-{}-{part}", c.key);
                    assert!(crate::text::has(*lang, &id), "{lang}: {id}");
                }
            }
            let all_limits = client_codes()
                .iter()
                .flat_map(|c| &c.limits)
                .chain(error_codes().values().flat_map(|e| &e.limits));
            for name in all_limits {
                let id = format!("limit-{name}");
                assert!(crate::text::has(*lang, &id), "{lang}: {id}");
            }
        }
        // No two client codes read the same once normalised, and none is
        // shadowed by an app code.
        for (i, a) in client_codes().iter().enumerate() {
            assert!(
                matches!(explain(&a.text), Some(Known::Client(c)) if c == a),
                "{}",
                a.text
            );
            for b in &client_codes()[i + 1..] {
                assert_ne!(normalise(&a.text), normalise(&b.text));
            }
            assert!(a.text.chars().all(is_code_char) && a.text.len() <= MAX_CODE_CHARS);
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
