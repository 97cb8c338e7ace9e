//! Embeds the git commit in `--version`; "unknown" when built without git.
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (out.status.success() && !text.is_empty()).then_some(text)
}

fn main() {
    let commit = git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=STEPWISE_COMMIT={commit}");
    // The commit's time (seconds since 1970), "0" when unknown: no clock
    // that tells the right time is earlier than the program it runs.
    let made = git(&["log", "-1", "--format=%ct"]).unwrap_or_else(|| "0".into());
    println!("cargo:rustc-env=STEPWISE_MADE={made}");
    // Rebuilt when HEAD moves: HEAD itself and the branch it points at.
    for path in [
        git(&["rev-parse", "--git-path", "HEAD"]),
        git(&["rev-parse", "--symbolic-full-name", "HEAD"])
            .and_then(|r| git(&["rev-parse", "--git-path", &r])),
    ]
    .into_iter()
    .flatten()
    {
        println!("cargo:rerun-if-changed={path}");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
