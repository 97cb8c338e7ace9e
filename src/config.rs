//! Configuration: the config file, environment variables, the user's data
//! directory, the persistent device id, recent ids, and the token (a secret
//! that is never printed).

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use directories::ProjectDirs;
use serde::Deserialize;

use crate::guidance::guidance;

pub const ENV_API: &str = "STEPWISE_API";
pub const ENV_TOKEN: &str = "STEPWISE_TOKEN";
pub const ENV_DOCS_URL: &str = "STEPWISE_DOCS_URL";
pub const ENV_CONFIG: &str = "STEPWISE_CONFIG";

/// How many recently used carAssociationIDs the start screen remembers.
const RECENT_KEPT: usize = 8;

/// A bearer token. Its `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(token: impl Into<String>) -> Self {
        Secret(token.into())
    }

    /// The token itself, for the `Authorization` header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// The config file, `config.toml` in the user's config directory.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Base URL of the gateway.
    pub api: Option<String>,
    pub token: Option<String>,
    pub token_file: Option<PathBuf>,
    /// Base URL of the documentation links (a dealer's own help pages).
    pub docs_base_url: Option<String>,
}

/// Where the token in use comes from, in order of precedence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenFrom {
    /// `--token-file`.
    TokenFile,
    /// `STEPWISE_TOKEN`.
    Environment,
    /// A login kept by `stepwise login`.
    Login,
    /// `token` or `token_file` in the config file.
    Config,
}

impl TokenFrom {
    /// The name in machine output.
    pub fn as_wire(self) -> &'static str {
        match self {
            TokenFrom::TokenFile => "token-file",
            TokenFrom::Environment => "environment",
            TokenFrom::Login => "login",
            TokenFrom::Config => "config",
        }
    }
}

/// A configuration problem, said in one line with what to do.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

/// Everything resolved from flags, environment, config file and defaults.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `None`: no gateway configured, so the embedded simulator is used.
    pub api: Option<String>,
    pub token: Option<Secret>,
    /// Where the token in use comes from (never the token itself).
    pub token_from: Option<TokenFrom>,
    /// The login kept for `api` (`stepwise login`), used when no token
    /// given by flag or environment wins over it.
    pub login: Option<crate::auth::KeptLogin>,
    pub docs_base_url: String,
    pub device_id: String,
    pub data_dir: Option<PathBuf>,
}

pub fn project_dirs() -> Option<ProjectDirs> {
    ProjectDirs::from("", "", "stepwise")
}

/// Where the config file is read from: `STEPWISE_CONFIG`, else the user's
/// config directory.
pub fn config_path() -> Option<PathBuf> {
    std::env::var_os(ENV_CONFIG)
        .map(PathBuf::from)
        .or_else(|| project_dirs().map(|d| d.config_dir().join("config.toml")))
}

pub fn data_dir() -> Option<PathBuf> {
    project_dirs().map(|d| d.data_dir().to_path_buf())
}

/// Reads the config file; a missing file is an empty config.
pub fn load_file_config(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(FileConfig::default()),
        Err(e) => {
            return Err(ConfigError(format!(
                "cannot read the config file {}: {e}. Fix its permissions or remove it",
                path.display()
            )));
        }
    };
    toml::from_str(&text).map_err(|e| {
        let why = e.message().to_owned();
        ConfigError(format!(
            "the config file {} is not valid: {why}. Known keys: api, token, token_file, docs_base_url",
            path.display()
        ))
    })
}

/// Reads a token file: the first line, trimmed.
pub fn read_token_file(path: &Path) -> Result<Secret, ConfigError> {
    let text = fs::read_to_string(path).map_err(|e| {
        ConfigError(format!(
            "cannot read the token file {}: {}. Check the path given to --token-file",
            path.display(),
            e.kind()
        ))
    })?;
    let token = text.lines().next().unwrap_or("").trim();
    if token.is_empty() {
        return Err(ConfigError(format!(
            "the token file {} is empty. Put the gateway's token on its first line",
            path.display()
        )));
    }
    Ok(Secret::new(token))
}

