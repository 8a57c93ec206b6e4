//! Turning plans and progress into text. Pure functions: the caller prints.

pub mod graph;
pub mod graph_dot;
pub mod graph_mermaid;
pub mod plan_markdown;
pub mod plan_notes;
pub mod plan_text;
pub mod progress;
pub mod review_text;
pub mod sarif;
