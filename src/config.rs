//! Configuration: the config file, environment variables, the user's data
//! directory, the persistent device id, recent ids, and the token (a secret
//! that is never printed).

use std::io;
use std::path::{Path, PathBuf};

use directories::ProjectDirs;
use serde::Deserialize;

use crate::auth::StoreError;
pub use crate::secret::Secret;
use crate::text::{Lang, num};
use crate::tr;

pub const ENV_API: &str = "STEPWISE_API";
pub const ENV_TOKEN: &str = "STEPWISE_TOKEN";
pub const ENV_DOCS_URL: &str = "STEPWISE_DOCS_URL";
pub const ENV_CONFIG: &str = "STEPWISE_CONFIG";

/// How many recently used carAssociationIDs the start screen remembers.
const RECENT_KEPT: usize = 8;

/// The config file, `config.toml` in the user's config directory.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Base URL of the gateway.
    pub api: Option<String>,
    /// Text only: any other value is refused without being shown.
    #[serde(default, deserialize_with = "token_text")]
    pub token: Option<String>,
    pub token_file: Option<PathBuf>,
    /// Base URL of the documentation links (a dealer's own help pages).
    pub docs_base_url: Option<String>,
    /// The language: en, fr, de, it, es, nl, pt-BR (pt) or pt-PT.
    pub lang: Option<String>,
    /// Extra trusted roots (PEM).
    pub ca_file: Option<PathBuf>,
    /// Client certificate (PEM), and its key when in another file.
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
    /// The identity provider's issuer URL (else discovered from the gateway).
    pub issuer: Option<String>,
    /// The client id registered for stepwise at the identity provider.
    pub client_id: Option<String>,
    /// The scopes to ask for, separated by spaces.
    pub scopes: Option<String>,
    /// The audience (RFC 8707 resource) to ask tokens for.
    pub audience: Option<String>,
}

impl FileConfig {
    /// The keys that name files, with their values.
    fn paths(&self) -> [(&'static str, &Option<PathBuf>); 4] {
        [
            ("token_file", &self.token_file),
            ("ca_file", &self.ca_file),
            ("client_cert", &self.client_cert),
            ("client_key", &self.client_key),
        ]
    }

    /// The key of a path that holds a control character: a `\t`, `\n`,
    /// `\b` or `\f` that a Windows path's backslash made.
    fn path_with_escape(&self) -> Option<&'static str> {
        self.paths()
            .into_iter()
            .find(|(_, path)| {
                path.as_ref()
                    .is_some_and(|p| p.to_string_lossy().chars().any(char::is_control))
            })
            .map(|(key, _)| key)
    }

    /// The key of a path given as "" (it would name the config file's
    /// own folder).
    fn empty_path(&self) -> Option<&'static str> {
        self.paths()
            .into_iter()
            .find(|(_, path)| path.as_ref().is_some_and(|p| p.as_os_str().is_empty()))
            .map(|(key, _)| key)
    }

    /// The file's paths with a leading `~` (or `$HOME`) as the home folder,
    /// as a shell would have made it of a flag, and a relative one read
    /// from `folder`, the config file's own (never from wherever stepwise
    /// happens to be started).
    fn paths_resolved(mut self, folder: &Path) -> Self {
        for path in [
            &mut self.token_file,
            &mut self.ca_file,
            &mut self.client_cert,
            &mut self.client_key,
        ] {
            *path = path
                .take()
                .map(expand_home)
                .map(|p| if p.is_relative() { folder.join(p) } else { p });
        }
        self
    }
}

/// Where `key` is given in the config file's `text` (line, column).
fn key_at(text: &str, key: &str) -> Option<(usize, usize)> {
    text.find(&format!("{key} "))
        .or_else(|| text.find(&format!("{key}=")))
        .map(|offset| line_and_column(text, offset))
}

/// A path that holds a variable stepwise does not expand: `$NAME`,
/// `%NAME%` or `~user`.
fn unexpanded(path: &str) -> bool {
    let percent = path
        .split('%')
        .nth(1)
        .is_some_and(|name| !name.is_empty() && path.matches('%').count() >= 2);
    path.contains('$') || percent || (path.starts_with('~') && !path.starts_with("~/"))
}

/// `~/x`, `$HOME/x` or `${HOME}/x` as the home folder's `x`; any other path
/// as written.
pub fn expand_home(path: PathBuf) -> PathBuf {
    let Some(text) = path.to_str() else {
        return path;
    };
    let rest = ["~", "$HOME", "${HOME}"].iter().find_map(|head| {
        let rest = text.strip_prefix(head)?;
        (rest.is_empty() || rest.starts_with('/') || rest.starts_with(std::path::MAIN_SEPARATOR))
            .then(|| rest.trim_start_matches(['/', std::path::MAIN_SEPARATOR]))
    });
    match (rest, directories::BaseDirs::new()) {
        (Some(rest), Some(dirs)) => dirs.home_dir().join(rest),
        _ => path,
    }
}

/// What the parser's error says of a `token` that is not a string; the
/// value itself never goes into the error (it may be a numeric key).
const TOKEN_NOT_TEXT: &str = "stepwise: token is not text";

/// `token` as a string, or an error that does not repeat the value.
fn token_text<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Option<String>, D::Error> {
    struct Text;
    impl<'a> serde::de::Visitor<'a> for Text {
        type Value = String;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("text")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<String, E> {
            Ok(v.to_owned())
        }
        fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<String, E> {
            Err(E::custom(TOKEN_NOT_TEXT))
        }
        fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<String, E> {
            Err(E::custom(TOKEN_NOT_TEXT))
        }
        fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<String, E> {
            Err(E::custom(TOKEN_NOT_TEXT))
        }
        fn visit_i128<E: serde::de::Error>(self, _: i128) -> Result<String, E> {
            Err(E::custom(TOKEN_NOT_TEXT))
        }
        fn visit_u128<E: serde::de::Error>(self, _: u128) -> Result<String, E> {
            Err(E::custom(TOKEN_NOT_TEXT))
        }
        fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<String, E> {
            Err(E::custom(TOKEN_NOT_TEXT))
        }
        fn visit_seq<A: serde::de::SeqAccess<'a>>(self, _: A) -> Result<String, A::Error> {
            Err(serde::de::Error::custom(TOKEN_NOT_TEXT))
        }
        fn visit_map<A: serde::de::MapAccess<'a>>(self, _: A) -> Result<String, A::Error> {
            Err(serde::de::Error::custom(TOKEN_NOT_TEXT))
        }
    }
    de.deserialize_any(Text).map(Some)
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
    /// The token of a kept login, not one given by hand.
    pub fn is_login(self) -> bool {
        self == TokenFrom::Login
    }

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

/// A configuration problem. Data only: the words a person reads, one line
/// with what to do, are made when shown by [`ConfigError::words`] in the
/// chosen language (the CLI goes through `describe::config_error`);
/// `Display` is that line in English (logs, doctor's language-neutral
/// JSON). Never holds a token or a URL's user info.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// The config file cannot be used.
    File {
        path: String,
        /// `STEPWISE_CONFIG` named it.
        named: bool,
        problem: FileProblem,
    },
    /// A token file cannot be used.
    TokenFile {
        path: String,
        from: TokenPlace,
        problem: TokenFileProblem,
    },
    /// A token given as text holds what a header cannot carry (it is not shown).
    TokenText { from: TokenPlace, empty: bool },
    /// A token given as text is `Bearer <token>`: the header's word came along.
    TokenBearer { from: TokenPlace },
    /// A token given as text is wrapped: in quotes, as `name=value`, or
    /// inside a JSON answer.
    TokenWrapped { from: TokenPlace, shape: TokenShape },
    /// A URL holds a user name or password.
    UserInfo { url: UrlPlace },
    /// The documentation base URL is not an http(s) URL (sanitised).
    DocsUrl {
        url: String,
        /// Why the URL parser refused it, when it did.
        why: Option<String>,
        /// It came from `STEPWISE_DOCS_URL`, not the config file.
        from_env: bool,
    },
    /// The gateway URL lacks its `http://` or `https://` (`localhost:8080`,
    /// `gateway.example`); `url` is what was given, sanitised.
    ApiScheme { url: String },
    /// The gateway URL's scheme is mistyped; `fixed` is the URL as meant.
    ApiSchemeTypo { url: String, fixed: String },
    /// `--api ""` or `STEPWISE_API=""`: given, but empty (an unset shell
    /// variable), never taken for "no gateway, the embedded simulator".
    ApiEmpty,
    /// `api = ""` in the config file: as `ApiEmpty`, in the file at `path`.
    ApiEmptyInFile { path: String },
}

