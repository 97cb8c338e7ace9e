//! A list of carAssociationIDs for the board or for `steps`: one id per
//! line with `#` comments, or a CSV whose id is the first column, or the
//! column its header row names (the header is skipped): `carAssociationID`,
//! `id`, or a vehicle's id in a shop's words in any of stepwise's
//! languages. Under a heading in other words, the one column that holds
//! ids; with none or several, the file is refused with how to name the
//! column. Files made
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

/// A vehicle, in the words a shop's spreadsheet heads a column with.
const VEHICLE: [&str; 11] = [
    "vehicle", "car", "fahrzeug", "vehicule", "veicolo", "vehiculo", "veiculo", "voertuig", "auto",
    "kfz", "wagen",
];
/// An id or a number, the same way ("Nr.", "N°", "Nummer", "numéro").
const NUMBER: [&str; 8] = ["id", "no", "nr", "n", "num", "number", "nummer", "numero"];
/// The small words between them ("ID del veicolo", "numéro de véhicule").
const LINKS: [&str; 8] = ["", "de", "del", "do", "du", "da", "des", "van"];

/// Headings of columns that hold a vehicle's other numbers (its VIN, its
/// licence plate), never its carAssociationID, however id-like they look.
const NOT_IDS: [&str; 16] = [
    "vin",
    "fin",
    "fahrgestellnummer",
    "chassis",
    "chassisnummer",
    "kennzeichen",
    "plate",
    "licenseplate",
    "licenceplate",
    "registration",
    "immatriculation",
    "plaque",
    "targa",
    "matricula",
    "placa",
    "kenteken",
];

/// A heading, as its letters and digits in lower case without accents
/// (`N° véhicule` is `nvehicule`).
fn folded(field: &str) -> String {
    field
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'õ' | 'ö' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            c => c,
        })
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

/// How well a header field names the id column, best first: 0 the
/// contract's `carAssociationID` (any case, spaces or `_`); 1 a vehicle's
/// id or number in a shop's words, in any of stepwise's languages
/// (`Vehicle ID`, `Fahrzeug-ID`, `Fahrzeugnr.`, `N° véhicule`, `ID del
/// veicolo`, `Voertuignummer`); 2 `id`; 3 a vehicle (`car`, `Fahrzeug`,
/// `véhicule`); `None` for any other (`Kunde`, `Customer ID`, `VIN`).
fn header_rank(field: &str) -> Option<u8> {
    let name = folded(field);
    let joined = |a: &str, link: &str, b: &str| name == format!("{a}{link}{b}");
    let vehicle_number = VEHICLE.iter().any(|v| {
        NUMBER.iter().any(|n| {
            LINKS
                .iter()
                .any(|link| joined(v, link, n) || joined(n, link, v))
        })
    });
    if name == "carassociationid" || name == "associationid" {
        Some(0)
    } else if vehicle_number {
        Some(1)
    } else if name == "id" {
        Some(2)
    } else if VEHICLE.contains(&name.as_str()) {
        Some(3)
    } else {
        None
    }
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

/// A field that is a number (`987654`): a row holding one is data.
fn number(field: &str) -> bool {
    !field.is_empty() && field.chars().all(|c| c.is_ascii_digit())
}

/// The column a header row names as the ids' (the best-named one). A row
/// with a number in it is data ("987654;Car"), not a header.
fn id_column(fields: &[&str]) -> Option<usize> {
    if fields.iter().any(|f| number(f)) {
        return None;
    }
    fields
        .iter()
        .enumerate()
        .filter_map(|(i, f)| header_rank(f).map(|rank| (rank, i)))
        .min()
        .map(|(_, i)| i)
}

/// The ids' column under the first row of a file of several columns.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Column {
    /// The first row names it (and is skipped), or is data and the ids
    /// are the first column.
    Named(usize),
    /// The first row is a heading in words stepwise does not know; the
    /// one column whose every value below is an id holds them.
    Under(usize),
    /// Such a heading, and no column or several that could hold the ids
    /// (a column headed as a VIN or a licence plate never could):
    /// the file is refused rather than a wrong column sent.
    Unknown { heading: String, candidates: usize },
}

