//! TLS and proxies, over real loopback connections: the simulator's HTTPS
//! (the code `serve --tls` runs), trust through --ca-file, client
//! certificates, each TLS failure named, and a CONNECT proxy written here
//! that counts the tunnels it opened.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::Duration;

use stepwise::client::{ClientOptions, Gateway, GatewayError, ListRequest, Lookup};
use stepwise::describe::gateway_error;
use stepwise::net::{NetOptions, ProxyEnv, TlsProblem};
use stepwise::sim::tls::{CertSpec, Generated, Validity, generate};
use stepwise::sim::{RunningSim, Scenario, spawn_tls};
use stepwise::text::Lang;
use tempfile::TempDir;

use crate::proxy;
use proxy::connect_proxy;
use tokio::net::TcpListener;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write test file");
    path
}

async fn tls_sim(generated: &Generated, client_ca: Option<&str>) -> RunningSim {
    let config = generated
        .server_config(client_ca.map(str::as_bytes))
        .expect("server config");
    spawn_tls(config, Scenario::built_in(), None)
        .await
        .expect("sim starts")
}

fn options(net: NetOptions) -> ClientOptions {
    ClientOptions {
        timeout: Duration::from_secs(5),
        backoff: Duration::from_millis(10),
        retries: 0,
        net,
        ..Default::default()
    }
}

async fn list(url: &str, net: NetOptions) -> Result<usize, GatewayError> {
    let gateway = Gateway::new(url, "tls-test-device".into(), None, options(net))?;
    gateway
        .list(&ListRequest::new(Lookup::Car("987654".into())))
        .await
        .map(|list| list.steps.len())
}

fn trusting(dir: &TempDir, generated: &Generated) -> NetOptions {
    NetOptions {
        ca_file: Some(write(dir.path(), "ca.pem", &generated.ca_pem)),
        ..Default::default()
    }
}

fn tls_problem(result: Result<usize, GatewayError>) -> (TlsProblem, String) {
    match result {
        Err(e @ GatewayError::Tls { .. }) => {
            let line = gateway_error(Lang::En, &e);
            let GatewayError::Tls { problem, .. } = e else {
                unreachable!()
            };
            (problem, line)
        }
        other => panic!("expected a TLS failure, got {other:?}"),
    }
}

/// `serve --tls` writes its key for its user alone: key.pem 0600 in a
/// 0700 folder.
#[cfg(unix)]
#[test]
fn the_simulator_key_is_written_for_its_user_alone() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sim-tls");
    generate(&CertSpec::default())
        .unwrap()
        .write_to(&out)
        .unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&out.join("key.pem")), 0o600);
    assert_eq!(mode(&out), 0o700);
}

#[tokio::test]
async fn an_untrusted_authority_is_named_with_the_flag_and_ca_file_trusts_it() {
    let generated = generate(&CertSpec::default()).unwrap();
    let sim = tls_sim(&generated, None).await;
    let url = sim.url();
    assert!(url.starts_with("https://"), "{url}");

    let (problem, line) = tls_problem(list(&url, NetOptions::default()).await);
    assert_eq!(problem, TlsProblem::UnknownIssuer);
    assert!(
        line.contains("unknown issuer") && line.contains("--ca-file"),
        "{line}"
    );
    assert!(!line.contains('\n'));

    let dir = tempfile::tempdir().unwrap();
    assert_eq!(list(&url, trusting(&dir, &generated)).await.unwrap(), 3);

    // A CA file of another authority (the simulator's made again, or the
    // wrong file): the words say the given file is not the signer.
    let other_dir = tempfile::tempdir().unwrap();
    let other = generate(&CertSpec::default()).unwrap();
    let (problem, line) = tls_problem(list(&url, trusting(&other_dir, &other)).await);
    assert_eq!(problem, TlsProblem::UnknownIssuer);
    assert!(
        line.contains("if one is given already, it is not the authority"),
        "{line}"
    );

    // A localhost name is in the certificate too.
    let by_name = url.replace("127.0.0.1", "localhost");
    assert_eq!(list(&by_name, trusting(&dir, &generated)).await.unwrap(), 3);
}