/// What is wrong with the config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileProblem {
    NotUtf8,
    /// Only for a file named by `STEPWISE_CONFIG`: the default may be absent.
    Missing,
    Folder,
    /// Cannot be read: the I/O error's kind.
    Unreadable(io::ErrorKind),
    /// Larger than a config file ever is ([`crate::files::SMALL_FILE_LIMIT`]).
    TooLarge,
    /// `token` is not a string (a number, say): said without its value.
    TokenNotText,
    /// A backslash in a "…" value started an escape (a Windows path): where.
    Backslash {
        at: Option<(usize, usize)>,
    },
    /// A path key given as "": which, and where.
    EmptyPath {
        key: &'static str,
        at: Option<(usize, usize)>,
    },
    /// Not valid TOML or an unknown key: where (line, column), and the
    /// parser's own words.
    Invalid {
        at: Option<(usize, usize)>,
        why: String,
    },
}

/// What is wrong with a token file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenFileProblem {
    Missing,
    Folder,
    Denied,
    /// Cannot be read: the I/O error's kind.
    Unreadable(io::ErrorKind),
    /// Larger than a token file ever is ([`crate::files::SMALL_FILE_LIMIT`]).
    TooLarge,
    NotUtf8,
    Empty,
    BadCharacters,
    /// The line is `Bearer <token>`: the header's word came along.
    Bearer,
    /// The line holds the token wrapped in something else.
    Wrapped(TokenShape),
    Lines(usize),
}

/// How a token came wrapped: characters a token never has around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenShape {
    /// `"…"` or `'…'`.
    Quoted,
    /// `name=value` (a line of a shell or .env file).
    Assignment,
    /// `{…}` or `[…]`: an identity provider's JSON answer, say.
    Json,
    /// A `;` or `,` after it: copied from a command line or a list.
    Punctuated,
    /// `Authorization: …`: a whole header line, copied from a request.
    Header,
}

impl TokenShape {
    /// The shape of a token given wrapped, if it is.
    pub fn of(token: &str) -> Option<Self> {
        let (first, last) = (token.chars().next()?, token.chars().last()?);
        if token
            .get(..14)
            .is_some_and(|head| head.eq_ignore_ascii_case("authorization:"))
        {
            return Some(TokenShape::Header);
        }
        if token.len() >= 2 && first == last && matches!(first, '"' | '\'') {
            return Some(TokenShape::Quoted);
        }
        if matches!(first, '{' | '[') {
            return Some(TokenShape::Json);
        }
        if matches!(last, ';' | ',') {
            return Some(TokenShape::Punctuated);
        }
        // A token's own '=' is padding at its end; a name before one is
        // a variable's.
        let (name, value) = token.split_once('=')?;
        let named = name.len() >= 2
            && name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        (named && !value.trim_end_matches('=').is_empty()).then_some(TokenShape::Assignment)
    }

    fn words(self, lang: Lang) -> String {
        match self {
            TokenShape::Quoted => tr!(lang, "token-shape-quoted"),
            TokenShape::Assignment => tr!(lang, "token-shape-assignment"),
            TokenShape::Json => tr!(lang, "token-shape-json"),
            TokenShape::Punctuated => tr!(lang, "token-shape-punctuated"),
            TokenShape::Header => tr!(lang, "token-shape-header"),
        }
    }
}

/// Where a token (or a token file's path) was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPlace {
    /// `--token-file`.
    TokenFileFlag,
    /// `serve --token` or `STEPWISE_SERVE_TOKEN`.
    ServeToken,
    /// `serve --token-file`.
    ServeTokenFile,
    /// `STEPWISE_TOKEN`.
    Environment,
    /// `token` in the config file.
    ConfigToken,
    /// `token_file` in the config file.
    ConfigTokenFile,
    /// Standard input (`login --with-token`).
    StandardInput,
}

/// Which URL carried a user name or password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlPlace {
    /// `--api`, `STEPWISE_API` or `api` in the config file.
    Gateway,
    /// `STEPWISE_DOCS_URL` (`from_env`) or `docs_base_url` in the config
    /// file.
    Docs { from_env: bool },
}

impl ConfigError {
    /// One line about a configuration that cannot be used: what, and what to do.
    pub fn words(&self, lang: Lang) -> String {
        match self {
            ConfigError::File {
                path,
                named,
                problem,
            } => file_words(lang, path, *named, problem),
            ConfigError::TokenFile {
                path,
                from,
                problem,
            } => token_file_words(lang, path, *from, problem),
            ConfigError::TokenText { from, empty: true } => {
                tr!(
                    lang,
                    "err-token-text-empty",
                    from = token_place(lang, *from)
                )
            }
            ConfigError::TokenText {
                from: TokenPlace::ServeToken,
                empty: false,
            }
            | ConfigError::TokenWrapped {
                from: TokenPlace::ServeToken,
                ..
            } => tr!(lang, "err-serve-token-text"),
            ConfigError::TokenText { from, empty: false } => {
                tr!(lang, "err-token-text", from = token_place(lang, *from))
            }
            ConfigError::TokenWrapped { from, shape } => tr!(
                lang,
                "err-token-text-wrapped",
                from = token_place(lang, *from),
                shape = shape.words(lang)
            ),
            ConfigError::TokenBearer { from } => {
                tr!(
                    lang,
                    "err-token-text-bearer",
                    from = token_place(lang, *from)
                )
            }
            ConfigError::UserInfo {
                url: UrlPlace::Gateway,
            } => tr!(lang, "err-user-info-gateway"),
            ConfigError::UserInfo {
                url: UrlPlace::Docs { from_env },
            } => tr!(
                lang,
                "err-user-info-docs",
                place = docs_place(lang, *from_env)
            ),
            ConfigError::DocsUrl {
                url,
                why: Some(why),
                from_env,
            } => tr!(
                lang,
                "err-docs-url-why",
                url = format!("{url:?}"),
                why = crate::net::url_reason(lang, why),
                place = docs_place(lang, *from_env)
            ),
            ConfigError::DocsUrl {
                url,
                why: None,
                from_env,
            } => tr!(
                lang,
                "err-docs-url",
                url = format!("{url:?}"),
                place = docs_place(lang, *from_env)
            ),
            ConfigError::ApiScheme { url } => tr!(lang, "err-api-scheme", url = url.clone()),
            ConfigError::ApiSchemeTypo { url, fixed } => tr!(
                lang,
                "err-api-scheme-typo",
                url = url.clone(),
                fixed = fixed.clone()
            ),
            ConfigError::ApiEmpty => tr!(lang, "err-api-empty"),
            ConfigError::ApiEmptyInFile { path } => {
                tr!(lang, "err-api-empty-in-file", path = path.clone())
            }
        }
    }
}

/// A configuration file that cannot be used, in words.
fn file_words(lang: Lang, path: &str, named: bool, problem: &FileProblem) -> String {
    let file = if named {
        tr!(lang, "err-config-named-by", path = path.to_owned())
    } else {
        path.to_owned()
    };
    match problem {
        FileProblem::NotUtf8 => tr!(lang, "err-config-not-utf8", file = file),
        FileProblem::Missing => tr!(lang, "err-config-missing", file = file),
        FileProblem::Folder if named => {
            tr!(lang, "err-config-folder-named", file = file)
        }
        FileProblem::Folder => tr!(lang, "err-config-folder", file = file),
        // Only a permission is fixed by making it readable.
        FileProblem::Unreadable(io::ErrorKind::PermissionDenied) => {
            tr!(
                lang,
                "err-config-unreadable",
                file = file,
                kind = crate::files::unreadable_words(
                    lang,
                    &io::Error::from(io::ErrorKind::PermissionDenied)
                )
            )
        }
        FileProblem::Unreadable(kind) => {
            tr!(
                lang,
                "err-config-unreadable-other",
                file = file,
                kind = crate::files::unreadable_words(lang, &io::Error::from(*kind))
            )
        }
        FileProblem::TooLarge => tr!(
            lang,
            "err-config-unreadable-other",
            file = file,
            kind = too_large_words(lang)
        ),
        FileProblem::TokenNotText => {
            tr!(lang, "err-config-token-not-text", file = file)
        }
        FileProblem::Backslash { at } => {
            let (line, _) = at.unwrap_or((0, 0));
            tr!(lang, "err-config-backslash", file = file, line = line)
        }
        FileProblem::EmptyPath { key, at } => {
            let (line, _) = at.unwrap_or((0, 0));
            tr!(
                lang,
                "err-config-empty-path",
                file = file,
                line = line,
                key = *key
            )
        }
        // A mistake of the file's syntax, in the reader's words where
        // known (else the parser's): the list of keys is no help there.
        FileProblem::Invalid { at, why } if !why.starts_with("unknown field") => {
            syntax_words(lang, &file, *at, why)
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
            why = toml_words(lang, why)
        ),
        FileProblem::Invalid { at: None, why } => {
            tr!(
                lang,
                "err-config-invalid",
                file = file,
                why = toml_words(lang, why)
            )
        }
    }
}

