//! The words a person reads about a failed gateway call, a configuration or
//! network setting that cannot be used, or a sign-in store that fails: what
//! went wrong, why, and what to do. The errors carry data only; the CLI and
//! the wizard show them through here, in the chosen language.

use crate::auth::{
    AddressProblem, AuthError, Discovery, Endpoint, FileStep, Over, ProviderProblem, StoreError,
};
use crate::client::live::LiveFault;
use crate::client::{GatewayError, Rejection};
use crate::config::{ConfigError, FileProblem, TokenFileProblem, TokenPlace, UrlPlace};
use crate::guidance::explain_code;
use crate::net::{NetError, PemProblem, ProxyProblem, TlsProblem};
use crate::text::{Lang, num};
use crate::tr;
use crate::wire::ErrorBody;

/// One line: what, why, what to do.
pub fn gateway_error(lang: Lang, error: &GatewayError) -> String {
    match error {
        GatewayError::Unreachable { base, detail } => tr!(
            lang,
            "gw-unreachable",
            base = base.clone(),
            detail = detail.clone()
        ),
        GatewayError::TimedOut { base, after } => tr!(
            lang,
            "gw-timed-out",
            base = base.clone(),
            secs = format!("{:.1}", after.as_secs_f64())
        ),
        GatewayError::Rejected { status, kind, body } => rejected_line(lang, *status, *kind, body),
        GatewayError::TooLarge { limit } => tr!(lang, "gw-too-large", kib = num(limit / 1024)),
        GatewayError::BadAnswer(why) => tr!(lang, "gw-bad-answer", why = why.to_string()),
        GatewayError::Transport(detail) => tr!(lang, "gw-transport", detail = detail.clone()),
        GatewayError::UserInfoInUrl => tr!(lang, "gw-user-info"),
        GatewayError::BadUrl { url, reason } => tr!(
            lang,
            "gw-bad-url",
            url = format!("{url:?}"),
            reason = reason.clone()
        ),
        GatewayError::BadPath { path, detail } => tr!(
            lang,
            "gw-bad-path",
            path = path.clone(),
            detail = detail.clone()
        ),
        GatewayError::BadToken => tr!(lang, "gw-bad-token"),
        GatewayError::HttpSetup(detail) => tr!(lang, "gw-http-setup", detail = detail.clone()),
        GatewayError::DemoUnavailable(detail) => {
            tr!(lang, "gw-demo-unavailable", detail = detail.clone())
        }
        GatewayError::Tls {
            base,
            proxy,
            problem,
        } => tls_line(lang, base, proxy.as_deref(), problem),
        GatewayError::Net(e) => net_error(lang, e),
        GatewayError::Live(fault) => match fault {
            LiveFault::Cut => tr!(lang, "gw-live-cut"),
            LiveFault::Silent { after } => tr!(
                lang,
                "gw-live-silent",
                secs = format!("{:.1}", after.as_secs_f64())
            ),
            LiveFault::NotText => tr!(lang, "gw-live-not-text"),
            LiveFault::BadLine => tr!(lang, "gw-live-bad-line"),
            LiveFault::Lists { count } => tr!(lang, "gw-live-lists", count = num(*count)),
        },
        GatewayError::Auth(e) => auth_error(lang, e),
    }
}

/// One line about a failed sign-in or refresh: what, why, what to do.
pub fn auth_error(lang: Lang, error: &AuthError) -> String {
    match error {
        AuthError::Discovery(why) => discovery_error(lang, why),
        AuthError::Provider(why) => provider_error(lang, why),
        AuthError::Store(why) => store_error(lang, why),
        AuthError::Denied => tr!(lang, "auth-denied"),
        AuthError::Expired => tr!(lang, "auth-expired"),
        AuthError::SignInAgain(why) => {
            tr!(lang, "auth-sign-in-again", why = over_reason(lang, why))
        }
        AuthError::Network { url, detail } => tr!(
            lang,
            "auth-unreachable",
            url = url.clone(),
            detail = detail.clone()
        ),
    }
}