/// The lines of a file that hold content: no comment, no blank line, no
/// Excel `sep=` hint first.
fn content(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| {
            let l = l.split('#').next().unwrap_or_default();
            (i + 1, l.trim_start_matches(BOM))
        })
        .filter(|(_, l)| !l.trim().is_empty())
        .enumerate()
        .filter(|(n, (_, l))| *n > 0 || !l.trim().to_ascii_lowercase().starts_with("sep="))
        .map(|(_, line)| line)
}

/// Where the ids are, from the first row and the rows below it. A first
/// row of several columns is a heading when it holds no number and either
/// a field that is no id at all (`Customer name`) or a field without a
/// digit above a column whose every value has one (`Kunde` above
/// `10023`, `Nummer` above `VIN-A1`).
fn find_column(text: &str) -> Option<Column> {
    let mut rows = content(text);
    let (_, first) = rows.next()?;
    let header = fields(first);
    if let Some(named) = id_column(&header) {
        return Some(Column::Named(named));
    }
    // One column headed by what never holds the ids (a VIN, a plate):
    // refused, never its heading and values sent as ids (stranger 74,
    // BW10).
    if let [only] = header[..]
        && NOT_IDS.contains(&folded(only).as_str())
    {
        return Some(Column::Unknown {
            heading: crate::steps::sanitize_capped(first.trim(), 60),
            candidates: 0,
        });
    }
    if header.len() < 2 || header.iter().any(|f| number(f)) {
        return None;
    }
    let data: Vec<Vec<&str>> = rows.map(|(_, l)| fields(l)).collect();
    let below = |col: usize| data.iter().filter_map(move |r| r.get(col).copied());
    let digit = |f: &str| f.chars().any(|c| c.is_ascii_digit());
    // A cell left empty (a customer without a vehicle yet) says nothing
    // of its column; a column needs one value at least.
    let filled = |col: usize| below(col).filter(|f| !f.is_empty()).collect::<Vec<_>>();
    let over_digits = |col: usize| {
        let values = filled(col);
        !digit(header[col]) && !values.is_empty() && values.iter().all(|f| digit(f))
    };
    let heading =
        header.iter().any(|f| !f.is_empty() && !is_id(f)) || (0..header.len()).any(over_digits);
    if !heading {
        return None;
    }
    let holds_ids = |col: usize| {
        let values = filled(col);
        !NOT_IDS.contains(&folded(header[col]).as_str())
            && !values.is_empty()
            && values
                .iter()
                .all(|f| (is_id(f) && digit(f)) || excel_number(f))
    };

    let candidates: Vec<usize> = (0..header.len()).filter(|c| holds_ids(*c)).collect();
    match candidates[..] {
        [one] => Some(Column::Under(one)),
        _ => Some(Column::Unknown {
            heading: crate::steps::sanitize_capped(first.trim(), 60),
            candidates: candidates.len(),
        }),
    }
}

/// Why an ids file gives no list: bad lines, or a heading that does not
/// say which of several columns holds the ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdsError {
    /// Lines that hold no carAssociationID.
    Lines(BadIds),
    /// The first row is a heading in words stepwise does not know, and
    /// `candidates` columns below (none, or several) could hold the ids.
    Heading { heading: String, candidates: usize },
}

impl IdsError {
    /// One line saying what is wrong and what to do.
    pub fn words(&self, lang: Lang) -> String {
        match self {
            Self::Lines(bad) => bad.words(lang),
            Self::Heading {
                heading,
                candidates: 0,
            } => tr!(lang, "cars-heading-no-ids", heading = heading.clone()),
            Self::Heading {
                heading,
                candidates,
            } => tr!(
                lang,
                "cars-heading-ambiguous",
                heading = heading.clone(),
                count = num(*candidates)
            ),
        }
    }
}

/// A file of one line that holds several values split by `,` or `;` (a
/// list typed on one line): how many. Only the first is read as the id,
/// which the caller says.
pub fn one_line_values(text: &str) -> Option<usize> {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut rows = content(&text);
    let (_, line) = rows.next()?;
    if rows.next().is_some() {
        return None;
    }
    let values = fields(line)
        .into_iter()
        .filter(|f| !f.trim().is_empty())
        .count();
    (values > 1).then_some(values)
}

