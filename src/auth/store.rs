//! Where sign-in tokens are kept: the operating system's keyring (Secret
//! Service, Keychain, Credential Manager), one entry per gateway URL, or where
//! none answers, a file in the data directory that only the user can read.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::Credential;
use crate::text::Lang;
use crate::tr;

/// Chooses the store: `keyring`, `file`, or (unset, `auto`) the keyring
/// where one answers, else the file.
pub const ENV_TOKEN_STORE: &str = "STEPWISE_TOKEN_STORE";

/// The keyring entries' service name; the user name is the gateway URL.
const SERVICE: &str = "stepwise";

/// The fallback file's name in the data directory.
const FILE_NAME: &str = "logins.json";

/// A keyring that does not answer within this time (a locked keyring waiting
/// for a password prompt nobody sees, a wedged D-Bus) is given up on.
const KEYRING_PATIENCE: Duration = Duration::from_secs(20);

/// Where a token is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// The OS keyring, by its name (e.g. "Secret Service").
    Keyring(&'static str),
    /// The file only the user can read.
    File(PathBuf),
}

impl Place {
    /// `keyring` or `file`, for machine output.
    pub fn kind(&self) -> &'static str {
        match self {
            Place::Keyring(_) => "keyring",
            Place::File(_) => "file",
        }
    }

    /// Which keyring, or which file.
    pub fn detail(&self) -> String {
        match self {
            Place::Keyring(name) => (*name).to_owned(),
            Place::File(path) => path.display().to_string(),
        }
    }
}

/// Said once, when a token first goes to the file: who can read it. On
/// Unix the file is made with mode 0600; on Windows it is made in the
/// user's own `%LOCALAPPDATA%`, whose permissions (inherited by the file)
/// let the user, the system and the PC's administrators read it.
/// With `STEPWISE_TOKEN_STORE=file` (`file_chosen`) the setting is why, not
/// a keyring that did not answer.
pub fn file_notice(
    lang: Lang,
    keyring_too_small: Option<(&'static str, u32)>,
    file_chosen: bool,
) -> String {
    if let Some((name, max)) = keyring_too_small {
        return tr!(lang, "login-keyring-too-small", name = name, max = max);
    }
    if file_chosen {
        return tr!(lang, "login-file-chosen");
    }
    if cfg!(windows) {
        tr!(lang, "login-file-notice-windows")
    } else {
        tr!(lang, "login-file-notice")
    }
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Place::Keyring(name) => write!(f, "the keyring ({name})"),
            Place::File(path) => write!(f, "the file {}", path.display()),
        }
    }
}

/// Why a keyring could not be used, as stepwise says it in each language
/// (the library's English is logged, and shown only for a cause without
/// words here).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyringTrouble {
    /// No D-Bus session bus to reach (an SSH or service session, a
    /// container): no keyring can be asked, and no unlocking helps.
    NoSessionBus,
    /// The keyring is locked, or its unlock prompt was dismissed.
    Locked,
    /// No keyring service answers (none running, or none in time).
    NoService,
    /// The secret kept there is damaged.
    Malformed,
    /// Anything else: the library's words, sanitised.
    Other(String),
}

impl KeyringTrouble {
    /// Sorts the keyring library's words; `bus_missing` when no session
    /// bus is there to ask.
    pub fn from_words(text: &str, bus_missing: bool) -> Self {
        let lower = text.to_ascii_lowercase();
        let has = |words: &[&str]| words.iter().any(|w| lower.contains(w));
        if has(&["locked", "prompt dismissed", "prompt completed"]) {
            KeyringTrouble::Locked
        } else if bus_missing
            || has(&[
                "failed to connect to address",
                "os error 2)",
                "os error 111)",
                "connection refused",
            ])
        {
            KeyringTrouble::NoSessionBus
        } else if has(&[
            "serviceunknown",
            "org.freedesktop.secrets",
            "not provided by any",
            "no secret service provider",
            "serviceerror",
        ]) {
            KeyringTrouble::NoService
        } else {
            KeyringTrouble::Other(crate::steps::sanitize(text))
        }
    }

    /// The cause, in `lang`.
    pub fn words(&self, lang: Lang) -> String {
        match self {
            KeyringTrouble::NoSessionBus => tr!(lang, "keyring-no-bus"),
            KeyringTrouble::Locked => tr!(lang, "keyring-locked"),
            KeyringTrouble::NoService => tr!(lang, "keyring-no-service"),
            KeyringTrouble::Malformed => tr!(lang, "keyring-malformed"),
            KeyringTrouble::Other(detail) => {
                tr!(lang, "keyring-other", detail = detail.clone())
            }
        }
    }

