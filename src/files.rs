//! Files on disk, each way the same: every read has a size cap; every write
//! goes through a fresh, randomly named file created in the same folder and
//! renamed over the target (never a predictable `.tmp`, never through a
//! symbolic link planted there); what stepwise writes for one user is readable
//! by that user only (folders `0700`, files `0600` on Unix).

use std::fs;
use std::io::{self, Read, Write};
use std::path::Path;

/// The most any small text file stepwise reads may hold: a token, a
/// config file, a certificate or key, the device id, recent ids.
pub const SMALL_FILE_LIMIT: usize = 1024 * 1024;

/// The most a file of carAssociationIDs or a scenario may hold.
pub const LIST_FILE_LIMIT: usize = 16 * 1024 * 1024;

/// A file larger than its cap, said with the cap: the `io::Error` a
/// capped read returns (kind `FileTooLarge`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLarge {
    pub limit: usize,
}

impl std::fmt::Display for TooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "larger than {} KiB", self.limit / 1024)
    }
}

impl std::error::Error for TooLarge {}

/// The cap a read went past, if that is what `error` says.
pub fn too_large(error: &io::Error) -> Option<TooLarge> {
    error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<TooLarge>())
        .copied()
}

/// Why a file cannot be read, in `lang`: its size cap, a missing file, no
/// right to read it, a folder, not UTF-8 text; the system's own words only
/// for a cause without words here.
pub fn unreadable_words(lang: crate::text::Lang, error: &io::Error) -> String {
    if let Some(cap) = too_large(error) {
        return crate::tr!(
            lang,
            "err-file-too-large",
            limit = crate::text::num(cap.limit / 1024)
        );
    }
    match error.kind() {
        io::ErrorKind::NotFound => crate::tr!(lang, "err-io-not-found"),
        io::ErrorKind::PermissionDenied => crate::tr!(lang, "err-io-denied"),
        io::ErrorKind::IsADirectory => crate::tr!(lang, "err-io-folder"),
        io::ErrorKind::InvalidData => crate::tr!(lang, "err-io-not-text"),
        // A folder that cannot be made, or a path through a file.
        io::ErrorKind::AlreadyExists | io::ErrorKind::NotADirectory => {
            crate::tr!(lang, "os-not-a-folder")
        }
        io::ErrorKind::ReadOnlyFilesystem => crate::tr!(lang, "os-read-only"),
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => {
            crate::tr!(lang, "os-disk-full")
        }
        _ => error.to_string(),
    }
}

/// Why the file `path` cannot be written (created or replaced), in the
/// reader's language where the system's kind is a common one. A folder of
/// the kernel's own (/proc, /sys, a cgroup's) is said as such, whatever it
/// answered: sysfs refuses even root with "permission denied".
pub fn unwritable_words(lang: crate::text::Lang, error: &io::Error, path: &Path) -> String {
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    match error.kind() {
        io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem
            if on_kernel_file_system(folder) =>
        {
            crate::tr!(lang, "os-no-file-here")
        }
        _ => unwritable_kind_words(lang, error),
    }
}

/// [`unwritable_words`] by the error's kind alone, with no look at the
/// disk.
pub fn unwritable_kind_words(lang: crate::text::Lang, error: &io::Error) -> String {
    match error.kind() {
        // The folder is there (checked first), yet no file can be made in
        // it: a file system such as /proc or /sys.
        io::ErrorKind::NotFound => crate::tr!(lang, "os-no-file-here"),
        io::ErrorKind::PermissionDenied => crate::tr!(lang, "os-file-denied"),
        _ => unreadable_words(lang, error),
    }
}

/// Whether `folder` is on one of the kernel's own file systems, where no
/// one makes files: proc, sysfs, cgroup, debugfs, tracefs, securityfs,
/// configfs, pstore, bpf, efivarfs.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub fn on_kernel_file_system(folder: &Path) -> bool {
    const KERNEL_MAGIC: [u64; 11] = [
        0x9fa0,      // proc
        0x6265_6572, // sysfs
        0x0027_e0eb, // cgroup
        0x6367_7270, // cgroup2
        0x6462_6720, // debugfs
        0x7472_6163, // tracefs
        0x7363_6673, // securityfs
        0x6265_6570, // configfs
        0x6165_676c, // pstore
        0xcafe_4a11, // bpf
        0xde5e_81e4, // efivarfs
    ];
    rustix::fs::statfs(folder).is_ok_and(|fs| {
        // Signed on some targets: the low 32 bits are the magic.
        #[allow(clippy::unnecessary_cast, clippy::cast_sign_loss)]
        let magic = (fs.f_type as u64) & 0xffff_ffff;
        KERNEL_MAGIC.contains(&magic)
    })
}

/// Whether `folder` is on one of the kernel's own file systems (Linux
/// only: elsewhere none is known).
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub fn on_kernel_file_system(_folder: &Path) -> bool {
    false
}

/// The file that stands where a folder of `dir`'s path must be: the
/// nearest of `dir` and its parents that exists, when it is no folder.
pub fn file_in_the_way(dir: &Path) -> Option<std::path::PathBuf> {
    dir.ancestors()
        .filter(|a| !a.as_os_str().is_empty())
        .find(|a| fs::metadata(a).is_ok())
        .filter(|a| !a.is_dir())
        .map(Path::to_path_buf)
}

/// Reads at most `limit` bytes of `path`; a longer file (or an endless one
/// such as `/dev/zero`) is an error of kind `FileTooLarge` carrying
/// [`TooLarge`], after reading one byte past the cap, never the whole.
pub fn read_capped(path: &Path, limit: usize) -> io::Result<Vec<u8>> {
    let file = fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() > limit {
        return Err(io::Error::new(
            io::ErrorKind::FileTooLarge,
            TooLarge { limit },
        ));
    }
    Ok(bytes)
}

