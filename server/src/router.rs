//! Every route in one place: the REST API (routes and OpenAPI document from
//! the same annotations), the OpenAPI document, and the Leptos pages.

use std::sync::Arc;
use std::time::Duration;

use app::data::SharedCatalogData;
use axum::http::{HeaderName, HeaderValue};
use axum::routing::{any, get};
use axum::{Json, Router};
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::{artifacts, blobs, bundles, community, deps, listing, members, schemas};
use crate::pages::PageData;
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "appcat artifact API",
        description = "The OpenStack Glare v1 artifact API dialect, with appcat's extensions. \
            Authenticate with `X-Auth-Token: <token>` or `Authorization: Bearer <token>`; \
            without a token you are an anonymous visitor. Errors have one shape: \
            `{\"code\", \"title\", \"explanation\", \"error\": {\"message\", \"type\"}}`."
    ),
    components(schemas(crate::error::ErrorBody)),
    tags(
        (name = "schemas", description = "Artifact type definitions as JSON Schema"),
        (name = "artifacts", description = "Typed, versioned artifacts"),
        (name = "blobs", description = "Blob upload and download"),
        (name = "members", description = "Sharing with other tenants"),
        (name = "dependencies", description = "Resolved dependency graphs and reverse dependencies"),
        (name = "bundles", description = "An artifact with its dependency closure as one archive"),
        (name = "listing", description = "Requests for a public listing and their approval"),
        (name = "community", description = "Ratings, reviews, moderation and download statistics")
    )
)]
struct ApiDoc;

/// The API routes and their OpenAPI document.
pub fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(schemas::list))
        .routes(routes!(schemas::show))
        .routes(routes!(artifacts::list, artifacts::create))
        .routes(routes!(
            artifacts::show,
            artifacts::update,
            artifacts::delete
        ))
        .routes(routes!(members::list, members::add))
        .routes(routes!(members::remove, members::answer))
        .routes(routes!(members::offers))
        .routes(routes!(deps::graph))
        .routes(routes!(deps::dependents))
        .routes(routes!(bundles::export))
        .routes(routes!(bundles::import))
        .routes(routes!(listing::create))
        .routes(routes!(listing::list))
        .routes(routes!(listing::approve))
        .routes(routes!(listing::reject))
        .routes(routes!(
            community::rating_get,
            community::rating_put,
            community::rating_delete
        ))
        .routes(routes!(community::review_list, community::review_create))
        .routes(routes!(community::review_edit, community::review_delete))
        .routes(routes!(community::review_report))
        .routes(routes!(community::review_moderate))
        .routes(routes!(community::moderation_log))
        .routes(routes!(community::artifact_stats))
        .routes(routes!(blobs::upload, blobs::download, blobs::remove))
        .routes(routes!(
            blobs::upload_entry,
            blobs::download_entry,
            blobs::remove_entry
        ))
        .split_for_parts()
}

pub fn openapi() -> utoipa::openapi::OpenApi {
    api().1
}

async fn api_not_found() -> crate::error::AppError {
    crate::error::not_found("no such API resource")
}

/// The API root: which API this is.
async fn versions() -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "versions": [{"id": "v1.1", "status": "CURRENT", "min_version": "1.0", "version": "1.1",
                      "links": [{"rel": "self", "href": "/api/v1/"}]}]
    }))
}

/// The pages' routes, generated once per process. Generating them renders
/// the app with resource loading suppressed through a process-wide flag
/// (leptos_server's `SuppressResourceLoad`), so a page being rendered at the
/// same moment in the same process would wait forever for its first
/// resource; building the list once, before any router exists, rules that
/// out (it matters for tests, which build many routers side by side).
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(app::App)).clone()
}

/// The whole application.
pub fn app(state: AppState, request_timeout: Duration) -> Router {
    let (api_routes, doc) = api();
    let doc = Arc::new(doc);
    let api_routes = api_routes
        .route(
            "/api/openapi.json",
            get(move || async move { Json(doc.as_ref().clone()) }),
        )
        .route("/api/v1/{*rest}", any(api_not_found))
        .route("/api/v1", get(versions))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("openstack-api-version"),
            HeaderValue::from_static("artifact 1.1"),
        ));

    let leptos_options = state.leptos_options.clone();
    let routes = route_list();
    let data: SharedCatalogData = Arc::new(PageData {
        catalog: state.catalog.clone(),
        web: state.web.clone(),
    });
    let context = move || {
        provide_context(data.clone());
        crate::headers::set_page_policy();
    };
    let pages = Router::new()
        .leptos_routes_with_context(&state, routes, context.clone(), {
            let options = leptos_options.clone();
            move || app::shell(options.clone())
        })
        .route(
            "/_server/{*fn_name}",
            axum::routing::post({
                let context = context.clone();
                move |req| leptos_axum::handle_server_fns_with_context(context.clone(), req)
            }),
        )
        .merge(crate::web::routes())
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, app::shell))
        // Page requests are short; blob transfers on the API are not bounded.
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            request_timeout,
        ));

    let sessions = crate::web::session_layer(state.catalog.db.clone(), &state.web);
    api_routes
        .merge(pages)
        .merge(crate::web::upload_routes())
        .layer(sessions)
        .layer(axum::middleware::from_fn(crate::headers::security_headers))
        .layer(axum::Extension(crate::http::TrustedProxies(Arc::new(
            state.web.trusted_proxies.clone(),
        ))))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