/// A mistake of TOML's own syntax, where it is: the list of keys is no help.
fn syntax_words(lang: Lang, file: &str, at: Option<(usize, usize)>, why: &str) -> String {
    let why = toml_syntax_words(lang, why).unwrap_or_else(|| toml_words(lang, why));
    match at {
        Some((line, column)) => tr!(
            lang,
            "err-config-syntax-at",
            file = file.to_owned(),
            line = num(line),
            column = num(column),
            why = why
        ),
        None => tr!(lang, "err-config-syntax", file = file.to_owned(), why = why),
    }
}

/// The TOML parser's words for a mistake of syntax (a quote not closed, a
/// colon for `=`, two keys on a line, a key given twice, a value without
/// quotes, a number where text goes), in the reader's language; `None`
/// for a key stepwise does not know and for words it does not recognise.
fn toml_syntax_words(lang: Lang, why: &str) -> Option<String> {
    let starts = |prefix: &str| why.starts_with(prefix);
    Some(
        if [
            "invalid basic string",
            "invalid literal string",
            "invalid multi-line",
        ]
        .iter()
        .any(|p| starts(p))
        {
            tr!(lang, "config-unclosed")
        } else if starts("key with no value") {
            tr!(lang, "config-no-equals")
        } else if starts("extra `=`") {
            tr!(lang, "config-extra-equals")
        } else if starts("duplicate key") {
            tr!(lang, "config-duplicate")
        } else if starts("unexpected key or value") {
            tr!(lang, "config-one-per-line")
        } else if why.contains("string values must be quoted") {
            tr!(lang, "config-quote")
        } else if starts("invalid type: map")
            || starts("unclosed table")
            || starts("unclosed array table")
            || starts("invalid table header")
        {
            tr!(lang, "config-table")
        } else if starts("unclosed array") {
            tr!(lang, "config-wants-text")
        } else if starts("unquoted keys cannot be empty") || starts("invalid key") {
            tr!(lang, "config-no-key")
        } else if [
            "invalid float",
            "invalid integer",
            "invalid number",
            "invalid boolean",
            "invalid date",
            "invalid time",
            "invalid offset",
        ]
        .iter()
        .any(|p| starts(p))
        {
            tr!(lang, "config-quote")
        } else if starts("invalid type")
            && (why.contains("expected a string") || why.contains("expected path string"))
        {
            tr!(lang, "config-wants-text")
        } else {
            return None;
        },
    )
}

/// The TOML parser's commonest words in the reader's language (its others
/// stay as it says them).
fn toml_words(lang: Lang, why: &str) -> String {
    let quoted = |text: &str| {
        let (_, rest) = text.split_once('`')?;
        rest.split_once('`').map(|(key, _)| key.to_owned())
    };
    if why.starts_with("unknown field")
        && let Some(key) = quoted(why)
    {
        return tr!(lang, "config-unknown-key", key = key);
    }
    if why.starts_with("invalid type") && why.contains("expected a string") {
        return tr!(lang, "config-wants-text");
    }
    if why.contains("string values must be quoted") {
        return tr!(lang, "config-quote");
    }
    why.to_owned()
}

#[cfg(test)]
#[test]
fn the_toml_parser_s_commonest_words_are_said_in_the_language() {
    let words = |why: &str| toml_words(Lang::De, why);
    assert_eq!(
        words("unknown field `apu`, expected one of `api`, `token`"),
        "apu ist kein Schlüssel, den stepwise kennt"
    );
    assert!(words("invalid type: integer `5`, expected a string").contains("Anführungszeichen"));
    assert!(
        words("string values must be quoted, expected literal string")
            .contains("Anführungszeichen")
    );
    assert_eq!(words("something else"), "something else");
    // The parser's syntax words are said in the language, with no list of
    // keys (stranger 46, AU6).
    let file = |why: &str| {
        let problem = FileProblem::Invalid {
            at: Some((3, 3)),
            why: why.to_owned(),
        };
        file_words(Lang::De, "c.toml", false, &problem)
    };
    for why in [
        "unclosed table, expected `]`",
        "unclosed array, expected `]`",
        "unquoted keys cannot be empty, expected letters",
        "invalid float, expected nothing",
        "invalid boolean, expected `true`",
    ] {
        let said = file(why);
        assert!(
            !said.contains("expected") && !said.contains("Bekannte Schlüssel"),
            "{said}"
        );
    }
    assert!(file("something else").contains("something else"));
    assert!(!file("something else").contains("Bekannte Schlüssel"));
}

/// A token file that cannot be used, in words.
fn token_file_words(
    lang: Lang,
    path: &str,
    from: TokenPlace,
    problem: &TokenFileProblem,
) -> String {
    let path = path.to_owned();
    let serve = from == TokenPlace::ServeTokenFile;
    let from = token_place(lang, from);
    match problem {
        // The simulator's token is the user's own choice: no gateway
        // issued it.
        TokenFileProblem::BadCharacters | TokenFileProblem::Wrapped(_) if serve => {
            tr!(lang, "err-serve-token-file-characters", path = path)
        }
        // A variable only a shell expands, in a path from the config file.
        TokenFileProblem::Missing if unexpanded(&path) => {
            tr!(lang, "err-token-file-unexpanded", path = path, from = from)
        }
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
            kind = crate::files::unreadable_words(lang, &io::Error::from(*kind))
        ),
        TokenFileProblem::TooLarge => tr!(
            lang,
            "err-token-file-unreadable",
            path = path,
            from = from,
            kind = too_large_words(lang)
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
        TokenFileProblem::Bearer => {
            tr!(lang, "err-token-file-bearer", path = path, from = from)
        }
        TokenFileProblem::Wrapped(shape) => tr!(
            lang,
            "err-token-file-wrapped",
            path = path,
            from = from,
            shape = shape.words(lang)
        ),
        TokenFileProblem::Lines(n) => tr!(
            lang,
            "err-token-file-lines",
            path = path,
            from = from,
            n = num(*n)
        ),
    }
}

/// A file past its size cap, as the reason it cannot be read.
fn too_large_words(lang: Lang) -> String {
    tr!(
        lang,
        "err-file-too-large",
        limit = num(crate::files::SMALL_FILE_LIMIT / 1024)
    )
}

/// Where a token or token file was given, as a sentence names it: flags
/// and variables by their names, the config file in words.
fn token_place(lang: Lang, place: TokenPlace) -> String {
    match place {
        TokenPlace::TokenFileFlag => "--token-file".to_owned(),
        TokenPlace::ServeTokenFile => "serve --token-file".to_owned(),
        TokenPlace::ServeToken => "serve --token / STEPWISE_SERVE_TOKEN".to_owned(),
        TokenPlace::Environment => ENV_TOKEN.to_owned(),
        TokenPlace::ConfigToken => tr!(lang, "err-from-config-token"),
        TokenPlace::ConfigTokenFile => tr!(lang, "err-from-config-token-file"),
        TokenPlace::StandardInput => tr!(lang, "err-from-stdin"),
    }
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.words(Lang::En))
    }
}

impl std::error::Error for ConfigError {}

impl ConfigError {
    /// The gateway's address itself is what cannot be used.
    pub fn about_api(&self) -> bool {
        matches!(
            self,
            ConfigError::UserInfo {
                url: UrlPlace::Gateway
            } | ConfigError::ApiScheme { .. }
                | ConfigError::ApiSchemeTypo { .. }
                | ConfigError::ApiEmpty
                | ConfigError::ApiEmptyInFile { .. }
        )
    }
}

/// Where the gateway's address came from: said beside a message that names
/// `--api` when it was not typed there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiFrom {
    Flag,
    Environment,
    Config,
}

impl ApiFrom {
    /// `flag` holds STEPWISE_API when `--api` was not typed.
    pub fn of(flag: Option<&str>, file: Option<&str>) -> Option<ApiFrom> {
        match (flag, file) {
            (Some(given), _) if std::env::var(ENV_API).is_ok_and(|env| env == given) => {
                Some(ApiFrom::Environment)
            }
            (Some(_), _) => Some(ApiFrom::Flag),
            (None, Some(_)) => Some(ApiFrom::Config),
            (None, None) => None,
        }
    }
}

