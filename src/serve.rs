//! `stepwise serve`'s own pieces beside the simulator: the TLS files it
//! makes or keeps and what it says of them, and the addresses other
//! machines reach it at.

use std::io::{self, Write};

use crate::sim::tls::{PemPart, SimTlsError};
use crate::steps::sanitize;
use crate::text::Lang;
use crate::tr;

/// `serve --tls`: where the generated files go, and whose client
/// certificates to demand.
pub struct TlsServe {
    /// `--addr`, for the names of a generated certificate.
    pub addr: String,
    pub dir: Option<std::path::PathBuf>,
    pub client_ca: Option<std::path::PathBuf>,
}

/// Generates the simulator's authority and certificate, writes them out, and
/// says how to trust them.
pub fn sim_tls(tls: &TlsServe, lang: Lang) -> Result<std::sync::Arc<rustls::ServerConfig>, String> {
    use crate::sim::tls::{CertSpec, generate};
    let dir = tls
        .dir
        .clone()
        .or_else(|| crate::config::data_dir().map(|d| crate::sim::tls::default_dir(&d)))
        .ok_or_else(|| tr!(lang, "cli-arg-tls-no-dir"))?;
    crate::files::private_dir(&dir).map_err(|e| {
        tr!(
            lang,
            "cli-arg-tls-dir-failed",
            path = dir.display().to_string(),
            error = crate::files::unreadable_words(lang, &e)
        )
    })?;
    let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
    // Held while the files are looked for and made: two simulators started
    // at once on one folder serve one authority, the one in ca.pem
    // (stranger 84, CG3).
    let _lock = folder_lock(lang, &dir)?;
    let ca_file = dir.join("ca.pem");
    let spec = CertSpec {
        names: cert_names(&tls.addr),
        authority_note: Some(ca_file.display().to_string()),
        ..CertSpec::default()
    };
    // The files of an earlier run are used again, never overwritten: a
    // simulator may still serve them, and phones may trust that authority.
    let files = ["ca.pem", "cert.pem", "key.pem"];
    let present: Vec<&str> = files
        .iter()
        .copied()
        .filter(|name| dir.join(name).exists())
        .collect();
    let kept = present.len() == files.len();
    // Some there, not all: an authority that clients may trust would be
    // written over. Left alone, and said.
    if !kept && !present.is_empty() {
        return Err(tr!(
            lang,
            "cli-arg-tls-partial",
            dir = dir.display().to_string(),
            present = present.join(", ")
        ));
    }
    let (cert_pem, key_pem) = if kept {
        let read = |name: &str| {
            crate::files::read_capped(&dir.join(name), crate::files::SMALL_FILE_LIMIT).map_err(
                |e| {
                    tr!(
                        lang,
                        "cli-arg-tls-kept-bad",
                        dir = dir.display().to_string(),
                        error = format!("{name}: {}", crate::files::unreadable_words(lang, &e))
                    )
                },
            )
        };
        (read("cert.pem")?, read("key.pem")?)
    } else {
        let words = |e: SimTlsError| sim_tls_words(lang, &e, None);
        let generated = generate(&spec).map_err(words)?;
        let written = |e: SimTlsError| {
            tr!(
                lang,
                "cli-arg-tls-write-failed",
                error = sim_tls_words(lang, &e, None)
            )
        };
        generated.write_to(&dir).map_err(written)?;
        // A client certificate of the same authority, so that a gateway
        // demanding one (--client-ca DIR/ca.pem) can be tried alone.
        generated.write_client_to(&dir).map_err(written)?;
        (
            generated.cert_pem.into_bytes(),
            generated.key_pem.into_bytes(),
        )
    };
    let client_ca = match &tls.client_ca {
        Some(path) => Some(
            crate::files::read_capped(path, crate::files::SMALL_FILE_LIMIT).map_err(|e| {
                tr!(
                    lang,
                    "cli-arg-client-ca-unreadable",
                    path = path.display().to_string(),
                    error = crate::files::unreadable_words(lang, &e)
                )
            })?,
        ),
        None => None,
    };
    let config = crate::sim::tls::server_config(&cert_pem, &key_pem, client_ca.as_deref())
        .map_err(|e| {
            let error = sim_tls_words(lang, &e, tls.client_ca.as_deref());
            // The file at fault says which advice: the --client-ca file,
            // or the server's files kept from an earlier run.
            match e {
                SimTlsError::NoCertificate(PemPart::ClientCa)
                | SimTlsError::NotPem(PemPart::ClientCa, _)
                | SimTlsError::NotAuthority(_) => {
                    tr!(lang, "cli-arg-client-ca-bad", error = error)
                }
                _ if kept => tr!(
                    lang,
                    "cli-arg-tls-kept-bad",
                    dir = dir.display().to_string(),
                    error = error
                ),
                _ => error,
            }
        })?;
    let mut lines = tls_banner(lang, kept, &dir, tls.client_ca.as_deref());
    if kept {
        lines.push_str(&uncovered_line(lang, &dir, &cert_pem, &spec.names));
    }
    if let Err(e) = write!(io::stdout().lock(), "{lines}") {
        tracing::debug!("the banner could not be written: {e}");
    }
    Ok(config)
}