/// The column read under a heading in other words (no id column named):
/// its number (from 1) and heading, said so a wrong guess shows
/// (stranger 74, BW3).
pub fn column_guessed(text: &str) -> Option<(usize, String)> {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let Some(Column::Under(column)) = find_column(&text) else {
        return None;
    };
    let (_, first) = content(&text).next()?;
    let name = fields(first).get(column).copied().unwrap_or_default();
    Some((column + 1, crate::steps::sanitize_capped(name, 40)))
}

/// Whether every line of `text` holds one value at most (an ids file of
/// one column, whatever its indentation).
fn one_value_a_line(text: &str) -> bool {
    content(text).all(|(_, line)| fields(line).iter().filter(|f| !f.is_empty()).count() <= 1)
}

/// The lines (numbered from 1) of a file with a named ids column whose
/// row holds other values but no id in that column: skipped, and said.
pub fn rows_without_id(text: &str) -> Vec<usize> {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    // With no heading, the first column; a file of one value a line has no
    // row without its id (an indented id is read: stranger 74, BW2).
    let (column, heading) = match find_column(&text) {
        Some(Column::Named(column) | Column::Under(column)) => (column, 1),
        None if !one_value_a_line(&text) => (0, 0),
        _ => return Vec::new(),
    };
    content(&text)
        .skip(heading)
        .filter(|(_, line)| {
            let fields = fields(line);
            fields.get(column).is_none_or(|id| id.is_empty())
                && fields.iter().any(|f| !f.trim().is_empty())
        })
        .map(|(number, _)| number)
        .collect()
}

