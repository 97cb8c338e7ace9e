//! The start screen's field: what is typed or pasted, which choice is
//! picked, and what was not accepted. Its rules live here and nowhere else.

use crate::steps::{MAX_ID_CHARS, is_id_char};

/// Why some typed or pasted text did not go into the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldNotice {
    /// These characters are not part of an id (shown made visible).
    Refused(String),
    /// The field is full: an id has at most this many characters.
    TooLong(usize),
    /// Enter on something that is not an id.
    NotAnId,
    /// The gateway's answer when the id was tried (already in words).
    Gateway(String),
    /// A word for the person about the session, not the field (a note
    /// that quitting now would lose), already in words.
    Session(String),
    /// A word about the run, no fault (`demo --fresh`), already in words.
    Info(String),
    /// Enter while characters were left out: said once more, with the id
    /// as it stands, before a second Enter takes it.
    Dropped { chars: String, id: String },
    /// What was typed or pasted is a long number as Excel shows it
    /// (`9.87654E+11`, shown as typed): its last digits are lost, so no
    /// Enter takes it.
    ExcelNumber(String),
    /// Several ids pasted at once, one per line (a column copied from a
    /// spreadsheet): none is taken, the field holds one (stranger 77, BZ7).
    SeveralIds(usize),
    /// An id pasted with its label (`carAssociationID: 987654`, as copied
    /// from a ticket): the label, as pasted, left out (stranger 85, CH5).
    LabelLeftOut(String),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StartField {
    input: String,
    /// Everything typed or pasted into `input`, refused characters too:
    /// an Excel number is told by its `.` and `+`, which `input` lacks.
    typed: String,
    picked: Option<usize>,
    notice: Option<FieldNotice>,
    /// The field holds the id of the vehicle just left: typing replaces it
    /// (as a selected text would be), never appends to it.
    replace_on_type: bool,
}

impl StartField {
    /// A field holding `text` (an id going back to the start screen).
    pub fn with(text: &str) -> Self {
        let mut field = StartField::default();
        field.type_text(text);
        field.notice = None;
        field.replace_on_type = true;
        field
    }

    /// A field holding `id` with the gateway's answer under it.
    pub fn refused(id: &str, why: String) -> Self {
        let mut field = StartField::with(id);
        field.notice = Some(FieldNotice::Gateway(why));
        // The technician corrects a refused id: typing adds to it.
        field.replace_on_type = false;
        field
    }

    pub fn input(&self) -> &str {
        &self.input
    }

    /// The id shown is taken as selected: the next character typed
    /// replaces it, ⌫ edits it.
    pub fn replaces_on_type(&self) -> bool {
        self.replace_on_type && !self.input.is_empty()
    }

    pub fn picked(&self) -> Option<usize> {
        self.picked
    }

    pub fn notice(&self) -> Option<&FieldNotice> {
        self.notice.as_ref()
    }

    /// Says something that is no fault: shown until the field changes.
    pub fn inform(&mut self, words: String) {
        self.notice = Some(FieldNotice::Info(words));
    }

    /// Shows `words` under the field until the next keystroke changes it.
    pub fn say(&mut self, words: String) {
        self.notice = Some(FieldNotice::Session(words));
    }

    /// Takes pasted text, trimmed; characters an id cannot hold, and any
    /// past the limit, are left out and named.
    pub fn type_text(&mut self, text: &str) {
        let text = text.trim();
        // Lines of ids (a column pasted): never joined into one id. A
        // terminal may paste its line breaks as CR alone (stranger 81, CD7).
        let lines = text
            .split(['\r', '\n'])
            .filter(|l| !l.trim().is_empty())
            .count();
        if lines > 1 {
            self.notice = Some(FieldNotice::SeveralIds(lines));
            return;
        }
        if let Some((label, id)) = labelled(text) {
            self.take(id);
            if self.notice.is_none() {
                self.notice = Some(FieldNotice::LabelLeftOut(label));
            }
            return;
        }
        self.take(text);
    }

    /// Takes one typed character (a space too is named when refused).
    pub fn type_char(&mut self, c: char) {
        self.take(c.encode_utf8(&mut [0; 4]));
    }

