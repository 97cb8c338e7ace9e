//! Finding the identity provider, in order: the issuer named by the user
//! (`--issuer`, `STEPWISE_ISSUER`, `issuer` in the config file); else the
//! gateway's OAuth protected resource metadata (RFC 9728), at its
//! well-known address or named by `WWW-Authenticate: Bearer
//! resource_metadata="…"` on a 401; else the authorization server metadata
//! the gateway itself publishes (RFC 8414). From an issuer, its OpenID
//! configuration, then its RFC 8414 metadata; the document's `issuer` must
//! be the one asked for.

use reqwest::StatusCode;
use serde::Deserialize;
use url::Url;

use super::device::{Endpoints, get, provider_url};
use super::{AuthError, Discovery, Endpoint, NamedTrouble};
use crate::steps::sanitize;

use crate::wire::oauth::{
    METADATA_PATH as AUTHORIZATION_SERVER, OPENID_CONFIGURATION_PATH as OPENID_CONFIGURATION,
    PROTECTED_RESOURCE_PATH as PROTECTED_RESOURCE,
};

#[derive(Deserialize)]
struct Metadata {
    #[serde(default)]
    issuer: Option<String>,
    #[serde(default)]
    authorization_endpoint: Option<String>,
    #[serde(default)]
    device_authorization_endpoint: Option<String>,
    #[serde(default)]
    token_endpoint: Option<String>,
    #[serde(default)]
    revocation_endpoint: Option<String>,
    #[serde(default)]
    code_challenge_methods_supported: Vec<String>,
}

#[derive(Deserialize)]
struct ResourceMetadata {
    /// The resource the document is for (RFC 9728 §2): this gateway's
    /// own URL, or the document is not to be used (§3.3).
    #[serde(default)]
    resource: Option<serde_json::Value>,
    #[serde(default)]
    authorization_servers: Vec<String>,
    #[serde(default)]
    scopes_supported: Vec<String>,
}

/// `well_known` put between the host and the path (RFC 8414 §3, RFC 9728 §3).
fn inserted(base: &Url, well_known: &str) -> Url {
    let path = base.path().trim_end_matches('/');
    let mut url = base.clone();
    url.set_path(&format!("{well_known}{path}"));
    url.set_query(None);
    url.set_fragment(None);
    url
}

/// `well_known` after the path (OpenID Connect Discovery §4, and a gateway
/// that serves its metadata under its own path).
fn appended(base: &Url, well_known: &str) -> Url {
    let path = base.path().trim_end_matches('/');
    let mut url = base.clone();
    url.set_path(&format!("{path}{well_known}"));
    url.set_query(None);
    url.set_fragment(None);
    url
}

/// Where an issuer's metadata may be, in the order asked.
fn issuer_urls(issuer: &Url) -> Vec<Url> {
    let mut urls = vec![appended(issuer, OPENID_CONFIGURATION)];
    for url in [
        inserted(issuer, OPENID_CONFIGURATION),
        inserted(issuer, AUTHORIZATION_SERVER),
    ] {
        if !urls.contains(&url) {
            urls.push(url);
        }
    }
    urls
}

/// Where a gateway's own authorization server metadata may be.
fn gateway_urls(gateway: &Url) -> Vec<Url> {
    let mut urls = vec![inserted(gateway, AUTHORIZATION_SERVER)];
    let under = appended(gateway, AUTHORIZATION_SERVER);
    if !urls.contains(&under) {
        urls.push(under);
    }
    urls
}

/// An answer that is a web page (HTML), never a JSON document: what a
/// portal's catch-all serves for a path it does not know.
fn web_page(body: &[u8]) -> bool {
    body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<')
}

/// Whether a protected resource metadata's `resource` is `gateway`: the
/// same scheme, host, port and path, with or without a final `/`.
fn same_resource(named: &serde_json::Value, gateway: &Url) -> bool {
    let Some(named) = named.as_str().and_then(|n| Url::parse(n).ok()) else {
        return false;
    };
    named.scheme() == gateway.scheme()
        && named.host_str().map(str::to_ascii_lowercase)
            == gateway.host_str().map(str::to_ascii_lowercase)
        && named.port_or_known_default() == gateway.port_or_known_default()
        && named.path().trim_end_matches('/') == gateway.path().trim_end_matches('/')
}