    /// What fixes it, in `lang`.
    pub fn fix(&self, lang: Lang) -> String {
        match self {
            KeyringTrouble::NoSessionBus => tr!(lang, "keyring-fix-no-bus"),
            KeyringTrouble::Locked => tr!(lang, "keyring-fix-locked"),
            _ => tr!(lang, "keyring-fix-start"),
        }
    }
}

/// A store that failed; never a token. Data only: the words a person reads,
/// one line with what to do, are made when shown by [`StoreError::words`]
/// in the chosen language (through `describe::store_error`); `Display` is that line in English (logs, callers
/// without a language). `why` and `kind` are the keyring's or the
/// system's own words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// `STEPWISE_TOKEN_STORE` holds something else (sanitised).
    BadChoice { value: String },
    /// `STEPWISE_TOKEN_STORE=keyring`, and the keyring cannot be used.
    KeyringUnusable { why: KeyringTrouble },
    /// Neither a keyring nor a data directory.
    Nowhere,
    /// No data directory for the file.
    NoDataDir,
    /// The login could not be encoded (serde's words).
    Encode { detail: String },
    /// The login kept for `gateway` is damaged.
    Unreadable { gateway: String },
    /// The keyring did not answer within `secs`.
    TooSlow { secs: u64 },
    KeyringEntry {
        gateway: String,
        why: KeyringTrouble,
    },
    KeyringRead {
        name: &'static str,
        why: KeyringTrouble,
    },
    KeyringWrite {
        name: &'static str,
        why: KeyringTrouble,
    },
    /// The login is longer than one keyring entry holds (Windows'
    /// Credential Manager: 2560 bytes, 1280 characters as it stores them).
    KeyringTooSmall { name: &'static str, max: u32 },
    KeyringRemove {
        name: &'static str,
        why: KeyringTrouble,
    },
    /// The login file is not what stepwise writes.
    FileDamaged { path: String },
    FileRead {
        path: String,
        kind: std::io::ErrorKind,
    },
    FileRemove {
        path: String,
        kind: std::io::ErrorKind,
    },
    /// Writing the file failed at `step`.
    FileWrite {
        step: FileStep,
        path: String,
        kind: std::io::ErrorKind,
    },
}

/// The step of writing the login file that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileStep {
    CreateFolder,
    Create,
    Write,
    Replace,
}

impl StoreError {
    /// Whether every kept login is lost with it (a damaged login file):
    /// a new sign-in follows moving it aside, where a token is wanted.
    pub fn login_lost(&self) -> bool {
        matches!(self, StoreError::FileDamaged { .. })
    }

    /// One line about a sign-in store that failed: what, and what to do.
    pub fn words(&self, lang: Lang) -> String {
        match self {
            StoreError::BadChoice { value } => {
                tr!(lang, "err-store-choice", value = format!("{value:?}"))
            }
            StoreError::KeyringUnusable { why } => tr!(
                lang,
                "err-store-keyring-unusable",
                why = why.words(lang),
                fix = why.fix(lang)
            ),
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
                why = why.words(lang)
            ),
            StoreError::KeyringRead { name, why } => tr!(
                lang,
                "err-store-keyring-read",
                name = *name,
                why = why.words(lang),
                fix = why.fix(lang)
            ),
            StoreError::KeyringWrite { name, why } => tr!(
                lang,
                "err-store-keyring-write",
                name = *name,
                why = why.words(lang),
                fix = why.fix(lang)
            ),
            StoreError::KeyringTooSmall { name, max } => tr!(
                lang,
                "err-store-keyring-too-small",
                name = *name,
                max = *max
            ),
            StoreError::KeyringRemove { name, why } => tr!(
                lang,
                "err-store-keyring-remove",
                name = *name,
                why = why.words(lang)
            ),
            StoreError::FileDamaged { path } => {
                tr!(lang, "err-store-file-damaged", path = path.clone())
            }
            // The login file's own name taken by a folder.
            StoreError::FileRead {
                path,
                kind: std::io::ErrorKind::IsADirectory,
            } => tr!(lang, "err-store-file-is-folder", path = path.clone()),
            // A file where a folder must be is no matter of permissions.
            StoreError::FileRead {
                path,
                kind: kind @ std::io::ErrorKind::NotADirectory,
            } => tr!(
                lang,
                "err-store-file-in-the-way",
                path = path.clone(),
                kind = kind_words(lang, *kind)
            ),
            StoreError::FileRead { path, kind } => tr!(
                lang,
                "err-store-file-read",
                path = path.clone(),
                kind = kind_words(lang, *kind)
            ),
            StoreError::FileRemove { path, kind } => tr!(
                lang,
                "err-store-file-remove",
                path = path.clone(),
                kind = kind_words(lang, *kind)
            ),
            StoreError::FileWrite { step, path, kind } => {
                let (path, kind) = (path.clone(), kind_words(lang, *kind));
                match step {
                    FileStep::CreateFolder => {
                        tr!(lang, "err-store-file-folder", path = path, kind = kind)
                    }
                    FileStep::Create => {
                        tr!(lang, "err-store-file-create", path = path, kind = kind)
                    }
                    FileStep::Write => tr!(lang, "err-store-file-write", path = path, kind = kind),
                    FileStep::Replace => {
                        tr!(lang, "err-store-file-replace", path = path, kind = kind)
                    }
                }
            }
        }
    }
}

