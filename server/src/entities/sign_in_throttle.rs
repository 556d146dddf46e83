use sea_orm::entity::prelude::*;

/// Failed password sign-ins in a row for one user name, known or not.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sign_in_throttle")]
pub struct Model {
    /// The name as typed, trimmed and lower-cased.
    #[sea_orm(primary_key, auto_increment = false)]
    pub username: String,
    pub failed: i32,
    /// Password sign-in for this name is paused until then.
    pub locked_until: Option<ChronoDateTimeUtc>,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