/// The lock of a --tls-dir folder (`tls.lock` in it), held until dropped.
fn folder_lock(lang: Lang, dir: &std::path::Path) -> Result<std::fs::File, String> {
    crate::sim::lock_file(&dir.join("tls")).map_err(|e| {
        tr!(
            lang,
            "cli-arg-tls-dir-failed",
            path = dir.display().to_string(),
            error = crate::files::unreadable_words(lang, &e)
        )
    })
}

/// A simulator TLS setup that cannot be made, in the reader's language;
/// `client_ca` is the `--client-ca` file, if one was given.
fn sim_tls_words(lang: Lang, error: &SimTlsError, client_ca: Option<&std::path::Path>) -> String {
    let client_ca = || {
        client_ca
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    };
    match error {
        SimTlsError::Generate { detail, .. } | SimTlsError::Setup(detail) => {
            tr!(lang, "sim-tls-library", error = sanitize(detail))
        }
        SimTlsError::Write { path, source } => tr!(
            lang,
            "sim-tls-write",
            path = path.display().to_string(),
            error = crate::files::unreadable_words(lang, source)
        ),
        SimTlsError::NoCertificate(PemPart::ServerCert) => tr!(lang, "sim-tls-cert-none"),
        SimTlsError::NotPem(PemPart::ServerCert, _) => tr!(lang, "sim-tls-cert-not-pem"),
        SimTlsError::NoCertificate(PemPart::ClientCa) => {
            tr!(lang, "sim-tls-client-ca-none", path = client_ca())
        }
        SimTlsError::NotPem(PemPart::ClientCa, _) => {
            tr!(lang, "sim-tls-client-ca-not-pem", path = client_ca())
        }
        SimTlsError::NoKey => tr!(lang, "sim-tls-key-none"),
        SimTlsError::KeyMismatch => tr!(lang, "sim-tls-key-mismatch"),
        SimTlsError::NotAuthority(detail) => tr!(
            lang,
            "sim-tls-client-ca-not-authority",
            path = client_ca(),
            detail = sanitize(detail)
        ),
    }
}

/// What `serve --tls` says of its files: the authority to trust, the
/// client certificate it wrote, the client certificates it demands.
fn tls_banner(
    lang: Lang,
    kept: bool,
    dir: &std::path::Path,
    client_ca: Option<&std::path::Path>,
) -> String {
    let ca_file = dir.join("ca.pem");
    let required = client_ca
        .map(|path| {
            let line = tr!(
                lang,
                "cli-arg-tls-client-ca-required",
                path = path.display().to_string()
            );
            format!("{line}\n")
        })
        .unwrap_or_default();
    let authority = if kept {
        tr!(
            lang,
            "cli-arg-tls-authority-kept",
            path = ca_file.display().to_string()
        )
    } else {
        tr!(
            lang,
            "cli-arg-tls-authority-written",
            path = ca_file.display().to_string()
        )
    };
    let client = dir.join(crate::sim::tls::CLIENT_FILE);
    let client = if client.is_file() {
        let line = tr!(
            lang,
            "cli-arg-tls-client-cert",
            path = client.display().to_string(),
            ca = ca_file.display().to_string()
        );
        format!("{line}\n")
    } else {
        String::new()
    };
    format!("{authority}\n{client}{required}")
}

/// Files kept from a run on another address: said, with how to have new
/// ones made (they are never overwritten). Empty when they cover `wanted`.
fn uncovered_line(lang: Lang, dir: &std::path::Path, cert_pem: &[u8], wanted: &[String]) -> String {
    let Some((made_for, missing)) = uncovered(cert_pem, wanted) else {
        return String::new();
    };
    let line = tr!(
        lang,
        "cli-arg-tls-kept-uncovered",
        path = dir.join("cert.pem").display().to_string(),
        names = made_for.join(", "),
        missing = missing.join(", "),
        dir = dir.display().to_string()
    );
    format!("{line}\n")
}

/// The names of `wanted` that the certificate in `cert_pem` is not made
/// for, with the names it is made for; `None` when it covers them all (or
/// cannot be read: the TLS setup says so).
fn uncovered(cert_pem: &[u8], wanted: &[String]) -> Option<(Vec<String>, Vec<String>)> {
    use rustls::pki_types::{CertificateDer, pem::PemObject};
    let der = CertificateDer::pem_slice_iter(cert_pem).next()?.ok()?;
    let made_for = crate::net::CertSummary::parse(&der)?.names;
    let missing: Vec<String> = wanted
        .iter()
        .filter(|name| !made_for.iter().any(|n| n.eq_ignore_ascii_case(name)))
        .cloned()
        .collect();
    (!missing.is_empty()).then_some((made_for, missing))
}