/// The system's failure `kind`, in the reader's language where it is known.
fn kind_words(lang: Lang, kind: std::io::ErrorKind) -> String {
    crate::files::unreadable_words(lang, &std::io::Error::from(kind))
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.words(Lang::En))
    }
}

impl std::error::Error for StoreError {}

/// What a save did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    pub place: Place,
    /// The fallback file was created by this save: tell the user once.
    pub new_file: bool,
    /// The keyring refused the login (locked, gone), so the file keeps it:
    /// why, to tell the user.
    pub keyring_trouble: Option<KeyringTrouble>,
    /// The keyring that could not hold this login, when it went to the
    /// file for that reason, and the keyring's limit in bytes.
    pub keyring_too_small: Option<(&'static str, u32)>,
    /// The file keeps it because `STEPWISE_TOKEN_STORE=file` asks for it.
    pub file_chosen: bool,
}

/// The keyring (when one answers) and the fallback file.
#[derive(Clone)]
pub struct TokenStore {
    keyring: Option<Keyring>,
    file: Option<PathBuf>,
    /// `STEPWISE_TOKEN_STORE=keyring`: no falling back to the file.
    keyring_only: bool,
    /// `STEPWISE_TOKEN_STORE=file`: the keyring was not asked.
    file_chosen: bool,
}

impl std::fmt::Debug for TokenStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenStore")
            .field("keyring", &self.keyring.as_ref().map(|k| k.name))
            .field("file", &self.file)
            .finish()
    }
}

#[derive(Clone)]
struct Keyring {
    name: &'static str,
    store: Arc<keyring_core::CredentialStore>,
}

/// How the store is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    Auto,
    Keyring,
    File,
}

impl Choice {
    /// From `STEPWISE_TOKEN_STORE`.
    pub fn from_env() -> Result<Self, StoreError> {
        match std::env::var(ENV_TOKEN_STORE) {
            Err(_) => Ok(Choice::Auto),
            Ok(v) => match v.trim().to_ascii_lowercase().as_str() {
                "" | "auto" => Ok(Choice::Auto),
                "keyring" => Ok(Choice::Keyring),
                "file" => Ok(Choice::File),
                _ => Err(StoreError::BadChoice {
                    value: crate::steps::sanitize(&v),
                }),
            },
        }
    }
}

impl TokenStore {
    /// Opens the store: the keyring where one answers (unless `choice` says
    /// file), and the file in `data_dir`.
    pub fn open(choice: Choice, data_dir: Option<&Path>) -> Result<Self, StoreError> {
        let file = data_dir.map(|d| d.join(FILE_NAME));
        let keyring = match choice {
            Choice::File => None,
            Choice::Auto => match open_keyring() {
                Ok(k) => Some(k),
                Err(why) => {
                    tracing::info!("no keyring, tokens go to a file: {why:?}");
                    None
                }
            },
            Choice::Keyring => {
                Some(open_keyring().map_err(|why| StoreError::KeyringUnusable { why })?)
            }
        };
        if keyring.is_none() && file.is_none() {
            return Err(StoreError::Nowhere);
        }
        Ok(TokenStore {
            keyring,
            file,
            keyring_only: choice == Choice::Keyring,
            file_chosen: choice == Choice::File,
        })
    }

