//! A list of carAssociationIDs for the board or for `steps`: one id per
//! line with `#` comments, or a CSV whose first column is the id (a header
//! naming that column is skipped). Bad ids are named with their line.

use crate::steps::{MAX_ID_CHARS, is_id};

/// At most this many bad lines are named in one message.
const NAMED: usize = 5;

/// The ids of `text`, in order, each once; or one line naming the bad ones
/// with their line numbers and what to do.
pub fn parse(text: &str) -> Result<Vec<String>, String> {
    let mut ids: Vec<String> = Vec::new();
    let mut bad: Vec<(usize, String)> = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let line = line.split('#').next().unwrap_or_default();
        let field = line.split([',', ';', '\t']).next().unwrap_or_default();
        let id = field.trim().trim_matches('"').trim();
        if id.is_empty() {
            continue;
        }
        // A CSV header names its first column.
        if ids.is_empty()
            && bad.is_empty()
            && line.contains([',', ';', '\t'])
            && ["carassociationid", "id", "car"].contains(&id.to_ascii_lowercase().as_str())
        {
            continue;
        }
        if !is_id(id) {
            bad.push((number, crate::steps::sanitize_capped(id, 24)));
        } else if !ids.iter().any(|known| known == id) {
            ids.push(id.to_owned());
        }
    }
    if bad.is_empty() {
        return Ok(ids);
    }
    let mut named: Vec<String> = bad
        .iter()
        .take(NAMED)
        .map(|(n, id)| format!("line {n} {id:?}"))
        .collect();
    if bad.len() > NAMED {
        named.push(format!("and {} more", bad.len() - NAMED));
    }
    Err(format!(
        "{} not a carAssociationID (1 to {MAX_ID_CHARS} letters, digits, '-' or '_'). Fix or remove {}",
        named.join(", "),
        if bad.len() == 1 {
            "that line"
        } else {
            "those lines"
        }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_per_line_with_comments_and_blank_lines() {
        let text = "# the morning's deliveries\nF0001\n\n  F0002  # silver estate\nF0001\n";
        assert_eq!(parse(text).unwrap(), ["F0001", "F0002"]);
    }

    #[test]
    fn a_csv_gives_its_first_column_and_skips_its_header() {
        let text = "carAssociationID,model,owner\n\"F0003\",e-208,Dupont\nF0004;x;y\n";
        assert_eq!(parse(text).unwrap(), ["F0003", "F0004"]);
    }

    #[test]
    fn bad_ids_are_named_with_their_lines() {
        let err = parse("F0001\nnot an id\nF0002\nx!y,z\n").unwrap_err();
        assert!(err.contains("line 2 \"not an id\""), "{err}");
        assert!(err.contains("line 4 \"x!y\""), "{err}");
        assert!(err.contains("Fix or remove those lines"), "{err}");
        let many: String = (0..9).map(|i| format!("bad id {i}\n")).collect();
        let err = parse(&many).unwrap_err();
        assert!(err.contains("and 4 more"), "{err}");
        assert_eq!(err.lines().count(), 1);
    }
}
