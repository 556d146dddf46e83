//! Database schema of appcat, as sea-orm migrations.
//!
//! The crate is both a library (`Migrator`, used by `appcat migrate` and at
//! start-up) and a small CLI (`cargo run -p migrations -- up|down|fresh|status`).

pub use sea_orm_migration::prelude::*;

mod m20261125_000001_init;
mod m20261130_000001_web;
mod m20261201_000001_community;
mod m20261202_000001_login_throttle;
mod m20261203_000001_trust;
mod m20261203_000002_upload_heartbeat;
mod m20261204_000001_list_engine;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_init::Migration),
            Box::new(m20261130_000001_web::Migration),
            Box::new(m20261201_000001_community::Migration),
            Box::new(m20261202_000001_login_throttle::Migration),
            Box::new(m20261203_000001_trust::Migration),
            Box::new(m20261203_000002_upload_heartbeat::Migration),
            Box::new(m20261204_000001_list_engine::Migration),
        ]
    }
}