impl Settings {
    /// Resolves settings: flags first, then environment, then the config file.
    /// `api_flag` already holds `STEPWISE_API` when the flag was not given.
    pub fn resolve(
        api_flag: Option<String>,
        token_file_flag: Option<&Path>,
    ) -> Result<Self, ConfigError> {
        let file = match config_path() {
            Some(path) => load_file_config(&path)?,
            None => FileConfig::default(),
        };
        let env_token = std::env::var(ENV_TOKEN)
            .ok()
            .filter(|t| !t.trim().is_empty());
        let api = api_flag
            .or(file.api)
            .map(|a| a.trim().to_owned())
            .filter(|a| !a.is_empty());
        let data_dir = data_dir();
        // Precedence: --token-file > STEPWISE_TOKEN > the kept login > the config file.
        let strong = match (token_file_flag, env_token) {
            (Some(path), _) => Some((read_token_file(path)?, TokenFrom::TokenFile)),
            (None, Some(token)) => Some((Secret::new(token.trim()), TokenFrom::Environment)),
            (None, None) => None,
        };
        let login = match (&strong, &api) {
            (None, Some(api)) => crate::auth::KeptLogin::load(api, data_dir.as_deref())
                .unwrap_or_else(|e| {
                    tracing::warn!("the kept login cannot be used: {e}");
                    None
                }),
            _ => None,
        };
        let (token, token_from) = match (strong, &login, &file.token, &file.token_file) {
            (Some((token, from)), _, _, _) => (Some(token), Some(from)),
            (None, Some(_), _, _) => (None, Some(TokenFrom::Login)),
            (None, None, Some(token), _) => {
                (Some(Secret::new(token.trim())), Some(TokenFrom::Config))
            }
            (None, None, None, Some(path)) => {
                (Some(read_token_file(path)?), Some(TokenFrom::Config))
            }
            (None, None, None, None) => (None, None),
        };
        let docs_base_url = match std::env::var(ENV_DOCS_URL)
            .ok()
            .or(file.docs_base_url)
            .filter(|u| !u.trim().is_empty())
        {
            Some(url) => check_docs_url(url.trim())?,
            None => guidance().docs_base_url.clone(),
        };
        let device_id = match &data_dir {
            Some(dir) => device_id(dir).unwrap_or_else(|e| {
                tracing::warn!("cannot keep the device id in {}: {e}", dir.display());
                new_device_id()
            }),
            None => new_device_id(),
        };
        Ok(Settings {
            api,
            token,
            token_from,
            login,
            docs_base_url,
            device_id,
            data_dir,
        })
    }
}

/// The documentation base URL is drawn on screen, linked and put in QR
/// codes: it must be a plain http(s) URL.
pub fn check_docs_url(raw: &str) -> Result<String, ConfigError> {
    match url::Url::parse(raw) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
            Ok(url.as_str().trim_end_matches('/').to_owned())
        }
        _ => Err(ConfigError(format!(
            "the documentation base URL {:?} is not an http(s) URL. Fix {ENV_DOCS_URL} or \
             docs_base_url in the config file, e.g. https://help.dealer.example",
            crate::steps::sanitize(raw)
        ))),
    }
}

fn new_device_id() -> String {
    format!("stepwise-{}", uuid::Uuid::new_v4())
}

/// The device id, made once and kept in `dir/device-id`.
pub fn device_id(dir: &Path) -> io::Result<String> {
    let path = dir.join("device-id");
    match fs::read_to_string(&path) {
        Ok(text) if is_usable_id(text.trim()) => return Ok(text.trim().to_owned()),
        Ok(_) => tracing::warn!("replacing an unusable device id in {}", path.display()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let id = new_device_id();
    write_atomically(&path, &id)?;
    Ok(id)
}

fn is_usable_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_graphic())
}

