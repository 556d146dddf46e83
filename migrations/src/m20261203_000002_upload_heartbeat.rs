//! Crash safety of uploads: a `saving` blob row records the storage key its
//! upload writes into (`upload_key`, set by the claim, before any byte is
//! written), so whoever finds the upload abandoned (its heartbeat in
//! `updated_at` too old) knows which partial file to remove. Indexes serve
//! the periodic sweeps: abandoned uploads by status and age, and the orphan
//! sweep's "does any row reference this key" by either key column.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ArtifactBlobs {
    Table,
    Status,
    UpdatedAt,
    StorageKey,
    UploadKey,
}

const STATUS_UPDATED: &str = "ix_artifact_blobs_status_updated";
const STORAGE_KEY: &str = "ix_artifact_blobs_storage_key";
const UPLOAD_KEY: &str = "ix_artifact_blobs_upload_key";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ArtifactBlobs::Table)
                    .add_column(
                        ColumnDef::new(ArtifactBlobs::UploadKey)
                            .string_len(512)
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(STATUS_UPDATED)
                    .table(ArtifactBlobs::Table)
                    .col(ArtifactBlobs::Status)
                    .col(ArtifactBlobs::UpdatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(STORAGE_KEY)
                    .table(ArtifactBlobs::Table)
                    .col(ArtifactBlobs::StorageKey)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(UPLOAD_KEY)
                    .table(ArtifactBlobs::Table)
                    .col(ArtifactBlobs::UploadKey)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in [STATUS_UPDATED, STORAGE_KEY, UPLOAD_KEY] {
            manager
                .drop_index(
                    Index::drop()
                        .name(name)
                        .table(ArtifactBlobs::Table)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(ArtifactBlobs::Table)
                    .drop_column(ArtifactBlobs::UploadKey)
                    .to_owned(),
            )
            .await
    }
}