    fn take(&mut self, text: &str) {
        if std::mem::take(&mut self.replace_on_type) {
            self.input.clear();
            self.typed.clear();
            self.notice = None;
        }
        // Refused characters stay named until the field is edited, so a
        // mistyped id ("98 76.54") never reads as another, valid one.
        let mut refused = match &self.notice {
            Some(FieldNotice::Refused(chars)) => chars.clone(),
            Some(FieldNotice::ExcelNumber(_)) => {
                let mut chars = String::new();
                for c in self.typed.chars().filter(|c| !is_id_char(*c)) {
                    if !chars.contains(c) {
                        chars.push(c);
                    }
                }
                chars
            }
            _ => String::new(),
        };
        self.typed.push_str(text);
        let mut too_long = false;
        for c in text.chars() {
            if !is_id_char(c) {
                if !refused.contains(c) {
                    refused.push(c);
                }
            } else if self.input.chars().count() >= MAX_ID_CHARS {
                too_long = true;
            } else {
                self.input.push(c);
            }
        }
        self.picked = None;
        let whole = self.typed.trim();
        // Only with a character no id holds: 12E-34 may be an id.
        let excel = crate::cars::excel_number(whole) && whole.contains(['+', '.', ',']);
        self.notice = if excel {
            Some(FieldNotice::ExcelNumber(crate::steps::sanitize_capped(
                whole, 24,
            )))
        } else if !refused.is_empty() {
            Some(FieldNotice::Refused(refused))
        } else if too_long {
            Some(FieldNotice::TooLong(MAX_ID_CHARS))
        } else {
            None
        };
    }

    pub fn erase(&mut self) {
        if matches!(self.notice, Some(FieldNotice::LabelLeftOut(_))) {
            self.notice = None;
        }
        // The refused characters after the last id character go with it.
        while self.typed.pop().is_some_and(|c| !is_id_char(c)) {}
        self.input.pop();
        self.picked = None;
        self.notice = None;
        self.replace_on_type = false;
    }

    /// Esc: empties the field (on an empty field it does nothing).
    pub fn clear(&mut self) {
        *self = StartField::default();
    }

    /// Puts choice `index` (of `choices`) in the field.
    pub fn pick(&mut self, index: usize, id: &str) {
        self.input = id.to_owned();
        self.typed = id.to_owned();
        self.picked = Some(index);
        self.notice = None;
        self.replace_on_type = true;
    }

    pub fn refuse(&mut self) {
        self.notice = Some(FieldNotice::NotAnId);
    }

    /// Enter with characters left out ("x/y" stands as "xy", perhaps
    /// another vehicle): held once, and the id as it stands is said; the
    /// next Enter takes it. Says whether Enter was held.
    pub fn hold_for_dropped(&mut self) -> bool {
        // An Excel number is never taken: its id is lost.
        if matches!(self.notice, Some(FieldNotice::ExcelNumber(_))) {
            return true;
        }
        let Some(FieldNotice::Refused(chars)) = &self.notice else {
            return false;
        };
        self.notice = Some(FieldNotice::Dropped {
            chars: chars.clone(),
            id: self.input.trim().to_owned(),
        });
        true
    }
}