/// Everything resolved from flags, environment, config file and defaults.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `None`: no gateway configured, so the embedded simulator is used.
    pub api: Option<String>,
    /// Where `api` came from.
    pub api_from: Option<ApiFrom>,
    pub token: Option<Secret>,
    /// Where the token in use comes from (never the token itself).
    pub token_from: Option<TokenFrom>,
    /// The login kept for `api` (`stepwise login`), used when no token
    /// given by flag or environment wins over it.
    pub login: Option<crate::auth::KeptLogin>,
    /// Why a login kept for `api` could not be read (a damaged login file,
    /// an unreadable keyring entry): said where no token is in use.
    pub login_trouble: Option<StoreError>,
    /// The dealer's help pages, when set (else the archived developer pages).
    pub docs_base_url: Option<String>,
    pub device_id: String,
    /// Why the device id could not be kept (its folder, the system's
    /// words): each run is then a new device to the gateway.
    pub device_unkept: Option<(PathBuf, String)>,
    pub data_dir: Option<PathBuf>,
    /// Proxies, extra roots and the client certificate.
    pub net: crate::net::NetOptions,
    /// What a sign-in asks for, and of whom (`login`'s flags are applied
    /// over it).
    pub signin: crate::auth::SignInOptions,
}

pub fn project_dirs() -> Option<ProjectDirs> {
    ProjectDirs::from("", "", "stepwise")
}

/// Where the config file is read from: `STEPWISE_CONFIG` (then it must
/// exist), else the user's config directory (where it may be absent).
pub fn config_path() -> Option<ConfigPath> {
    match std::env::var_os(ENV_CONFIG).filter(|p| !p.is_empty()) {
        Some(path) => Some(ConfigPath {
            path: PathBuf::from(path),
            explicit: true,
        }),
        None => project_dirs().map(|d| ConfigPath {
            path: d.config_dir().join("config.toml"),
            explicit: false,
        }),
    }
}

/// The config file's path, and whether `STEPWISE_CONFIG` named it.
#[derive(Debug, Clone)]
pub struct ConfigPath {
    pub path: PathBuf,
    pub explicit: bool,
}

/// The user's data directory: `~/.local/share/stepwise` on Linux,
/// `~/Library/Application Support/stepwise` on macOS, and on Windows the
/// machine's own `%LOCALAPPDATA%\stepwise\data` (logs, reports, the demo
/// state and a token file stay on this PC, never in a roaming profile).
pub fn data_dir() -> Option<PathBuf> {
    project_dirs().map(|d| d.data_local_dir().to_path_buf())
}

/// Reads the config file. The default file may be absent (an empty config);
/// a file named by `STEPWISE_CONFIG` must exist.
pub fn load_file_config(at: &ConfigPath) -> Result<FileConfig, ConfigError> {
    let path = &at.path;
    let fail = |problem| {
        Err(ConfigError::File {
            path: crate::steps::sanitize(&path.display().to_string()),
            named: at.explicit,
            problem,
        })
    };
    let text = match crate::files::read_capped(path, crate::files::SMALL_FILE_LIMIT) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(_) => return fail(FileProblem::NotUtf8),
        },
        Err(e) if crate::files::too_large(&e).is_some() => return fail(FileProblem::TooLarge),
        Err(e) if e.kind() == io::ErrorKind::NotFound && !at.explicit => {
            return Ok(FileConfig::default());
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => return fail(FileProblem::Missing),
        Err(_) if path.is_dir() => return fail(FileProblem::Folder),
        Err(e) => return fail(FileProblem::Unreadable(e.kind())),
    };
    let parsed: Result<FileConfig, _> = toml::from_str(&text);
    // A Windows path in "…" whose backslashes made tabs or line breaks of
    // `\t` or `\n`: refused, not read as another path.
    if let Ok(file) = &parsed
        && let Some(key) = file.path_with_escape()
    {
        return fail(FileProblem::Backslash {
            at: key_at(&text, key),
        });
    }
    if let Ok(file) = &parsed
        && let Some(key) = file.empty_path()
    {
        return fail(FileProblem::EmptyPath {
            key,
            at: key_at(&text, key),
        });
    }
    let folder = path.parent().unwrap_or(Path::new(""));
    parsed.map(|file| file.paths_resolved(folder)).or_else(|e| {
        if e.message().contains(TOKEN_NOT_TEXT) {
            return fail(FileProblem::TokenNotText);
        }
        // A backslash in "…" starts an escape: a Windows path as Explorer
        // shows it breaks there.
        if ["escape", "unicode value"]
            .iter()
            .any(|w| e.message().contains(w))
        {
            return fail(FileProblem::Backslash {
                at: e.span().map(|span| line_and_column(&text, span.start)),
            });
        }
        let message = e.message().trim_end_matches('.');
        // The known keys are named after the cause, in the chosen language:
        // serde's own list of them would say it twice.
        let message = message
            .split_once(", expected one of")
            .map_or(message, |(cause, _)| cause);
        let why = crate::steps::sanitize(message);
        let at = e.span().map(|span| line_and_column(&text, span.start));
        fail(FileProblem::Invalid { at, why })
    })
}

/// The config file's `lang`, if the file can be read. A file that is
/// broken elsewhere (reported by [`Settings::resolve`]) still gives the
/// language of a line `lang = "…"` of its own, so that the report of what
/// is broken speaks the language the technician chose there.
pub fn config_lang() -> Option<String> {
    let path = config_path()?;
    match load_file_config(&path) {
        Ok(file) => file.lang,
        Err(_) => lang_line(&path.path),
    }
}

/// The value of the first line of `path` that is `lang = "…"` on its own.
fn lang_line(path: &Path) -> Option<String> {
    #[derive(Deserialize)]
    struct LangLine {
        lang: String,
    }
    let bytes = crate::files::read_capped(path, crate::files::SMALL_FILE_LIMIT).ok()?;
    String::from_utf8_lossy(&bytes)
        .lines()
        .filter(|line| line.trim_start().starts_with("lang"))
        .find_map(|line| toml::from_str::<LangLine>(line).ok())
        .map(|line| line.lang)
}

/// 1-based line and column (in characters) of a byte offset.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

/// Reads a token file: the token alone on its one line (surrounding spaces
/// and a final newline are allowed). `from` says where the path was given.
pub fn read_token_file(path: &Path, from: TokenPlace) -> Result<Secret, ConfigError> {
    let fail = |problem| {
        Err(ConfigError::TokenFile {
            path: crate::steps::sanitize(&path.display().to_string()),
            from,
            problem,
        })
    };
    let bytes = match crate::files::read_capped(path, crate::files::SMALL_FILE_LIMIT) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return fail(TokenFileProblem::Missing),
        Err(e) if crate::files::too_large(&e).is_some() => {
            return fail(TokenFileProblem::TooLarge);
        }
        Err(_) if path.is_dir() => return fail(TokenFileProblem::Folder),
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
            return fail(TokenFileProblem::Denied);
        }
        Err(e) => return fail(TokenFileProblem::Unreadable(e.kind())),
    };
    // Notepad's "Unicode" is UTF-16 with its byte-order mark: read as the
    // ids files are (stranger 77, BZ8); a character it does not make whole
    // is no token.
    let text = if bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]) {
        Some(crate::cars::decode(&bytes)).filter(|t| !t.contains(char::REPLACEMENT_CHARACTER))
    } else {
        String::from_utf8(bytes).ok()
    };
    let Some(text) = text else {
        return fail(TokenFileProblem::NotUtf8);
    };
    // Notepad's "UTF-8 with BOM" puts U+FEFF first: not part of the token.
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    match lines.as_slice() {
        [] => fail(TokenFileProblem::Empty),
        [token] if let Some(shape) = TokenShape::of(token) => {
            fail(TokenFileProblem::Wrapped(shape))
        }
        [token] if crate::auth::is_token_text(token) => Ok(Secret::new(*token)),
        [line] if bearer_prefixed(line) => fail(TokenFileProblem::Bearer),
        [_] => fail(TokenFileProblem::BadCharacters),
        _ => fail(TokenFileProblem::Lines(lines.len())),
    }
}

/// `Bearer <token>`, copied with the header's word: the rest is a token.
fn bearer_prefixed(line: &str) -> bool {
    let mut words = line.split_whitespace();
    matches!(
        (words.next(), words.next(), words.next()),
        (Some(word), Some(token), None)
            if word.eq_ignore_ascii_case("bearer") && crate::auth::is_token_text(token)
    )
}