    /// Where the refresh lock lives: beside the file (the data directory).
    pub fn lock_dir(&self) -> Option<PathBuf> {
        self.file
            .as_deref()
            .and_then(Path::parent)
            .map(Path::to_path_buf)
    }

    /// The keyring's name, when one is used.
    pub fn keyring_name(&self) -> Option<&'static str> {
        self.keyring.as_ref().map(|k| k.name)
    }

    /// The fallback file's path.
    pub fn file_path(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// The login kept for `gateway`, and where; the keyring is asked first.
    pub fn load(&self, gateway: &str) -> Result<Option<(Credential, Place)>, StoreError> {
        if let Some(keyring) = &self.keyring {
            match keyring.get(gateway) {
                Ok(Some(text)) => {
                    let credential = parse_credential(&text).ok_or_else(|| unreadable(gateway))?;
                    return Ok(Some((credential, Place::Keyring(keyring.name))));
                }
                Ok(None) => {}
                // A locked keyring: the file may hold what it could not.
                Err(e) if !self.keyring_only && self.file.is_some() => {
                    tracing::info!("the keyring cannot be read, trying the file: {e}");
                }
                Err(e) => return Err(e),
            }
        }
        if let Some(path) = &self.file
            && let Some(credential) = read_file(path)?.logins.remove(gateway)
        {
            return Ok(Some((credential, Place::File(path.clone()))));
        }
        Ok(None)
    }

    /// The login file, if this store has one, can be read and is what
    /// stepwise writes: checked before a sign-in, whose login it must
    /// keep, so that no approval is spent on a file that refuses it.
    pub fn check_file(&self) -> Result<(), StoreError> {
        match &self.file {
            Some(path) => read_file(path).map(|_| ()),
            None => Ok(()),
        }
    }

    /// Keeps the login for `gateway`: in the keyring when there is one, else
    /// in the file. A copy in the other place is removed, so one stays.
    pub fn save(&self, gateway: &str, credential: &Credential) -> Result<Saved, StoreError> {
        let text = serde_json::to_string(credential).map_err(|e| StoreError::Encode {
            detail: e.to_string(),
        })?;
        let mut keyring_trouble = None;
        let mut keyring_too_small = None;
        if let Some(keyring) = &self.keyring {
            match keyring.set(gateway, &text) {
                Ok(()) => {
                    if let Some(path) = &self.file {
                        remove_from_file(path, gateway)?;
                    }
                    return Ok(Saved {
                        place: Place::Keyring(keyring.name),
                        new_file: false,
                        keyring_trouble: None,
                        keyring_too_small: None,
                        file_chosen: false,
                    });
                }
                // A long token (a JWT and its refresh token) goes to the
                // file, where there is one.
                Err(StoreError::KeyringTooSmall { name, max }) if self.file.is_some() => {
                    keyring_too_small = Some((name, max));
                }
                // A locked or absent keyring never loses an approved
                // sign-in: the private file keeps it.
                Err(e) if !self.keyring_only && self.file.is_some() => {
                    tracing::warn!("the keyring cannot keep the login, the file does: {e}");
                    keyring_trouble = Some(match &e {
                        StoreError::KeyringWrite { why, .. }
                        | StoreError::KeyringEntry { why, .. } => why.clone(),
                        StoreError::TooSlow { .. } => KeyringTrouble::NoService,
                        other => KeyringTrouble::Other(other.to_string()),
                    });
                }
                Err(e) => return Err(e),
            }
        }
        let path = self.file.as_ref().ok_or(StoreError::NoDataDir)?;
        let mut file = read_file(path)?;
        let new_file = !path.exists();
        file.logins.insert(gateway.to_owned(), credential.clone());
        write_file(path, &file)?;
        if let Some(keyring) = &self.keyring
            && keyring_trouble.is_none()
        {
            // An older, shorter login there would be read first. (A locked
            // keyring holds none this save could reach.)
            keyring.delete(gateway)?;
        }
        Ok(Saved {
            place: Place::File(path.clone()),
            new_file,
            keyring_trouble,
            keyring_too_small,
            file_chosen: self.file_chosen,
        })
    }

    /// Forgets the login for `gateway` everywhere; says where it was.
    pub fn remove(&self, gateway: &str) -> Result<Vec<Place>, StoreError> {
        let mut removed = Vec::new();
        if let Some(keyring) = &self.keyring {
            match keyring.delete(gateway) {
                Ok(true) => removed.push(Place::Keyring(keyring.name)),
                Ok(false) => {}
                // A locked keyring holds nothing the file fallback wrote.
                Err(e) if !self.keyring_only && self.file.is_some() => {
                    tracing::info!("the keyring cannot be asked to forget: {e}");
                }
                Err(e) => return Err(e),
            }
        }
        if let Some(path) = &self.file
            && remove_from_file(path, gateway)?
        {
            removed.push(Place::File(path.clone()));
        }
        Ok(removed)
    }
}

