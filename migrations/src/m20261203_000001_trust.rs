//! Trust and safety:
//! - sharing is an offer: each member row has a `status` (`pending`,
//!   `accepted`, `declined`) set by the receiving tenant; dependency
//!   resolution uses another tenant's shared artifact only once accepted.
//!   Rows that exist already were never agreed to, so they start `pending`.
//! - a rating remembers the version it was given on (`ratings.artifact_id`):
//!   it counts only for viewers who may read that version. Older ratings
//!   name no version, so nobody can tell which version they were about:
//!   they stop counting until their authors rate again.
//! - failed password sign-ins are counted per user name (known or not), so
//!   the pause after too many says nothing about which names exist.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ArtifactMembers {
    Table,
    Status,
    DecidedAt,
}

#[derive(DeriveIden)]
enum Ratings {
    Table,
    ArtifactId,
}

#[derive(DeriveIden)]
enum SignInThrottle {
    Table,
    Username,
    Failed,
    LockedUntil,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ArtifactMembers::Table)
                    .add_column(
                        ColumnDef::new(ArtifactMembers::Status)
                            .string_len(16)
                            .not_null()
                            .default("pending"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ArtifactMembers::Table)
                    .add_column(
                        ColumnDef::new(ArtifactMembers::DecidedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Ratings::Table)
                    .add_column(ColumnDef::new(Ratings::ArtifactId).string_len(36).null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SignInThrottle::Table)
                    .col(
                        ColumnDef::new(SignInThrottle::Username)
                            .string_len(255)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(SignInThrottle::Failed)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(
                        ColumnDef::new(SignInThrottle::LockedUntil)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(SignInThrottle::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SignInThrottle::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Ratings::Table)
                    .drop_column(Ratings::ArtifactId)
                    .to_owned(),
            )
            .await?;
        for col in [ArtifactMembers::Status, ArtifactMembers::DecidedAt] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ArtifactMembers::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
