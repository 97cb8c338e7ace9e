//! The TLS handshake with the gateway (trust, version, the certificate's
//! end) and the client certificate this machine presents.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::network::Connection;
use super::{Arg, Budget, EXPIRY_WARNING_DAYS, Mark, Report, Words, check_limit, secs};
use crate::net::{CertSummary, NetError, NetOptions, ProxyChoice, TlsProblem};
use crate::steps::sanitize;

/// The TLS handshake, with the same trust and client certificate as every
/// call; then one request, because a gateway that demands a client
/// certificate says so only after the handshake (TLS 1.3).
pub(super) async fn tls_check<S>(
    report: &mut Report,
    budget: &Budget,
    stream: S,
    host: &str,
    net: &NetOptions,
    proxy: Option<&ProxyChoice>,
) -> Option<Connection>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let presented: crate::net::Presented = Arc::new(Mutex::new(Vec::new()));
    let config = match crate::net::client_tls(net, Some(presented.clone())) {
        Ok(config) => config,
        Err(e @ NetError::CaFile { .. }) => {
            // The words say what to give already.
            report.set("tls", Mark::Failed, Arg::each(|lang| e.words(lang)));
            return None;
        }
        Err(e) => {
            report.set("tls", Mark::Skipped, words!("doctor-tls-skipped-cert"));
            report.set("client_cert", Mark::Failed, Arg::each(|lang| e.words(lang)));
            return Some(Connection {
                usable: false,
                tls_problem: None,
            });
        }
    };
    let Ok(name) = rustls::pki_types::ServerName::try_from(host.to_owned()) else {
        report.set(
            "tls",
            Mark::Failed,
            words!("doctor-tls-bad-name", host = format!("{host:?}")),
        );
        return None;
    };
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let exchange = async {
        let mut tls = connector.connect(name, stream).await?;
        let version = tls
            .get_ref()
            .1
            .protocol_version()
            .map(|v| format!("{v:?}").replace("TLSv1_", "TLS 1."))
            .unwrap_or_else(|| "TLS".into());
        let probe = format!("HEAD / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        tls.write_all(probe.as_bytes()).await?;
        let mut first = [0u8; 1];
        let _ = tls.read(&mut first).await?;
        Ok::<_, std::io::Error>(version)
    };
    let outcome = budget.run(exchange).await;
    let leaf = presented
        .lock()
        .ok()
        .and_then(|p| p.first().and_then(|der| CertSummary::parse(der)));
    let issued = leaf.as_ref().map_or_else(
        || words!("doctor-tls-certificate"),
        |c| {
            words!(
                "doctor-tls-issued",
                subject = c.subject.clone(),
                issuer = c.issuer.clone()
            )
        },
    );
    // SSL_CERT_FILE is another tool's setting (often the system's own
    // bundle): not a file to correct, so the advice is --ca-file's.
    let trusted = net
        .ca_file
        .as_deref()
        .filter(|_| net.ca_from != crate::net::CaFrom::SslCertFile);
    let chain_len = presented.lock().map_or(0, |p| p.len());
    let trust = Trust {
        file: trusted,
        missing: trusted.and_then(|file| missing_intermediate(file, leaf.as_ref(), chain_len)),
    };
    tls_outcome(report, outcome, leaf.as_ref(), issued, proxy, &trust)
}

/// The authority file in use, and the intermediate authority the gateway
/// did not send, when that is why its certificate is not trusted.
struct Trust<'a> {
    file: Option<&'a std::path::Path>,
    missing: Option<String>,
}

/// The issuer of a certificate sent alone (no intermediate after it) that
/// is not itself in the authority file `file`, nor self-signed: the
/// intermediate authority the gateway should send with it.
fn missing_intermediate(
    file: &std::path::Path,
    leaf: Option<&CertSummary>,
    chain_len: usize,
) -> Option<String> {
    let leaf = leaf.filter(|c| chain_len == 1 && c.issuer != c.subject)?;
    let authorities = crate::net::load_certs(file).ok()?;
    let known = authorities
        .iter()
        .filter_map(|der| CertSummary::parse(der))
        .any(|authority| authority.subject == leaf.issuer);
    (!known).then(|| leaf.issuer.clone())
}

