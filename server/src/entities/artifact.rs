use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "artifacts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub type_name: String,
    pub type_version: String,
    pub name: String,
    /// The version as given, normalised by semver (`2.1` becomes `2.1.0`).
    pub version: String,
    /// A key whose byte order is semver precedence (see `version.rs`).
    pub version_sort: String,
    pub is_prerelease: bool,
    pub owner: String,
    pub created_by: Option<String>,
    pub visibility: String,
    pub status: String,
    pub description: Option<String>,
    /// Every other field (generic and type-specific) as a JSON object; the
    /// filterable ones are copied into `artifact_properties`.
    pub properties: String,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
    pub activated_at: Option<ChronoDateTimeUtc>,
    /// Downloads of this version (all days), for sorting.
    pub downloads: i64,
    /// The sequence's average rating times 100; 0 while unrated.
    pub rating_score: i32,
    pub rating_count: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