#[tokio::test]
async fn expired_not_yet_valid_and_wrong_host_certificates_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            CertSpec {
                validity: Validity {
                    not_before: (2001, 1, 1),
                    not_after: (2002, 1, 1),
                },
                ..CertSpec::default()
            },
            TlsProblem::Expired,
            "expired",
        ),
        (
            CertSpec {
                validity: Validity {
                    not_before: (2090, 1, 1),
                    not_after: (2095, 1, 1),
                },
                ..CertSpec::default()
            },
            TlsProblem::NotYetValid,
            "not valid yet. Check this machine's date and time; if they are right, tell the gateway's operator",
        ),
        (
            CertSpec {
                names: vec!["gateway.example".into()],
                ..CertSpec::default()
            },
            TlsProblem::WrongHost(vec!["gateway.example".into()]),
            "is made for gateway.example, not for 127.0.0.1. Use one of those in --api",
        ),
        (
            // A common name (localhost) and no subject alternative name.
            CertSpec {
                names: Vec::new(),
                ..CertSpec::default()
            },
            TlsProblem::NoHostNames,
            "names no host",
        ),
    ];
    for (spec, expected, words) in cases {
        let generated = generate(&spec).unwrap();
        let sim = tls_sim(&generated, None).await;
        let (problem, line) = tls_problem(list(&sim.url(), trusting(&dir, &generated)).await);
        assert_eq!(problem, expected, "{line}");
        assert!(line.contains(words), "{line}");
    }
}

#[tokio::test]
async fn client_certificates_required_missing_accepted_and_refused() {
    let dir = tempfile::tempdir().unwrap();
    let server = generate(&CertSpec::default()).unwrap();
    // The gateway demands certificates issued by its own authority.
    let sim = tls_sim(&server, Some(&server.ca_pem)).await;
    let url = sim.url();
    let trust = trusting(&dir, &server);

    // Missing.
    let (problem, line) = tls_problem(list(&url, trust.clone()).await);
    assert_eq!(problem, TlsProblem::CertificateRequired, "{line}");
    assert!(line.contains("--client-cert"), "{line}");

    // Given, signed by the authority the gateway trusts: accepted. Cert and
    // key in two files, then both in one.
    let good = server.issue_client("workshop-7").unwrap();
    let separate = NetOptions {
        client_cert: Some(write(dir.path(), "client.pem", &good.cert_pem)),
        client_key: Some(write(dir.path(), "client.key", &good.key_pem)),
        ..trust.clone()
    };
    assert_eq!(list(&url, separate).await.unwrap(), 3);
    let both = format!("{}{}", good.cert_pem, good.key_pem);
    let combined = NetOptions {
        client_cert: Some(write(dir.path(), "both.pem", &both)),
        ..trust.clone()
    };
    assert_eq!(list(&url, combined).await.unwrap(), 3);

    // Given, but signed by another authority: refused, and said so.
    let other = generate(&CertSpec::default()).unwrap();
    let stranger = other.issue_client("stranger").unwrap();
    let refused = NetOptions {
        client_cert: Some(write(dir.path(), "stranger.pem", &stranger.cert_pem)),
        client_key: Some(write(dir.path(), "stranger.key", &stranger.key_pem)),
        ..trust.clone()
    };
    let (problem, line) = tls_problem(list(&url, refused).await);
    assert!(
        matches!(problem, TlsProblem::ClientCertificateRefused(_)),
        "{problem:?}: {line}"
    );
    assert!(line.contains("refused the client certificate"), "{line}");

    // Signed by the right authority but expired: the gateway says so, and
    // so do the words (not "use another authority").
    let old = server
        .issue_client_for(
            "expired-bay",
            Validity {
                not_before: (2001, 1, 1),
                not_after: (2002, 1, 1),
            },
        )
        .unwrap();
    let expired = NetOptions {
        client_cert: Some(write(dir.path(), "old.pem", &old.cert_pem)),
        client_key: Some(write(dir.path(), "old.key", &old.key_pem)),
        ..trust.clone()
    };
    let (problem, line) = tls_problem(list(&url, expired).await);
    assert_eq!(problem, TlsProblem::ClientCertificateExpired, "{line}");
    assert!(line.contains("client certificate has expired"), "{line}");
    assert!(!line.contains("authority"), "{line}");

    // The gateway's own server certificate given as a client's: the right
    // authority, the wrong use; named as such, not as another authority.
    let server_as_client = NetOptions {
        client_cert: Some(write(dir.path(), "server.pem", &server.cert_pem)),
        client_key: Some(write(dir.path(), "server.key", &server.key_pem)),
        ..trust.clone()
    };
    let (problem, line) = tls_problem(list(&url, server_as_client).await);
    assert_eq!(problem, TlsProblem::ClientCertificateUnsupported, "{line}");
    assert!(line.contains("not made for a client"), "{line}");
    assert!(!line.contains("authority the gateway trusts"), "{line}");
}

