//! The definition file format (documented in `docs/TYPES.md`).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Names every artifact has; a type definition may not reuse them.
pub const BASE_FIELDS: &[&str] = &[
    "id",
    "name",
    "version",
    "type_name",
    "display_type_name",
    "type_version",
    "owner",
    "created_by",
    "visibility",
    "status",
    "description",
    "created_at",
    "updated_at",
    "activated_at",
    "downloads",
    "rating",
    "rating_count",
];

/// Path segments under an artifact that are sub-resources, not blobs.
pub const RESERVED_NAMES: &[&str] = &[
    "members",
    "dependencies",
    "dependents",
    "bundle",
    "stats",
    "reviews",
    "ratings",
    "signatures",
    "rating",
    "listing-requests",
];

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TypeDefinition {
    /// Type name used in URLs (`heat_templates`).
    pub name: String,
    pub display_name: String,
    /// Version of this definition (semver).
    pub version: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub fields: BTreeMap<String, FieldDef>,
    #[serde(default)]
    pub blobs: BTreeMap<String, BlobDef>,
    #[serde(default)]
    pub links: BTreeMap<String, LinkDef>,
    /// Named built-in behaviour (e.g. `murano_package`).
    #[serde(default)]
    pub behaviours: Vec<String>,
    /// Rules that carry artifacts made under an older definition over an
    /// incompatible change.
    #[serde(default)]
    pub migrations: Vec<MigrationRule>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum FieldKind {
    String,
    Integer,
    Number,
    Boolean,
    Enum,
    Datetime,
    List,
    Dict,
}

impl FieldKind {
    pub fn is_scalar(self) -> bool {
        !matches!(self, FieldKind::List | FieldKind::Dict)
    }
}

impl fmt::Display for FieldKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            FieldKind::String => "string",
            FieldKind::Integer => "integer",
            FieldKind::Number => "number",
            FieldKind::Boolean => "boolean",
            FieldKind::Enum => "enum",
            FieldKind::Datetime => "datetime",
            FieldKind::List => "list",
            FieldKind::Dict => "dict",
        };
        f.write_str(s)
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum FilterOp {
    Eq,
    Neq,
    Gt,
    Gte,
    Lt,
    Lte,
    In,
    Like,
}

