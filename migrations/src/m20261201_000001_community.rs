//! Community: ratings and reviews of an artifact *sequence* (same type,
//! owner and name, across versions), reports and the moderation log, and
//! daily download and page-view counts. The artifacts table gets the
//! numbers lists sort and filter by (kept up to date by the services), so
//! that sorting by downloads or rating stays one indexed query.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Artifacts {
    Table,
    Id,
    TypeName,
    /// Downloads of this version, all days.
    Downloads,
    /// The sequence's average rating times 100 (0 while unrated).
    RatingScore,
    RatingCount,
}

#[derive(DeriveIden)]
enum Ratings {
    Table,
    UserId,
    TypeName,
    Owner,
    Name,
    Stars,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Reviews {
    Table,
    Id,
    TypeName,
    Owner,
    Name,
    /// The version reviewed (kept when that version is deleted).
    ArtifactId,
    Version,
    UserId,
    /// A reply's review; replies are one level deep.
    ParentId,
    Body,
    Hidden,
    CreatedAt,
    UpdatedAt,
    EditedAt,
}

#[derive(DeriveIden)]
enum ReviewReports {
    Table,
    ReviewId,
    UserId,
    Reason,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ModerationLog {
    Table,
    Id,
    ReviewId,
    TypeName,
    Owner,
    Name,
    ActorId,
    /// `report`, `hide`, `unhide` or `delete`.
    Action,
    Note,
    CreatedAt,
}

#[derive(DeriveIden)]
enum DailyCounts {
    Table,
    ArtifactId,
    /// `YYYY-MM-DD` (UTC).
    Day,
    Downloads,
    Views,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

fn ts(c: impl IntoIden) -> ColumnDef {
    ColumnDef::new(c)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (col, kind) in [
            (Artifacts::Downloads, 0),
            (Artifacts::RatingScore, 1),
            (Artifacts::RatingCount, 2),
        ] {
            let mut c = ColumnDef::new(col);
            if kind == 0 {
                c.big_integer();
            } else {
                c.integer();
            }
            manager
                .alter_table(
                    Table::alter()
                        .table(Artifacts::Table)
                        .add_column(c.not_null().default(0))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("ix_artifacts_type_downloads")
                    .table(Artifacts::Table)
                    .col(Artifacts::TypeName)
                    .col(Artifacts::Downloads)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_artifacts_type_rating")
                    .table(Artifacts::Table)
                    .col(Artifacts::TypeName)
                    .col(Artifacts::RatingScore)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Ratings::Table)
                    .col(ColumnDef::new(Ratings::UserId).string_len(36).not_null())
                    .col(ColumnDef::new(Ratings::TypeName).string_len(64).not_null())
                    .col(ColumnDef::new(Ratings::Owner).string_len(64).not_null())
                    .col(ColumnDef::new(Ratings::Name).string_len(255).not_null())
                    .col(ColumnDef::new(Ratings::Stars).small_integer().not_null())
                    .col(ts(Ratings::CreatedAt))
                    .col(ts(Ratings::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(Ratings::UserId)
                            .col(Ratings::TypeName)
                            .col(Ratings::Owner)
                            .col(Ratings::Name),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Ratings::Table, Ratings::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Ratings::Table, Ratings::Owner)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_ratings_sequence")
                    .table(Ratings::Table)
                    .col(Ratings::TypeName)
                    .col(Ratings::Owner)
                    .col(Ratings::Name)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Reviews::Table)
                    .col(
                        ColumnDef::new(Reviews::Id)
                            .string_len(36)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Reviews::TypeName).string_len(64).not_null())
                    .col(ColumnDef::new(Reviews::Owner).string_len(64).not_null())
                    .col(ColumnDef::new(Reviews::Name).string_len(255).not_null())
                    .col(ColumnDef::new(Reviews::ArtifactId).string_len(36).null())
                    .col(ColumnDef::new(Reviews::Version).string_len(255).not_null())
                    .col(ColumnDef::new(Reviews::UserId).string_len(36).not_null())
                    .col(ColumnDef::new(Reviews::ParentId).string_len(36).null())
                    .col(ColumnDef::new(Reviews::Body).text().not_null())
                    .col(
                        ColumnDef::new(Reviews::Hidden)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(ts(Reviews::CreatedAt))
                    .col(ts(Reviews::UpdatedAt))
                    .col(
                        ColumnDef::new(Reviews::EditedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Reviews::Table, Reviews::ArtifactId)
                            .to(Artifacts::Table, Artifacts::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Reviews::Table, Reviews::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Reviews::Table, Reviews::ParentId)
                            .to(Reviews::Table, Reviews::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Reviews::Table, Reviews::Owner)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_reviews_sequence_created")
                    .table(Reviews::Table)
                    .col(Reviews::TypeName)
                    .col(Reviews::Owner)
                    .col(Reviews::Name)
                    .col(Reviews::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_reviews_user_created")
                    .table(Reviews::Table)
                    .col(Reviews::UserId)
                    .col(Reviews::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_reviews_parent")
                    .table(Reviews::Table)
                    .col(Reviews::ParentId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ReviewReports::Table)
                    .col(
                        ColumnDef::new(ReviewReports::ReviewId)
                            .string_len(36)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ReviewReports::UserId)
                            .string_len(36)
                            .not_null(),
                    )
                    .col(ColumnDef::new(ReviewReports::Reason).text().not_null())
                    .col(ts(ReviewReports::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(ReviewReports::ReviewId)
                            .col(ReviewReports::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ReviewReports::Table, ReviewReports::ReviewId)
                            .to(Reviews::Table, Reviews::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ReviewReports::Table, ReviewReports::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        // The log outlives what it is about: no foreign keys but the actor.
        manager
            .create_table(
                Table::create()
                    .table(ModerationLog::Table)
                    .col(
                        ColumnDef::new(ModerationLog::Id)
                            .string_len(36)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(ModerationLog::ReviewId)
                            .string_len(36)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ModerationLog::TypeName)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ModerationLog::Owner)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ModerationLog::Name)
                            .string_len(255)
                            .not_null(),
                    )
                    .col(ColumnDef::new(ModerationLog::ActorId).string_len(36).null())
                    .col(
                        ColumnDef::new(ModerationLog::Action)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(ModerationLog::Note).text().not_null())
                    .col(ts(ModerationLog::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ModerationLog::Table, ModerationLog::ActorId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_moderation_log_owner_created")
                    .table(ModerationLog::Table)
                    .col(ModerationLog::Owner)
                    .col(ModerationLog::CreatedAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(DailyCounts::Table)
                    .col(
                        ColumnDef::new(DailyCounts::ArtifactId)
                            .string_len(36)
                            .not_null(),
                    )
                    .col(ColumnDef::new(DailyCounts::Day).string_len(10).not_null())
                    .col(
                        ColumnDef::new(DailyCounts::Downloads)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .col(
                        ColumnDef::new(DailyCounts::Views)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .primary_key(
                        Index::create()
                            .col(DailyCounts::ArtifactId)
                            .col(DailyCounts::Day),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(DailyCounts::Table, DailyCounts::ArtifactId)
                            .to(Artifacts::Table, Artifacts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            DailyCounts::Table.into_iden(),
            ModerationLog::Table.into_iden(),
            ReviewReports::Table.into_iden(),
            Reviews::Table.into_iden(),
            Ratings::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        for index in ["ix_artifacts_type_downloads", "ix_artifacts_type_rating"] {
            manager
                .drop_index(Index::drop().name(index).table(Artifacts::Table).to_owned())
                .await?;
        }
        for col in [
            Artifacts::Downloads,
            Artifacts::RatingScore,
            Artifacts::RatingCount,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Artifacts::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