/// The recently used carAssociationIDs, newest first.
pub fn recent_ids(dir: &Path) -> Vec<String> {
    fs::read_to_string(dir.join("recent-ids"))
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|id| is_car_id(id))
        .take(RECENT_KEPT)
        .map(str::to_owned)
        .collect()
}

/// Puts an id first in the recent list.
pub fn remember_id(dir: &Path, id: &str) -> io::Result<()> {
    let mut ids = recent_ids(dir);
    ids.retain(|known| known != id);
    ids.insert(0, id.to_owned());
    ids.truncate(RECENT_KEPT);
    write_atomically(&dir.join("recent-ids"), &(ids.join("\n") + "\n"))
}

/// A carAssociationID as a technician may type it: letters, digits, `-`, `_`.
pub fn is_car_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Writes through a temporary file and a rename, so a crash never leaves half
/// a file behind.
pub fn write_atomically(path: &Path, contents: &str) -> io::Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    let tmp = path.with_extension("tmp");
    fs::write(&tmp, contents)?;
    fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("hunter2");
        assert!(!format!("{s:?} {s}").contains("hunter2"));
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn device_id_is_made_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let first = device_id(dir.path()).unwrap();
        assert_eq!(device_id(dir.path()).unwrap(), first);
        fs::write(dir.path().join("device-id"), "\u{1b}[2J\n").unwrap();
        let replaced = device_id(dir.path()).unwrap();
        assert_ne!(replaced, first);
        assert!(is_usable_id(&replaced));
    }

    #[test]
    fn recent_ids_are_newest_first_unique_and_bounded() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..12 {
            remember_id(dir.path(), &format!("{i}")).unwrap();
        }
        remember_id(dir.path(), "5").unwrap();
        let ids = recent_ids(dir.path());
        assert_eq!(ids.len(), RECENT_KEPT);
        assert_eq!(ids[0], "5");
        assert_eq!(ids.iter().filter(|i| *i == "5").count(), 1);
    }

    #[test]
    fn config_file_errors_say_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        fs::write(&path, "api = 3\n").unwrap();
        let err = load_file_config(&path).unwrap_err().to_string();
        assert!(
            err.contains("not valid") && err.contains("Known keys"),
            "{err}"
        );
        fs::write(&path, "api = \"http://127.0.0.1:1\"\n").unwrap();
        assert_eq!(
            load_file_config(&path).unwrap().api.as_deref(),
            Some("http://127.0.0.1:1")
        );
        assert!(
            load_file_config(&dir.path().join("none"))
                .unwrap()
                .api
                .is_none()
        );
    }

    #[test]
    fn token_files_are_read_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t");
        fs::write(&path, "  abc \nrest").unwrap();
        assert_eq!(read_token_file(&path).unwrap().expose(), "abc");
        fs::write(&path, "\n").unwrap();
        assert!(
            read_token_file(&path)
                .unwrap_err()
                .to_string()
                .contains("empty")
        );
        let missing = read_token_file(&dir.path().join("nope"))
            .unwrap_err()
            .to_string();
        assert!(missing.contains("--token-file"), "{missing}");
    }

    #[test]
    fn docs_urls_must_be_http() {
        assert_eq!(
            check_docs_url("https://help.example/docs/").unwrap(),
            "https://help.example/docs"
        );
        for bad in [
            "javascript:alert(1)",
            "help.example",
            "https://\u{1b}]0;x",
            "file:///etc",
        ] {
            let err = check_docs_url(bad).unwrap_err().to_string();
            assert!(
                err.contains("not an http(s) URL") && !err.contains('\u{1b}'),
                "{err}"
            );
        }
    }

    #[test]
    fn car_ids_are_letters_and_digits() {
        assert!(is_car_id("987654"));
        assert!(is_car_id("AB-12_c"));
        assert!(!is_car_id(""));
        assert!(!is_car_id("12 34"));
        assert!(!is_car_id("a/b"));
    }
}