/// A pasted `carAssociationID: 987654` (or `=`, any case, spaces in the
/// name): the label as pasted, and the id after it.
fn labelled(text: &str) -> Option<(String, &str)> {
    let at = text.find([':', '='])?;
    let (name, id) = (&text[..at + 1], text[at + 1..].trim());
    let bare: String = name[..at]
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '_' && *c != '-')
        .collect();
    (bare.eq_ignore_ascii_case("carassociationid") && !id.is_empty())
        .then(|| (crate::steps::sanitize_capped(name.trim(), 24), id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_characters_are_named_not_silently_dropped() {
        let mut field = StartField::default();
        field.type_text(concat!("..", "/x é 12"));
        assert_eq!(field.input(), "x12");
        assert_eq!(
            field.notice(),
            Some(&FieldNotice::Refused("./ é".to_owned()))
        );
    }

    #[test]
    fn typed_characters_outside_the_id_alphabet_stay_named_while_typing_goes_on() {
        let mut field = StartField::default();
        for c in "98 76.54".chars() {
            field.type_char(c);
        }
        assert_eq!(field.input(), "987654");
        assert_eq!(field.notice(), Some(&FieldNotice::Refused(" .".to_owned())));
        field.erase();
        assert_eq!(field.notice(), None);
    }

    #[test]
    fn the_id_of_the_vehicle_left_is_replaced_by_typing_not_appended_to() {
        let mut field = StartField::with("444444");
        assert_eq!(field.input(), "444444");
        for c in "111111".chars() {
            field.type_char(c);
        }
        assert_eq!(field.input(), "111111");
        // Backspace edits it instead.
        let mut field = StartField::with("444444");
        field.erase();
        field.type_char('5');
        assert_eq!(field.input(), "444445");
    }

    #[test]
    fn an_excel_number_is_named_and_never_taken() {
        for typed in ["9.87654E+11", "9,87654E+11"] {
            let mut field = StartField::default();
            field.type_text(typed);
            let named = Some(FieldNotice::ExcelNumber(typed.to_owned()));
            assert_eq!(field.notice(), named.as_ref());
            assert!(field.hold_for_dropped());
            assert!(field.hold_for_dropped(), "a second Enter holds too");
            // Typed key by key, and after a correction, the same.
            let mut field = StartField::default();
            for c in typed.replace("11", "12").chars() {
                field.type_char(c);
            }
            field.erase();
            field.type_char('1');
            assert_eq!(field.notice(), named.as_ref());
            // More typed after it: no number, its dropped characters named.
            field.type_char('x');
            assert_eq!(field.input(), "987654E11x");
            let dropped = typed.chars().filter(|c| !is_id_char(*c)).collect();
            assert_eq!(field.notice(), Some(&FieldNotice::Refused(dropped)));
        }
        // An id such as 1E5 or 12E-34 stays an id.
        for id in ["987654E11", "12E-34"] {
            let mut field = StartField::default();
            field.type_text(id);
            assert_eq!(field.notice(), None);
        }
    }

    #[test]
    fn a_long_paste_is_cut_with_a_notice() {
        let mut field = StartField::default();
        field.type_text(&"7".repeat(70));
        assert_eq!(field.input().len(), MAX_ID_CHARS);
        assert_eq!(field.notice(), Some(&FieldNotice::TooLong(MAX_ID_CHARS)));
    }

    #[test]
    fn pasted_spaces_around_an_id_are_trimmed_quietly() {
        let mut field = StartField::default();
        field.type_text("  987654 \n");
        assert_eq!(field.input(), "987654");
        assert_eq!(field.notice(), None);
    }

    /// An id pasted with its label, as copied from a ticket: the label is
    /// left out and said (stranger 85, CH5).
    #[test]
    fn an_id_pasted_with_its_label_is_taken_without_it() {
        let mut field = StartField::default();
        field.type_text("carAssociationID: 987654");
        assert_eq!(field.input(), "987654");
        assert_eq!(
            field.notice(),
            Some(&FieldNotice::LabelLeftOut("carAssociationID:".into()))
        );
        let mut field = StartField::default();
        field.type_text("Car Association ID = F0001");
        assert_eq!(field.input(), "F0001");
        // Another label is no id's: its characters are named as before.
        let mut field = StartField::default();
        field.type_text("stepsID: 132324");
        assert_eq!(field.input(), "stepsID132324");
        assert!(matches!(field.notice(), Some(FieldNotice::Refused(_))));
    }

    /// A column of ids pasted (CRLF, as a spreadsheet copies it) is never
    /// joined into one id: none is taken, and the notice counts the lines
    /// (stranger 77, BZ7).
    #[test]
    fn pasted_lines_of_ids_are_not_joined() {
        let mut field = StartField::default();
        field.type_text("F0001\r\nF0002\r\nF0003\r\n");
        assert_eq!(field.input(), "");
        assert_eq!(field.notice(), Some(&FieldNotice::SeveralIds(3)));
        assert!(!field.hold_for_dropped());
        // Line breaks pasted as CR alone (tmux's paste-buffer, some
        // terminals): the same (stranger 81, CD7).
        let mut field = StartField::default();
        field.type_text("987654\r111111\r");
        assert_eq!(field.input(), "");
        assert_eq!(field.notice(), Some(&FieldNotice::SeveralIds(2)));
    }
}
