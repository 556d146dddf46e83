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
    /// Average stars; `None` while unrated.
    pub rating: Option<f64>,
    pub rating_count: u64,
    pub downloads: u64,
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
    /// Why the query could not be answered (e.g. an invalid version
    /// requirement); the page answers 400 with it.
    pub error: Option<String>,
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
    /// A version requirement (`>=1.0, <2`, `^1.2`, `==1.2.*`).
    pub req: Option<String>,
    /// `name`, `newest` (the default), `updated`, `rating` or `downloads`.
    pub sort: Option<String>,
    /// Only artifacts rated at least this many stars on average.
    pub min_rating: Option<String>,
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
            ("req", &self.req),
            ("min_rating", &self.min_rating),
            ("sort", &self.sort),
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
    /// `resolved`, `missing`, `no_matching_version`, `external`.
    pub status: String,
    pub target: Option<ArtifactRef>,
    pub implicit: bool,
    /// Where the resolved artifact came from: `own`, `public` or
    /// `accepted_share`; empty when unresolved.
    pub source: String,
    /// The tenant the resolved artifact belongs to.
    pub owner: Option<String>,
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
    pub community: Community,
}

/// A review or a reply as the detail page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewInfo {
    pub id: String,
    pub version: String,
    pub author: String,
    /// Sanitised HTML of the Markdown.
    pub body_html: String,
    /// The Markdown, for the edit form.
    pub body: String,
    pub created_at: String,
    pub edited: bool,
    pub hidden: bool,
    pub by_publisher: bool,
    pub can_edit: bool,
    pub reports: u64,
    pub replies: Vec<ReviewInfo>,
}

/// One day of the statistics chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayStat {
    pub day: String,
    pub downloads: u64,
    pub views: u64,
}

/// Ratings, reviews and statistics of an artifact, with what the viewer
/// may do.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Community {
    pub rating: Option<f64>,
    pub rating_count: u64,
    pub my_rating: Option<u8>,
    pub reviews: Vec<ReviewInfo>,
    pub reviews_total: u64,
    pub page: u64,
    pub pages: u64,
    pub signed_in: bool,
    /// Signed in and the artifact is active.
    pub can_review: bool,
    /// A member of the publishing tenant.
    pub can_reply: bool,
    pub can_moderate: bool,
    pub downloads_total: u64,
    pub views_total: u64,
    /// The last 90 days, oldest first.
    pub days: Vec<DayStat>,
}

/// The signed-in user, as every page header shows them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Viewer {
    pub username: String,
    pub display_name: String,
    /// The tenant the user acts in (one of `tenants`).
    pub tenant: Option<String>,
    pub tenants: Vec<String>,
    pub is_admin: bool,
}

/// A one-time message after a form was posted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flash {
    /// `ok` or `error`.
    pub kind: String,
    pub text: String,
}

/// What every page needs to know about the visitor's session.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub viewer: Option<Viewer>,
    /// The token every form posts back (CSRF protection).
    pub csrf: String,
    pub registration_open: bool,
    /// The configured OpenID Connect provider's name, if any.
    pub oidc: Option<String>,
    pub flash: Option<Flash>,
}

/// A page that needs a signed-in user, or a particular right.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Gate<T> {
    Ok(T),
    /// Nobody is signed in.
    Login,
    /// Signed in, but not allowed.
    Forbidden,
    NotFound,
}

/// One of a tenant's artifacts in its space.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpaceArtifact {
    pub id: String,
    pub type_name: String,
    pub name: String,
    pub version: String,
    pub status: String,
    pub visibility: String,
    pub updated_at: String,
    /// The latest public-listing request's status, if any.
    pub listing: Option<String>,
}

/// An artifact another tenant offered (shared) to this tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShareOffer {
    pub id: String,
    pub type_name: String,
    pub name: String,
    pub version: String,
    /// The tenant that offers it.
    pub owner: String,
    /// `pending`, `accepted` or `declined`: only an accepted share is used
    /// when this tenant's dependencies are resolved.
    pub status: String,
}

