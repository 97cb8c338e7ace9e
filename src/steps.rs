//! Domain rules of the service activation steps: status, ordering, the next
//! step, the status filter, and the sanitising of every text from the network.

use std::fmt;

use serde::Serialize;

/// The SDK's name of the first step; the older documentation says `trustedPhone`.
pub const TRUSTED_PHONE: &str = "trusterPhoneNumber";
pub const DEVICE_ACTIVATION: &str = "deviceActivation";
pub const CAR_KEY: &str = "mediumCarKey";

/// Longest text kept from the network, in characters: a name or a message
/// longer than this is a broken or hostile gateway, not something to draw.
pub const MAX_TEXT_CHARS: usize = 200;

/// Longest id (carAssociationID or stepsID) the tool takes.
pub const MAX_ID_CHARS: usize = 64;

/// A character an id may hold: ASCII letters, digits, `-` and `_`.
pub fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// The stepsIDs that came for more than one vehicle, each with those
/// vehicles' carAssociationIDs (given once each), in the order first seen.
/// A stepsID belongs to one vehicle and device: lists that share one were
/// mixed up on the way (a cache that ignores the query, say).
pub fn shared_steps_ids<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Vec<(&'a str, Vec<&'a str>)> {
    let mut seen = std::collections::HashMap::new();
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for (car, id) in pairs {
        let at = *seen.entry(id).or_insert_with(|| {
            groups.push((id, Vec::new()));
            groups.len() - 1
        });
        groups[at].1.push(car);
    }
    groups.retain(|(_, cars)| cars.len() > 1);
    groups
}

/// The one id rule: 1 to [`MAX_ID_CHARS`] characters of [`is_id_char`].
pub fn is_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_ID_CHARS && id.chars().all(is_id_char)
}

/// The status of one step. Anything the contract does not know is kept raw and
/// never counts as done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Todo,
    AlreadyDone,
    Other(String),
}

impl Status {
    /// Reads a wire status; spelling is matched without regard to case.
    pub fn parse(raw: &str) -> Self {
        match raw.to_ascii_lowercase().as_str() {
            "todo" => Status::Todo,
            "alreadydone" => Status::AlreadyDone,
            _ => Status::Other(sanitize(raw)),
        }
    }

    /// The SDK's own spelling.
    pub fn as_wire(&self) -> &str {
        match self {
            Status::Todo => "todo",
            Status::AlreadyDone => "alreadyDone",
            Status::Other(raw) => raw,
        }
    }

    pub fn is_done(&self) -> bool {
        *self == Status::AlreadyDone
    }

    /// The badge shown beside a step: status is never told by colour alone.
    pub fn badge(&self) -> &'static str {
        match self {
            Status::Todo => "TODO",
            Status::AlreadyDone => "DONE",
            Status::Other(_) => "????",
        }
    }

    /// The badge in `lang`, padded to the widest of the language's badges
    /// so that the columns after it line up (`[DONE]`, `[À FAIRE]`). The
    /// wire value stays in `--json`.
    pub fn badge_in(&self, lang: crate::text::Lang) -> String {
        let word = |status: &Status| match status {
            Status::Todo => crate::tr!(lang, "badge-todo"),
            Status::AlreadyDone => crate::tr!(lang, "badge-done"),
            Status::Other(_) => crate::tr!(lang, "badge-unknown"),
        };
        let own = format!("[{}]", word(self));
        let width = badge_width(lang);
        format!(
            "{own}{}",
            " ".repeat(width.saturating_sub(own.chars().count()))
        )
    }
}

impl Serialize for Status {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_wire())
    }
}

/// One security step, its name already sanitised and aliases resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    pub name: String,
    pub status: Status,
    /// `None` when the gateway gave no usable order: such steps sort last.
    pub order: Option<i64>,
}

impl Step {
    pub fn new(name: &str, status: Status, order: Option<i64>) -> Self {
        Step {
            name: canonical_name(name),
            status,
            order,
        }
    }
}

/// Sanitises a step name and resolves the `trustedPhone` alias.
pub fn canonical_name(raw: &str) -> String {
    let clean = sanitize(raw);
    if clean == "trustedPhone" {
        TRUSTED_PHONE.to_owned()
    } else {
        clean
    }
}

/// A list of steps as the gateway returned it, sorted by `order` (ties by name).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StepsList {
    #[serde(rename = "stepsID")]
    pub steps_id: Option<String>,
    pub steps: Vec<Step>,
}