/// One line about a sign-in store that failed: what, and what to do.
pub fn store_error(lang: Lang, error: &StoreError) -> String {
    match error {
        StoreError::BadChoice { value } => {
            tr!(lang, "err-store-choice", value = format!("{value:?}"))
        }
        StoreError::KeyringUnusable { why } => {
            tr!(lang, "err-store-keyring-unusable", why = why.clone())
        }
        StoreError::Nowhere => tr!(lang, "err-store-nowhere"),
        StoreError::NoDataDir => tr!(lang, "err-store-no-data-dir"),
        StoreError::Encode { detail } => tr!(lang, "err-store-encode", detail = detail.clone()),
        StoreError::Unreadable { gateway } => {
            tr!(lang, "err-store-unreadable", gateway = gateway.clone())
        }
        StoreError::TooSlow { secs } => tr!(lang, "err-store-too-slow", secs = *secs),
        StoreError::KeyringEntry { gateway, why } => tr!(
            lang,
            "err-store-keyring-entry",
            gateway = gateway.clone(),
            why = why.clone()
        ),
        StoreError::KeyringRead { name, why } => tr!(
            lang,
            "err-store-keyring-read",
            name = *name,
            why = why.clone()
        ),
        StoreError::KeyringWrite { name, why } => tr!(
            lang,
            "err-store-keyring-write",
            name = *name,
            why = why.clone()
        ),
        StoreError::KeyringRemove { name, why } => tr!(
            lang,
            "err-store-keyring-remove",
            name = *name,
            why = why.clone()
        ),
        StoreError::FileDamaged { path } => {
            tr!(lang, "err-store-file-damaged", path = path.clone())
        }
        StoreError::FileRead { path, kind } => tr!(
            lang,
            "err-store-file-read",
            path = path.clone(),
            kind = kind.clone()
        ),
        StoreError::FileRemove { path, kind } => tr!(
            lang,
            "err-store-file-remove",
            path = path.clone(),
            kind = kind.clone()
        ),
        StoreError::FileWrite { step, path, kind } => {
            let (path, kind) = (path.clone(), kind.clone());
            match step {
                FileStep::CreateFolder => {
                    tr!(lang, "err-store-file-folder", path = path, kind = kind)
                }
                FileStep::Create => tr!(lang, "err-store-file-create", path = path, kind = kind),
                FileStep::Write => tr!(lang, "err-store-file-write", path = path, kind = kind),
                FileStep::Replace => {
                    tr!(lang, "err-store-file-replace", path = path, kind = kind)
                }
            }
        }
    }
}

/// One line about a failed TLS connection: what, and what to do.
pub fn tls_line(lang: Lang, base: &str, proxy: Option<&str>, problem: &TlsProblem) -> String {
    let host = url::Url::parse(base)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| base.to_owned());
    let via = proxy
        .map(|p| tr!(lang, "tls-via-proxy", proxy = p.to_owned()))
        .unwrap_or_default();
    let base = base.to_owned();
    match problem {
        TlsProblem::UnknownIssuer => tr!(lang, "tls-unknown-issuer", base = base, via = via),
        TlsProblem::Expired => tr!(lang, "tls-expired", base = base),
        TlsProblem::NotYetValid => tr!(lang, "tls-not-yet-valid", base = base),
        TlsProblem::WrongHost => tr!(lang, "tls-wrong-host", base = base, host = host),
        TlsProblem::CertificateRequired => tr!(lang, "tls-certificate-required", base = base),
        TlsProblem::ClientCertificateRefused(alert) => tr!(
            lang,
            "tls-client-refused",
            base = base,
            alert = alert.clone()
        ),
        TlsProblem::HandshakeRefused(alert) => tr!(
            lang,
            "tls-handshake-refused",
            base = base,
            via = via,
            alert = alert.clone()
        ),
        TlsProblem::NotTls => tr!(lang, "tls-not-tls", base = base, via = via),
        TlsProblem::Other(what) => tr!(
            lang,
            "tls-other",
            base = base,
            via = via,
            what = what.clone()
        ),
    }
}

/// Why a login is over, as the start of a sentence that says what to do.
pub fn over_reason(lang: Lang, over: &Over) -> String {
    match over {
        Over::Revoked { gateway, said } => tr!(
            lang,
            "err-over-revoked",
            gateway = gateway.clone(),
            said = said.clone()
        ),
        Over::RefusedFresh => tr!(lang, "err-over-refused-fresh"),
        Over::NoTokenAddress => tr!(lang, "err-over-no-token-address"),
    }
}

