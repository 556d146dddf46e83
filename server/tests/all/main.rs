//! Integration tests: the real router, a real database built by the real
//! migrations (SQLite by default, PostgreSQL when APPCAT_TEST_DATABASE_URL
//! is set), and a blob store in a temporary directory.

mod access;
mod artifacts;
mod blobs;
mod builders;
mod bundles;
mod common;
mod community;
mod filters;
mod imports;
mod list_engine;
mod openapi;
mod pages;
mod schema_rules;
mod security;
mod shapes;
mod shared_data;
mod type_versions;
mod web;
