//! What the pages show, shared by server and browser.

use serde::{Deserialize, Serialize};

/// An artifact type and how many public artifacts it has.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TypeSummary {
    pub name: String,
    pub display_name: String,
    pub description: String,
    pub public_count: u64,
}

/// An artifact as a card in a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArtifactCard {
    pub id: String,
    pub type_name: String,
    pub name: String,
    pub version: String,
    pub description: Option<String>,
    pub owner: String,
    /// API path or external URL of the icon, if any.
    pub icon_url: Option<String>,
    pub tags: Vec<String>,
    pub updated_at: String,
}

/// One page of a type's public artifacts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TypeListing {
    pub summary: TypeSummary,
    pub artifacts: Vec<ArtifactCard>,
    pub total: u64,
    /// Marker of the next page, if there is one.
    pub next_marker: Option<String>,
}