/// `serve --tls` writes a client certificate of its own authority beside it,
/// which a simulator demanding client certificates of that authority takes:
/// mutual TLS can be tried with the simulator alone.
#[tokio::test]
async fn the_simulator_s_own_client_certificate_is_taken() {
    let dir = tempfile::tempdir().unwrap();
    let server = generate(&CertSpec::default()).unwrap();
    server.write_client_to(dir.path()).unwrap();
    let sim = tls_sim(&server, Some(&server.ca_pem)).await;
    let client = NetOptions {
        client_cert: Some(dir.path().join(stepwise::sim::tls::CLIENT_FILE)),
        ..trusting(&dir, &server)
    };
    assert_eq!(list(&sim.url(), client).await.unwrap(), 3);
}

/// A certificate made the way `openssl req -x509` makes one by default
/// (an authority, CA:TRUE) served as the gateway's own: rustls refuses it
/// even when it is the --ca-file, and the words say why and who fixes it,
/// not rustls's "CaUsedAsEndEntity".
#[tokio::test]
async fn an_authority_served_as_the_gateway_s_certificate_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params =
        rcgen::CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let cert = params.self_signed(&key).unwrap();
    let config = stepwise::sim::tls::server_config(
        cert.pem().as_bytes(),
        key.serialize_pem().as_bytes(),
        None,
    )
    .unwrap();
    let sim = spawn_tls(config, Scenario::built_in(), None).await.unwrap();
    let net = NetOptions {
        ca_file: Some(write(dir.path(), "self.pem", &cert.pem())),
        ..Default::default()
    };
    let (problem, line) = tls_problem(list(&sim.url(), net).await);
    assert_eq!(problem, TlsProblem::AuthorityAsServer, "{line}");
    assert!(line.contains("CA:TRUE"), "{line}");
    assert!(line.contains("gateway's operator"), "{line}");
    assert!(!line.contains("CaUsedAsEndEntity"), "{line}");
}

#[tokio::test]
async fn unusable_certificate_files_are_named_with_their_problem() {
    let dir = tempfile::tempdir().unwrap();
    let server = generate(&CertSpec::default()).unwrap();
    let one = server.issue_client("one").unwrap();
    let two = server.issue_client("two").unwrap();
    let config_error =
        |net: NetOptions| match Gateway::new("https://127.0.0.1:1", "d".into(), None, options(net))
        {
            Err(GatewayError::Net(e)) => e.to_string(),
            other => panic!("expected a configuration error, got {other:?}"),
        };

    let mismatched = NetOptions {
        client_cert: Some(write(dir.path(), "one.pem", &one.cert_pem)),
        client_key: Some(write(dir.path(), "two.key", &two.key_pem)),
        ..Default::default()
    };
    let line = config_error(mismatched);
    assert!(
        line.contains("two.key") && line.contains("does not match") && line.contains("one.pem"),
        "{line}"
    );

    let no_key = NetOptions {
        client_cert: Some(write(dir.path(), "alone.pem", &one.cert_pem)),
        ..Default::default()
    };
    let line = config_error(no_key);
    assert!(
        line.contains("alone.pem") && line.contains("no PEM private key"),
        "{line}"
    );

    let unreadable = NetOptions {
        client_cert: Some(dir.path().join("missing.pem")),
        ..Default::default()
    };
    let line = config_error(unreadable);
    assert!(
        line.contains("missing.pem") && line.contains("cannot be read"),
        "{line}"
    );

    let der = NetOptions {
        ca_file: Some(write(dir.path(), "binary.der", "\u{30}\u{82}garbage")),
        ..Default::default()
    };
    let line = config_error(der);
    assert!(
        line.contains("binary.der") && line.contains("PEM"),
        "{line}"
    );
}