fn discovery_error(lang: Lang, error: &Discovery) -> String {
    match error {
        Discovery::Address { what, raw, why } => {
            let what = match what {
                Endpoint::DeviceAuthorization => tr!(lang, "err-signin-endpoint-device"),
                Endpoint::Token => tr!(lang, "err-signin-endpoint-token"),
                Endpoint::Verification => tr!(lang, "err-signin-endpoint-verification"),
            };
            let why = match why {
                AddressProblem::NotUrl => tr!(lang, "err-signin-address-not-url"),
                AddressProblem::PlainHttpBehindHttps => tr!(lang, "err-signin-address-plain-http"),
                AddressProblem::NotHttp => tr!(lang, "err-signin-address-not-http"),
                AddressProblem::NoHost => tr!(lang, "err-signin-address-no-host"),
            };
            tr!(
                lang,
                "err-signin-address",
                what = what,
                url = format!("{raw:?}"),
                why = why
            )
        }
        Discovery::Status {
            gateway,
            status,
            path,
        } => tr!(
            lang,
            "err-signin-discovery-status",
            gateway = gateway.clone(),
            status = *status,
            path = path.clone()
        ),
        Discovery::NotJson { path } => {
            tr!(lang, "err-signin-discovery-not-json", path = path.clone())
        }
        Discovery::Missing { field } => tr!(lang, "err-signin-discovery-missing", field = *field),
        Discovery::NotOffered {
            gateway,
            status: Some(status),
        } => tr!(
            lang,
            "err-signin-not-offered-status",
            gateway = gateway.clone(),
            status = *status
        ),
        Discovery::NotOffered {
            gateway,
            status: None,
        } => tr!(lang, "err-signin-not-offered", gateway = gateway.clone()),
        Discovery::Gateway(why) => why.clone(),
    }
}

fn provider_error(lang: Lang, error: &ProviderProblem) -> String {
    match error {
        ProviderProblem::TooLarge { url, kib } => tr!(
            lang,
            "err-signin-too-large",
            url = url.clone(),
            kib = num(*kib)
        ),
        ProviderProblem::CodeRefused { said } => {
            tr!(lang, "err-signin-code-refused", said = said.clone())
        }
        ProviderProblem::NotDeviceCode { url } => {
            tr!(lang, "err-signin-not-device-code", url = url.clone())
        }
        ProviderProblem::BadDeviceCode => tr!(lang, "err-signin-bad-device-code"),
        ProviderProblem::UnsafeUserCode { code } => tr!(
            lang,
            "err-signin-unsafe-user-code",
            code = format!("{code:?}")
        ),
        ProviderProblem::NotTokenAnswer => tr!(lang, "err-signin-not-token-answer"),
        ProviderProblem::NotBearer => tr!(lang, "err-signin-not-bearer"),
        ProviderProblem::TokenCharacters => tr!(lang, "err-signin-token-characters"),
        ProviderProblem::Stopped { said } => tr!(lang, "err-signin-stopped", said = said.clone()),
        ProviderProblem::RefreshFailed { said } => {
            tr!(lang, "err-signin-refresh-failed", said = said.clone())
        }
        ProviderProblem::Internal(detail) => detail.clone(),
    }
}

