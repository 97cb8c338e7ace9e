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
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StartField {
    input: String,
    picked: Option<usize>,
    notice: Option<FieldNotice>,
}

impl StartField {
    /// A field holding `text` (an id going back to the start screen).
    pub fn with(text: &str) -> Self {
        let mut field = StartField::default();
        field.type_text(text);
        field.notice = None;
        field
    }

    /// A field holding `id` with the gateway's answer under it.
    pub fn refused(id: &str, why: String) -> Self {
        let mut field = StartField::with(id);
        field.notice = Some(FieldNotice::Gateway(why));
        field
    }

    pub fn input(&self) -> &str {
        &self.input
    }

    pub fn picked(&self) -> Option<usize> {
        self.picked
    }

    pub fn notice(&self) -> Option<&FieldNotice> {
        self.notice.as_ref()
    }

    /// Takes typed or pasted text: pasted text is trimmed; characters an id
    /// cannot hold, and any past the limit, are left out and named.
    pub fn type_text(&mut self, text: &str) {
        let mut refused = String::new();
        let mut too_long = false;
        for c in text.trim().chars() {
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
        self.notice = if !refused.is_empty() {
            Some(FieldNotice::Refused(refused))
        } else if too_long {
            Some(FieldNotice::TooLong(MAX_ID_CHARS))
        } else {
            None
        };
    }

    pub fn erase(&mut self) {
        self.input.pop();
        self.picked = None;
        self.notice = None;
    }

    /// Esc: empties the field (on an empty field it does nothing).
    pub fn clear(&mut self) {
        *self = StartField::default();
    }

    /// Puts choice `index` (of `choices`) in the field.
    pub fn pick(&mut self, index: usize, id: &str) {
        self.input = id.to_owned();
        self.picked = Some(index);
        self.notice = None;
    }

    pub fn refuse(&mut self) {
        self.notice = Some(FieldNotice::NotAnId);
    }
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
}
