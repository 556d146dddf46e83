use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "artifact_blobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub artifact_id: String,
    pub field: String,
    /// The entry of a blob dict, or "" for a single blob.
    pub key: String,
    /// `saving` while an upload streams in, `active` once complete.
    pub status: String,
    pub size: Option<i64>,
    pub md5: Option<String>,
    pub sha1: Option<String>,
    pub sha256: Option<String>,
    pub content_type: Option<String>,
    pub external: bool,
    pub url: Option<String>,
    pub storage_key: Option<String>,
    // The table also has `upload_key`: the key a `saving` row's upload
    // writes into. Only `services/blobs.rs` uses it (the crash-safety
    // protocol), through its own queries.
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