/// The ids of `text`, in order (one given twice stays twice: the caller
/// says so); or why there are none.
pub fn parse(text: &str) -> Result<Vec<String>, IdsError> {
    // Excel for Mac's "CSV (Macintosh)" ends its lines with CR alone.
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    // The ids' column: the first, or the one the header row names.
    let (column, heading) = match find_column(&text) {
        Some(Column::Named(column) | Column::Under(column)) => (column, true),
        Some(Column::Unknown {
            heading,
            candidates,
        }) => {
            return Err(IdsError::Heading {
                heading,
                candidates,
            });
        }
        None => (0, false),
    };
    // One value a line, however indented (a tab before an id is no empty
    // first column: stranger 74, BW2).
    let lone = !heading && one_value_a_line(&text);
    let mut ids: Vec<String> = Vec::new();
    let mut bad: Vec<(usize, String)> = Vec::new();
    // A bad line held a number as Excel writes it.
    let mut excel = false;
    let mut excel_line = |bad: &mut Vec<(usize, String)>, number: usize, text: &str| {
        bad.push((number, crate::steps::sanitize_capped(text, 24)));
        excel = true;
    };
    for (number, line) in content(&text).skip(usize::from(heading)) {
        // A long number Excel wrote its own way (9,87654E+11): never cut
        // at its comma into another vehicle's id.
        let whole = line.trim().trim_matches('"');
        if excel_number(whole) {
            excel_line(&mut bad, number, whole);
            continue;
        }
        let fields = fields(line);
        let id = if lone {
            fields
                .iter()
                .copied()
                .find(|f| !f.is_empty())
                .unwrap_or_default()
        } else {
            fields.get(column).copied().unwrap_or_default()
        };
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
            excel_line(&mut bad, number, &number_text);
        } else if excel_number(id) {
            excel_line(&mut bad, number, id);
        } else if !is_id(id) {
            bad.push((number, crate::steps::sanitize_capped(id, 24)));
        } else {
            ids.push(id.to_owned());
        }
    }
    if bad.is_empty() {
        return Ok(ids);
    }
    let more = bad.len().saturating_sub(NAMED);
    bad.truncate(NAMED);
    Err(IdsError::Lines(BadIds {
        named: bad,
        more,
        excel,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bad lines of a file that has some.
    fn bad_lines(text: &str) -> BadIds {
        match parse(text) {
            Err(IdsError::Lines(bad)) => bad,
            other => panic!("{text:?}: {other:?}"),
        }
    }

    /// A row under a named ids column with other values but no id is
    /// named by its line (stranger 43, AR16); a blank line is not.
    #[test]
    fn rows_without_an_id_under_a_named_column_are_named() {
        let text = "carAssociationID,VIN\nC0001,WVW123\n,WVW999\n\nC0002,\n";
        assert_eq!(parse(text).unwrap(), ["C0001", "C0002"]);
        assert_eq!(rows_without_id(text), [3]);
        assert!(rows_without_id("C0001\n\nC0002\n").is_empty());
        // With no heading, the first column's empty cells are said too;
        // an indented id in a file of one value a line is read, never
        // dropped (stranger 74, BW2).
        assert_eq!(rows_without_id("AB-1;x\n;y\nCD-2;z\n"), [2]);
        assert_eq!(
            parse("CAR001\n\tCAR002\nCAR003\n").unwrap(),
            ["CAR001", "CAR002", "CAR003"]
        );
        assert_eq!(
            parse("  CAR001  \n\tCAR002\n").unwrap(),
            ["CAR001", "CAR002"]
        );
        assert!(rows_without_id("CAR001\n\tCAR002\n").is_empty());
    }

    #[test]
    fn one_per_line_with_comments_and_blank_lines() {
        let text = "# the morning's deliveries\nF0001\n\n  F0002  # silver estate\nF0001\n";
        // Twice stays twice: the caller says it asks once.
        assert_eq!(parse(text).unwrap(), ["F0001", "F0002", "F0001"]);
        assert_eq!(one_line_values(text), None);
        assert_eq!(one_line_values("G7,G8,G9\n"), Some(3));
        assert_eq!(one_line_values("G7; G8\r\n"), Some(2));
        assert_eq!(one_line_values("G7\n"), None);
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
            let bad = bad_lines(text);
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

    /// A heading in a shop's own words names the ids' column in any of
    /// stepwise's languages, wherever it stands and whatever the ids look
    /// like: the customer's number beside it is never sent, nor the
    /// heading itself.
    #[test]
    fn the_shop_s_words_for_a_vehicle_s_id_name_the_column() {
        for (text, want) in [
            (
                "Customer,Vehicle ID\n10023,987654\n10024,222222\n",
                ["987654", "222222"],
            ),
            (
                "Kundennr;Fahrzeug-ID\n10023;VIN-A1\n10024;VIN-B2\n",
                ["VIN-A1", "VIN-B2"],
            ),
            (
                "Fahrzeug-ID;Kunde\nVIN-A1;Meier\nVIN-B2;Smith\n",
                ["VIN-A1", "VIN-B2"],
            ),
            (
                "Fahrzeugnr.;Kundennr.\n987654;10023\n222222;10024\n",
                ["987654", "222222"],
            ),
            (
                "Client;N\u{b0} v\u{e9}hicule\nDupont;AB-12\nMartin;CD-34\n",
                ["AB-12", "CD-34"],
            ),
            (
                "Cliente;ID del veicolo\n10023;F0001\n10024;F0002\n",
                ["F0001", "F0002"],
            ),
            (
                "Cliente;N\u{fa}mero do ve\u{ed}culo\n1;987654\n2;222222\n",
                ["987654", "222222"],
            ),
            (
                "Klant;Voertuignummer\nJansen;987654\nDe Vries;222222\n",
                ["987654", "222222"],
            ),
            ("Fahrzeug-ID\nVIN-A1\nVIN-B2\n", ["VIN-A1", "VIN-B2"]),
        ] {
            assert_eq!(parse(text).unwrap(), want, "{text:?}");
        }
        // A customer's id or a VIN is not the vehicle's carAssociationID.
        for other in ["Customer ID", "Kunden-ID", "VIN", "Kundennummer"] {
            assert_eq!(header_rank(other), None, "{other}");
        }
    }

    /// A heading in words stepwise does not know: the one column whose
    /// every value is an id holds them; with none or several the file is
    /// refused with words that say how to name the column, never a guess.
    #[test]
    fn a_heading_of_unknown_words_over_several_possible_columns_is_refused() {
        assert_eq!(
            parse("Kunde;Kennung\nM\u{fc}ller;987654\nSmith;222222\n").unwrap(),
            ["987654", "222222"]
        );
        assert_eq!(
            parse("Kennung;Kunde\n987654;M\u{fc}ller\n").unwrap(),
            ["987654"]
        );
        // A customer number and the vehicle's id: two columns could.
        let err = parse("Kundennummer;Kennung\n10023;987654\n10024;222222\n").unwrap_err();
        assert_eq!(
            err,
            IdsError::Heading {
                heading: "Kundennummer;Kennung".to_owned(),
                candidates: 2
            }
        );
        let words = err.words(Lang::En);
        assert!(
            words.contains("\"Kundennummer;Kennung\" does not say which column"),
            "{words}"
        );
        assert!(words.contains("2 columns below could"), "{words}");
        assert!(
            words.contains("Head the ids' column carAssociationID"),
            "{words}"
        );
        // Names above numbers, none of them an id.
        let err = parse("Name;Telefon\nSmith;+49 612 3\n").unwrap_err();
        assert!(
            matches!(err, IdsError::Heading { candidates: 0, .. }),
            "{err:?}"
        );
        assert!(
            err.words(Lang::En)
                .contains("no column below holds ids only")
        );
        for lang in Lang::ALL {
            let words = err.words(*lang);
            assert_eq!(words.lines().count(), 1, "{lang}");
            assert!(
                words.contains("Name;Telefon") && words.contains("carAssociationID"),
                "{words}"
            );
        }
        // A cell left empty in the ids' column (a customer without a
        // vehicle yet): that row is skipped, the column still found; the
        // heading and the names never read as ids.
        assert_eq!(
            parse("Kunde;Kennung\nMueller;987654\nSchmidt;\n").unwrap(),
            ["987654"]
        );
        assert_eq!(
            parse("Kunde;Kennung\nM\u{fc}ller;987654\nSchmidt;\nMeier;111111\n").unwrap(),
            ["987654", "111111"]
        );
        // A VIN or a licence plate is no carAssociationID, however like one;
        // in a column of its own too (stranger 74, BW10).
        for text in [
            "VIN;Kunde\nWVWZZZ1JZXW000001;Meier\n",
            "Kennzeichen;Kunde\nB-AB-123;Meier\n",
            "VIN\nWVWZZZ1JZXW000001\n",
            "Kennzeichen\nB-AB-123\n",
        ] {
            let err = parse(text).unwrap_err();
            assert!(
                matches!(err, IdsError::Heading { candidates: 0, .. }),
                "{err:?}"
            );
        }
        let err = parse("Kunde;Kennzeichen;Kennung\nMeier;B-AB-123;987654\n");
        assert_eq!(err.unwrap(), ["987654"]);
        // No heading: the first column, as ever.
        assert_eq!(parse("AB-1;x\nCD-2;y\n").unwrap(), ["AB-1", "CD-2"]);
        assert_eq!(parse("Smith;VIN-A1\n").unwrap(), ["Smith"]);
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
        let bad = bad_lines("987654\rnot an id\r111111");
        assert_eq!(bad.named, [(2, "not an id".to_owned())]);
        let bad = bad_lines("987654\r\nnot an id\r\n");
        assert_eq!(bad.named, [(2, "not an id".to_owned())]);
    }

    #[test]
    fn a_byte_that_is_not_utf8_inside_an_id_names_its_line() {
        let bad = bad_lines(&decode(b"987654\n98\xe97654\n"));
        assert_eq!(bad.named, [(2, "98\u{fffd}7654".to_owned())]);
    }

    #[test]
    fn bad_ids_are_named_with_their_lines() {
        let bad = bad_lines("F0001\nnot an id\nF0002\nx!y,z\n");
        assert_eq!(
            bad.named,
            [(2, "not an id".to_owned()), (4, "x!y".to_owned())]
        );
        let err = bad.words(Lang::En);
        assert!(err.contains("line 2 \"not an id\""), "{err}");
        assert!(err.contains("line 4 \"x!y\""), "{err}");
        assert!(err.contains("Fix or remove those lines"), "{err}");
        let many: String = (0..9).map(|i| format!("bad id {i}\n")).collect();
        let bad = bad_lines(&many);
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