/// One line about a configuration that cannot be used: what, and what to do.
pub fn config_error(lang: Lang, error: &ConfigError) -> String {
    match error {
        ConfigError::File {
            path,
            named,
            problem,
        } => {
            let file = if *named {
                tr!(lang, "err-config-named-by", path = path.clone())
            } else {
                path.clone()
            };
            match problem {
                FileProblem::NotUtf8 => tr!(lang, "err-config-not-utf8", file = file),
                FileProblem::Missing => tr!(lang, "err-config-missing", file = file),
                FileProblem::Folder if *named => {
                    tr!(lang, "err-config-folder-named", file = file)
                }
                FileProblem::Folder => tr!(lang, "err-config-folder", file = file),
                FileProblem::Unreadable(kind) => {
                    tr!(
                        lang,
                        "err-config-unreadable",
                        file = file,
                        kind = kind.clone()
                    )
                }
                FileProblem::Invalid {
                    at: Some((line, column)),
                    why,
                } => tr!(
                    lang,
                    "err-config-invalid-at",
                    file = file,
                    line = num(*line),
                    column = num(*column),
                    why = why.clone()
                ),
                FileProblem::Invalid { at: None, why } => {
                    tr!(lang, "err-config-invalid", file = file, why = why.clone())
                }
            }
        }
        ConfigError::TokenFile {
            path,
            from,
            problem,
        } => {
            let path = path.clone();
            let from = token_place(lang, *from);
            match problem {
                TokenFileProblem::Missing => {
                    tr!(lang, "err-token-file-missing", path = path, from = from)
                }
                TokenFileProblem::Folder => {
                    tr!(lang, "err-token-file-folder", path = path, from = from)
                }
                TokenFileProblem::Denied => {
                    tr!(lang, "err-token-file-denied", path = path, from = from)
                }
                TokenFileProblem::Unreadable(kind) => tr!(
                    lang,
                    "err-token-file-unreadable",
                    path = path,
                    from = from,
                    kind = kind.clone()
                ),
                TokenFileProblem::NotUtf8 => {
                    tr!(lang, "err-token-file-not-utf8", path = path, from = from)
                }
                TokenFileProblem::Empty => {
                    tr!(lang, "err-token-file-empty", path = path, from = from)
                }
                TokenFileProblem::BadCharacters => {
                    tr!(lang, "err-token-file-characters", path = path, from = from)
                }
                TokenFileProblem::Lines(n) => tr!(
                    lang,
                    "err-token-file-lines",
                    path = path,
                    from = from,
                    n = num(*n)
                ),
            }
        }
        ConfigError::TokenText { from } => {
            tr!(lang, "err-token-text", from = token_place(lang, *from))
        }
        ConfigError::UserInfo {
            url: UrlPlace::Gateway,
        } => tr!(lang, "err-user-info-gateway"),
        ConfigError::UserInfo {
            url: UrlPlace::Docs,
        } => tr!(lang, "err-user-info-docs"),
        ConfigError::DocsUrl { url } => tr!(lang, "err-docs-url", url = format!("{url:?}")),
    }
}

/// Where a token or token file was given, as a sentence names it: flags
/// and variables by their names, the config file in words.
fn token_place(lang: Lang, place: TokenPlace) -> String {
    match place {
        TokenPlace::TokenFileFlag => "--token-file".to_owned(),
        TokenPlace::ServeTokenFile => "serve --token-file".to_owned(),
        TokenPlace::Environment => crate::config::ENV_TOKEN.to_owned(),
        TokenPlace::ConfigToken => tr!(lang, "err-from-config-token"),
        TokenPlace::ConfigTokenFile => tr!(lang, "err-from-config-token-file"),
    }
}

/// One line about a network setting that cannot be used: what, and what to do.
pub fn net_error(lang: Lang, error: &NetError) -> String {
    match error {
        NetError::CaFile { path, why } => tr!(
            lang,
            "err-ca-file",
            path = path.clone(),
            why = pem_problem(lang, why)
        ),
        NetError::ClientCert { path, why } => tr!(
            lang,
            "err-client-cert",
            path = path.clone(),
            why = pem_problem(lang, why)
        ),
        NetError::KeyNotInCert { path, why } => tr!(
            lang,
            "err-key-not-in-cert",
            path = path.clone(),
            why = pem_problem(lang, why)
        ),
        NetError::ClientKey { path, why } => tr!(
            lang,
            "err-client-key",
            path = path.clone(),
            why = pem_problem(lang, why)
        ),
        NetError::KeyMismatch { cert, key } => tr!(
            lang,
            "err-key-mismatch",
            cert = cert.clone(),
            key = key.clone()
        ),
        NetError::KeyWithoutCert { key } => {
            tr!(lang, "err-key-without-cert", key = key.clone())
        }
        NetError::Proxy { from, why } => {
            let why = match why {
                ProxyProblem::NotUrl(detail) => {
                    tr!(lang, "err-proxy-not-url", detail = detail.clone())
                }
                ProxyProblem::Scheme(scheme) => {
                    tr!(lang, "err-proxy-scheme", scheme = scheme.clone())
                }
                ProxyProblem::NoHost => tr!(lang, "err-proxy-no-host"),
            };
            tr!(lang, "err-proxy", from = *from, why = why)
        }
        NetError::Setup(detail) => tr!(lang, "err-tls-setup", detail = detail.clone()),
    }
}