impl FilterOp {
    pub fn parse(s: &str) -> Option<FilterOp> {
        Some(match s {
            "eq" => FilterOp::Eq,
            "neq" => FilterOp::Neq,
            "gt" => FilterOp::Gt,
            "gte" => FilterOp::Gte,
            "lt" => FilterOp::Lt,
            "lte" => FilterOp::Lte,
            "in" => FilterOp::In,
            "like" => FilterOp::Like,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FilterOp::Eq => "eq",
            FilterOp::Neq => "neq",
            FilterOp::Gt => "gt",
            FilterOp::Gte => "gte",
            FilterOp::Lt => "lt",
            FilterOp::Lte => "lte",
            FilterOp::In => "in",
            FilterOp::Like => "like",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FieldDef {
    pub kind: FieldKind,
    /// Element kind of a list, value kind of a dict (default `string`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<FieldKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Must be given when the artifact is created.
    #[serde(default)]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    /// Allowed values (required for `enum`, optional otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Most elements of a list or entries of a dict.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_items: Option<usize>,
    /// May change after activation.
    #[serde(default)]
    pub mutable: bool,
    #[serde(default)]
    pub required_on_activate: bool,
    #[serde(default)]
    pub sortable: bool,
    /// Allowed filter operators; defaults by kind, `[]` makes the field
    /// unfilterable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter_ops: Option<Vec<FilterOp>>,
}

impl FieldDef {
    pub fn item_kind(&self) -> FieldKind {
        match self.kind {
            FieldKind::List | FieldKind::Dict => self.item.unwrap_or(FieldKind::String),
            k => k,
        }
    }

    pub fn effective_filter_ops(&self) -> Vec<FilterOp> {
        if let Some(ops) = &self.filter_ops {
            return ops.clone();
        }
        use FilterOp::*;
        match self.item_kind() {
            FieldKind::String => vec![Eq, Neq, In, Like],
            FieldKind::Enum => vec![Eq, Neq, In],
            FieldKind::Boolean => vec![Eq, Neq],
            FieldKind::Integer | FieldKind::Number | FieldKind::Datetime => {
                vec![Eq, Neq, Gt, Gte, Lt, Lte, In]
            }
            FieldKind::List | FieldKind::Dict => vec![],
        }
    }

    /// Most elements of a list or entries of a dict: the type's
    /// `max_items`, or [`DEFAULT_MAX_ITEMS`].
    pub fn effective_max_items(&self) -> usize {
        self.max_items.unwrap_or(DEFAULT_MAX_ITEMS)
    }

    pub fn effective_max_length(&self) -> usize {
        self.max_length.unwrap_or(255)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BlobDef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A named dict of blobs (`nested_templates/<key>`) instead of one blob.
    #[serde(default)]
    pub dict: bool,
    /// Largest accepted upload in bytes (capped by `APPCAT_MAX_BLOB_SIZE`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_size: Option<u64>,
    /// Accepted content types (`image/*` style wildcards); empty = any.
    #[serde(default)]
    pub content_types: Vec<String>,
    #[serde(default)]
    pub required_on_activate: bool,
    /// Most entries of a blob dict.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_items: Option<usize>,
}

/// Most elements of a list field or entries of a dict field whose type
/// sets no `max_items`.
pub const DEFAULT_MAX_ITEMS: usize = 256;

impl BlobDef {
    pub fn accepts_content_type(&self, content_type: &str) -> bool {
        if self.content_types.is_empty() {
            return true;
        }
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        self.content_types.iter().any(|allowed| {
            let allowed = allowed.to_ascii_lowercase();
            match allowed.strip_suffix("/*") {
                Some(prefix) => essence.split('/').next() == Some(prefix),
                None => allowed == essence,
            }
        })
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Multiplicity {
    Single,
    List,
    Dict,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LinkDef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Types a link may point at; empty = any type.
    #[serde(default)]
    pub target_types: Vec<String>,
    /// What the link means (`requires`, `uses`, `contains`, ...).
    #[serde(default = "default_semantics")]
    pub semantics: String,
    #[serde(default = "default_multiplicity")]
    pub multiplicity: Multiplicity,
    #[serde(default)]
    pub mutable: bool,
    #[serde(default)]
    pub required_on_activate: bool,
    /// How the `version` of a `{name, version}` link is read.
    #[serde(default)]
    pub requirement: RequirementStyle,
}

/// Requirement dialects of name-based links.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RequirementStyle {
    /// Cargo or pip style (`^1.2`, `>=2.1, <3`); empty means any version.
    #[default]
    Semver,
    /// Murano's `Require:` rules: empty means `>=0.0.0, <1.0.0`, a bare
    /// version `1.2.0` means `>=1.2.0, <1.3.0`, anything else as written.
    Murano,
}

fn default_semantics() -> String {
    "requires".to_owned()
}

fn default_multiplicity() -> Multiplicity {
    Multiplicity::Single
}

/// How artifacts made under definition version `from` become valid under
/// this one: fields renamed, removed, or set to a value.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MigrationRule {
    pub from: String,
    #[serde(default)]
    pub rename: BTreeMap<String, String>,
    #[serde(default)]
    pub remove: Vec<String>,
    #[serde(default)]
    pub set: BTreeMap<String, Value>,
}

/// Generic blob fields (the icon).
pub fn generic_blobs() -> BTreeMap<String, BlobDef> {
    let mut blobs = BTreeMap::new();
    blobs.insert(
        "icon".to_owned(),
        BlobDef {
            description: Some("Icon shown in the catalog (PNG, JPEG, SVG, GIF, WebP)".to_owned()),
            dict: false,
            max_size: Some(2 * 1024 * 1024),
            content_types: vec!["image/*".to_owned()],
            required_on_activate: false,
            max_items: None,
        },
    );
    blobs
}