/// Two issuers are the same with or without a final `/`.
fn same_issuer(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

/// Finds the provider's endpoints for `gateway`.
pub async fn discover(
    http: &reqwest::Client,
    gateway: &Url,
    issuer: Option<&str>,
) -> Result<Endpoints, AuthError> {
    if let Some(issuer) = issuer {
        return from_issuer(http, gateway, issuer, None).await;
    }
    // Until a provider is named, every address asked is the gateway's: a
    // connection that fails there is the gateway's, not a provider's.
    let on_gateway = |e: AuthError| match e {
        // Connected, and no answer: the discovery document is what is
        // silent, not the gateway unreachable.
        AuthError::Network {
            url,
            detail,
            tls: None,
        } if detail == super::device::NO_ANSWER => AuthError::Discovery(Discovery::Silent {
            gateway: sanitize(gateway.as_str()),
            path: Url::parse(&url).map(|u| u.path().to_owned()).unwrap_or(url),
        }),
        AuthError::Network {
            detail, tls: None, ..
        } => AuthError::GatewayUnreachable {
            base: sanitize(gateway.as_str()),
            detail,
        },
        AuthError::Network {
            tls: Some(problem), ..
        } => AuthError::GatewayTls {
            base: sanitize(gateway.as_str()),
            problem,
        },
        other => other,
    };
    let (found, failed) = resource_metadata(http, gateway).await.map_err(on_gateway)?;
    if let Some((issuer, scopes)) = found {
        return from_issuer(http, gateway, &issuer, scopes).await;
    }
    // Nothing published on the gateway either, but its protected resource
    // metadata failed (5xx): that failure, not "no sign-in offered".
    match (
        from_gateway(http, gateway).await.map_err(on_gateway),
        failed,
    ) {
        (Err(AuthError::Discovery(Discovery::NotOffered { .. })), Some(failed)) => Err(failed),
        (other, _) => other,
    }
}

/// The issuer the protected resource metadata names, and its scopes.
type Named = Option<(String, Option<String>)>;

/// The gateway's protected resource metadata (RFC 9728): the first
/// authorization server it names and the scopes it wants.
/// With none found, a failure (5xx) of the document, said if the gateway
/// publishes no metadata of its own either.
async fn resource_metadata(
    http: &reqwest::Client,
    gateway: &Url,
) -> Result<(Named, Option<AuthError>), AuthError> {
    let failed = |status: StatusCode, url: &Url| {
        status.is_server_error().then(|| {
            AuthError::Discovery(Discovery::Status {
                gateway: sanitize(gateway.as_str()),
                status: status.as_u16(),
                path: sanitize(url.path()),
            })
        })
    };
    let mut url = inserted(gateway, PROTECTED_RESOURCE);
    let mut reply = get(http, &url).await?;
    let mut from_challenge = false;
    if !reply.status.is_success() {
        let first = failed(reply.status, &url);
        // A 401 from the gateway may name the document (RFC 9728 §5.1):
        // one that cannot be had or used there is said as such, should
        // the gateway publish no metadata of its own either (never "the
        // gateway is unreachable" or "offers no sign-in").
        match named_document(http, gateway).await? {
            None => return Ok((None, first)),
            Some(Err(unusable)) => return Ok((None, Some(unusable))),
            Some(Ok((named, named_reply))) => {
                (url, reply, from_challenge) = (named, named_reply, true);
            }
        }
    }
    let unusable = |met| from_challenge.then(|| named_unusable(gateway, url.as_str(), met));
    if web_page(&reply.body) {
        return Ok((None, unusable(NamedTrouble::Page)));
    }
    let Ok(meta) = serde_json::from_slice::<ResourceMetadata>(&reply.body) else {
        return Err(AuthError::Discovery(Discovery::NotJson {
            path: sanitize(url.path()),
        }));
    };
    // A document for another resource points at another's sign-in: its
    // tokens would be for that resource, not this gateway (RFC 9728 §3.3).
    if let Some(named) = meta
        .resource
        .as_ref()
        .filter(|r| !same_resource(r, gateway))
    {
        let named = match named {
            serde_json::Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        return Err(AuthError::Discovery(Discovery::ResourceMismatch {
            gateway: sanitize(gateway.as_str()),
            path: sanitize(url.path()),
            named: sanitize(&named).chars().take(200).collect(),
        }));
    }
    let Some(issuer) = meta.authorization_servers.into_iter().next() else {
        return Ok((None, unusable(NamedTrouble::NoServer)));
    };
    let scopes = Some(meta.scopes_supported.join(" ")).filter(|s| !s.trim().is_empty());
    Ok((Some((issuer, scopes)), None))
}

/// The `resource_metadata` a 401 of the gateway's steps list names.
async fn named_by_challenge(
    http: &reqwest::Client,
    gateway: &Url,
) -> Result<Option<String>, AuthError> {
    let Ok(probe) = gateway.join(crate::wire::LIST_PATH) else {
        return Ok(None);
    };
    let response = http
        .get(probe.clone())
        .send()
        .await
        .map_err(|e| super::device::network_error(&probe, &e))?;
    if response.status() != StatusCode::UNAUTHORIZED {
        return Ok(None);
    }
    let named = response
        .headers()
        .get_all(reqwest::header::WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(resource_metadata_param);
    Ok(named)
}

/// The document a 401 of the gateway names, read; `Some(Err)` when it
/// cannot be had there (no http(s) address, a failure, an error status).
async fn named_document(
    http: &reqwest::Client,
    gateway: &Url,
) -> Result<Option<Result<(Url, super::device::Reply), AuthError>>, AuthError> {
    let Some(raw) = named_by_challenge(http, gateway).await? else {
        return Ok(None);
    };
    let Ok(url) = provider_url(&raw, gateway, Endpoint::Token) else {
        let shown: String = raw.chars().take(200).collect();
        return Ok(Some(Err(named_unusable(
            gateway,
            &shown,
            NamedTrouble::NotHttp,
        ))));
    };
    match get(http, &url).await {
        Ok(reply) if reply.status.is_success() => Ok(Some(Ok((url, reply)))),
        Ok(reply) => {
            let met = NamedTrouble::Status(reply.status.as_u16());
            Ok(Some(Err(named_unusable(gateway, url.as_str(), met))))
        }
        Err(AuthError::Network { detail, .. }) => Ok(Some(Err(named_unusable(
            gateway,
            url.as_str(),
            NamedTrouble::Network(detail),
        )))),
        Err(e) => Err(e),
    }
}

/// The metadata the gateway's 401 names at `url` cannot be used (`met`).
fn named_unusable(gateway: &Url, url: &str, met: NamedTrouble) -> AuthError {
    let mut shown =
        Url::parse(url).map_or_else(|_| url.to_owned(), |u| super::device::without_query(&u));
    if shown.is_empty() {
        shown = "\"\"".into();
    }
    AuthError::Discovery(Discovery::Named {
        gateway: sanitize(gateway.as_str()),
        url: sanitize(&shown),
        met,
    })
}

/// `resource_metadata="…"` in a `WWW-Authenticate` value.
fn resource_metadata_param(header: &str) -> Option<String> {
    let at = header.find("resource_metadata=")?;
    let rest = &header[at + "resource_metadata=".len()..];
    let value = match rest.strip_prefix('"') {
        Some(quoted) => quoted.split('"').next()?,
        None => rest.split([',', ' ']).next()?,
    };
    Some(value.to_owned()).filter(|v| !v.is_empty())
}

/// The issuer's metadata, checked to be its own.
async fn from_issuer(
    http: &reqwest::Client,
    gateway: &Url,
    issuer: &str,
    resource_scopes: Option<String>,
) -> Result<Endpoints, AuthError> {
    let bad = || {
        AuthError::Discovery(Discovery::BadIssuer {
            raw: sanitize(issuer),
        })
    };
    let asked = Url::parse(issuer.trim()).map_err(|_| bad())?;
    if !matches!(asked.scheme(), "http" | "https") || asked.host().is_none() {
        return Err(bad());
    }
    // An https gateway never sends its users to a plain http provider.
    provider_url(asked.as_str(), gateway, Endpoint::Token)?;
    let mut status = StatusCode::NOT_FOUND;
    let mut page = None;
    for url in issuer_urls(&asked) {
        let reply = get(http, &url).await?;
        // Busy or limiting requests (a 429, a 5xx): its wait, not a wrong
        // issuer; a refusal with a page is something in front of it.
        if reply.status == StatusCode::TOO_MANY_REQUESTS || reply.status.is_server_error() {
            return Err(AuthError::Provider(super::ProviderProblem::MetadataBusy {
                issuer: sanitize(issuer.trim()),
                status: reply.status.as_u16(),
                wait: reply.retry_after.map(|w| w.as_secs().max(1)),
            }));
        }
        if reply.status.is_client_error()
            && web_page(&reply.body)
            && reply.status != StatusCode::NOT_FOUND
        {
            return Err(AuthError::Fronted {
                url: super::device::without_query(&url),
                status: reply.status.as_u16(),
                said: crate::net::html_title(&reply.body).unwrap_or_default(),
            });
        }
        if !reply.status.is_success() {
            status = reply.status;
            continue;
        }
        // A web page where the metadata belongs (a portal's, a web site's
        // catch-all): said as a page, should the other path hold none.
        if web_page(&reply.body) {
            page = Some(AuthError::Discovery(Discovery::IssuerPage {
                url: sanitize(url.as_str()),
                said: crate::net::html_title(&reply.body).unwrap_or_default(),
            }));
            continue;
        }
        let meta: Metadata = serde_json::from_slice(&reply.body).map_err(|_| {
            AuthError::Discovery(Discovery::IssuerNotJson {
                url: sanitize(url.as_str()),
            })
        })?;
        let said = meta.issuer.clone().unwrap_or_default();
        if !same_issuer(&said, issuer.trim()) {
            return Err(AuthError::Discovery(Discovery::IssuerMismatch {
                asked: sanitize(issuer.trim()),
                got: sanitize(&said),
            }));
        }
        // A member missing from the provider's own document is the
        // provider's, not the gateway's.
        let mut endpoints = endpoints(meta, gateway).map_err(|e| match e {
            AuthError::Discovery(Discovery::Missing { field }) => {
                AuthError::Discovery(Discovery::IssuerMissing {
                    issuer: sanitize(issuer.trim()),
                    field,
                })
            }
            other => other,
        })?;
        endpoints.resource_scopes = resource_scopes;
        return Ok(endpoints);
    }
    if let Some(page) = page {
        return Err(page);
    }
    Err(AuthError::Discovery(Discovery::NoIssuerMetadata {
        issuer: sanitize(issuer.trim()),
        status: status.as_u16(),
    }))
}

/// The metadata the gateway publishes itself (RFC 8414 on the gateway).
async fn from_gateway(http: &reqwest::Client, gateway: &Url) -> Result<Endpoints, AuthError> {
    let mut last = None;
    // A 403 web page: something in front refused it (never the gateway's
    // word that it has no sign-in).
    let mut blocked = None;
    for url in gateway_urls(gateway) {
        let reply = get(http, &url).await?;
        if reply.status == StatusCode::FORBIDDEN && web_page(&reply.body) {
            blocked = Some(crate::net::html_title(&reply.body).unwrap_or_default());
        }
        // A document behind the same token wall as the steps calls (401,
        // 403) is none published: no sign-in to discover there, as for a
        // 404, and waiting changes nothing.
        if matches!(
            reply.status,
            StatusCode::NOT_FOUND | StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
        ) {
            last = Some(reply.status);
            continue;
        }
        // A web server's page for any path (a portal's catch-all): no
        // document published there, as for a 404. A failure's page (a load
        // balancer's 502, a maintenance 503) says nothing of sign-in: the
        // status is said below.
        // A limit's page (429) says nothing of sign-in either: said.
        if web_page(&reply.body)
            && !reply.status.is_server_error()
            && reply.status != StatusCode::TOO_MANY_REQUESTS
        {
            continue;
        }
        if !reply.status.is_success() {
            return Err(AuthError::Discovery(Discovery::Status {
                gateway: sanitize(gateway.as_str()),
                status: reply.status.as_u16(),
                path: sanitize(url.path()),
            }));
        }
        let meta: Metadata = serde_json::from_slice(&reply.body).map_err(|_| {
            AuthError::Discovery(Discovery::NotJson {
                path: sanitize(url.path()),
            })
        })?;
        return endpoints(meta, gateway);
    }
    if let Some(said) = blocked {
        return Err(AuthError::Discovery(Discovery::Blocked {
            gateway: sanitize(gateway.as_str()),
            status: 403,
            said: sanitize(&said),
        }));
    }
    Err(AuthError::Discovery(Discovery::NotOffered {
        gateway: sanitize(gateway.as_str()),
        status: last.map(|s| s.as_u16()),
    }))
}

fn endpoints(meta: Metadata, gateway: &Url) -> Result<Endpoints, AuthError> {
    let missing = |field| AuthError::Discovery(Discovery::Missing { field });
    let optional =
        |raw: Option<String>, what| raw.map(|raw| provider_url(&raw, gateway, what)).transpose();
    let token = meta
        .token_endpoint
        .ok_or_else(|| missing("token_endpoint"))?;
    let authorization = optional(meta.authorization_endpoint, Endpoint::Authorization)?;
    let device_authorization = optional(
        meta.device_authorization_endpoint,
        Endpoint::DeviceAuthorization,
    )?;
    if authorization.is_none() && device_authorization.is_none() {
        return Err(missing("device_authorization_endpoint"));
    }
    Ok(Endpoints {
        issuer: meta.issuer.map(|i| sanitize(&i)),
        authorization,
        device_authorization,
        token: provider_url(&token, gateway, Endpoint::Token)?,
        revocation: optional(meta.revocation_endpoint, Endpoint::Revocation)?,
        pkce_s256: meta
            .code_challenge_methods_supported
            .iter()
            .any(|m| m == "S256"),
        resource_scopes: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resource_is_the_gateway_with_or_without_a_final_slash() {
        let gateway = Url::parse("https://GW.example:443/api/").unwrap();
        for same in ["https://gw.example/api", "https://gw.example:443/api/"] {
            assert!(same_resource(&same.into(), &gateway), "{same}");
        }
        for other in [
            "https://other.example/api",
            "http://gw.example/api",
            "https://gw.example:8443/api",
            "https://gw.example/",
            "not a url",
        ] {
            assert!(!same_resource(&other.into(), &gateway), "{other}");
        }
        assert!(!same_resource(&serde_json::json!(42), &gateway));
    }

    #[test]
    fn an_issuer_is_asked_openid_first_then_rfc_8414() {
        let urls = issuer_urls(&Url::parse("https://idp.example/realms/x").unwrap());
        let urls: Vec<&str> = urls.iter().map(Url::as_str).collect();
        assert_eq!(
            urls,
            [
                "https://idp.example/realms/x/.well-known/openid-configuration",
                "https://idp.example/.well-known/openid-configuration/realms/x",
                "https://idp.example/.well-known/oauth-authorization-server/realms/x",
            ]
        );
        let root = issuer_urls(&Url::parse("http://127.0.0.1:3000").unwrap());
        let root: Vec<&str> = root.iter().map(Url::as_str).collect();
        assert_eq!(
            root,
            [
                "http://127.0.0.1:3000/.well-known/openid-configuration",
                "http://127.0.0.1:3000/.well-known/oauth-authorization-server",
            ]
        );
    }

    #[test]
    fn a_gateway_is_asked_rfc_8414_then_under_its_path() {
        let urls = gateway_urls(&Url::parse("https://g.example/api/").unwrap());
        let urls: Vec<&str> = urls.iter().map(Url::as_str).collect();
        assert_eq!(
            urls,
            [
                "https://g.example/.well-known/oauth-authorization-server/api",
                "https://g.example/api/.well-known/oauth-authorization-server"
            ]
        );
        let root = gateway_urls(&Url::parse("http://127.0.0.1:8080/").unwrap());
        assert_eq!(root.len(), 1);
        assert_eq!(root[0].path(), AUTHORIZATION_SERVER);
        let prm = inserted(
            &Url::parse("https://g.example/api/").unwrap(),
            PROTECTED_RESOURCE,
        );
        assert_eq!(
            prm.as_str(),
            "https://g.example/.well-known/oauth-protected-resource/api"
        );
    }

    #[test]
    fn the_challenge_names_the_resource_metadata() {
        assert_eq!(
            resource_metadata_param(
                r#"Bearer error="invalid_token", resource_metadata="https://g.example/.well-known/oauth-protected-resource""#
            )
            .as_deref(),
            Some("https://g.example/.well-known/oauth-protected-resource")
        );
        assert_eq!(resource_metadata_param("Bearer realm=\"x\""), None);
        assert!(same_issuer("http://a:1/", "http://a:1"));
        assert!(!same_issuer("http://a:1/x", "http://a:1"));
    }
}
