//! A list of carAssociationIDs for the board or for `steps`: one id per
//! line with `#` comments, or a CSV whose id is the first column, or the
//! column its header row names (the header is skipped). Files made
//! on a Windows PC read the same: a UTF-8 byte-order mark, CRLF line ends,
//! `;` between columns (Excel in French or German), Excel's `sep=;` hint,
//! CR-only line ends (Excel for Mac's "CSV (Macintosh)"),
//! UTF-16 "Unicode text" and legacy code pages. Bad ids are named with their
//! line.

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
    /// One held a number as Excel writes a long one (`9,87654E+11`).
    pub excel: bool,
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
        let words = tr!(
            lang,
            "cars-bad",
            lines = named.join(", "),
            max = num(MAX_ID_CHARS),
            count = num(self.named.len() + self.more)
        );
        if self.excel {
            // Two sentences: the first ends where cars-bad ends.
            format!(
                "{}. {}",
                words.trim_end_matches('.'),
                tr!(lang, "cars-excel-number")
            )
        } else {
            words
        }
    }
}

/// The Unicode byte-order mark that Excel's "CSV UTF-8" puts first.
const BOM: char = '\u{feff}';

/// The text of an ids file as a spreadsheet or an editor saved it: UTF-8
/// (with or without a byte-order mark), UTF-16 with its byte-order mark
/// (Excel's "Unicode text"), or a legacy code page such as Windows-1252
/// (Excel's plain "CSV"). Ids are ASCII, so bytes of other columns that are
/// not UTF-8 become U+FFFD instead of refusing the whole file; such a byte in
/// an id makes that line a bad id, named with its number.
pub fn decode(bytes: &[u8]) -> String {
    let utf16 = |big: bool| {
        let units = bytes[2..].chunks_exact(2).map(|pair| {
            let pair = [pair[0], pair[1]];
            if big {
                u16::from_be_bytes(pair)
            } else {
                u16::from_le_bytes(pair)
            }
        });
        char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect::<String>()
    };
    let text = match bytes {
        [0xff, 0xfe, ..] => utf16(false),
        [0xfe, 0xff, ..] => utf16(true),
        _ => String::from_utf8_lossy(bytes).into_owned(),
    };
    match text.strip_prefix(BOM) {
        Some(rest) => rest.to_owned(),
        None => text,
    }
}

/// How well a header field names the id column: `carAssociationID` (any
/// case, spaces or `_`) best, then `id`, then `car`; `None` for any other.
fn header_rank(field: &str) -> Option<u8> {
    let name: String = field
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    ["carassociationid", "id", "car"]
        .iter()
        .position(|known| *known == name)
        .and_then(|rank| u8::try_from(rank).ok())
}

