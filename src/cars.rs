//! A list of carAssociationIDs for the board or for `steps`: one id per
//! line with `#` comments, or a CSV whose first column is the id (a header
//! naming that column is skipped). Bad ids are named with their line.

use crate::steps::{MAX_ID_CHARS, is_id};
use crate::text::{Lang, num};
use crate::tr;

/// At most this many bad lines are named in one message.
const NAMED: usize = 5;

/// Lines of an ids file that hold no carAssociationID, as data (the words
/// are made by [`BadIds::words`] in the chosen language).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadIds {
    /// The first few: line number and what it held (cleaned, cut short).
    pub named: Vec<(usize, String)>,
    /// How many more there are.
    pub more: usize,
}

impl BadIds {
    /// One line naming the bad lines and saying what to do.
    pub fn words(&self, lang: Lang) -> String {
        let mut named: Vec<String> = self
            .named
            .iter()
            .map(|(line, id)| tr!(lang, "cars-bad-line", line = num(*line), id = id.clone()))
            .collect();
        if self.more > 0 {
            named.push(tr!(lang, "cars-bad-more", n = num(self.more)));
        }
        tr!(
            lang,
            "cars-bad",
            lines = named.join(", "),
            max = num(MAX_ID_CHARS),
            count = num(self.named.len() + self.more)
        )
    }
}

/// The ids of `text`, in order, each once; or the bad lines.
pub fn parse(text: &str) -> Result<Vec<String>, BadIds> {
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
    let more = bad.len().saturating_sub(NAMED);
    bad.truncate(NAMED);
    Err(BadIds { named: bad, more })
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
        let bad = parse("F0001\nnot an id\nF0002\nx!y,z\n").unwrap_err();
        assert_eq!(
            bad.named,
            [(2, "not an id".to_owned()), (4, "x!y".to_owned())]
        );
        let err = bad.words(Lang::En);
        assert!(err.contains("line 2 \"not an id\""), "{err}");
        assert!(err.contains("line 4 \"x!y\""), "{err}");
        assert!(err.contains("Fix or remove those lines"), "{err}");
        let many: String = (0..9).map(|i| format!("bad id {i}\n")).collect();
        let bad = parse(&many).unwrap_err();
        assert_eq!((bad.named.len(), bad.more), (5, 4));
        for lang in Lang::ALL {
            assert_eq!(bad.words(*lang).lines().count(), 1, "{lang}");
        }
        let err = bad.words(Lang::En);
        assert!(err.contains("and 4 more"), "{err}");
        assert!(
            bad.words(Lang::De).contains("4 weitere"),
            "{}",
            bad.words(Lang::De)
        );
    }
}
