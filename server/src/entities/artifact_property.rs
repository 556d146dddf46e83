use sea_orm::entity::prelude::*;

/// One indexed value of an artifact field: a scalar, one element of a list
/// (`position`) or one entry of a dict (`key`).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "artifact_properties")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub artifact_id: String,
    pub name: String,
    pub key: String,
    pub position: i32,
    pub str_value: Option<String>,
    pub int_value: Option<i64>,
    pub num_value: Option<f64>,
    pub bool_value: Option<bool>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