/// The handshake's outcome as the TLS line (and, for a certificate the
/// gateway asks for, what the client certificate line says later).
fn tls_outcome(
    report: &mut Report,
    outcome: Option<std::io::Result<String>>,
    leaf: Option<&CertSummary>,
    issued: Words,
    proxy: Option<&ProxyChoice>,
    trust: &Trust<'_>,
) -> Option<Connection> {
    match outcome {
        None => {
            report.set_with(
                "tls",
                Mark::Failed,
                words!("doctor-tls-timeout", secs = secs(check_limit())),
                Some(words!("doctor-tls-timeout-fix")),
            );
            None
        }
        Some(Ok(version)) => {
            let (mark, detail) = match leaf {
                Some(c) => (
                    if c.days_left() < EXPIRY_WARNING_DAYS {
                        Mark::Warning
                    } else {
                        Mark::Ok
                    },
                    words!(
                        "doctor-tls-trusted-left",
                        version = version,
                        issued = issued,
                        days = c.days_left()
                    ),
                ),
                None => (
                    Mark::Ok,
                    words!("doctor-tls-trusted", version = version, issued = issued),
                ),
            };
            report.set_with(
                "tls",
                mark,
                detail,
                (mark == Mark::Warning).then(|| words!("doctor-tls-ends-soon")),
            );
            Some(Connection {
                usable: true,
                tls_problem: None,
            })
        }
        Some(Err(e)) => {
            let problem =
                TlsProblem::find(&e).unwrap_or_else(|| TlsProblem::Other(sanitize(&e.to_string())));
            let (detail, remedy) = tls_failure(&problem, &issued, leaf, proxy, trust);
            match problem {
                TlsProblem::CertificateRequired
                | TlsProblem::ClientCertificateRefused(_)
                | TlsProblem::ClientCertificateExpired
                | TlsProblem::ClientCertificateUnsupported => {
                    report.set(
                        "tls",
                        Mark::Ok,
                        words!("doctor-tls-asks-cert", issued = issued),
                    );
                }
                _ => report.set_with("tls", Mark::Failed, detail, Some(remedy)),
            }
            Some(Connection {
                usable: false,
                tls_problem: Some(problem),
            })
        }
    }
}

