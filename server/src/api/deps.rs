//! `/artifacts/{type_name}/{id}/dependencies` and `/dependents`.

use axum::extract::{Path, State};
use serde::Serialize;
use utoipa::ToSchema;

use super::ApiJson;
use crate::caller::Caller;
use crate::error::{AppResult, ErrorBody};
use crate::services::{Catalog, deps};

/// The resolved dependency graph.
#[derive(Debug, Serialize, ToSchema)]
pub struct DependencyGraph {
    /// `{id, type_name, name, version, owner}` of the artifact asked about.
    #[schema(value_type = Object)]
    pub root: serde_json::Value,
    /// Every artifact reached, root first.
    #[schema(value_type = Vec<Object>)]
    pub nodes: Vec<serde_json::Value>,
    /// Each link: `from`, `field`, `semantics`, `requirement`, `implicit`,
    /// `status` (`resolved`, `missing`, `no_matching_version`,
    /// `external`); when resolved, `to` and `source`: `own` (the linking
    /// artifact's tenant), `public`, or `accepted_share` (another tenant's
    /// share that the linking tenant accepted). Artifacts the caller cannot
    /// see count as missing.
    #[schema(value_type = Vec<Object>)]
    pub edges: Vec<serde_json::Value>,
    /// Cycles: each group of artifacts that depend on each other in a
    /// circle (a strongly connected component), as sorted ids.
    pub cycles: Vec<Vec<String>>,
    /// Links that did not resolve.
    pub unresolved: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Dependents {
    /// Artifacts whose links resolve to this one, with the link.
    #[schema(value_type = Vec<Object>)]
    pub dependents: Vec<serde_json::Value>,
}

/// The artifact's dependencies, resolved to the highest visible matching
/// versions, transitively; missing targets and cycles are reported.
#[utoipa::path(
    get, path = "/api/v1/artifacts/{type_name}/{id}/dependencies", tag = "dependencies", operation_id = "dependency_graph",
    params(("type_name" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = DependencyGraph), (status = 404, body = ErrorBody))
)]
pub async fn graph(
    State(catalog): State<Catalog>,
    caller: Caller,
    Path((type_name, id)): Path<(String, String)>,
) -> AppResult<ApiJson<DependencyGraph>> {
    let g = deps::graph(&catalog, &caller, &type_name, &id).await?;
    Ok(ApiJson(DependencyGraph {
        root: to_json(&g.root),
        nodes: g.nodes.iter().map(to_json).collect(),
        edges: g.edges.iter().map(to_json).collect(),
        cycles: g.cycles,
        unresolved: g.unresolved,
    }))
}

/// Artifacts the caller can see that depend on this one.
#[utoipa::path(
    get, path = "/api/v1/artifacts/{type_name}/{id}/dependents", tag = "dependencies", operation_id = "dependents",
    params(("type_name" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = Dependents), (status = 404, body = ErrorBody))
)]
pub async fn dependents(
    State(catalog): State<Catalog>,
    caller: Caller,
    Path((type_name, id)): Path<(String, String)>,
) -> AppResult<ApiJson<Dependents>> {
    let found = deps::dependents(&catalog, &caller, &type_name, &id).await?;
    Ok(ApiJson(Dependents {
        dependents: found
            .into_iter()
            .map(|(node, link)| serde_json::json!({"artifact": node, "field": link.field, "semantics": link.semantics, "requirement": link.requirement, "implicit": link.implicit}))
            .collect(),
    }))
}

fn to_json<T: Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}