/// 0.0.0.0 is no address a phone or another PC can open: for a simulator
/// bound there, the line naming the one this machine is reached at.
pub fn reach_line(lang: Lang, scheme: &str, bound: std::net::SocketAddr) -> Option<String> {
    if !bound.ip().is_unspecified() {
        return None;
    }
    let ip = lan_address()?;
    let reach = std::net::SocketAddr::new(ip, bound.port());
    Some(tr!(
        lang,
        "cli-arg-sim-reach",
        url = format!("{scheme}://{reach}")
    ))
}

/// The line of `serve --auth`: the device page at an address a browser
/// opens, the one [`reach_line`] names for a simulator on 0.0.0.0.
pub fn device_sign_in_line(
    lang: Lang,
    scheme: &str,
    bound: std::net::SocketAddr,
    token_ttl: std::time::Duration,
) -> String {
    let reach = openable(bound, lan_address());
    tr!(
        lang,
        "cli-arg-sim-device-sign-in",
        seconds = token_ttl.as_secs(),
        url = format!("{scheme}://{reach}")
    )
}

/// The address a browser opens for a listener on `bound`: `bound` itself,
/// or for 0.0.0.0 (or `::`) this machine's `lan` address, else loopback.
fn openable(bound: std::net::SocketAddr, lan: Option<std::net::IpAddr>) -> std::net::SocketAddr {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    if !bound.ip().is_unspecified() {
        return bound;
    }
    let loopback = match bound.ip() {
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
    };
    std::net::SocketAddr::new(lan.unwrap_or(loopback), bound.port())
}

/// The address other machines reach this one at: the source address of
/// the route out (a UDP socket "connected" to a documentation address sends
/// nothing). `None` without a route, or when it is a loopback address.
pub fn lan_address() -> Option<std::net::IpAddr> {
    let socket = std::net::UdpSocket::bind(("0.0.0.0", 0)).ok()?;
    socket.connect(("192.0.2.1", 9)).ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

/// The names a generated certificate of `serve --tls --addr ADDR` is for:
/// localhost and 127.0.0.1, and the address given (or, for 0.0.0.0, the
/// one other machines use), else clients read "not made for 192.0.2.2".
pub fn cert_names(addr: &str) -> Vec<String> {
    let mut names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    let host = addr.rsplit_once(':').map_or(addr, |(host, _)| host);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let extra = match host.parse::<std::net::IpAddr>() {
        Ok(ip) if ip.is_unspecified() => lan_address(),
        // Any address given but the two above (127.0.0.2 too: clients
        // name it in --api).
        Ok(ip) if ip != std::net::IpAddr::from([127, 0, 0, 1]) => Some(ip),
        _ => None,
    };
    if let Some(ip) = extra {
        names.push(ip.to_string());
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A certificate of `serve --tls` is also for the address other
    /// machines use: the one given, or this machine's own for 0.0.0.0.
    /// `serve --auth` on 0.0.0.0 names the device page at the address it
    /// said other machines reach it at, or at 127.0.0.1 when it knows
    /// none: never at 0.0.0.0, which no browser opens.
    #[test]
    fn the_device_page_is_named_at_an_address_a_browser_opens() {
        let at = |s: &str| s.parse::<std::net::SocketAddr>().unwrap();
        let lan = Some("192.0.2.2".parse().unwrap());
        assert_eq!(openable(at("0.0.0.0:46321"), lan), at("192.0.2.2:46321"));
        assert_eq!(openable(at("0.0.0.0:46321"), None), at("127.0.0.1:46321"));
        assert_eq!(openable(at("[::]:46321"), None), at("[::1]:46321"));
        assert_eq!(openable(at("127.0.0.1:8080"), lan), at("127.0.0.1:8080"));
        assert_eq!(openable(at("192.0.2.7:8080"), lan), at("192.0.2.7:8080"));
        let ttl = std::time::Duration::from_secs(3600);
        let line = device_sign_in_line(Lang::En, "http", at("0.0.0.0:46321"), ttl);
        let reach = lan_address().map_or_else(|| "127.0.0.1".to_owned(), |ip| ip.to_string());
        assert!(
            line.ends_with(&format!("open http://{reach}:46321/device")),
            "{line}"
        );
        assert!(!line.contains("0.0.0.0"), "{line}");
        if let Some(said) = reach_line(Lang::En, "http", at("0.0.0.0:46321")) {
            assert!(said.contains(&format!("http://{reach}:46321")), "{said}");
        }
    }

    #[test]
    fn a_served_certificate_names_the_address_other_machines_use() {
        let base = ["localhost", "127.0.0.1"];
        assert_eq!(cert_names("127.0.0.1:8443"), base);
        assert_eq!(cert_names("localhost:8443"), base);
        assert_eq!(
            cert_names("127.0.0.2:8443"),
            [base[0], base[1], "127.0.0.2"]
        );
        assert_eq!(
            cert_names("192.0.2.7:8443"),
            [base[0], base[1], "192.0.2.7"]
        );
        assert_eq!(
            cert_names("[2001:db8::1]:8443"),
            [base[0], base[1], "2001:db8::1"]
        );
        let any = cert_names("0.0.0.0:8443");
        match lan_address() {
            Some(ip) => assert_eq!(any, [base[0], base[1], &ip.to_string()]),
            None => assert_eq!(any, base),
        }
    }
}