fn unreadable(gateway: &str) -> StoreError {
    StoreError::Unreadable {
        gateway: crate::steps::sanitize(gateway),
    }
}

fn parse_credential(text: &str) -> Option<Credential> {
    serde_json::from_str::<Credential>(text)
        .ok()
        .filter(Credential::is_usable)
}

// ---------------------------------------------------------------- keyring

/// Runs `work` on a thread of its own and gives up after `limit`: a keyring
/// call may wait on a prompt or a bus that never answers.
fn patiently<T: Send + 'static>(
    limit: Duration,
    work: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("keyring".into())
        .spawn(move || {
            let _ = tx.send(work());
        })
        .ok()?;
    rx.recv_timeout(limit).ok()
}

fn keyring_error(e: &keyring_core::Error) -> KeyringTrouble {
    use keyring_core::Error as E;
    match e {
        // These two carry the secret's bytes: say nothing of them.
        E::BadEncoding(_) | E::BadDataFormat(..) => KeyringTrouble::Malformed,
        other => {
            let text = other.to_string();
            tracing::info!("the keyring says: {text}");
            KeyringTrouble::from_words(&text, session_bus_missing())
        }
    }
}

/// Whether no D-Bus session bus is there to ask: the address unset and no
/// socket at `$XDG_RUNTIME_DIR/bus` (where one is looked for then), or a
/// `unix:path=` address whose socket is missing.
#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
fn session_bus_missing() -> bool {
    let socket_missing = |path: &str| !Path::new(path).exists();
    match std::env::var("DBUS_SESSION_BUS_ADDRESS") {
        Ok(address) if !address.trim().is_empty() => address
            .split(';')
            .filter_map(|one| one.strip_prefix("unix:"))
            .filter_map(|keys| keys.split(',').find_map(|k| k.strip_prefix("path=")))
            .next()
            .is_some_and(socket_missing),
        _ => std::env::var("XDG_RUNTIME_DIR")
            .map(|dir| socket_missing(&format!("{dir}/bus")))
            .unwrap_or(true),
    }
}

/// Elsewhere the keyring is no D-Bus service.
#[cfg(not(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd")))]
fn session_bus_missing() -> bool {
    false
}

fn too_slow() -> StoreError {
    StoreError::TooSlow {
        secs: KEYRING_PATIENCE.as_secs(),
    }
}

impl Keyring {
    fn entry(&self, gateway: &str) -> Result<keyring_core::Entry, StoreError> {
        keyring_core::Entry::new_in_store(&self.store, SERVICE, gateway).map_err(|e| {
            StoreError::KeyringEntry {
                gateway: crate::steps::sanitize(gateway),
                why: keyring_error(&e),
            }
        })
    }

    fn get(&self, gateway: &str) -> Result<Option<String>, StoreError> {
        let entry = self.entry(gateway)?;
        let name = self.name;
        patiently(KEYRING_PATIENCE, move || match entry.get_password() {
            Ok(text) => Ok(Some(text)),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(StoreError::KeyringRead {
                name,
                why: keyring_error(&e),
            }),
        })
        .unwrap_or_else(|| Err(too_slow()))
    }

    fn set(&self, gateway: &str, text: &str) -> Result<(), StoreError> {
        let entry = self.entry(gateway)?;
        let name = self.name;
        let text = text.to_owned();
        patiently(KEYRING_PATIENCE, move || {
            entry.set_password(&text).map_err(|e| match e {
                keyring_core::Error::TooLong(_, max) => StoreError::KeyringTooSmall { name, max },
                e => StoreError::KeyringWrite {
                    name,
                    why: keyring_error(&e),
                },
            })
        })
        .unwrap_or_else(|| Err(too_slow()))
    }

    fn delete(&self, gateway: &str) -> Result<bool, StoreError> {
        let entry = self.entry(gateway)?;
        let name = self.name;
        patiently(KEYRING_PATIENCE, move || match entry.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring_core::Error::NoEntry) => Ok(false),
            Err(e) => Err(StoreError::KeyringRemove {
                name,
                why: keyring_error(&e),
            }),
        })
        .unwrap_or_else(|| Err(too_slow()))
    }
}

