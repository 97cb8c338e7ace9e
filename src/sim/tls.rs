//! HTTPS for the simulator: an authority and a server certificate generated
//! at start, optionally written out so clients can trust them, client
//! certificates demanded when asked, and a listener that hands axum
//! connections whose handshake has finished.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// A TLS setup of the simulator that cannot be made, as data; `Display`
/// is a line for logs, the words a person reads come from the catalogue.
#[derive(Debug, thiserror::Error)]
pub enum SimTlsError {
    /// The certificate library could not make a key or a certificate.
    #[error("cannot make {what}: {detail}")]
    Generate { what: &'static str, detail: String },
    /// A file or folder could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A PEM text holds no certificate.
    #[error("{0:?} holds no PEM certificate")]
    NoCertificate(PemPart),
    /// A PEM text is not PEM.
    #[error("{0:?} is not valid PEM: {1}")]
    NotPem(PemPart, String),
    /// The server key holds no PEM private key.
    #[error("the server key is not a PEM key")]
    NoKey,
    /// The server certificate and key do not belong together.
    #[error("the server certificate and key do not fit")]
    KeyMismatch,
    /// A `--client-ca` certificate cannot be an authority.
    #[error("the --client-ca file is not an authority: {0}")]
    NotAuthority(String),
    /// The TLS library refused the setup itself.
    #[error("cannot set up TLS: {0}")]
    Setup(String),
}

/// Which PEM text a [`SimTlsError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PemPart {
    /// The server certificate (`cert.pem`).
    ServerCert,
    /// The `--client-ca` file.
    ClientCa,
}

fn generate_err(what: &'static str) -> impl FnOnce(rcgen::Error) -> SimTlsError {
    move |e| SimTlsError::Generate {
        what,
        detail: e.to_string(),
    }
}

fn write_err(path: &Path) -> impl FnOnce(std::io::Error) -> SimTlsError + '_ {
    move |source| SimTlsError::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// The validity window of generated certificates, as calendar dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    pub not_before: (i32, u8, u8),
    pub not_after: (i32, u8, u8),
}

impl Default for Validity {
    fn default() -> Self {
        Validity {
            not_before: (2020, 1, 1),
            not_after: (2099, 12, 31),
        }
    }
}

/// What to generate: the names the server certificate is for, its validity,
/// and a note in the authority's name (the simulator writes there the path of
/// the authority's PEM file, so `doctor` can name the exact `--ca-file`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertSpec {
    pub names: Vec<String>,
    pub validity: Validity,
    pub authority_note: Option<String>,
}

impl Default for CertSpec {
    fn default() -> Self {
        CertSpec {
            names: vec!["localhost".into(), "127.0.0.1".into()],
            validity: Validity::default(),
            authority_note: None,
        }
    }
}

/// The client certificate and key `serve --tls` writes beside its
/// authority.
pub const CLIENT_FILE: &str = "client.pem";

/// A generated authority and the server certificate it signed.
pub struct Generated {
    pub ca_pem: String,
    pub cert_pem: String,
    pub key_pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl std::fmt::Debug for Generated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Generated").finish_non_exhaustive()
    }
}

/// A certificate and its key, PEM.
#[derive(Debug, Clone)]
pub struct IssuedPem {
    pub cert_pem: String,
    pub key_pem: String,
}

/// Generates an authority and a server certificate for `spec.names`.
pub fn generate(spec: &CertSpec) -> Result<Generated, SimTlsError> {
    let date = |(y, m, d): (i32, u8, u8)| rcgen::date_time_ymd(y, m, d);
    let ca_key = KeyPair::generate().map_err(generate_err("a key"))?;
    let mut ca =
        CertificateParams::new(Vec::<String>::new()).map_err(generate_err("the authority"))?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "stepwise simulator CA");
    dn.push(DnType::OrganizationName, "stepwise simulator");
    if let Some(note) = &spec.authority_note {
        dn.push(DnType::OrganizationalUnitName, note.as_str());
    }
    ca.distinguished_name = dn;
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca.not_before = date(Validity::default().not_before);
    ca.not_after = date(Validity::default().not_after);
    let ca_cert = ca
        .self_signed(&ca_key)
        .map_err(generate_err("the authority"))?;
    let issuer = Issuer::new(ca, ca_key);

    let key = KeyPair::generate().map_err(generate_err("a key"))?;
    let mut leaf = CertificateParams::new(spec.names.clone())
        .map_err(generate_err("the server certificate"))?;
    leaf.distinguished_name = DistinguishedName::new();
    leaf.distinguished_name.push(
        DnType::CommonName,
        spec.names.first().map_or("localhost", String::as_str),
    );
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf.not_before = date(spec.validity.not_before);
    leaf.not_after = date(spec.validity.not_after);
    let cert = leaf
        .signed_by(&key, &issuer)
        .map_err(generate_err("the server certificate"))?;
    Ok(Generated {
        ca_pem: ca_cert.pem(),
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
        issuer,
    })
}

impl Generated {
    /// A client certificate signed by this authority (for tests and demos of
    /// gateways that demand one).
    pub fn issue_client(&self, name: &str) -> Result<IssuedPem, SimTlsError> {
        self.issue_client_for(name, Validity::default())
    }