impl StepsList {
    pub fn new(steps_id: Option<String>, mut steps: Vec<Step>) -> Self {
        sort_steps(&mut steps);
        StepsList { steps_id, steps }
    }

    /// The next step to do: the first not done by order. A step of unknown
    /// status blocks like a `todo` one, since it is never taken as done.
    pub fn next_index(&self) -> Option<usize> {
        self.steps.iter().position(|s| !s.status.is_done())
    }

    pub fn next(&self) -> Option<&Step> {
        self.next_index().map(|i| &self.steps[i])
    }

    pub fn done_count(&self) -> usize {
        self.steps.iter().filter(|s| s.status.is_done()).count()
    }

    /// True when something returned still needs doing.
    pub fn has_pending(&self) -> bool {
        self.next_index().is_some()
    }

    /// Every returned step is done and there was at least one.
    pub fn all_done(&self) -> bool {
        !self.steps.is_empty() && !self.has_pending()
    }

    /// The steps `filter` admits, as a list of their own.
    pub fn filtered(&self, filter: StatusFilter) -> StepsList {
        StepsList {
            steps_id: self.steps_id.clone(),
            steps: self
                .steps
                .iter()
                .filter(|s| filter.admits(&s.status))
                .cloned()
                .collect(),
        }
    }

    pub fn find(&self, name: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.name == name)
    }
}

/// How a row of the steps list is marked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// The step to do now.
    Next,
    /// A step to do after NEXT (whose order is given when it has one).
    Waits {
        for_order: Option<i64>,
    },
    None,
}

/// One row of the steps list, as the wizard and the plain checklist show it:
/// NEXT and "waits" are decided here and nowhere else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row<'a> {
    pub step: &'a Step,
    /// The order as text (`-` when the gateway gave none).
    pub order: String,
    pub mark: Mark,
}

/// The rows of `list`, NEXT being the step named `next` (the whole list's
/// next step: a filtered list may not hold it).
pub fn rows_with_next<'a>(list: &'a StepsList, next: Option<&str>) -> Vec<Row<'a>> {
    let next_index = next.and_then(|name| list.steps.iter().position(|s| s.name == name));
    let next_order = next_index.and_then(|i| list.steps[i].order);
    list.steps
        .iter()
        .enumerate()
        .map(|(i, step)| Row {
            step,
            order: step.order.map_or_else(|| "-".to_owned(), |o| o.to_string()),
            mark: match next_index {
                Some(n) if n == i => Mark::Next,
                // A step of the same order as NEXT (the contract lets
                // orders tie) waits for none of them: NEXT is only the
                // first by name (stranger 75, BX2).
                Some(n) if n < i && !step.status.is_done() && step.order != next_order => {
                    Mark::Waits {
                        for_order: next_order,
                    }
                }
                _ => Mark::None,
            },
        })
        .collect()
}

/// The rows of a list on its own: NEXT is its first step not done.
pub fn rows(list: &StepsList) -> Vec<Row<'_>> {
    rows_with_next(list, list.next().map(|s| s.name.as_str()))
}

/// Column widths of rows, in characters, given each row's title.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Columns {
    pub order: usize,
    pub title: usize,
    pub name: usize,
}

impl Columns {
    pub fn of<'a>(rows: &[Row<'_>], titles: impl IntoIterator<Item = &'a str>) -> Self {
        Columns {
            order: rows
                .iter()
                .map(|r| r.order.chars().count())
                .max()
                .unwrap_or(1),
            title: titles
                .into_iter()
                .map(|t| t.chars().count())
                .max()
                .unwrap_or(0),
            name: rows
                .iter()
                .map(|r| r.step.name.chars().count())
                .max()
                .unwrap_or(0),
        }
    }
}

/// Orders steps by `order`, then by name; steps without an order go last.
pub fn sort_steps(steps: &mut [Step]) {
    steps.sort_by(|a, b| {
        let key = |s: &Step| (s.order.is_none(), s.order.unwrap_or(0));
        key(a).cmp(&key(b)).then_with(|| a.name.cmp(&b.name))
    });
}

/// The `stepsStatus` filter of the list calls.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StatusFilter {
    #[default]
    All,
    Todo,
    AlreadyDone,
}

