//! The initial schema: tenants, users, tokens, type definitions, artifacts,
//! their indexed properties, blobs and members.
//!
//! Every foreign key cascades, or sets null for `artifacts.created_by`
//! (checked by a test in `server/tests`), so that deleting a tenant, user or
//! artifact leaves no orphan rows behind.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    /// The tenant's slug (`acme`): stable, shown as an artifact's `owner`.
    Id,
    DisplayName,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Username,
    DisplayName,
    Email,
    PasswordHash,
    IsAdmin,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Memberships {
    Table,
    UserId,
    TenantId,
    Role,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    UserId,
    TenantId,
    Name,
    TokenHash,
    Scopes,
    CreatedAt,
    LastUsedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum ArtifactTypes {
    Table,
    Name,
    Version,
    Definition,
    RegisteredAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Artifacts {
    Table,
    Id,
    TypeName,
    TypeVersion,
    Name,
    Version,
    VersionSort,
    IsPrerelease,
    Owner,
    CreatedBy,
    Visibility,
    Status,
    Description,
    Properties,
    CreatedAt,
    UpdatedAt,
    ActivatedAt,
}

#[derive(DeriveIden)]
enum ArtifactProperties {
    Table,
    Id,
    ArtifactId,
    Name,
    Key,
    Position,
    StrValue,
    IntValue,
    NumValue,
    BoolValue,
}

#[derive(DeriveIden)]
enum ArtifactBlobs {
    Table,
    Id,
    ArtifactId,
    Field,
    Key,
    Status,
    Size,
    Md5,
    Sha1,
    Sha256,
    ContentType,
    External,
    Url,
    StorageKey,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ArtifactMembers {
    Table,
    ArtifactId,
    TenantId,
    CreatedAt,
}

/// Text compared byte by byte. Version sort keys rely on it: PostgreSQL's
/// default collation is locale aware and would order `-` and `~` wrongly.
fn binary_text(col: impl IntoIden, backend: DbBackend) -> ColumnDef {
    let mut def = ColumnDef::new(col);
    def.string_len(400).not_null();
    if backend == DbBackend::Postgres {
        def.extra("COLLATE \"C\"");
    }
    def
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();

        manager
            .create_table(
                Table::create()
                    .table(Tenants::Table)
                    .col(
                        ColumnDef::new(Tenants::Id)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(Tenants::DisplayName)
                            .string_len(255)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Tenants::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(
                        ColumnDef::new(Users::Id)
                            .string_len(36)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(Users::Username)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(Users::DisplayName)
                            .string_len(255)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Users::Email).string_len(255).null())
                    .col(ColumnDef::new(Users::PasswordHash).string_len(255).null())
                    .col(
                        ColumnDef::new(Users::IsAdmin)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(
                        ColumnDef::new(Users::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Memberships::Table)
                    .col(
                        ColumnDef::new(Memberships::UserId)
                            .string_len(36)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Memberships::TenantId)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Memberships::Role).string_len(16).not_null())
                    .col(
                        ColumnDef::new(Memberships::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(Memberships::UserId)
                            .col(Memberships::TenantId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Memberships::Table, Memberships::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Memberships::Table, Memberships::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ApiTokens::Table)
                    .col(
                        ColumnDef::new(ApiTokens::Id)
                            .string_len(36)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(ApiTokens::UserId).string_len(36).not_null())
                    .col(
                        ColumnDef::new(ApiTokens::TenantId)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ColumnDef::new(ApiTokens::Name).string_len(255).not_null())
                    .col(
                        ColumnDef::new(ApiTokens::TokenHash)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(ApiTokens::Scopes).string_len(64).not_null())
                    .col(
                        ColumnDef::new(ApiTokens::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ApiTokens::LastUsedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(ApiTokens::ExpiresAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ApiTokens::Table, ApiTokens::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ApiTokens::Table, ApiTokens::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ArtifactTypes::Table)
                    .col(
                        ColumnDef::new(ArtifactTypes::Name)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ArtifactTypes::Version)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ColumnDef::new(ArtifactTypes::Definition).text().not_null())
                    .col(
                        ColumnDef::new(ArtifactTypes::RegisteredAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(ArtifactTypes::Name)
                            .col(ArtifactTypes::Version),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Artifacts::Table)
                    .col(
                        ColumnDef::new(Artifacts::Id)
                            .string_len(36)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(Artifacts::TypeName)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Artifacts::TypeVersion)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Artifacts::Name).string_len(255).not_null())
                    .col(
                        ColumnDef::new(Artifacts::Version)
                            .string_len(255)
                            .not_null(),
                    )
                    .col(binary_text(Artifacts::VersionSort, backend))
                    .col(ColumnDef::new(Artifacts::IsPrerelease).boolean().not_null())
                    .col(ColumnDef::new(Artifacts::Owner).string_len(64).not_null())
                    .col(ColumnDef::new(Artifacts::CreatedBy).string_len(36).null())
                    .col(
                        ColumnDef::new(Artifacts::Visibility)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Artifacts::Status).string_len(16).not_null())
                    .col(ColumnDef::new(Artifacts::Description).text().null())
                    .col(ColumnDef::new(Artifacts::Properties).text().not_null())
                    .col(
                        ColumnDef::new(Artifacts::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Artifacts::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Artifacts::ActivatedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Artifacts::Table, Artifacts::Owner)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Artifacts::Table, Artifacts::CreatedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;

        // Name + version is unique per type and owner; the sort key ignores
        // build metadata, as semver precedence does.
        manager
            .create_index(
                Index::create()
                    .name("ux_artifacts_type_owner_name_version")
                    .table(Artifacts::Table)
                    .col(Artifacts::TypeName)
                    .col(Artifacts::Owner)
                    .col(Artifacts::Name)
                    .col(Artifacts::VersionSort)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // ... and across everyone once public (a partial index on both backends).
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_artifacts_public_name_version \
                 ON artifacts (type_name, name, version_sort) WHERE visibility = 'public'",
            )
            .await?;
        for (name, cols) in [
            (
                "ix_artifacts_type_name_version",
                &[Artifacts::TypeName, Artifacts::Name, Artifacts::VersionSort][..],
            ),
            (
                "ix_artifacts_type_visibility_status",
                &[
                    Artifacts::TypeName,
                    Artifacts::Visibility,
                    Artifacts::Status,
                ][..],
            ),
            ("ix_artifacts_owner", &[Artifacts::Owner][..]),
            (
                "ix_artifacts_type_created",
                &[Artifacts::TypeName, Artifacts::CreatedAt][..],
            ),
            (
                "ix_artifacts_type_updated",
                &[Artifacts::TypeName, Artifacts::UpdatedAt][..],
            ),
            ("ix_artifacts_created", &[Artifacts::CreatedAt][..]),
        ] {
            let mut index = Index::create();
            index.name(name).table(Artifacts::Table);
            for col in cols {
                index.col(*col);
            }
            manager.create_index(index.to_owned()).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(ArtifactProperties::Table)
                    .col(
                        ColumnDef::new(ArtifactProperties::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(ArtifactProperties::ArtifactId)
                            .string_len(36)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ArtifactProperties::Name)
                            .string_len(255)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ArtifactProperties::Key)
                            .string_len(255)
                            .not_null()
                            .default(""),
                    )
                    .col(
                        ColumnDef::new(ArtifactProperties::Position)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(ColumnDef::new(ArtifactProperties::StrValue).text().null())
                    .col(
                        ColumnDef::new(ArtifactProperties::IntValue)
                            .big_integer()
                            .null(),
                    )
                    .col(ColumnDef::new(ArtifactProperties::NumValue).double().null())
                    .col(
                        ColumnDef::new(ArtifactProperties::BoolValue)
                            .boolean()
                            .null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ArtifactProperties::Table, ArtifactProperties::ArtifactId)
                            .to(Artifacts::Table, Artifacts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Filters look up (name, value) and then the artifact: the artifact id
        // is part of each index so the lookup never touches the table. Indexed
        // strings are bounded by the type definitions (at most 1024 chars), so
        // they fit a btree entry on PostgreSQL.
        let props = "artifact_properties";
        let str_expr = "str_value";
        for sql in [
            format!("CREATE INDEX ix_props_artifact ON {props} (artifact_id, name)"),
            format!("CREATE INDEX ix_props_str ON {props} (name, key, {str_expr}, artifact_id)"),
            format!("CREATE INDEX ix_props_int ON {props} (name, key, int_value, artifact_id)"),
            format!("CREATE INDEX ix_props_num ON {props} (name, key, num_value, artifact_id)"),
        ] {
            manager.get_connection().execute_unprepared(&sql).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(ArtifactBlobs::Table)
                    .col(
                        ColumnDef::new(ArtifactBlobs::Id)
                            .string_len(36)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(ArtifactBlobs::ArtifactId)
                            .string_len(36)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ArtifactBlobs::Field)
                            .string_len(255)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ArtifactBlobs::Key)
                            .string_len(255)
                            .not_null()
                            .default(""),
                    )
                    .col(
                        ColumnDef::new(ArtifactBlobs::Status)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(ArtifactBlobs::Size).big_integer().null())
                    .col(ColumnDef::new(ArtifactBlobs::Md5).string_len(32).null())
                    .col(ColumnDef::new(ArtifactBlobs::Sha1).string_len(40).null())
                    .col(ColumnDef::new(ArtifactBlobs::Sha256).string_len(64).null())
                    .col(
                        ColumnDef::new(ArtifactBlobs::ContentType)
                            .string_len(255)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(ArtifactBlobs::External)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(ColumnDef::new(ArtifactBlobs::Url).text().null())
                    .col(
                        ColumnDef::new(ArtifactBlobs::StorageKey)
                            .string_len(512)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(ArtifactBlobs::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ArtifactBlobs::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ArtifactBlobs::Table, ArtifactBlobs::ArtifactId)
                            .to(Artifacts::Table, Artifacts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_blobs_artifact_field_key")
                    .table(ArtifactBlobs::Table)
                    .col(ArtifactBlobs::ArtifactId)
                    .col(ArtifactBlobs::Field)
                    .col(ArtifactBlobs::Key)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ArtifactMembers::Table)
                    .col(
                        ColumnDef::new(ArtifactMembers::ArtifactId)
                            .string_len(36)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ArtifactMembers::TenantId)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ArtifactMembers::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(ArtifactMembers::ArtifactId)
                            .col(ArtifactMembers::TenantId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ArtifactMembers::Table, ArtifactMembers::ArtifactId)
                            .to(Artifacts::Table, Artifacts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ArtifactMembers::Table, ArtifactMembers::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_members_tenant")
                    .table(ArtifactMembers::Table)
                    .col(ArtifactMembers::TenantId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ArtifactMembers::Table.into_iden(),
            ArtifactBlobs::Table.into_iden(),
            ArtifactProperties::Table.into_iden(),
            Artifacts::Table.into_iden(),
            ArtifactTypes::Table.into_iden(),
            ApiTokens::Table.into_iden(),
            Memberships::Table.into_iden(),
            Users::Table.into_iden(),
            Tenants::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