    /// A client certificate signed by this authority, valid `validity`
    /// (an expired one, for tests).
    pub fn issue_client_for(
        &self,
        name: &str,
        validity: Validity,
    ) -> Result<IssuedPem, SimTlsError> {
        let date = |(y, m, d): (i32, u8, u8)| rcgen::date_time_ymd(y, m, d);
        let key = KeyPair::generate().map_err(generate_err("a key"))?;
        let mut params = CertificateParams::new(Vec::<String>::new())
            .map_err(generate_err("the client certificate"))?;
        params.distinguished_name = DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, name);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        params.not_before = date(validity.not_before);
        params.not_after = date(validity.not_after);
        let cert = params
            .signed_by(&key, &self.issuer)
            .map_err(generate_err("the client certificate"))?;
        Ok(IssuedPem {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }

    /// Writes [`CLIENT_FILE`] into `dir`: a client certificate of this
    /// authority and its key, in one file (`--client-cert` takes both).
    pub fn write_client_to(&self, dir: &Path) -> Result<(), SimTlsError> {
        let client = self.issue_client("stepwise simulator client")?;
        let path = dir.join(CLIENT_FILE);
        let both = format!("{}{}", client.cert_pem, client.key_pem);
        crate::files::write_atomically(&path, both.as_bytes()).map_err(write_err(&path))
    }

    /// Writes `ca.pem`, `cert.pem` and `key.pem` into `dir` (made if needed).
    pub fn write_to(&self, dir: &Path) -> Result<(), SimTlsError> {
        crate::files::private_dir(dir).map_err(write_err(dir))?;
        for (name, text) in [
            ("ca.pem", &self.ca_pem),
            ("cert.pem", &self.cert_pem),
            ("key.pem", &self.key_pem),
        ] {
            let path = dir.join(name);
            // 0600: key.pem above all is this user's alone.
            crate::files::write_atomically(&path, text.as_bytes()).map_err(write_err(&path))?;
        }
        Ok(())
    }

    /// The server configuration; `client_ca` (PEM) makes client
    /// certificates signed by it mandatory.
    pub fn server_config(
        &self,
        client_ca: Option<&[u8]>,
    ) -> Result<Arc<rustls::ServerConfig>, SimTlsError> {
        server_config(self.cert_pem.as_bytes(), self.key_pem.as_bytes(), client_ca)
    }
}

fn pem_certs(pem: &[u8], part: PemPart) -> Result<Vec<CertificateDer<'static>>, SimTlsError> {
    use rustls::pki_types::pem::PemObject;
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| SimTlsError::NotPem(part, e.to_string()))?;
    if certs.is_empty() {
        return Err(SimTlsError::NoCertificate(part));
    }
    Ok(certs)
}

/// A rustls server configuration from PEM texts.
pub fn server_config(
    cert_pem: &[u8],
    key_pem: &[u8],
    client_ca: Option<&[u8]>,
) -> Result<Arc<rustls::ServerConfig>, SimTlsError> {
    use rustls::pki_types::pem::PemObject;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let chain = pem_certs(cert_pem, PemPart::ServerCert)?;
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|_| SimTlsError::NoKey)?;
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| SimTlsError::Setup(e.to_string()))?;
    let builder = match client_ca {
        Some(pem) => {
            let mut roots = rustls::RootCertStore::empty();
            for cert in pem_certs(pem, PemPart::ClientCa)? {
                roots
                    .add(cert)
                    .map_err(|e| SimTlsError::NotAuthority(e.to_string()))?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| SimTlsError::Setup(e.to_string()))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder.with_single_cert(chain, key).map_err(|e| match e {
        rustls::Error::InconsistentKeys(_) => SimTlsError::KeyMismatch,
        e => SimTlsError::Setup(e.to_string()),
    })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Where `serve --tls` keeps its generated files in the data directory
/// `data_dir` when `--tls-dir` is not given.
pub fn default_dir(data_dir: &std::path::Path) -> PathBuf {
    data_dir.join("sim-tls")
}

/// A TCP listener whose connections reach axum once their TLS handshake has
/// finished. Handshakes run on their own tasks, so a client that stalls in
/// its handshake holds up no one else; a failed one is logged and dropped.
pub struct TlsListener {
    local: SocketAddr,
    ready: mpsc::Receiver<(TlsStream<tokio::net::TcpStream>, SocketAddr)>,
    accept_task: JoinHandle<()>,
}

/// How long a client may take over its handshake.
const HANDSHAKE_LIMIT: std::time::Duration = std::time::Duration::from_secs(10);

impl TlsListener {
    pub fn new(listener: TcpListener, config: Arc<rustls::ServerConfig>) -> std::io::Result<Self> {
        let local = listener.local_addr()?;
        let acceptor = TlsAcceptor::from(config);
        let (tx, ready) = mpsc::channel(64);
        let accept_task = tokio::spawn(async move {
            loop {
                let (tcp, peer) = match listener.accept().await {
                    Ok(pair) => pair,
                    Err(e) => {
                        tracing::warn!("accept failed: {e}");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let acceptor = acceptor.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_LIMIT, acceptor.accept(tcp)).await {
                        Ok(Ok(tls)) => {
                            let _ = tx.send((tls, peer)).await;
                        }
                        Ok(Err(e)) => tracing::info!(%peer, "TLS handshake failed: {e}"),
                        Err(_) => tracing::info!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        });
        Ok(TlsListener {
            local,
            ready,
            accept_task,
        })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.accept_task.abort();
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<tokio::net::TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(pair) => pair,
            // The accept task only ends when the listener is dropped.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}