/// What is wrong with a PEM file, as the end of a sentence that names it.
fn pem_problem(lang: Lang, problem: &PemProblem) -> String {
    match problem {
        PemProblem::Missing => tr!(lang, "err-pem-missing"),
        PemProblem::Denied => tr!(lang, "err-pem-denied"),
        PemProblem::Unreadable(kind) => tr!(lang, "err-pem-unreadable", kind = kind.clone()),
        PemProblem::NotPem(detail) => tr!(lang, "err-pem-not-pem", detail = detail.clone()),
        PemProblem::NoCertificate => tr!(lang, "err-pem-no-certificate"),
        PemProblem::NoKey => tr!(lang, "err-pem-no-key"),
        PemProblem::BadKey(detail) => tr!(lang, "err-pem-bad-key", detail = detail.clone()),
        PemProblem::NoAuthority => tr!(lang, "err-pem-no-authority"),
        PemProblem::Unusable(detail) => tr!(lang, "err-pem-unusable", detail = detail.clone()),
    }
}

/// A short title for a banner.
pub fn gateway_headline(lang: Lang, error: &GatewayError) -> String {
    match error {
        GatewayError::Unreachable { .. } => tr!(lang, "gw-title-unreachable"),
        GatewayError::TimedOut { .. } => tr!(lang, "gw-title-timed-out"),
        GatewayError::Rejected { kind, .. } => match kind {
            Rejection::BadRequest => tr!(lang, "gw-title-bad-request"),
            Rejection::Unauthorized => tr!(lang, "gw-title-unauthorized"),
            Rejection::WrongDevice => tr!(lang, "gw-title-wrong-device"),
            Rejection::NotFound => tr!(lang, "gw-title-not-found"),
            Rejection::Conflict => tr!(lang, "gw-title-conflict"),
            Rejection::TooManyRequests => tr!(lang, "gw-title-too-many"),
            Rejection::ServerFailure => tr!(lang, "gw-title-server-failure"),
            Rejection::Other => tr!(lang, "gw-title-failed"),
        },
        GatewayError::TooLarge { .. } => tr!(lang, "gw-title-too-large"),
        GatewayError::BadAnswer(_) => tr!(lang, "gw-title-bad-answer"),
        GatewayError::Transport(_) => tr!(lang, "gw-title-failed"),
        GatewayError::BadUrl { .. }
        | GatewayError::UserInfoInUrl
        | GatewayError::BadPath { .. }
        | GatewayError::BadToken
        | GatewayError::HttpSetup(_)
        | GatewayError::DemoUnavailable(_)
        | GatewayError::Net(_)
        | GatewayError::Live(LiveFault::Lists { .. }) => tr!(lang, "gw-title-config"),
        GatewayError::Tls { .. } => tr!(lang, "gw-title-tls"),
        GatewayError::Live(_) => tr!(lang, "gw-title-live"),
        GatewayError::Auth(e) if e.needs_login() => tr!(lang, "gw-title-sign-in-again"),
        GatewayError::Auth(_) => tr!(lang, "gw-title-sign-in-failed"),
    }
}

