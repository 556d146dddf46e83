use sea_orm::entity::prelude::*;

/// A tenant an artifact with visibility `shared` is shared with. Sharing is
/// an offer: the receiving tenant accepts or declines it (`status`), and
/// only an accepted share is used when that tenant's links are resolved.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "artifact_members")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub artifact_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: String,
    pub created_at: ChronoDateTimeUtc,
    /// `pending`, `accepted` or `declined`.
    pub status: String,
    /// When the receiving tenant accepted or declined.
    pub decided_at: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
