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
    /// What to call it: the display name where the type has one, else the name.
    pub title: String,
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
    /// Counts per value of the filterable facets, over the whole result.
    pub facets: Vec<Facet>,
}

/// What a browse page asks for; every part is in the page's URL.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ListingQuery {
    pub marker: Option<String>,
    /// Free text: name, description or tag.
    pub q: Option<String>,
    pub tag: Option<String>,
    pub license: Option<String>,
    pub release: Option<String>,
    /// The providing company.
    pub provider: Option<String>,
    /// Artifact type, on the listing of every type.
    pub kind: Option<String>,
}

impl ListingQuery {
    /// The query as URL parameters (without the marker), in a fixed order.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        [
            ("q", &self.q),
            ("kind", &self.kind),
            ("tag", &self.tag),
            ("license", &self.license),
            ("release", &self.release),
            ("provider", &self.provider),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.clone().filter(|v| !v.is_empty()).map(|v| (k, v)))
        .collect()
    }
}

/// One facet: a URL parameter and its values with counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Facet {
    /// The URL parameter (`tag`, `license`, ...).
    pub param: String,
    pub label: String,
    pub values: Vec<FacetValue>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FacetValue {
    pub value: String,
    pub count: u64,
    pub selected: bool,
}

/// One version of an artifact's sequence, for the version selector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionLink {
    pub version: String,
    pub current: bool,
}

/// A blob as the detail page lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlobInfo {
    /// `template`, or `nested_templates/net.yaml` for a dict entry.
    pub label: String,
    pub size: Option<u64>,
    pub content_type: Option<String>,
    pub md5: Option<String>,
    pub sha256: Option<String>,
    pub external: bool,
    /// Where the download link points (the API path or the external URL).
    pub href: String,
}

/// An artifact another one refers to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArtifactRef {
    pub type_name: String,
    pub name: String,
    pub version: String,
}

/// One dependency edge as the page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DependencyInfo {
    pub field: String,
    /// What was asked for: a name and requirement, a URL or an exact link.
    pub requirement: String,
    /// `resolved`, `missing`, `no_matching_version`, `not_visible`, `external`.
    pub status: String,
    pub target: Option<ArtifactRef>,
    pub implicit: bool,
}

/// Everything the detail page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArtifactDetail {
    pub id: String,
    pub type_name: String,
    pub type_display_name: String,
    pub name: String,
    /// The display name where the type has one, else the name.
    pub title: String,
    pub version: String,
    pub status: String,
    pub owner: String,
    /// The Markdown description, rendered and sanitised on the server.
    pub description_html: String,
    pub icon_url: Option<String>,
    pub license: Option<String>,
    pub license_url: Option<String>,
    pub provided_by: Vec<(String, String)>,
    pub supported_by: Vec<(String, String)>,
    pub release: Vec<String>,
    pub tags: Vec<String>,
    pub metadata: Vec<(String, String)>,
    /// Type-specific fields with a value, as label and text.
    pub fields: Vec<(String, String)>,
    pub created_at: String,
    pub updated_at: String,
    pub versions: Vec<VersionLink>,
    pub blobs: Vec<BlobInfo>,
    /// A command that installs or uses the artifact, for its type.
    pub install_hint: Option<String>,
    pub dependencies: Vec<DependencyInfo>,
    pub dependents: Vec<ArtifactRef>,
    pub api_url: String,
}