fn rejected_line(lang: Lang, status: u16, kind: Rejection, body: &ErrorBody) -> String {
    // A 401's own message adds nothing to "wants a valid token", and a
    // short token may be a word of it: cut out, it would read "<redacted>".
    let message = body
        .message
        .as_ref()
        .filter(|_| kind != Rejection::Unauthorized);
    let said = match (message, body.code) {
        (Some(m), Some(c)) => format!(" ({m}, code {c})"),
        (Some(m), None) => format!(" ({m})"),
        (None, Some(c)) => format!(" (code {c})"),
        (None, None) => String::new(),
    };
    let (what, todo) = match kind {
        Rejection::BadRequest => (tr!(lang, "gw-400"), tr!(lang, "gw-400-todo")),
        Rejection::Unauthorized => (tr!(lang, "gw-401"), tr!(lang, "gw-401-todo")),
        Rejection::WrongDevice => (tr!(lang, "gw-403"), tr!(lang, "gw-403-todo")),
        Rejection::NotFound => (tr!(lang, "gw-404"), tr!(lang, "gw-404-todo")),
        Rejection::Conflict => (tr!(lang, "gw-409"), tr!(lang, "gw-409-todo")),
        Rejection::TooManyRequests => (tr!(lang, "gw-429"), tr!(lang, "gw-429-todo")),
        Rejection::ServerFailure => (tr!(lang, "gw-5xx"), tr!(lang, "gw-5xx-todo")),
        Rejection::Other => (tr!(lang, "gw-other"), tr!(lang, "gw-other-todo")),
    };
    let sdk = body
        .code
        .and_then(explain_code)
        .map(|e| {
            format!(
                " {}",
                tr!(
                    lang,
                    "gw-app-code",
                    code = e.code,
                    meaning = e.meaning(lang),
                    remedy = e.remedy(lang)
                )
            )
        })
        .unwrap_or_default();
    format!("HTTP {status}: {what}{said}. {todo}.{sdk}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejection_lines_explain_known_codes() {
        let line = gateway_error(
            Lang::En,
            &GatewayError::Rejected {
                status: 404,
                kind: Rejection::NotFound,
                body: ErrorBody::new(Some(2346), "no step"),
            },
        );
        assert!(
            line.starts_with("HTTP 404: the gateway does not know this id (no step, code 2346).")
        );
        assert!(line.contains("App code 2346"));
        assert!(!line.contains('\n'));
    }

    #[test]
    fn a_refused_token_reads_plainly_whatever_the_token() {
        let line = gateway_error(
            Lang::En,
            &GatewayError::Rejected {
                status: 401,
                kind: Rejection::Unauthorized,
                body: ErrorBody::new(None, "missing or <redacted> bearer token"),
            },
        );
        assert!(!line.contains("redacted"), "{line}");
        assert!(
            line.starts_with("HTTP 401: the gateway wants a valid token."),
            "{line}"
        );
    }

    /// Every kind of error this module words reads in the chosen language,
    /// and its `Display` (for logs) stays the English line.
    #[test]
    fn command_line_errors_follow_the_language() {
        let cases: Vec<(String, String, String)> = vec![
            (
                config_error(
                    Lang::De,
                    &ConfigError::TokenText {
                        from: TokenPlace::ConfigToken,
                    },
                ),
                config_error(
                    Lang::En,
                    &ConfigError::TokenText {
                        from: TokenPlace::ConfigToken,
                    },
                ),
                "das Token in der Konfigurationsdatei".into(),
            ),
            (
                net_error(
                    Lang::De,
                    &NetError::Proxy {
                        from: "HTTPS_PROXY",
                        why: ProxyProblem::NoHost,
                    },
                ),
                NetError::Proxy {
                    from: "HTTPS_PROXY",
                    why: ProxyProblem::NoHost,
                }
                .to_string(),
                "der Proxy in HTTPS_PROXY ist unbrauchbar: es fehlt der Host".into(),
            ),
            (
                store_error(Lang::De, &StoreError::TooSlow { secs: 5 }),
                StoreError::TooSlow { secs: 5 }.to_string(),
                "binnen 5 s".into(),
            ),
            (
                auth_error(
                    Lang::De,
                    &AuthError::SignInAgain(Over::Revoked {
                        gateway: "http://g/".into(),
                        said: "invalid_grant".into(),
                    }),
                ),
                auth_error(
                    Lang::En,
                    &AuthError::SignInAgain(Over::Revoked {
                        gateway: "http://g/".into(),
                        said: "invalid_grant".into(),
                    }),
                ),
                "abgelaufen oder wurde widerrufen (invalid_grant). `stepwise login`".into(),
            ),
        ];
        for (german, english, expected) in cases {
            assert!(german.contains(&expected), "{german}");
            assert_ne!(german, english);
            assert!(!english.is_empty() && !english.contains('\n'), "{english}");
        }
        assert_eq!(
            config_error(
                Lang::En,
                &ConfigError::TokenText {
                    from: TokenPlace::Environment,
                }
            ),
            "the token in STEPWISE_TOKEN holds spaces, line breaks or characters a token cannot \
             have. Give the token exactly as the gateway issued it"
        );
    }

    #[test]
    fn words_come_from_the_catalogue() {
        let error = GatewayError::BadUrl {
            url: "ftp://x".into(),
            reason: "only http and https are supported".into(),
        };
        let line = gateway_error(Lang::En, &error);
        assert!(
            line.contains("Give one like http://127.0.0.1:8080"),
            "{line}"
        );
        assert_eq!(gateway_headline(Lang::En, &error), "Bad configuration");
        // The error's own Display is for logs: language-neutral, no advice.
        assert!(!error.to_string().contains("Give one"), "{error}");
    }
}
