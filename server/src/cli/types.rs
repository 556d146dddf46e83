//! `appcat types`: check and list the artifact type definitions.

use clap::Subcommand;

use crate::services::Catalog;

#[derive(Debug, Subcommand)]
pub enum TypesCommand {
    /// Load the definitions, check them against the database (recording a
    /// new version and running its migration rules, as a start would), list them.
    Check,
}

pub(super) fn run(catalog: &Catalog, command: TypesCommand) {
    match command {
        TypesCommand::Check => {
            for ty in catalog.types.all() {
                println!(
                    "{}\t{}\t{}\t{} fields, {} blobs, {} links",
                    ty.name(),
                    ty.def.version,
                    ty.def.display_name,
                    ty.def.fields.len(),
                    ty.def.blobs.len(),
                    ty.def.links.len()
                );
            }
        }
    }
}
