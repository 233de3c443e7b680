//! What an artifact exports, as validation reads it and the manifest and interfaces check it.
//!
//! A leaf of the model: `artifact` produces these, `interface` checks records against them,
//! `manifest` writes them, and none of them needs the others for it.

use serde::{Deserialize, Serialize};

/// One export of a built artifact.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExportInfo {
    pub name: String,
    pub kind: String,
    /// `(i32, i64) -> i64` for functions, `17 pages` for the memory.
    pub signature: String,
}
