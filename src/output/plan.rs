//! Plans for people and programs.
pub use crate::plan::render::{json, text};