impl StatusFilter {
    pub fn as_wire(self) -> &'static str {
        match self {
            StatusFilter::All => "all",
            StatusFilter::Todo => "todo",
            StatusFilter::AlreadyDone => "alreadyDone",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "all" => Some(StatusFilter::All),
            "todo" => Some(StatusFilter::Todo),
            "alreadyDone" => Some(StatusFilter::AlreadyDone),
            _ => None,
        }
    }

    /// all → todo → alreadyDone → all, as `f` cycles it in the wizard.
    pub fn cycle(self) -> Self {
        match self {
            StatusFilter::All => StatusFilter::Todo,
            StatusFilter::Todo => StatusFilter::AlreadyDone,
            StatusFilter::AlreadyDone => StatusFilter::All,
        }
    }

    /// Whether a step of `status` is one this filter shows: `todo` shows
    /// every step not done (a status outside the contract counts as not
    /// done, as everywhere), `alreadyDone` the done ones.
    pub fn admits(self, status: &Status) -> bool {
        match self {
            StatusFilter::All => true,
            StatusFilter::Todo => *status != Status::AlreadyDone,
            StatusFilter::AlreadyDone => *status == Status::AlreadyDone,
        }
    }

    /// Whether a step of `status` in an answer to this filter says the
    /// gateway did not apply it: a step of the contract's other status. A
    /// status outside the contract says nothing of the filter (a gateway
    /// may spell its own words), and is shown raw.
    /// The status a gateway that ignored this filter sends beside it.
    pub fn contrary(self) -> &'static str {
        match self {
            StatusFilter::All => "",
            StatusFilter::Todo => StatusFilter::AlreadyDone.as_wire(),
            StatusFilter::AlreadyDone => StatusFilter::Todo.as_wire(),
        }
    }

    pub fn contradicts(self, status: &Status) -> bool {
        match self {
            StatusFilter::All => false,
            StatusFilter::Todo => *status == Status::AlreadyDone,
            StatusFilter::AlreadyDone => *status == Status::Todo,
        }
    }
}

impl fmt::Display for StatusFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_wire())
    }
}

/// Makes a text from the network safe to draw: escape sequences are stripped,
/// control and Unicode format characters (bidi overrides, zero-width marks)
/// removed, whitespace runs folded to one space, and the length capped.
pub fn sanitize(raw: &str) -> String {
    sanitize_capped(raw, MAX_TEXT_CHARS)
}

/// [`sanitize`] with an explicit cap in characters (an ellipsis marks a cut).
pub fn sanitize_capped(raw: &str, max_chars: usize) -> String {
    let stripped = strip_ansi_escapes::strip_str(raw);
    let mut out = String::with_capacity(stripped.len().min(max_chars * 4));
    let mut count = 0;
    let mut pending_space = false;
    for c in stripped.chars() {
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if c.is_control() || is_format_char(c) {
            continue;
        }
        let needed = usize::from(pending_space) + 1;
        if count + needed > max_chars {
            out.push('…');
            return out;
        }
        if pending_space {
            out.push(' ');
            count += 1;
            pending_space = false;
        }
        out.push(c);
        count += 1;
    }
    out
}

/// Unicode general category Cf (format characters), which can reorder or hide
/// text on a terminal, plus the non-characters of the specials block.
fn is_format_char(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x0600..=0x0605 | 0x061C | 0x06DD | 0x070F | 0x0890..=0x0891 | 0x08E2
        | 0x180E | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F
        | 0xFEFF | 0xFFF9..=0xFFFB | 0x110BD | 0x110CD | 0x13430..=0x1343F
        | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A | 0xE0001 | 0xE0020..=0xE007F)
}

/// The width, in characters, of the widest badge of `lang`, brackets
/// included.
pub fn badge_width(lang: crate::text::Lang) -> usize {
    ["badge-todo", "badge-done", "badge-unknown"]
        .iter()
        .map(|id| crate::text::message(lang, id, None).chars().count() + 2)
        .max()
        .unwrap_or(6)
}