/// A tenant's space: its artifacts and the types it can create.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Space {
    pub tenant: String,
    pub artifacts: Vec<SpaceArtifact>,
    /// Shared with the tenant by other tenants.
    pub shared_with_us: Vec<ShareOffer>,
    /// The viewer may accept or decline offers (a tenant admin).
    pub can_answer: bool,
    pub types: Vec<TypeSummary>,
}

/// One input of a form generated from a type definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormField {
    pub name: String,
    pub label: String,
    pub help: String,
    /// `string`, `text`, `integer`, `number`, `boolean`, `enum`,
    /// `datetime`, `list` (one item per line) or `dict` (`key=value` lines).
    pub kind: String,
    pub required: bool,
    pub required_on_activate: bool,
    /// Editable now (false for immutable fields of an active artifact).
    pub editable: bool,
    pub allowed: Vec<String>,
    pub max_length: Option<u64>,
    /// The current value as the input shows it.
    pub value: String,
}

/// A blob field: where a file goes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlobSlot {
    pub name: String,
    pub label: String,
    /// A dict of blobs: uploads need a key.
    pub dict: bool,
    pub max_size: Option<u64>,
    pub content_types: Vec<String>,
    pub current: Vec<BlobInfo>,
    /// The API URL uploads go to (without key).
    pub upload_url: String,
}

/// The form to create an artifact of one type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TypeForm {
    pub type_name: String,
    pub display_name: String,
    pub description: String,
    pub fields: Vec<FormField>,
    pub blobs: Vec<String>,
}

/// A public-listing request and its decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListingRequestInfo {
    pub id: String,
    pub artifact_id: String,
    pub type_name: String,
    pub name: String,
    pub version: String,
    pub tenant: String,
    pub requested_by: Option<String>,
    pub message: String,
    pub status: String,
    pub created_at: String,
    pub decided_by: Option<String>,
    pub decision_note: Option<String>,
}

/// An artifact of the viewer's tenant, with everything its manage page
/// offers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManagedArtifact {
    pub id: String,
    pub type_name: String,
    pub type_display_name: String,
    pub name: String,
    pub version: String,
    pub status: String,
    pub visibility: String,
    pub owner: String,
    pub fields: Vec<FormField>,
    pub blobs: Vec<BlobSlot>,
    pub members: Vec<String>,
    pub requests: Vec<ListingRequestInfo>,
    pub can_edit: bool,
    pub can_publish: bool,
    /// Deactivate and reactivate (catalog admins).
    pub can_deactivate: bool,
    pub can_delete: bool,
    pub can_share: bool,
    /// Public listing can be requested now (active, not public, none pending).
    pub can_request_listing: bool,
    pub detail_href: String,
}

/// An API token as its owner sees it (never the secret, after creation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenInfo {
    pub id: String,
    pub name: String,
    pub tenant: String,
    pub scopes: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub expires_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokensPage {
    pub tokens: Vec<TokenInfo>,
    /// A token created just now: shown once.
    pub new_secret: Option<String>,
    pub tenants: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserRow {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub is_admin: bool,
    /// `tenant (role)` entries.
    pub memberships: Vec<String>,
    pub login: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TenantRow {
    pub id: String,
    pub display_name: String,
    pub members: u64,
    pub artifacts: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TypeRow {
    pub name: String,
    pub display_name: String,
    pub type_version: String,
    pub fields: u64,
    pub blobs: u64,
    pub artifacts: u64,
}

/// The catalog admin's page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdminOverview {
    pub pending: Vec<ListingRequestInfo>,
    pub decided: Vec<ListingRequestInfo>,
    pub users: Vec<UserRow>,
    pub tenants: Vec<TenantRow>,
    pub types: Vec<TypeRow>,
    /// Reported reviews still shown.
    pub reported: Vec<ReportedInfo>,
    /// The latest moderation actions.
    pub moderation: Vec<ModerationInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportedInfo {
    pub review_id: String,
    pub type_name: String,
    pub name: String,
    pub version: String,
    pub author: String,
    pub body: String,
    pub reports: u64,
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModerationInfo {
    pub created_at: String,
    pub actor: Option<String>,
    pub action: String,
    pub type_name: String,
    pub name: String,
    pub review_id: String,
    pub note: String,
}
