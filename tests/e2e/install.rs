//! What installers and packagers take from the binary: completions for each
//! shell, a manual page naming every subcommand, and a version that names
//! the commit.

use assert_cmd::Command;
use clap::CommandFactory;
use stepwise::cli::Cli;

fn stepwise(args: &[&str]) -> std::process::Output {
    Command::cargo_bin("stepwise")
        .expect("the binary is built")
        .args(args)
        .output()
        .expect("runs")
}

#[test]
fn completions_are_generated_for_each_shell() {
    let subcommands: Vec<String> = Cli::command()
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = stepwise(&["completions", shell]);
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8(out.stdout).expect("UTF-8");
        assert!(script.len() > 500, "{shell}: {script}");
        assert!(script.contains("stepwise"), "{shell}");
        for sub in &subcommands {
            assert!(
                script.contains(sub.as_str()),
                "{shell} completion lacks {sub}"
            );
        }
    }
    let out = stepwise(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("possible values"));
}

#[test]
fn the_man_page_lists_every_subcommand_and_its_options() {
    let out = stepwise(&["man"]);
    assert!(out.status.success());
    let page = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(
        page.starts_with(".ie") || page.starts_with(".TH"),
        "{}",
        &page[..80.min(page.len())]
    );
    assert!(page.contains(".TH stepwise 1"), "title");
    for sub in Cli::command().get_subcommands() {
        let section = format!(".SH \"STEPWISE {}\"", sub.get_name().to_uppercase());
        assert!(page.contains(&section), "no section {section}");
    }
    for flag in [
        "\\-\\-ca\\-file",
        "\\-\\-client\\-cert",
        "\\-\\-tls\\-dir",
        "\\-\\-json",
    ] {
        assert!(page.contains(flag), "the page lacks {flag}");
    }
}

#[test]
fn the_man_page_speaks_each_language() {
    use stepwise::text::{Lang, message};
    for lang in Lang::ALL {
        let out = stepwise(&["--lang", lang.code(), "man"]);
        assert!(out.status.success(), "{lang}");
        let page = String::from_utf8(out.stdout).expect("UTF-8");
        for id in ["man-section-name", "man-section-description"] {
            let heading = format!(".SH \"{}\"", message(*lang, id, None));
            assert!(page.contains(&heading), "{lang}: no {heading}");
        }
        // The options' section is named by the help's own heading.
        let options = message(*lang, "help-cli-options", None).to_uppercase();
        assert!(
            page.contains(&format!(".SH {options}"))
                || page.contains(&format!(".SH \"{options}\"")),
            "{lang}: {options}"
        );
        // The program's own description, in the language (roff escapes '-').
        let about = message(*lang, "help-cli-steps", None).replace('-', "\\-");
        assert!(page.contains(&about), "{lang}: {about}");
        if *lang != Lang::En {
            for english in [".SH NAME", ".SH SYNOPSIS", ".SH AUTHORS", "[OPTIONS]"] {
                let shared = message(*lang, "man-section-synopsis", None) == "SYNOPSIS"
                    && english == ".SH SYNOPSIS";
                assert!(shared || !page.contains(english), "{lang}: {english}");
            }
        }
    }
}

#[test]
fn the_version_names_the_version_and_the_commit() {
    let out = stepwise(&["--version"]);
    let text = String::from_utf8(out.stdout).unwrap();
    let expected_start = format!("stepwise {} (commit ", env!("CARGO_PKG_VERSION"));
    assert!(text.starts_with(&expected_start), "{text}");
    let head = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    match head {
        Some(commit) => assert!(
            text.contains(&format!("(commit {commit})")),
            "{text} vs {commit}"
        ),
        // Built outside a git checkout: the fallback is said plainly.
        None => assert!(text.contains("(commit unknown)"), "{text}"),
    }
}

/// The README's install section says what the package really holds, and
/// the CI script runs the commands it shows.
#[test]
fn the_readme_install_section_matches_the_package_and_ci() {
    let readme = include_str!("../../README.md");
    let manifest: toml::Value = toml::from_str(include_str!("../../Cargo.toml")).unwrap();
    let ci = include_str!("../../.ci/deb.sh");
    let assets = manifest["package"]["metadata"]["deb"]["assets"]
        .as_array()
        .expect("cargo-deb assets");
    for asset in assets {
        let source = asset[0].as_str().unwrap();
        let dest = asset[1].as_str().unwrap();
        if source == "README.md" {
            continue;
        }
        let installed = match dest {
            "usr/bin/" => "/usr/bin/stepwise".to_owned(),
            man if man.starts_with("usr/share/man/") => format!("/{man}.gz"),
            other => format!("/{other}"),
        };
        assert!(
            readme.contains(&format!("`{installed}`")),
            "README lacks {installed}"
        );
        assert!(
            ci.contains(&installed),
            ".ci/deb.sh does not check {installed}"
        );
        if let Some(generated) = source.strip_prefix("target/pkg/") {
            assert!(
                readme.contains(&format!("> target/pkg/{generated}\n")),
                "README does not say how {generated} is made"
            );
            assert!(
                ci.contains(&format!("> target/pkg/{generated}\n")),
                ".ci/deb.sh does not make {generated}"
            );
        }
    }
    for command in [
        "cargo install --locked --path .",
        "cargo install --locked cargo-deb --version",
        "cargo deb --no-build",
        "dpkg -i",
    ] {
        assert!(readme.contains(command), "README lacks {command}");
        assert!(ci.contains(command), ".ci/deb.sh does not run {command}");
    }
    assert!(include_str!("../../.ci/run").contains("bash .ci/deb.sh"));
}