fn tls_failure(
    problem: &TlsProblem,
    issued: &Words,
    leaf: Option<&CertSummary>,
    proxy: Option<&ProxyChoice>,
    trust: &Trust<'_>,
) -> (Words, Words) {
    let issued = issued.clone();
    let trusted = trust.file;
    match problem {
        TlsProblem::UnknownIssuer => {
            let named_file = leaf
                .and_then(|c| c.issuer_unit.as_deref())
                .map(std::path::Path::new)
                .filter(|p| p.is_absolute() && p.is_file());
            let remedy = match (named_file, leaf) {
                // An authority file is in use already: it is the wrong one.
                (Some(file), _) if trusted.is_some_and(|t| t != file) => words!(
                    "doctor-tls-use-ca-file",
                    path = file.display().to_string(),
                    given = trusted.map(|t| t.display().to_string()).unwrap_or_default()
                ),
                // The issuer is not in the file, and nothing links them:
                // the gateway may not send its intermediate.
                _ if trust.missing.is_some() => words!(
                    "doctor-tls-intermediate-missing",
                    issuer = trust.missing.clone().unwrap_or_default(),
                    given = trusted.map(|t| t.display().to_string()).unwrap_or_default()
                ),
                (_, _) if trusted.is_some() => words!(
                    "doctor-tls-ca-file-not-issuer",
                    given = trusted.map(|t| t.display().to_string()).unwrap_or_default()
                ),
                (Some(file), _) => {
                    words!("doctor-tls-add-ca-file", path = file.display().to_string())
                }
                (None, Some(c)) => words!("doctor-tls-add-ca-of", issuer = c.issuer.clone()),
                (None, None) => words!("doctor-tls-add-ca"),
            };
            let detail = match proxy {
                Some(p) => words!(
                    "doctor-tls-unknown-issuer-proxy",
                    issued = issued,
                    proxy = p.shown()
                ),
                None => words!("doctor-tls-unknown-issuer", issued = issued),
            };
            (detail, remedy)
        }
        TlsProblem::Expired => (
            match leaf {
                Some(c) => words!(
                    "doctor-tls-expired-ago",
                    issued = issued,
                    days = c.days_ago()
                ),
                None => words!("doctor-tls-expired", issued = issued),
            },
            words!("doctor-fix-date-operator"),
        ),
        TlsProblem::NotYetValid => (
            words!("doctor-tls-not-yet", issued = issued),
            words!("doctor-fix-date"),
        ),
        TlsProblem::OldVersion => (
            words!("doctor-tls-old-version", issued = issued.clone()),
            words!("doctor-tls-old-version-fix"),
        ),
        TlsProblem::NoHostNames => (
            words!("doctor-tls-no-host-names", issued = issued.clone()),
            words!("doctor-tls-no-host-names-fix"),
        ),
        TlsProblem::WrongHost(presented) => match leaf
            .filter(|c| !c.names.is_empty())
            .map(CertSummary::names_shown)
            .or_else(|| (!presented.is_empty()).then(|| presented.join(", ")))
        {
            // The subject is often no host name at all: the names the
            // certificate holds are what --api may use.
            Some(names) => (
                words!(
                    "doctor-tls-wrong-host-names",
                    issued = issued,
                    names = names.clone()
                ),
                words!("doctor-tls-wrong-host-names-fix", names = names),
            ),
            None => (
                words!("doctor-tls-wrong-host", issued = issued),
                words!("doctor-tls-wrong-host-fix"),
            ),
        },
        TlsProblem::NotTls => (
            words!("doctor-tls-not-tls"),
            words!("doctor-tls-not-tls-fix"),
        ),
        TlsProblem::HandshakeRefused(alert) => (
            words!("doctor-tls-refused", alert = alert.to_string()),
            words!("doctor-tls-refused-fix"),
        ),
        TlsProblem::AuthorityAsServer => (
            words!("doctor-tls-authority-as-server", issued = issued),
            words!("doctor-tls-authority-as-server-fix"),
        ),
        TlsProblem::CertificateRequired
        | TlsProblem::ClientCertificateRefused(_)
        | TlsProblem::ClientCertificateExpired
        | TlsProblem::ClientCertificateUnsupported => (
            words!("doctor-tls-wants-cert"),
            words!("doctor-fix-client-cert"),
        ),
        TlsProblem::Other(what) => (
            words!("doctor-tls-other", error = what.clone()),
            words!("doctor-tls-other-fix"),
        ),
    }
}

pub(super) fn client_cert_check(
    report: &mut Report,
    net: &NetOptions,
    problem: Option<&TlsProblem>,
    scheme: &str,
    reached: bool,
) {
    if report.has("client_cert") {
        return;
    }
    let identity = match crate::net::load_identity(net) {
        Ok(identity) => identity,
        // Plain http:// presents no certificate: this run does not fail
        // for it, but an https:// gateway would.
        Err(e) if scheme != "https" => {
            let why = Arg::each(|lang| e.words(lang));
            report.set(
                "client_cert",
                Mark::Warning,
                words!("doctor-cert-unusable-plain", why = why),
            );
            return;
        }
        Err(e) => {
            report.set("client_cert", Mark::Failed, Arg::each(|lang| e.words(lang)));
            return;
        }
    };
    match (identity, problem) {
        (
            None,
            Some(
                TlsProblem::CertificateRequired
                | TlsProblem::ClientCertificateRefused(_)
                | TlsProblem::ClientCertificateExpired
                | TlsProblem::ClientCertificateUnsupported,
            ),
        ) => {
            report.set_with(
                "client_cert",
                Mark::Failed,
                words!("doctor-cert-required"),
                Some(words!("doctor-cert-fix-config")),
            );
        }
        (None, _) if scheme == "https" && reached => {
            report.set("client_cert", Mark::Ok, words!("doctor-cert-not-asked"));
        }
        (None, _) if scheme == "https" => {
            report.set("client_cert", Mark::Ok, words!("doctor-cert-none"));
        }
        (None, _) => report.set("client_cert", Mark::Ok, words!("doctor-cert-none-plain")),
        (Some((chain, _)), problem) => {
            let summary = chain.first().and_then(|der| CertSummary::parse(der));
            let path = net
                .client_cert
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            let about: Arg = summary.as_ref().map_or_else(
                || Arg::Text(path.clone()),
                |c| {
                    words!(
                        "doctor-cert-about",
                        path = path.clone(),
                        subject = c.subject.clone(),
                        issuer = c.issuer.clone()
                    )
                    .into()
                },
            );
            given_certificate(report, about, problem, summary.as_ref());
        }
    }
}

