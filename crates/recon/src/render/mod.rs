//! Turning plans and progress into text. Pure functions: the caller prints.

pub mod plan_text;
pub mod progress;
pub mod review_text;
pub mod sarif;