#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
fn open_keyring() -> Result<Keyring, KeyringTrouble> {
    patiently(KEYRING_PATIENCE, || {
        zbus_secret_service_keyring_store::Store::new()
            .map(|s| Keyring {
                name: "Secret Service",
                store: s,
            })
            .map_err(|e| keyring_error(&e))
    })
    .unwrap_or_else(|| Err(KeyringTrouble::NoService))
}

#[cfg(target_os = "macos")]
fn open_keyring() -> Result<Keyring, KeyringTrouble> {
    apple_native_keyring_store::keychain::Store::new()
        .map(|s| Keyring {
            name: "macOS Keychain",
            store: s,
        })
        .map_err(|e| keyring_error(&e))
}

#[cfg(windows)]
fn open_keyring() -> Result<Keyring, KeyringTrouble> {
    windows_native_keyring_store::store::Store::new()
        .map(|s| Keyring {
            name: "Windows Credential Manager",
            store: s,
        })
        .map_err(|e| keyring_error(&e))
}

#[cfg(not(any(
    target_os = "linux",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "macos",
    windows
)))]
fn open_keyring() -> Result<Keyring, KeyringTrouble> {
    Err(KeyringTrouble::NoService)
}

// ------------------------------------------------------------------- file

#[derive(Debug, Default, Serialize, Deserialize)]
struct LoginsFile {
    #[serde(default)]
    logins: BTreeMap<String, Credential>,
}

/// A path as an error shows it.
fn shown(path: &Path) -> String {
    crate::steps::sanitize(&path.display().to_string())
}

