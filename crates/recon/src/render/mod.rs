//! Turning plans and progress into text. Pure functions: the caller prints.

pub mod plan_markdown;
pub mod plan_text;
pub mod progress;