/// A step's name as a small mark (FNV-1a), for the wizard's check of the gateway's next step.
pub fn name_mark(name: &str) -> std::num::NonZeroU32 {
    let hash = name.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    std::num::NonZeroU32::new(hash).unwrap_or(std::num::NonZeroU32::MIN)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_steps_id_that_came_for_several_vehicles_is_found() {
        let pairs = [
            ("A1", "7"),
            ("B2", "8"),
            ("C3", "7"),
            ("D4", "9"),
            ("E5", "7"),
        ];
        assert_eq!(
            super::shared_steps_ids(pairs),
            vec![("7", vec!["A1", "C3", "E5"])]
        );
        assert!(super::shared_steps_ids([("A1", "7"), ("B2", "8")]).is_empty());
    }

    use super::*;

    fn step(name: &str, status: Status, order: Option<i64>) -> Step {
        Step::new(name, status, order)
    }

    /// Steps that tie on order with NEXT wait for none of each other:
    /// only the steps of a later order wait (stranger 75, BX2).
    #[test]
    fn a_step_tied_with_next_does_not_wait_for_it() {
        let list = StepsList::new(
            Some("1".into()),
            vec![
                step("b", Status::Todo, Some(2)),
                step("a", Status::Todo, Some(2)),
                step("c", Status::Todo, Some(3)),
            ],
        );
        let marks: Vec<_> = rows(&list)
            .iter()
            .map(|r| (r.step.name.clone(), r.mark))
            .collect();
        assert_eq!(
            marks,
            [
                ("a".to_owned(), Mark::Next),
                ("b".to_owned(), Mark::None),
                ("c".to_owned(), Mark::Waits { for_order: Some(2) }),
            ]
        );
    }

    #[test]
    fn sorts_by_order_then_name_with_missing_orders_last() {
        let list = StepsList::new(
            None,
            vec![
                step("c", Status::Todo, None),
                step("b", Status::Todo, Some(7)),
                step("a", Status::Todo, Some(7)),
                step("z", Status::Todo, Some(-2)),
            ],
        );
        let names: Vec<_> = list.steps.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["z", "a", "b", "c"]);
    }

    #[test]
    fn next_is_first_not_done_by_order() {
        let list = StepsList::new(
            Some("1".into()),
            vec![
                step(CAR_KEY, Status::Todo, Some(3)),
                step(TRUSTED_PHONE, Status::AlreadyDone, Some(1)),
                step(DEVICE_ACTIVATION, Status::Todo, Some(2)),
            ],
        );
        assert_eq!(
            list.next().map(|s| s.name.as_str()),
            Some(DEVICE_ACTIVATION)
        );
        assert_eq!(list.done_count(), 1);
        assert!(!list.all_done());
    }

    #[test]
    fn unknown_status_is_never_done() {
        let list = StepsList::new(None, vec![step("x", Status::parse("pending"), Some(1))]);
        assert_eq!(list.next_index(), Some(0));
        assert!(!list.all_done());
        assert_eq!(list.steps[0].status.badge(), "????");
    }

    #[test]
    fn empty_list_is_not_all_done() {
        assert!(!StepsList::default().all_done());
        assert!(!StepsList::default().has_pending());
    }

    #[test]
    fn alias_resolves_to_the_contract_name() {
        assert_eq!(canonical_name("trustedPhone"), TRUSTED_PHONE);
        assert_eq!(
            Step::new("trustedPhone", Status::Todo, Some(1)).name,
            TRUSTED_PHONE
        );
    }

    #[test]
    fn filter_cycles_and_admits() {
        assert_eq!(StatusFilter::All.cycle().cycle().cycle(), StatusFilter::All);
        assert!(StatusFilter::Todo.admits(&Status::Todo));
        assert!(!StatusFilter::Todo.admits(&Status::AlreadyDone));
        assert!(!StatusFilter::AlreadyDone.admits(&Status::Other("x".into())));
        // A status outside the contract is not done, and proves nothing
        // of the filter (stranger 46, AU2).
        let pending = Status::Other("pending".into());
        assert!(StatusFilter::Todo.admits(&pending));
        assert!(!StatusFilter::Todo.contradicts(&pending));
        assert!(!StatusFilter::AlreadyDone.contradicts(&pending));
        assert!(StatusFilter::Todo.contradicts(&Status::AlreadyDone));
        assert!(StatusFilter::AlreadyDone.contradicts(&Status::Todo));
    }

    #[test]
    fn sanitize_strips_escapes_controls_and_bidi() {
        let hostile = "\u{1b}]0;pwned\u{7}dev\u{1b}[31mice\u{202E}Act\u{0}\u{9b}2J\u{7f}";
        let clean = sanitize(hostile);
        assert_eq!(clean, "deviceAct2J");
        assert!(!clean.chars().any(|c| c.is_control() || is_format_char(c)));
    }

    #[test]
    fn sanitize_folds_whitespace_and_caps_length() {
        assert_eq!(sanitize("  a\n\tb  "), "a b");
        let long = "x".repeat(MAX_TEXT_CHARS * 3);
        let clean = sanitize(&long);
        assert_eq!(clean.chars().count(), MAX_TEXT_CHARS + 1);
        assert!(clean.ends_with('…'));
    }
}