/// The fields of a CSV line: split outside double quotes at `;` or a tab
/// where the line has one (Excel in French or German writes `;`, and its
/// numbers may then hold a `,`), else at `,`; each trimmed and unquoted.
fn fields(line: &str) -> Vec<&str> {
    let seps: &[char] = if line.contains([';', '\t']) {
        &[';', '\t']
    } else {
        &[',']
    };
    let mut out = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            c if seps.contains(&c) && !quoted => {
                out.push(&line[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&line[start..]);
    out.into_iter()
        .map(|f| f.trim().trim_matches('"').trim())
        .collect()
}

/// An id as Excel writes a long number it took for one: `9,87654E+11`
/// (in a file, or pasted from a cell into an id field).
pub fn excel_number(text: &str) -> bool {
    let upper = text.to_ascii_uppercase();
    let Some((mantissa, exponent)) = upper.split_once('E') else {
        return false;
    };
    // Excel always signs the exponent; an id such as 1E5 stays an id.
    let Some(exponent) = exponent.strip_prefix(['+', '-']) else {
        return false;
    };
    !mantissa.is_empty()
        && mantissa
            .chars()
            .all(|c| c.is_ascii_digit() || c == ',' || c == '.')
        && !exponent.is_empty()
        && exponent.chars().all(|c| c.is_ascii_digit())
}

/// The column a header row names as the ids' (the best-named one). A row
/// with a number in it is data ("987654;Car"), not a header.
fn id_column(fields: &[&str]) -> Option<usize> {
    let number = |f: &&str| !f.is_empty() && f.chars().all(|c| c.is_ascii_digit());
    if fields.iter().any(number) {
        return None;
    }
    fields
        .iter()
        .enumerate()
        .filter_map(|(i, f)| header_rank(f).map(|rank| (rank, i)))
        .min()
        .map(|(_, i)| i)
}

/// The ids' column of a file whose header row names none of its columns
/// in words stepwise knows ("Kunde;Fahrzeug-ID"): the first column after
/// the first whose every value below is digits, when the first column's
/// values are not (names, then the ids).
fn unnamed_id_column(lines: &[&str]) -> Option<usize> {
    let mut rows = lines
        .iter()
        .map(|l| {
            l.split('#')
                .next()
                .unwrap_or_default()
                .trim_start_matches(BOM)
        })
        .filter(|l| !l.trim().is_empty() && !l.trim().to_ascii_lowercase().starts_with("sep="));
    let header = fields(rows.next()?);
    let number = |f: &str| !f.is_empty() && f.chars().all(|c| c.is_ascii_digit());
    if header.len() < 2 || id_column(&header).is_some() || header.iter().any(|f| number(f)) {
        return None;
    }
    let data: Vec<Vec<&str>> = rows.map(fields).collect();
    let digits =
        |col: usize| !data.is_empty() && data.iter().all(|r| r.get(col).is_some_and(|f| number(f)));
    if digits(0) {
        return None;
    }
    (1..header.len()).find(|col| digits(*col))
}

/// The ids of `text`, in order, each once; or the bad lines.
pub fn parse(text: &str) -> Result<Vec<String>, BadIds> {
    let mut ids: Vec<String> = Vec::new();
    let mut bad: Vec<(usize, String)> = Vec::new();
    // Only the first line with content may be a header or Excel's `sep=`.
    let mut first = true;
    // The first line's id, when it came from a line of several columns
    // and holds a letter: a heading in the shop's own words ("Fahrzeug-ID;
    // Kunde") when every other id is digits only.
    let mut heading: Option<(usize, String)> = None;
    // The ids' column: the first, or the one the header row names.
    let mut column = 0;
    // A bad line held a number as Excel writes it.
    let mut excel = false;
    // Excel for Mac's "CSV (Macintosh)" ends its lines with CR alone.
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let unnamed = unnamed_id_column(&text.lines().collect::<Vec<_>>());
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let line = line.split('#').next().unwrap_or_default();
        let line = line.trim_start_matches(BOM);
        if line.trim().is_empty() {
            continue;
        }
        let was_first = std::mem::replace(&mut first, false);
        if was_first && line.trim().to_ascii_lowercase().starts_with("sep=") {
            // A header may follow the hint.
            first = true;
            continue;
        }
        // A long number Excel wrote its own way (9,87654E+11): never cut
        // at its comma into another vehicle's id.
        let whole = line.trim().trim_matches('"');
        if excel_number(whole) {
            bad.push((number, crate::steps::sanitize_capped(whole, 24)));
            excel = true;
            continue;
        }
        let fields = fields(line);
        if was_first && let Some(named) = id_column(&fields).or(unnamed) {
            column = named;
            continue;
        }
        let id = fields.get(column).copied().unwrap_or_default();
        if id.is_empty() {
            continue;
        }
        // In a file split at `,`, Excel's decimal comma splits its number
        // too: "9,87654E+11,Meier" is that number, then a name.
        let joined = fields
            .get(column + 1)
            .filter(|_| !line.contains([';', '\t']))
            .map(|next| format!("{id},{next}"));
        if let Some(number_text) = joined.filter(|j| excel_number(j)) {
            bad.push((number, crate::steps::sanitize_capped(&number_text, 24)));
            excel = true;
            continue;
        }
        if excel_number(id) {
            bad.push((number, crate::steps::sanitize_capped(id, 24)));
            excel = true;
            continue;
        }
        if was_first
            && line.contains([',', ';', '\t'])
            && id.chars().any(|c| c.is_ascii_alphabetic())
        {
            heading = Some((number, id.to_owned()));
        }
        if !is_id(id) {
            bad.push((number, crate::steps::sanitize_capped(id, 24)));
        } else if !ids.iter().any(|known| known == id) {
            ids.push(id.to_owned());
        }
    }
    if let Some((line, heading)) = heading {
        let others_are_digits =
            |id: &String| *id == heading || id.chars().all(|c| c.is_ascii_digit());
        let bad_heading = bad.iter().any(|(n, _)| *n == line);
        let others_bad = bad.iter().any(|(n, _)| *n != line);
        if ids.iter().all(others_are_digits)
            && ids.iter().chain(bad.iter().map(|(_, id)| id)).count() > 1
            && !others_bad
        {
            ids.retain(|id| *id != heading);
            if bad_heading {
                bad.clear();
            }
        }
    }
    if bad.is_empty() {
        return Ok(ids);
    }
    let more = bad.len().saturating_sub(NAMED);
    bad.truncate(NAMED);
    Err(BadIds {
        named: bad,
        more,
        excel,
    })
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
    fn a_number_excel_wrote_is_named_never_cut_into_another_id() {
        for text in [
            "carAssociationID;Kunde\r\n9,87654E+11;M\u{fc}ller\r\n",
            "carAssociationID\r\n9,87654E+11\r\n",
            "id,owner\n9.87654E+11,Smith\n",
            // Split at `,`, the decimal comma splits the number too.
            "carAssociationID,Kunde\n987654,Meier\n9,87654E+11,X\n",
        ] {
            let bad = parse(text).unwrap_err();
            assert_eq!(bad.named.len(), 1, "{text:?}: {bad:?}");
            assert!(bad.named[0].1.contains("E+11"), "{bad:?}");
            assert!(bad.excel, "{bad:?}");
            let words = bad.words(Lang::En);
            assert!(words.contains("format the column as Text"), "{words}");
            assert!(
                words.contains("that line. A line holds a long number"),
                "{words}"
            );
        }
        // An id that merely has an E in it is an id.
        assert_eq!(parse("E12\nAB-E7\n1E5\n").unwrap(), ["E12", "AB-E7", "1E5"]);
    }

    /// A header in the shop's own words and the ids in a later column:
    /// the column whose values are all digits holds them; the header and
    /// the customers' names are never sent as ids.
    #[test]
    fn ids_in_a_later_column_under_a_header_of_the_shop_s_words() {
        for text in [
            "Kunde;Fahrzeug-ID\nM\u{fc}ller;987654\nSmith;222222\n",
            "Customer,Vehicle ID\nMuller,987654\nSmith,222222\n",
        ] {
            assert_eq!(parse(text).unwrap(), ["987654", "222222"], "{text:?}");
        }
        // Ids first under such a header: as before, the first column.
        assert_eq!(
            parse("Fahrzeug-ID;Kunde\n987654;M\u{fc}ller\n222222;Smith\n").unwrap(),
            ["987654", "222222"]
        );
    }

    #[test]
    fn the_column_the_header_names_holds_the_ids() {
        let text = "Customer;carAssociationID;Model\r\nDupont;987654;e-208\r\nMartin;111111;x\r\n";
        assert_eq!(parse(text).unwrap(), ["987654", "111111"]);
        // carAssociationID wins over a column merely called "id"; quoted
        // fields keep their commas.
        let text = "id,\"Name, first\",car_association_id\n7,\"Doe, J\",F0001\n";
        assert_eq!(parse(text).unwrap(), ["F0001"]);
        // A row without that column is skipped like a blank line.
        assert_eq!(parse("name,id\nA,F0002\nB\n").unwrap(), ["F0002"]);
        // A first row of data whose other column says "Car" is no header.
        assert_eq!(
            parse("987654;Car\n111111;Van\n").unwrap(),
            ["987654", "111111"]
        );
    }

    #[test]
    fn a_one_column_file_headed_by_the_id_skips_its_header() {
        assert_eq!(parse("carAssociationID\n987654\n").unwrap(), ["987654"]);
        assert_eq!(
            parse("Car association ID\r\n987654\r\n111111\r\n").unwrap(),
            ["987654", "111111"]
        );
        assert_eq!(parse("\"car_association_id\"\nF0001\n").unwrap(), ["F0001"]);
        // Only the first line is a header: a later one is an id like any other.
        assert_eq!(parse("F0001\nid\n").unwrap(), ["F0001", "id"]);
    }

    #[test]
    fn a_heading_in_the_shop_s_own_words_is_skipped_when_the_ids_are_digits() {
        let text = "Fahrzeug-ID;Kunde\r\n987654;A\r\n111111;B\r\n";
        assert_eq!(parse(text).unwrap(), ["987654", "111111"]);
        // With a space it is no id at all, and still a heading.
        assert_eq!(
            parse("Numéro véhicule,Client\n987654,A\n").unwrap(),
            ["987654"]
        );
        // Ids with letters elsewhere: the first line is an id like the rest.
        let text = "AB-1;x\nCD-2;y\n";
        assert_eq!(parse(text).unwrap(), ["AB-1", "CD-2"]);
        // One column: no heading guessed.
        assert_eq!(parse("X1\n987654\n").unwrap(), ["X1", "987654"]);
    }

    #[test]
    fn excel_on_a_windows_pc_in_french_or_german() {
        // "CSV UTF-8 (durch Trennzeichen getrennt)": BOM, CRLF, `;`.
        let bytes = b"\xef\xbb\xbfcarAssociationID;Modell;Kunde\r\n987654;e-208;M\xc3\xbcller\r\n111111;C4;Dupont\r\n";
        assert_eq!(parse(&decode(bytes)).unwrap(), ["987654", "111111"]);
        // A BOM before a lone id, the newcomer's `bom.txt`.
        assert_eq!(
            parse(&decode(b"\xef\xbb\xbf987654\n111111\n")).unwrap(),
            ["987654", "111111"]
        );
        assert_eq!(parse("\u{feff}987654\r\n").unwrap(), ["987654"]);
        // Plain "CSV (Trennzeichen-getrennt)": Windows-1252, with Excel's
        // `sep=;` hint first; the other columns' bytes do not matter.
        let bytes = b"sep=;\r\nid;Kunde\r\n987654;M\xfcller\r\n222222;Citro\xebn\r\n";
        assert_eq!(parse(&decode(bytes)).unwrap(), ["987654", "222222"]);
        // "Unicode text": UTF-16 little-endian with its mark, tab-separated.
        let mut bytes = vec![0xff, 0xfe];
        for unit in "carAssociationID\tname\r\n333333\tx\r\n".encode_utf16() {
            bytes.extend(unit.to_le_bytes());
        }
        assert_eq!(parse(&decode(&bytes)).unwrap(), ["333333"]);
        let mut bytes = vec![0xfe, 0xff];
        for unit in "444444\n".encode_utf16() {
            bytes.extend(unit.to_be_bytes());
        }
        assert_eq!(parse(&decode(&bytes)).unwrap(), ["444444"]);
    }

    #[test]
    fn excel_for_mac_s_cr_only_line_ends_are_line_ends() {
        assert_eq!(
            parse("carAssociationID;Kunde\r987654;A\r111111;B\r").unwrap(),
            ["987654", "111111"]
        );
        assert_eq!(parse("987654\r111111\r").unwrap(), ["987654", "111111"]);
        // Line numbers count CR-only lines as a CRLF file counts its own.
        let bad = parse("987654\rnot an id\r111111").unwrap_err();
        assert_eq!(bad.named, [(2, "not an id".to_owned())]);
        let bad = parse("987654\r\nnot an id\r\n").unwrap_err();
        assert_eq!(bad.named, [(2, "not an id".to_owned())]);
    }

    #[test]
    fn a_byte_that_is_not_utf8_inside_an_id_names_its_line() {
        let bad = parse(&decode(b"987654\n98\xe97654\n")).unwrap_err();
        assert_eq!(bad.named, [(2, "98\u{fffd}7654".to_owned())]);
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