/// A plain-HTTP gateway reads no trust or client certificate file (no
/// TLS, nothing to check them for): an unusable one set in the
/// environment, as SSL_CERT_FILE often is, costs and breaks nothing there;
/// for HTTPS it is named as before.
#[test]
fn a_plain_http_gateway_reads_no_certificate_file() {
    let dir = tempfile::tempdir().unwrap();
    let net = || NetOptions {
        ca_file: Some(write(dir.path(), "garbage.pem", "not a certificate")),
        client_cert: Some(dir.path().join("missing.pem")),
        ..Default::default()
    };
    assert!(Gateway::new("http://127.0.0.1:1", "d".into(), None, options(net())).is_ok());
    assert!(matches!(
        Gateway::new("https://127.0.0.1:1", "d".into(), None, options(net())),
        Err(GatewayError::Net(_))
    ));
}

// ---------------------------------------------------------------- proxy

#[tokio::test]
async fn requests_go_through_a_connect_proxy_and_no_proxy_skips_it() {
    let dir = tempfile::tempdir().unwrap();
    let generated = generate(&CertSpec::default()).unwrap();
    let sim = tls_sim(&generated, None).await;
    let proxy = connect_proxy().await;

    let through = NetOptions {
        proxy: ProxyEnv::with_proxy(&proxy.url, None),
        ..trusting(&dir, &generated)
    };
    assert_eq!(list(&sim.url(), through).await.unwrap(), 3);
    assert_eq!(proxy.tunnels.load(Ordering::SeqCst), 1);

    let skipped = NetOptions {
        proxy: ProxyEnv::with_proxy(&proxy.url, Some("localhost, 127.0.0.1")),
        ..trusting(&dir, &generated)
    };
    assert_eq!(list(&sim.url(), skipped).await.unwrap(), 3);
    assert_eq!(
        proxy.tunnels.load(Ordering::SeqCst),
        1,
        "NO_PROXY must skip the proxy"
    );
}

#[tokio::test]
async fn a_proxy_that_cannot_be_reached_is_named_in_the_error() {
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let net = NetOptions {
        proxy: ProxyEnv::with_proxy(&dead, None),
        ..Default::default()
    };
    let error = list("https://gateway.example", net).await.unwrap_err();
    let line = gateway_error(Lang::En, &error);
    assert!(
        line.starts_with(&format!(
            "cannot connect to the proxy {dead} (from ALL_PROXY)"
        )),
        "{line}"
    );
    assert!(line.contains("NO_PROXY=gateway.example"), "{line}");
}