fn read_file(path: &Path) -> Result<LoginsFile, StoreError> {
    match crate::files::read_text_capped(path, crate::files::SMALL_FILE_LIMIT) {
        // An object: a list (`[]`) would read as a file of no login.
        Ok(text) if text.trim_start().starts_with('{') => {
            serde_json::from_str(&text).map_err(|_| StoreError::FileDamaged { path: shown(path) })
        }
        Ok(_) => Err(StoreError::FileDamaged { path: shown(path) }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(LoginsFile::default()),
        Err(e) => Err(StoreError::FileRead {
            path: shown(path),
            kind: e.kind(),
        }),
    }
}

/// Removes one gateway's login; the file goes when it holds no more.
fn remove_from_file(path: &Path, gateway: &str) -> Result<bool, StoreError> {
    let mut file = read_file(path)?;
    if file.logins.remove(gateway).is_none() {
        return Ok(false);
    }
    if file.logins.is_empty() {
        fs::remove_file(path).map_err(|e| StoreError::FileRemove {
            path: shown(path),
            kind: e.kind(),
        })?;
    } else {
        write_file(path, &file)?;
    }
    Ok(true)
}

/// Writes the file through a new temporary file made readable by the user
/// alone from its first byte, then a rename: no moment exists where the
/// tokens are readable by others or half written.
fn write_file(path: &Path, file: &LoginsFile) -> Result<(), StoreError> {
    let fail = |step, e: io::Error| StoreError::FileWrite {
        step,
        path: shown(path),
        kind: e.kind(),
    };
    let text = serde_json::to_string_pretty(file).map_err(|e| StoreError::Encode {
        detail: e.to_string(),
    })?;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    crate::files::private_dir(dir).map_err(|e| fail(FileStep::CreateFolder, e))?;
    // A fresh name made with O_EXCL, mode 0600 (tempfile); removed if
    // anything below fails, so no litter is left.
    let mut out = tempfile::Builder::new()
        .prefix(".logins-")
        .suffix(".part")
        .tempfile_in(dir)
        .map_err(|e| fail(FileStep::Create, e))?;
    out.write_all(text.as_bytes())
        .and_then(|()| out.as_file().sync_all())
        .map_err(|e| fail(FileStep::Write, e))?;
    out.persist(path)
        .map(drop)
        .map_err(|e| fail(FileStep::Replace, e.error))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A folder where the login file goes is named as that folder, never
    /// "so that the data folder is a folder" (it is one); a file where a
    /// folder of its path must be keeps those words.
    #[test]
    fn a_folder_named_like_the_login_file_is_named_as_that() {
        let words = |kind| {
            StoreError::FileRead {
                path: "/d/stepwise/logins.json".into(),
                kind,
            }
            .words(Lang::En)
        };
        let folder = words(std::io::ErrorKind::IsADirectory);
        assert!(
            folder.contains("it is a folder, not a file. Move or remove that folder"),
            "{folder}"
        );
        assert!(!folder.contains("data folder is a folder"), "{folder}");
        let in_the_way = words(std::io::ErrorKind::NotADirectory);
        assert!(
            in_the_way.contains("Move what is in the way"),
            "{in_the_way}"
        );
    }

    fn credential(token: &str) -> Credential {
        Credential {
            access_token: token.into(),
            refresh_token: Some(format!("{token}-refresh")),
            expires_at: Some(2_000_000_000),
            lifetime: Some(3600),
            token_endpoint: Some("http://127.0.0.1:1/token".into()),
            ..Credential::given("")
        }
    }

    #[test]
    fn a_login_too_long_for_the_keyring_goes_to_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let mock: Arc<keyring_core::CredentialStore> = keyring_core::mock::Store::new().unwrap();
        let store = TokenStore {
            keyring: Some(Keyring {
                name: "Windows Credential Manager",
                store: mock.clone(),
            }),
            file: Some(dir.path().join(FILE_NAME)),
            keyring_only: false,
            file_chosen: false,
        };
        let first = store.save("http://a/", &credential("short")).unwrap();
        assert_eq!(first.place, Place::Keyring("Windows Credential Manager"));
        // The next login is refused as Windows refuses one over 2560 bytes.
        let entry = keyring_core::Entry::new_in_store(&mock, SERVICE, "http://a/").unwrap();
        entry
            .as_any()
            .downcast_ref::<keyring_core::mock::Cred>()
            .unwrap()
            .set_error(keyring_core::Error::TooLong(
                "password encoded as UTF-16".into(),
                2560,
            ));
        let long = "x".repeat(3000);
        let saved = store.save("http://a/", &credential(&long)).unwrap();
        let path = dir.path().join(FILE_NAME);
        assert_eq!(saved.place, Place::File(path.clone()));
        assert_eq!(
            saved.keyring_too_small,
            Some(("Windows Credential Manager", 2560))
        );
        // The shorter, older login left the keyring: the long one is read.
        let (loaded, place) = store.load("http://a/").unwrap().unwrap();
        assert_eq!(loaded.access_token, long);
        assert_eq!(place, Place::File(path));
        let note = file_notice(Lang::En, saved.keyring_too_small, saved.file_chosen);
        assert!(
            note.contains("too long for Windows Credential Manager (at most 2560 bytes"),
            "{note}"
        );
        // Without a file to fall back on, the error says what to do.
        let keyring_only = TokenStore {
            keyring: store.keyring.clone(),
            file: None,
            keyring_only: false,
            file_chosen: false,
        };
        entry
            .as_any()
            .downcast_ref::<keyring_core::mock::Cred>()
            .unwrap()
            .set_error(keyring_core::Error::TooLong("password".into(), 2560));
        let err = keyring_only
            .save("http://a/", &credential(&long))
            .unwrap_err();
        assert_eq!(
            err,
            StoreError::KeyringTooSmall {
                name: "Windows Credential Manager",
                max: 2560
            }
        );
        assert!(
            err.to_string().contains("STEPWISE_TOKEN_STORE=file"),
            "{err}"
        );
    }

    #[test]
    fn the_file_is_private_and_logout_removes_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::open(Choice::File, Some(dir.path())).unwrap();
        let saved = store.save("http://a/", &credential("tok-a")).unwrap();
        assert!(saved.new_file);
        // STEPWISE_TOKEN_STORE=file chose it: no keyring is blamed.
        assert!(saved.file_chosen);
        let note = file_notice(Lang::En, None, saved.file_chosen);
        assert!(
            note.contains("STEPWISE_TOKEN_STORE=file asks for it") && !note.contains("no keyring"),
            "{note}"
        );
        let path = dir.path().join(FILE_NAME);
        assert_eq!(saved.place, Place::File(path.clone()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let again = store.save("http://b/", &credential("tok-b")).unwrap();
        assert!(!again.new_file);
        let (loaded, place) = store.load("http://a/").unwrap().unwrap();
        assert_eq!(loaded.access_token, "tok-a");
        assert_eq!(place.kind(), "file");
        assert_eq!(store.remove("http://a/").unwrap().len(), 1);
        assert!(store.load("http://a/").unwrap().is_none());
        assert!(path.exists(), "b is still kept");
        store.remove("http://b/").unwrap();
        assert!(!path.exists(), "no file is left behind");
        assert!(fs::read_dir(dir.path()).unwrap().next().is_none());
        assert!(store.remove("http://b/").unwrap().is_empty());
    }

    #[test]
    fn a_damaged_file_says_what_to_do_without_its_contents() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(FILE_NAME), "{\"logins\": {\"x\": \"s3cr3t").unwrap();
        let store = TokenStore::open(Choice::File, Some(dir.path())).unwrap();
        let err = store.load("x").unwrap_err().to_string();
        assert!(
            err.contains("move it aside") && !err.contains("s3cr3t"),
            "{err}"
        );
    }

    /// The keyring library's English is sorted into causes said in every
    /// language, each with its own fix: no session bus (no unlocking
    /// helps), locked, no service; anything else is kept as a detail.
    #[test]
    fn a_keyring_failure_is_sorted_into_a_cause_with_its_fix() {
        let no_bus = "Platform failure: zbus error: Failed to connect to address \
                      `unix:path=/run/user/0/bus`: No such file or directory (os error 2)";
        for (text, bus_missing, trouble) in [
            (no_bus, false, KeyringTrouble::NoSessionBus),
            (
                "Platform failure: something odd",
                true,
                KeyringTrouble::NoSessionBus,
            ),
            (
                "Couldn't access platform secure storage: SS Error: object locked",
                false,
                KeyringTrouble::Locked,
            ),
            (
                "Couldn't access platform secure storage: SS error: prompt dismissed",
                true,
                KeyringTrouble::Locked,
            ),
            (
                "Platform failure: zbus error: org.freedesktop.DBus.Error.ServiceUnknown: \
                 The name org.freedesktop.secrets was not provided by any .service files",
                false,
                KeyringTrouble::NoService,
            ),
            (
                "Platform failure: something odd",
                false,
                KeyringTrouble::Other("Platform failure: something odd".into()),
            ),
        ] {
            assert_eq!(
                KeyringTrouble::from_words(text, bus_missing),
                trouble,
                "{text}"
            );
        }
        let err = StoreError::KeyringUnusable {
            why: KeyringTrouble::from_words(no_bus, false),
        };
        let fr = err.words(Lang::Fr);
        assert!(
            fr.contains("aucun bus de session du bureau (D-Bus)")
                && fr.contains("Lancez stepwise dans la session du bureau")
                && !fr.contains("os error")
                && !fr.contains("Déverrouillez"),
            "{fr}"
        );
        let locked = StoreError::KeyringRead {
            name: "Secret Service",
            why: KeyringTrouble::Locked,
        };
        let de = locked.words(Lang::De);
        assert!(
            de.contains("gesperrt") && de.contains("Ihn entsperren"),
            "{de}"
        );
    }

    #[test]
    fn a_locked_keyring_never_loses_an_approved_sign_in() {
        let dir = tempfile::tempdir().unwrap();
        let mock: Arc<keyring_core::CredentialStore> = keyring_core::mock::Store::new().unwrap();
        let store = TokenStore {
            keyring: Some(Keyring {
                name: "Secret Service",
                store: mock.clone(),
            }),
            file: Some(dir.path().join(FILE_NAME)),
            keyring_only: false,
            file_chosen: false,
        };
        let entry = keyring_core::Entry::new_in_store(&mock, SERVICE, "http://a/").unwrap();
        let locked = || keyring_core::Error::NoStorageAccess("the collection is locked".into());
        let cred = entry
            .as_any()
            .downcast_ref::<keyring_core::mock::Cred>()
            .unwrap();
        cred.set_error(locked());
        let saved = store.save("http://a/", &credential("approved")).unwrap();
        assert_eq!(saved.place, Place::File(dir.path().join(FILE_NAME)));
        assert!(
            saved.keyring_trouble == Some(KeyringTrouble::Locked),
            "{saved:?}"
        );
        // Still locked when read: the file's copy is found.
        cred.set_error(locked());
        let (loaded, place) = store.load("http://a/").unwrap().unwrap();
        assert_eq!(loaded.access_token, "approved");
        assert_eq!(place.kind(), "file");
        // STEPWISE_TOKEN_STORE=keyring: no falling back.
        let strict = TokenStore {
            keyring_only: true,
            ..store.clone()
        };
        cred.set_error(locked());
        assert!(strict.save("http://a/", &credential("approved")).is_err());
    }
}