/// A gateway URL whose scheme is mistyped (`https//host`, `http:/host`,
/// `https:host`): the URL as meant.
pub fn mistyped_scheme(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let lower = raw.to_ascii_lowercase();
    let scheme = ["https", "http"]
        .into_iter()
        .find(|s| lower.starts_with(s))?;
    let rest = &raw[scheme.len()..];
    if rest.starts_with("://") {
        return None;
    }
    // `:` mistyped as the key beside it (`;`) or as `.`, or left out.
    let host = rest.trim_start_matches([':', ';', '.', '/']);
    if !rest.starts_with([':', ';', '.', '/'])
        || (rest.starts_with('.') && !rest.starts_with(".//"))
    {
        return None;
    }
    // "http" alone, or a host that begins with "http" (httpbin.example).
    (rest.len() > host.len() && !host.is_empty()).then(|| format!("{scheme}://{host}"))
}

/// A gateway URL given without `http://` or `https://` that would be one
/// with it: `localhost:8080` (which a URL parser reads as the scheme
/// `localhost:`), `127.0.0.1:8080`, `gateway.example`.
pub fn lacks_scheme(raw: &str) -> bool {
    let raw = raw.trim();
    !raw.contains("://")
        && !raw.is_empty()
        && url::Url::parse(&format!("http://{raw}"))
            .is_ok_and(|url| url.host_str().is_some_and(|h| !h.is_empty()))
}

/// The connection settings of the config file, and the environment's.
fn net_options(
    ca_file: Option<PathBuf>,
    client_cert: Option<PathBuf>,
    client_key: Option<PathBuf>,
) -> crate::net::NetOptions {
    crate::net::NetOptions {
        ca_from: if ca_file.is_some() {
            crate::net::CaFrom::Config
        } else {
            crate::net::CaFrom::SslCertFile
        },
        // SSL_CERT_FILE is set by other tools' setups: a stale one is
        // passed over rather than breaking every connection.
        ca_file: ca_file.or_else(|| {
            std::env::var_os(crate::net::ENV_SSL_CERT_FILE)
                .map(PathBuf::from)
                .filter(|p| p.is_file())
        }),
        client_from_config: client_cert.is_some() || client_key.is_some(),
        client_cert,
        client_key,
        proxy: crate::net::ProxyEnv::from_env(),
    }
}

/// A token given as text (`STEPWISE_TOKEN`, `token` in the config file):
/// surrounding spaces are dropped; what is left must fit a header.
/// The one rule is [`crate::auth::is_token_text`]: 1 to 8,192 visible ASCII
/// characters (an empty token is refused, not sent).
pub fn check_token(raw: &str, from: TokenPlace) -> Result<Secret, ConfigError> {
    let token = raw.trim();
    if let Some(shape) = TokenShape::of(token) {
        Err(ConfigError::TokenWrapped { from, shape })
    } else if crate::auth::is_token_text(token) {
        Ok(Secret::new(token))
    } else if bearer_prefixed(token) {
        Err(ConfigError::TokenBearer { from })
    } else {
        Err(ConfigError::TokenText {
            from,
            empty: token.is_empty(),
        })
    }
}

pub use crate::net::has_user_info;

impl Settings {
    /// Resolves settings: flags first, then environment, then the config file.
    /// `api_flag` already holds `STEPWISE_API` when the flag was not given.
    pub fn resolve(
        api_flag: Option<String>,
        token_file_flag: Option<&Path>,
    ) -> Result<Self, ConfigError> {
        Self::resolve_keeping(api_flag, token_file_flag, true)
    }

    /// As [`Settings::resolve`], for `stepwise login`: the config file's
    /// `token` and `token_file` are not read (a login kept wins over them,
    /// so one that names a missing file does not stop a sign-in;
    /// stranger 52, BA7).
    pub fn resolve_for_login(
        api_flag: Option<String>,
        token_file_flag: Option<&Path>,
    ) -> Result<Self, ConfigError> {
        Self::resolve_keeping(api_flag, token_file_flag, false)
    }

    fn resolve_keeping(
        api_flag: Option<String>,
        token_file_flag: Option<&Path>,
        config_token: bool,
    ) -> Result<Self, ConfigError> {
        let (mut file, at) = match config_path() {
            Some(at) => (load_file_config(&at)?, Some(at)),
            None => (FileConfig::default(), None),
        };
        if !config_token {
            (file.token, file.token_file) = (None, None);
        }
        let env_token = std::env::var(ENV_TOKEN)
            .ok()
            .filter(|t| !t.trim().is_empty());
        if api_flag.as_deref().is_some_and(|a| a.trim().is_empty()) {
            return Err(ConfigError::ApiEmpty);
        }
        if api_flag.is_none() && file.api.as_deref().is_some_and(|a| a.trim().is_empty()) {
            return Err(ConfigError::ApiEmptyInFile {
                path: at.map(|p| p.path.display().to_string()).unwrap_or_default(),
            });
        }
        let api_from = ApiFrom::of(api_flag.as_deref(), file.api.as_deref());
        let api = api_flag
            .or(file.api)
            .map(|a| a.trim().to_owned())
            .filter(|a| !a.is_empty());
        if api.as_deref().is_some_and(has_user_info) {
            return Err(ConfigError::UserInfo {
                url: UrlPlace::Gateway,
            });
        }
        if let Some((api, fixed)) = api.as_deref().and_then(|a| Some((a, mistyped_scheme(a)?))) {
            return Err(ConfigError::ApiSchemeTypo {
                url: crate::steps::sanitize(api),
                fixed: crate::steps::sanitize(&fixed),
            });
        }
        if let Some(api) = api.as_deref().filter(|api| lacks_scheme(api)) {
            return Err(ConfigError::ApiScheme {
                url: crate::steps::sanitize(api),
            });
        }
        let data_dir = data_dir();
        // Precedence: --token-file > STEPWISE_TOKEN > the kept login > the config file.
        let strong = match (token_file_flag, env_token) {
            (Some(path), _) => Some((
                read_token_file(path, TokenPlace::TokenFileFlag)?,
                TokenFrom::TokenFile,
            )),
            (None, Some(token)) => Some((
                check_token(&token, TokenPlace::Environment)?,
                TokenFrom::Environment,
            )),
            (None, None) => None,
        };
        let mut login_trouble = None;
        let login = match (&strong, &api) {
            (None, Some(api)) => crate::auth::KeptLogin::load(api, data_dir.as_deref())
                .unwrap_or_else(|e| {
                    tracing::warn!("the kept login cannot be used: {e}");
                    // No store at all is no trouble: nothing was kept.
                    if !matches!(e, StoreError::Nowhere | StoreError::NoDataDir) {
                        login_trouble = Some(e);
                    }
                    None
                }),
            _ => None,
        };
        let (token, token_from) = match (strong, &login, &file.token, &file.token_file) {
            (Some((token, from)), _, _, _) => (Some(token), Some(from)),
            (None, Some(_), _, _) => (None, Some(TokenFrom::Login)),
            (None, None, Some(token), _) => (
                Some(check_token(token, TokenPlace::ConfigToken)?),
                Some(TokenFrom::Config),
            ),
            (None, None, None, Some(path)) => (
                Some(read_token_file(path, TokenPlace::ConfigTokenFile)?),
                Some(TokenFrom::Config),
            ),
            (None, None, None, None) => (None, None),
        };
        let docs_base_url = docs_base_url(file.docs_base_url)?;
        let net = net_options(file.ca_file, file.client_cert, file.client_key);
        let given = |v: Option<String>| v.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let signin = crate::auth::SignInOptions {
            issuer: given(std::env::var(crate::auth::ENV_ISSUER).ok()).or(given(file.issuer)),
            client_id: given(file.client_id),
            scopes: given(file.scopes),
            audience: given(file.audience),
            device: false,
        };
        let mut device_unkept = None;
        let device_id = match &data_dir {
            Some(dir) => device_id(dir).unwrap_or_else(|e| {
                tracing::warn!("cannot keep the device id in {}: {e}", dir.display());
                device_unkept = Some((dir.clone(), e.to_string()));
                new_device_id()
            }),
            None => new_device_id(),
        };
        Ok(Settings {
            api_from: api_from.filter(|_| api.is_some()),
            api,
            token,
            token_from,
            login,
            login_trouble,
            docs_base_url,
            device_id,
            device_unkept,
            data_dir,
            net,
            signin,
        })
    }
}