/// The client certificate line for a certificate given: its dates, then
/// what the gateway said of it.
fn given_certificate(
    report: &mut Report,
    about: Arg,
    problem: Option<&TlsProblem>,
    summary: Option<&CertSummary>,
) {
    match (problem, summary) {
        (_, Some(c)) if c.expires_in < 0 => report.set_with(
            "client_cert",
            Mark::Failed,
            words!("doctor-cert-expired", about = about, days = c.days_ago()),
            Some(words!("doctor-cert-fix-new")),
        ),
        (_, Some(c)) if c.valid_since < 0 => report.set_with(
            "client_cert",
            Mark::Failed,
            words!("doctor-cert-not-yet", about = about),
            Some(words!("doctor-fix-date")),
        ),
        (Some(TlsProblem::ClientCertificateExpired), _) => report.set_with(
            "client_cert",
            Mark::Failed,
            words!("doctor-cert-expired-said", about = about),
            Some(words!("doctor-cert-fix-new")),
        ),
        (Some(TlsProblem::ClientCertificateUnsupported), _) => report.set_with(
            "client_cert",
            Mark::Failed,
            words!("doctor-cert-unsupported", about = about),
            Some(words!("doctor-cert-fix-client-use")),
        ),
        (Some(TlsProblem::ClientCertificateRefused(alert)), _) => report.set_with(
            "client_cert",
            Mark::Failed,
            words!(
                "doctor-cert-refused",
                about = about,
                alert = alert.to_string()
            ),
            Some(words!("doctor-cert-fix-authority")),
        ),
        (Some(TlsProblem::CertificateRequired), _) => report.set_with(
            "client_cert",
            Mark::Failed,
            words!("doctor-cert-not-taken", about = about),
            Some(words!("doctor-cert-fix-authority")),
        ),
        (_, Some(c)) if c.days_left() < EXPIRY_WARNING_DAYS => report.set_with(
            "client_cert",
            Mark::Warning,
            words!("doctor-cert-ends-soon", about = about, days = c.days_left()),
            Some(words!("doctor-cert-fix-soon")),
        ),
        (_, Some(c)) => report.set(
            "client_cert",
            Mark::Ok,
            words!("doctor-cert-ok-left", about = about, days = c.days_left()),
        ),
        (_, None) => report.set(
            "client_cert",
            Mark::Ok,
            words!("doctor-cert-ok", about = about),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::Lang;
    use rustls::pki_types::{CertificateDer, pem::PemObject};

    /// A certificate for another name: doctor named its subject (often no
    /// host name at all), not the names it was made for.
    #[test]
    fn a_certificate_for_another_host_names_the_names_it_was_made_for() {
        let spec = crate::sim::tls::CertSpec {
            names: vec!["gateway.example".into(), "10.0.0.7".into()],
            ..Default::default()
        };
        let generated = crate::sim::tls::generate(&spec).unwrap();
        let der = CertificateDer::from_pem_slice(generated.cert_pem.as_bytes()).unwrap();
        let leaf = CertSummary::parse(&der).unwrap();
        assert_eq!(leaf.names, ["gateway.example", "10.0.0.7"]);
        let issued = words!("doctor-tls-certificate");
        let (detail, remedy) = tls_failure(
            &TlsProblem::WrongHost(Vec::new()),
            &issued,
            Some(&leaf),
            None,
            &Trust {
                file: None,
                missing: None,
            },
        );
        for lang in [Lang::En, Lang::De] {
            let (detail, remedy) = (detail.render(lang), remedy.render(lang));
            assert!(detail.contains("gateway.example, 10.0.0.7"), "{detail}");
            assert!(remedy.contains("gateway.example, 10.0.0.7"), "{remedy}");
        }
    }
}