/// The binary reads the proxy from the environment and --ca-file from the
/// command line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_takes_https_proxy_no_proxy_and_ca_file() {
    let dir = tempfile::tempdir().unwrap();
    let generated = generate(&CertSpec::default()).unwrap();
    let sim = tls_sim(&generated, None).await;
    let proxy = connect_proxy().await;
    let ca = write(dir.path(), "ca.pem", &generated.ca_pem);
    let url = sim.url();
    let run = |no_proxy: Option<&str>, ca: Option<&Path>| {
        let mut cmd = assert_cmd::Command::cargo_bin("stepwise").unwrap();
        cmd.env("HOME", dir.path())
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("XDG_DATA_HOME")
            .env_remove("STEPWISE_TOKEN")
            .env_remove("STEPWISE_CA_FILE")
            .env_remove("SSL_CERT_FILE")
            .env_remove("https_proxy")
            .env_remove("no_proxy")
            .env_remove("NO_PROXY")
            .env("HTTPS_PROXY", &proxy.url)
            .args(["steps", "--api", &url, "--car", "987654"])
            .timeout(Duration::from_secs(30));
        if let Some(list) = no_proxy {
            cmd.env("NO_PROXY", list);
        }
        if let Some(ca) = ca {
            cmd.arg("--ca-file").arg(ca);
        }
        cmd.output().unwrap()
    };
    let untrusted = tokio::task::block_in_place(|| run(None, None));
    let stderr = String::from_utf8_lossy(&untrusted.stderr);
    assert_eq!(untrusted.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("unknown issuer") && stderr.contains("--ca-file"),
        "{stderr}"
    );
    assert!(stderr.contains(&proxy.url), "the proxy is named: {stderr}");
    let before = proxy.tunnels.load(Ordering::SeqCst);
    assert!(before >= 1);

    let trusted = tokio::task::block_in_place(|| run(None, Some(&ca)));
    assert_eq!(
        trusted.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&trusted.stderr)
    );
    assert_eq!(proxy.tunnels.load(Ordering::SeqCst), before + 1);

    let direct = tokio::task::block_in_place(|| run(Some("127.0.0.1"), Some(&ca)));
    assert_eq!(direct.status.code(), Some(3));
    assert_eq!(proxy.tunnels.load(Ordering::SeqCst), before + 1);
}

/// Trust and the client certificate come from the environment or the
/// config file as well as from flags.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ca_file_and_client_certificate_from_environment_and_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let generated = generate(&CertSpec::default()).unwrap();
    let sim = tls_sim(&generated, Some(&generated.ca_pem)).await;
    let ca = write(dir.path(), "ca.pem", &generated.ca_pem);
    let issued = generated.issue_client("bay-1").unwrap();
    let cert = write(dir.path(), "client.pem", &issued.cert_pem);
    let key = write(dir.path(), "client.key", &issued.key_pem);
    let url = sim.url();
    let run = |env: &[(&str, &Path)], config: Option<String>, flags: &[&str]| {
        let config_path = dir.path().join("config.toml");
        std::fs::write(&config_path, config.unwrap_or_default()).unwrap();
        let mut cmd = assert_cmd::Command::cargo_bin("stepwise").unwrap();
        cmd.env("HOME", dir.path())
            .env("STEPWISE_CONFIG", &config_path)
            .env_remove("STEPWISE_TOKEN")
            .env_remove("STEPWISE_CA_FILE")
            .env_remove("SSL_CERT_FILE");
        for var in ["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"] {
            cmd.env_remove(var);
        }
        for (name, value) in env {
            cmd.env(name, value);
        }
        cmd.args(["steps", "--api", &url, "--car", "987654"])
            .args(flags)
            .timeout(Duration::from_secs(30));
        let out = cmd.output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let cert_flags = [
        "--client-cert",
        cert.to_str().unwrap(),
        "--client-key",
        key.to_str().unwrap(),
    ];
    tokio::task::block_in_place(|| {
        // Trust from STEPWISE_CA_FILE, then from SSL_CERT_FILE.
        for var in ["STEPWISE_CA_FILE", "SSL_CERT_FILE"] {
            let (code, stderr) = run(&[(var, &ca)], None, &cert_flags);
            assert_eq!(code, Some(3), "{var}: {stderr}");
        }
        // Trusted, but no client certificate: said so, with the flag.
        let (code, stderr) = run(&[("STEPWISE_CA_FILE", &ca)], None, &[]);
        assert_eq!(code, Some(1));
        assert!(
            stderr.contains("requires a client certificate") && stderr.contains("--client-cert"),
            "{stderr}"
        );
        // Everything from the config file.
        let config = format!(
            "ca_file = {:?}\nclient_cert = {:?}\nclient_key = {:?}\n",
            ca.display().to_string(),
            cert.display().to_string(),
            key.display().to_string()
        );
        let (code, stderr) = run(&[], Some(config), &[]);
        assert_eq!(code, Some(3), "{stderr}");
    });
}