impl Settings {
    /// A line saying where the gateway's address came from when it was not
    /// typed as `--api`, for a message that names `--api`; `None` when it
    /// was typed (or no gateway is configured).
    pub fn api_place(&self, lang: Lang) -> Option<String> {
        self.api_from.and_then(|from| from.place(lang))
    }
}

impl ApiFrom {
    /// Where the address came from, in words; `None` for `--api` typed.
    pub fn place(self, lang: Lang) -> Option<String> {
        match self {
            ApiFrom::Flag => None,
            ApiFrom::Environment => Some(tr!(lang, "cli-api-from-env")),
            ApiFrom::Config => Some(tr!(
                lang,
                "cli-api-from-config",
                path = config_path().map_or_else(String::new, |c| c.path.display().to_string())
            )),
        }
    }
}

/// The documentation base URL of `STEPWISE_DOCS_URL`, else of the config
/// file (`in_file`), checked; none when neither gives one.
fn docs_base_url(in_file: Option<String>) -> Result<Option<String>, ConfigError> {
    let env = std::env::var(ENV_DOCS_URL).ok();
    let from_env = env.is_some();
    match env.or(in_file).filter(|u| !u.trim().is_empty()) {
        Some(url) => check_docs_url(url.trim())
            .map(Some)
            .map_err(|e| e.docs_from(from_env)),
        None => Ok(None),
    }
}

/// Where the documentation base URL came from, as a message names it.
fn docs_place(lang: Lang, from_env: bool) -> String {
    if from_env {
        ENV_DOCS_URL.to_owned()
    } else {
        tr!(lang, "docs-place-config")
    }
}

impl ConfigError {
    /// A documentation base URL refused, said as coming from
    /// `STEPWISE_DOCS_URL` when `env` (else from the config file).
    fn docs_from(self, env: bool) -> Self {
        match self {
            ConfigError::DocsUrl { url, why, .. } => ConfigError::DocsUrl {
                url,
                why,
                from_env: env,
            },
            ConfigError::UserInfo {
                url: UrlPlace::Docs { .. },
            } => ConfigError::UserInfo {
                url: UrlPlace::Docs { from_env: env },
            },
            other => other,
        }
    }
}

/// The documentation base URL is drawn on screen, linked and put in QR
/// codes: it must be a plain http(s) URL.
pub fn check_docs_url(raw: &str) -> Result<String, ConfigError> {
    if has_user_info(raw) {
        return Err(ConfigError::UserInfo {
            url: UrlPlace::Docs { from_env: false },
        });
    }
    match url::Url::parse(raw) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
            Ok(url.as_str().trim_end_matches('/').to_owned())
        }
        // An http(s) URL the parser refuses (a space in its host…): why.
        Err(e) if raw.starts_with("http://") || raw.starts_with("https://") => {
            Err(ConfigError::DocsUrl {
                url: crate::steps::sanitize(raw),
                why: Some(e.to_string()),
                from_env: false,
            })
        }
        _ => Err(ConfigError::DocsUrl {
            url: crate::steps::sanitize(raw),
            why: None,
            from_env: false,
        }),
    }
}

fn new_device_id() -> String {
    format!("stepwise-{}", uuid::Uuid::new_v4())
}