/// [`read_capped`] as UTF-8 text (kind `InvalidData` otherwise).
pub fn read_text_capped(path: &Path, limit: usize) -> io::Result<String> {
    String::from_utf8(read_capped(path, limit)?)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// Makes `dir` and its missing parents; the folders made are private to
/// the user (`0700` on Unix). A folder that exists is left as it is.
pub fn private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Makes the data directory private (`0700` on Unix), creating it if
/// needed: it holds reports naming customers' vehicles.
pub fn private_data_dir(dir: &Path) -> io::Result<()> {
    private_dir(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(dir)?.permissions().mode() & 0o777;
        if mode != 0o700 {
            fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
        }
    }
    Ok(())
}

/// Every file and folder this process makes is its user's alone (umask
/// 077 on Unix): the logs, a log rotated in the middle of a run, the
/// simulator's TLS files, as well as what is made 0600 explicitly.
pub fn private_umask() {
    #[cfg(unix)]
    rustix::process::umask(rustix::fs::Mode::from_bits_truncate(0o077));
}

/// Writes `contents` to `path` atomically: a reader sees the old file or
/// the new one, never a mix; a crash or a full disk leaves the old file and
/// no litter (the temporary file is removed when it cannot be renamed, and
/// is created exclusively, so nothing already in the folder is touched).
/// The file is `0600` on Unix; missing parents are made `0700`.
pub fn write_atomically(path: &Path, contents: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    private_dir(dir)?;
    // `tempfile` creates it with O_EXCL, mode 0600, under a random name.
    let mut file = tempfile::Builder::new()
        .prefix(".stepwise-")
        .suffix(".part")
        .tempfile_in(dir)?;
    file.write_all(contents)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// The mode of a file that users other than its owner may read or write
/// (Unix; never on other systems, whose files follow their folder's
/// rights).
pub fn others_may_read(path: &std::path::Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
        (mode & 0o077 != 0).then_some(mode)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_stops_one_byte_past_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        fs::write(&path, vec![b'a'; 11]).unwrap();
        assert_eq!(read_capped(&path, 11).unwrap().len(), 11);
        let e = read_capped(&path, 10).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::FileTooLarge);
        assert_eq!(too_large(&e), Some(TooLarge { limit: 10 }));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn an_endless_file_is_refused_not_read_whole() {
        let e = read_capped(Path::new("/dev/zero"), 4096).unwrap_err();
        assert_eq!(too_large(&e), Some(TooLarge { limit: 4096 }));
    }

    #[test]
    fn a_write_leaves_its_neighbours_alone_and_no_litter() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("visit.md");
        fs::write(dir.path().join("visit.tmp"), "my notes").unwrap();
        write_atomically(&target, b"one").unwrap();
        write_atomically(&target, b"two").unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "two");
        assert_eq!(
            fs::read_to_string(dir.path().join("visit.tmp")).unwrap(),
            "my notes"
        );
        let mut names: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["visit.md", "visit.tmp"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_planted_symlink_is_not_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let precious = dir.path().join("other.conf");
        fs::write(&precious, "IMPORTANT").unwrap();
        std::os::unix::fs::symlink(&precious, dir.path().join("visit.tmp")).unwrap();
        let target = dir.path().join("visit.md");
        write_atomically(&target, b"report").unwrap();
        assert_eq!(fs::read_to_string(&precious).unwrap(), "IMPORTANT");
        assert!(!fs::symlink_metadata(&target).unwrap().is_symlink());
    }

    /// sysfs refuses a new file with "permission denied", even to root:
    /// said as the system folder it is, like /proc, not as a locked file.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_file_refused_by_sys_is_said_as_a_system_folder() {
        let lang = crate::text::Lang::En;
        let denied = io::Error::from(io::ErrorKind::PermissionDenied);
        let words = unwritable_words(lang, &denied, Path::new("/sys/x.md"));
        assert!(words.contains("system folder"), "{words}");
        assert!(!words.contains("locked"), "{words}");
        let words = unwritable_words(lang, &denied, Path::new("/proc/self/x.md"));
        assert!(words.contains("system folder"), "{words}");
        // An ordinary folder that refuses is still a refusal.
        let dir = tempfile::tempdir().unwrap();
        let words = unwritable_words(lang, &denied, &dir.path().join("x.md"));
        assert!(words.contains("permission denied"), "{words}");
    }

    /// A file named `reports` where the reports folder must be: a write
    /// fails (the system says "File exists"), and the file is found.
    #[test]
    fn a_file_where_a_folder_must_be_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("stepwise");
        let reports = data.join("reports");
        fs::create_dir(&data).unwrap();
        fs::write(&reports, "").unwrap();
        assert!(write_atomically(&reports.join("r.md"), b"x").is_err());
        assert_eq!(file_in_the_way(&reports), Some(reports.clone()));
        assert_eq!(file_in_the_way(&reports.join("deeper")), Some(reports));
        // Folders, there or not yet made, are in no one's way.
        assert_eq!(file_in_the_way(&data), None);
        assert_eq!(file_in_the_way(&data.join("new").join("reports")), None);
    }

    #[cfg(unix)]
    #[test]
    fn files_are_the_users_alone() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        fs::create_dir(&data).unwrap();
        fs::set_permissions(&data, fs::Permissions::from_mode(0o755)).unwrap();
        private_data_dir(&data).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&data), 0o700);
        let report = data.join("reports").join("r.md");
        write_atomically(&report, b"x").unwrap();
        assert_eq!(mode(&report), 0o600);
        assert_eq!(mode(&data.join("reports")), 0o700);
    }
}
