//! The pure tests: the wizard's update and drawing without a terminal or a
//! network (state machines, properties, snapshots), and the tree's own
//! rules (layers, documented paths, the README).
//!
//! One test binary for the group, each former test file a module: linking
//! a few binaries instead of dozens is most of a test build's time.

mod board_update;
mod doc_paths;
mod layers;
mod live_parser;
mod properties;
mod readme;
mod sizes;
mod snapshots;
mod snapshots_board;
mod snapshots_lang;
mod wizard_update;