/// The device id, made once and kept in `dir/device-id`.
pub fn device_id(dir: &Path) -> io::Result<String> {
    let path = dir.join("device-id");
    match crate::files::read_text_capped(&path, crate::files::SMALL_FILE_LIMIT) {
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

/// The recently used carAssociationIDs of the gateway `backend` (see
/// [`crate::client::Gateway::recent_key`]), newest first: an id opened on
/// one gateway is not offered on another, which may not know it. Lines of
/// older files, which name no gateway, are not offered.
pub fn recent_ids(dir: &Path, backend: &str) -> Vec<String> {
    recent_lines(dir)
        .into_iter()
        .filter_map(|(id, of)| (of == backend).then_some(id))
        .take(RECENT_KEPT)
        .collect()
}

/// Every kept `(id, gateway)` pair, newest first.
fn recent_lines(dir: &Path) -> Vec<(String, String)> {
    crate::files::read_text_capped(&dir.join("recent-ids"), crate::files::SMALL_FILE_LIMIT)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| line.split_once('\t'))
        .map(|(id, of)| (id.trim(), of.trim()))
        .filter(|(id, of)| is_car_id(id) && !of.is_empty())
        .take(RECENT_KEPT * 8)
        .map(|(id, of)| (id.to_owned(), of.to_owned()))
        .collect()
}

/// Puts an id first in the recent list of the gateway `backend`.
pub fn remember_id(dir: &Path, id: &str, backend: &str) -> io::Result<()> {
    let mut lines = recent_lines(dir);
    lines.retain(|(known, of)| known != id || of != backend);
    lines.insert(0, (id.to_owned(), backend.to_owned()));
    let mut kept: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    lines.retain(|(_, of)| {
        let n = kept.entry(of.clone()).or_default();
        *n += 1;
        *n <= RECENT_KEPT
    });
    lines.truncate(RECENT_KEPT * 8);
    let text: String = lines
        .iter()
        .map(|(id, of)| format!("{id}\t{of}\n"))
        .collect();
    write_atomically(&dir.join("recent-ids"), &text)
}

/// A carAssociationID as a technician may type it: the domain's id rule.
pub use crate::steps::is_id as is_car_id;

/// Writes through a fresh temporary file and a rename (see
/// [`crate::files::write_atomically`]): a crash never leaves half a file
/// behind, and nothing beside the target is touched.
pub fn write_atomically(path: &Path, contents: &str) -> io::Result<()> {
    crate::files::write_atomically(path, contents.as_bytes())
}

#[cfg(test)]
mod tests {
    /// A token wrapped in quotes, a variable's line or JSON is refused with
    /// its shape named, in a file and as text; a token's own '=' padding
    /// and other tokens pass.
    #[test]
    fn a_wrapped_token_is_named_by_its_shape() {
        let dir = tempfile::tempdir().unwrap();
        for (text, shape) in [
            ("\"abc123\"", TokenShape::Quoted),
            ("'abc123'", TokenShape::Quoted),
            ("access_token=abc123", TokenShape::Assignment),
            ("STEPWISE_TOKEN=abc123", TokenShape::Assignment),
            (
                r#"{"access_token":"abc123","token_type":"Bearer"}"#,
                TokenShape::Json,
            ),
            ("abc123;", TokenShape::Punctuated),
            ("abc123,", TokenShape::Punctuated),
        ] {
            let file = dir.path().join("tok");
            std::fs::write(&file, format!("{text}\n")).unwrap();
            let error = read_token_file(&file, TokenPlace::TokenFileFlag).unwrap_err();
            assert!(
                matches!(&error, ConfigError::TokenFile { problem: TokenFileProblem::Wrapped(s), .. } if *s == shape),
                "{text}: {error:?}"
            );
            let words = error.words(Lang::En);
            assert!(
                words.contains("holds the token") && !words.contains("abc123"),
                "{words}"
            );
            assert!(matches!(
                check_token(text, TokenPlace::Environment),
                Err(ConfigError::TokenWrapped { shape: s, .. }) if s == shape
            ));
        }
        for fine in [
            "abc123",
            "YWJj==",
            "eyJhbGciOiJub25lIn0.eyJleHAiOjF9.",
            "a=b=",
        ] {
            assert!(check_token(fine, TokenPlace::Environment).is_ok(), "{fine}");
        }
    }

    /// The simulator's token is the user's own: no "as the gateway issued
    /// it" for one that cannot be a token, as text or in a file.
    #[test]
    fn a_bad_simulator_token_is_said_to_be_chosen_not_issued() {
        for raw in ["a b", "\"abc\""] {
            let words = check_token(raw, TokenPlace::ServeToken)
                .unwrap_err()
                .words(Lang::En);
            assert!(
                words.contains("yours to choose") && !words.contains("issued"),
                "{words}"
            );
        }
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tok");
        std::fs::write(&file, "a b\n").unwrap();
        let words = read_token_file(&file, TokenPlace::ServeTokenFile)
            .unwrap_err()
            .words(Lang::En);
        assert!(
            words.contains("yours to choose") && !words.contains("issued"),
            "{words}"
        );
    }

    /// A Windows path pasted in "…": its backslashes start escapes, which
    /// either break the file (`\U`) or make a tab of `\t`. Both are said as
    /// that, with how to write the path, in the reader's language; not the
    /// parser's English, nor a changed path said to be missing.
    #[test]
    fn a_mistake_of_toml_syntax_is_named_without_the_list_of_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        for (body, line, says, in_german) in [
            ("api = \"http://x\n", 1, "not closed", "nicht geschlossen"),
            ("api = 'http://x\n", 1, "not closed", "nicht geschlossen"),
            (
                "lang = \"fr\"\napi = \"\"\"x\n",
                3,
                "not closed",
                "nicht geschlossen",
            ),
            ("api: \"http://x\"\n", 1, "not by a colon", "Doppelpunkt"),
            ("api \"http://x\"\n", 1, "not by a colon", "Doppelpunkt"),
            ("api == \"http://x\"\n", 1, "one = goes", "ein einziges ="),
            (
                "api = \"a\"\napi = \"b\"\n",
                2,
                "second time",
                "zweites Mal",
            ),
            ("api = \"a\" token = \"b\"\n", 1, "per line", "pro Zeile"),
            ("api = \"a\",\n", 1, "per line", "pro Zeile"),
            ("lang = en\n", 1, "goes in quotes", "Anführungszeichen"),
            (
                "token_file = 5\n",
                1,
                "must be text in quotes",
                "Anführungszeichen",
            ),
            ("[api]\n", 1, "no [section] header", "[Abschnitt]"),
        ] {
            std::fs::write(&path, body).unwrap();
            let error = load_file_config(&ConfigPath {
                path: path.clone(),
                explicit: true,
            })
            .unwrap_err();
            let words = error.words(Lang::En);
            assert!(
                words.contains(&format!("line {line},")) && words.contains(says),
                "{body:?}: {words}"
            );
            assert!(!words.contains("Known keys"), "{body:?}: {words}");
            assert!(!words.contains("expected"), "{body:?}: {words}");
            let german = error.words(Lang::De);
            assert!(german.contains(in_german), "{body:?}: {german}");
            assert!(!german.contains("Bekannte Schlüssel"), "{body:?}: {german}");
        }
        // A key stepwise does not know still lists those it does.
        std::fs::write(&path, "apu = \"http://x\"\n").unwrap();
        let error = load_file_config(&ConfigPath {
            path: path.clone(),
            explicit: true,
        })
        .unwrap_err();
        assert!(error.words(Lang::En).contains("Known keys"));
    }

    #[test]
    fn a_windows_path_in_double_quotes_is_said_so() {
        let dir = tempfile::tempdir().unwrap();
        for body in [
            "token_file = \"C:\\Users\\me\\tok\"\n",
            "token_file = \"C:\\temp\\tok\"\n",
        ] {
            let path = dir.path().join("config.toml");
            std::fs::write(&path, format!("api = \"http://127.0.0.1:1\"\n{body}")).unwrap();
            let error = load_file_config(&ConfigPath {
                path: path.clone(),
                explicit: true,
            })
            .unwrap_err();
            assert!(
                matches!(
                    &error,
                    ConfigError::File {
                        problem: FileProblem::Backslash { at: Some((2, _)) },
                        ..
                    }
                ),
                "{body}: {error:?}"
            );
            let words = error.words(Lang::En);
            assert!(
                words.contains("line 2") && words.contains("single quotes"),
                "{words}"
            );
            assert!(!words.contains("Known keys"), "{words}");
            let german = error.words(Lang::De);
            assert!(german.contains("einfache Anführungszeichen"), "{german}");
        }
        // In single quotes the path is taken as written.
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "token_file = 'C:\\temp\\tok'\n").unwrap();
        let file = load_file_config(&ConfigPath {
            path,
            explicit: true,
        })
        .unwrap();
        // (A path of a drive is absolute on Windows; elsewhere it is a
        // relative one, read beside the config file.)
        let tok = file.token_file.unwrap();
        assert!(tok.ends_with("C:\\temp\\tok"), "{}", tok.display());
        assert!(tok.is_absolute(), "{}", tok.display());
    }

    /// A path key given as "" names no file: said so, with its line, never
    /// "the token file … is a folder" (the config file's own folder;
    /// stranger 40, AO9).
    #[test]
    fn an_empty_path_in_the_config_file_is_said_empty() {
        let dir = tempfile::tempdir().unwrap();
        for key in ["token_file", "ca_file", "client_cert", "client_key"] {
            let path = dir.path().join("config.toml");
            std::fs::write(
                &path,
                format!("api = \"http://127.0.0.1:1\"\n{key} = \"\"\n"),
            )
            .unwrap();
            let error = load_file_config(&ConfigPath {
                path: path.clone(),
                explicit: true,
            })
            .unwrap_err();
            let words = error.words(Lang::En);
            assert!(
                words.contains(&format!("line 2: {key} is empty")),
                "{key}: {words}"
            );
            assert!(!words.contains("folder"), "{key}: {words}");
        }
    }

    /// A token file's path with a variable no one expanded is said so, not
    /// "save the token there" (which would make a folder named `%USERPROFILE%`).
    #[test]
    fn a_path_with_a_variable_left_as_written_is_said_so() {
        for raw in ["%USERPROFILE%\\tok", "$XDG_CONFIG_HOME/tok", "~root/tok"] {
            let words = read_token_file(Path::new(raw), TokenPlace::ConfigTokenFile)
                .unwrap_err()
                .words(Lang::En);
            assert!(
                words.contains("only a leading ~/ or $HOME/ is expanded"),
                "{words}"
            );
            assert!(!words.contains("save the token there"), "{words}");
        }
    }

    #[test]
    fn a_mistyped_scheme_is_given_back_as_meant() {
        for (typed, meant) in [
            ("https//127.0.0.1:49110", "https://127.0.0.1:49110"),
            ("http:/127.0.0.1:49110", "http://127.0.0.1:49110"),
            ("HTTP:gw.example", "http://gw.example"),
            ("http;//127.0.0.1:46110", "http://127.0.0.1:46110"),
            ("https.//gw.example", "https://gw.example"),
        ] {
            assert_eq!(mistyped_scheme(typed).as_deref(), Some(meant), "{typed}");
        }
        for fine in [
            "http://gw.example",
            "httpbin.example:80",
            "http",
            "gw.example",
        ] {
            assert_eq!(mistyped_scheme(fine), None, "{fine}");
        }
    }

    #[test]
    fn a_config_path_may_start_at_the_home_folder() {
        let home = directories::BaseDirs::new()
            .unwrap()
            .home_dir()
            .to_path_buf();
        for written in ["~/tok", "$HOME/tok", "${HOME}/tok"] {
            assert_eq!(
                expand_home(PathBuf::from(written)),
                home.join("tok"),
                "{written}"
            );
        }
        for kept in ["/etc/tok", "~other/tok", "$HOMEX/tok", "tok"] {
            assert_eq!(
                expand_home(PathBuf::from(kept)),
                PathBuf::from(kept),
                "{kept}"
            );
        }
    }

    use super::*;
    use std::fs;

    /// A config file that cannot be read for another cause than its
    /// permission (a file where its folder must be, too large) is not told
    /// to be made readable, which cannot help.
    #[cfg(unix)]
    #[test]
    fn a_config_file_behind_a_file_is_not_told_to_be_made_readable() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("homefile"), "x").unwrap();
        let error = load_file_config(&ConfigPath {
            path: dir.path().join("homefile/.config/stepwise/config.toml"),
            explicit: true,
        })
        .unwrap_err();
        let words = error.words(Lang::En);
        assert!(words.contains("a file is in the way"), "{words}");
        assert!(
            words.contains("point STEPWISE_CONFIG at another"),
            "{words}"
        );
        assert!(!words.contains("readable"), "{words}");
    }

    /// A relative path in the config file is the config file's neighbour,
    /// wherever stepwise is started from; an absolute one stays as written.
    #[test]
    fn a_relative_path_in_the_config_file_is_read_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        fs::write(
            &path,
            "ca_file = \"certs/shop-ca.pem\"\ntoken_file = \"token.txt\"\nclient_key = \"/etc/k.pem\"\n",
        )
        .unwrap();
        let file = load_file_config(&ConfigPath {
            path,
            explicit: true,
        })
        .unwrap();
        assert_eq!(file.ca_file, Some(dir.path().join("certs/shop-ca.pem")));
        assert_eq!(file.token_file, Some(dir.path().join("token.txt")));
        assert_eq!(file.client_key, Some(PathBuf::from("/etc/k.pem")));
    }

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
            remember_id(dir.path(), &format!("{i}"), "demo").unwrap();
        }
        remember_id(dir.path(), "5", "demo").unwrap();
        let ids = recent_ids(dir.path(), "demo");
        assert_eq!(ids.len(), RECENT_KEPT);
        assert_eq!(ids[0], "5");
        assert_eq!(ids.iter().filter(|i| *i == "5").count(), 1);
    }

    /// An id opened on one gateway is offered on that one only; a file of
    /// the older shape (ids alone) offers nothing and is replaced.
    #[test]
    fn recent_ids_are_kept_per_gateway() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("recent-ids"), "444444\n111111\n").unwrap();
        assert!(recent_ids(dir.path(), "demo").is_empty());
        let other = "https://gw.example/steps";
        remember_id(dir.path(), "ok1", other).unwrap();
        remember_id(dir.path(), "987654", "demo").unwrap();
        remember_id(dir.path(), "987654", other).unwrap();
        assert_eq!(recent_ids(dir.path(), "demo"), ["987654"]);
        assert_eq!(recent_ids(dir.path(), other), ["987654", "ok1"]);
        assert!(recent_ids(dir.path(), "http://127.0.0.1:1").is_empty());
    }

    fn default_at(path: &Path) -> ConfigPath {
        ConfigPath {
            path: path.to_owned(),
            explicit: false,
        }
    }

    #[test]
    fn config_file_errors_say_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        fs::write(&path, "docs_base_url = \"https://x\"\napi = 3\n").unwrap();
        let err = load_file_config(&default_at(&path))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("not valid at line 2, column 7")
                && err.contains("must be text in quotes")
                && !err.contains("Known keys"),
            "{err}"
        );
        // An unknown key: the known ones are listed once.
        fs::write(&path, "foo = 1\n").unwrap();
        let err = load_file_config(&default_at(&path))
            .unwrap_err()
            .to_string();
        assert!(err.contains("foo is no key stepwise knows"), "{err}");
        assert_eq!(err.matches("docs_base_url").count(), 1, "{err}");
        fs::write(&path, "api = \"http://127.0.0.1:1\"\n").unwrap();
        assert_eq!(
            load_file_config(&default_at(&path)).unwrap().api.as_deref(),
            Some("http://127.0.0.1:1")
        );
        let absent = dir.path().join("none");
        assert!(
            load_file_config(&default_at(&absent))
                .unwrap()
                .api
                .is_none()
        );
        let named = ConfigPath {
            path: absent,
            explicit: true,
        };
        let err = load_file_config(&named).unwrap_err().to_string();
        assert!(
            err.contains("does not exist") && err.contains("none"),
            "{err}"
        );
        let folder = ConfigPath {
            path: dir.path().to_owned(),
            explicit: true,
        };
        let err = load_file_config(&folder).unwrap_err().to_string();
        assert!(
            err.contains("is a folder") && !err.contains("Remove"),
            "{err}"
        );
    }

    #[test]
    fn token_files_are_read_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t");
        fs::write(&path, "  abc \n\n").unwrap();
        assert_eq!(
            read_token_file(&path, TokenPlace::TokenFileFlag)
                .unwrap()
                .expose(),
            "abc"
        );
        let cases: [(&[u8], &str); 6] = [
            (b"\n", "is empty"),
            (b"abc\ndef\n", "holds 2 lines"),
            (b"ab c\n", "characters a token cannot have"),
            (b"\xffA\n", "not UTF-8"),
            (b"\xff\xfe", "is empty"),
            (b"", "is empty"),
        ];
        for (bytes, says) in cases {
            fs::write(&path, bytes).unwrap();
            let err = read_token_file(&path, TokenPlace::TokenFileFlag)
                .unwrap_err()
                .to_string();
            assert!(err.contains(says) && err.contains("--token-file"), "{err}");
            assert!(err.contains(&path.display().to_string()), "{err}");
        }
        let missing = read_token_file(&dir.path().join("nope"), TokenPlace::TokenFileFlag)
            .unwrap_err()
            .to_string();
        assert!(missing.contains("does not exist"), "{missing}");
        let folder = read_token_file(dir.path(), TokenPlace::TokenFileFlag)
            .unwrap_err()
            .to_string();
        assert!(folder.contains("is a folder"), "{folder}");
    }

    #[test]
    fn tokens_given_as_text_must_fit_a_header() {
        assert_eq!(
            check_token(" abc ", TokenPlace::Environment)
                .unwrap()
                .expose(),
            "abc"
        );
        for bad in ["ab\ncd", "ab cd", "ab\u{1}", "jeton-é"] {
            let err = check_token(bad, TokenPlace::Environment)
                .unwrap_err()
                .to_string();
            assert!(err.contains(ENV_TOKEN) && !err.contains(bad), "{err}");
        }
    }

    /// One rule for every token given as text, and no value echoed.
    #[test]
    fn empty_and_numeric_tokens_are_refused_without_being_shown() {
        for blank in ["", "   "] {
            let err = check_token(blank, TokenPlace::ConfigToken)
                .unwrap_err()
                .to_string();
            assert!(err.contains("is empty"), "{err}");
        }
        assert!(check_token(&"a".repeat(8193), TokenPlace::Environment).is_err());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        for value in [
            "31415926535",
            "3.1415926535",
            "true",
            "[31415926535]",
            "{ a = 31415926535 }",
        ] {
            fs::write(&path, format!("token = {value}\n")).unwrap();
            let err = load_file_config(&default_at(&path))
                .unwrap_err()
                .to_string();
            assert!(err.contains("not text in quotes"), "{err}");
            assert!(
                !err.contains("1415926535") && !err.contains("true"),
                "{err}"
            );
        }
        fs::write(&path, "token = \"31415926535\"\n").unwrap();
        let file = load_file_config(&default_at(&path)).unwrap();
        assert_eq!(file.token.as_deref(), Some("31415926535"));
    }

    #[test]
    fn token_and_config_files_past_their_cap_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        fs::write(&path, vec![b'a'; crate::files::SMALL_FILE_LIMIT + 1]).unwrap();
        let err = read_token_file(&path, TokenPlace::TokenFileFlag)
            .unwrap_err()
            .to_string();
        assert!(err.contains("larger than 1024 KiB"), "{err}");
        let err = load_file_config(&default_at(&path))
            .unwrap_err()
            .to_string();
        assert!(err.contains("larger than 1024 KiB"), "{err}");
    }

    #[test]
    fn user_info_is_found_even_in_urls_that_do_not_parse() {
        for with in [
            "http://admin:hunter2@127.0.0.1:1",
            "https://user@gw.example/api",
            "http://a:b@[bad",
            "a:hunter2@host",
            // A password with a character that ends the host part.
            "http://jdoe:Win?ter@127.0.0.1:49110",
            "http://jdoe:Win/ter@127.0.0.1:49110",
            "http://jdoe:Win#ter@127.0.0.1:49110",
            "http://CORP\\jdoe:Winter@127.0.0.1:1",
        ] {
            assert!(has_user_info(with), "{with}");
        }
        for without in [
            "http://127.0.0.1:1",
            "https://gw.example/a@b",
            "http://h/?x=@",
            "http://host:8080/path@x",
        ] {
            assert!(!has_user_info(without), "{without}");
        }
        let err = check_docs_url("https://user:hunter2@help.example").unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    /// A refused documentation URL names the one place it came from.
    #[test]
    fn a_refused_docs_url_names_where_it_came_from() {
        let err = check_docs_url("notaurl").unwrap_err();
        let env = err.clone().docs_from(true).words(Lang::En);
        assert!(
            env.contains("Fix STEPWISE_DOCS_URL, e.g.") && !env.contains("docs_base_url"),
            "{env}"
        );
        let file = err.docs_from(false).words(Lang::En);
        assert!(
            file.contains("Fix docs_base_url in the config file, e.g.")
                && !file.contains("STEPWISE_DOCS_URL"),
            "{file}"
        );
        let info = check_docs_url("https://u:p@help.example").unwrap_err();
        let env = info.docs_from(true).words(Lang::En);
        assert!(env.contains("Remove it from STEPWISE_DOCS_URL;"), "{env}");
    }

    #[test]
    fn docs_urls_must_be_http() {
        assert_eq!(
            check_docs_url("https://help.example/docs/").unwrap(),
            "https://help.example/docs"
        );
        for bad in ["javascript:alert(1)", "help.example", "file:///etc"] {
            let err = check_docs_url(bad).unwrap_err().to_string();
            assert!(err.contains("not an http(s) URL"), "{err}");
        }
        // An http(s) URL the parser refuses: why, not "not http(s)".
        for bad in ["https://\u{1b}]0;x", "https://docs example"] {
            let err = check_docs_url(bad).unwrap_err().to_string();
            assert!(
                err.contains("is not usable: its host name holds a character no host name can")
                    && !err.contains('\u{1b}'),
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
