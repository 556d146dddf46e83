//! `appcat demo`: the demo catalog, loaded once into an empty catalog.

use super::imports::{print_report, progress_bar, report_to};
use super::tenants::ensure_tenant;
use crate::caller::{Caller, Role};
use crate::services::list::{Filter, ListQuery, SortOrder};
use crate::services::{Catalog, accounts, import};

/// Loads the demo catalog once: the legacy catalog and the Murano packages
/// of the shared data folder, into the public tenant `openstack`.
pub(super) async fn demo(catalog: &Catalog, data: &std::path::Path) -> anyhow::Result<()> {
    let assets = data.join("app-catalog/assets.yaml");
    if !assets.is_file() {
        println!(
            "no demo data at {} (set APPCAT_SHARED_DATA); the catalog starts empty. Import with \
             `appcat import app-catalog <assets.yaml> --tenant <t>` or `appcat import murano <dir> --tenant <t> --public`",
            data.display()
        );
        return Ok(());
    }
    let page = crate::services::list::list(
        catalog,
        &Caller::system("openstack"),
        &ListQuery::new("all").limit(1),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    if page.total_count > 0 {
        println!(
            "the catalog already holds {} artifacts; demo data not loaded again",
            page.total_count
        );
        return Ok(());
    }
    ensure_tenant(&catalog.db, "openstack").await?;
    let murano_dir = data.join("murano");
    if murano_dir.is_dir() {
        let bar = progress_bar("packages");
        let report =
            import::import_murano(catalog, "openstack", &[murano_dir], true, &report_to(&bar))
                .await;
        bar.finish_and_clear();
        print_report("Murano packages", &report);
    }
    let text = std::fs::read(&assets)?;
    let dead = std::fs::read(data.join("app-catalog/assets_dead.yaml")).ok();
    let bar = progress_bar("assets");
    let report = import::import_app_catalog(
        catalog,
        "openstack",
        &text,
        dead.as_deref(),
        &report_to(&bar),
    )
    .await
    .map_err(|e| anyhow::anyhow!(e))?;
    bar.finish_and_clear();
    print_report("apps.openstack.org assets", &report);
    demo_community(catalog)
        .await
        .map_err(|e| anyhow::anyhow!("demo reviews: {e}"))?;
    crate::services::list::analyze(catalog)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}

/// A few clearly labelled demo ratings, reviews, a publisher reply and 90
/// days of download history on some apps, so the community features show
/// on a fresh demo. Only `appcat demo` writes these, never a migration.
async fn demo_community(catalog: &Catalog) -> Result<(), crate::error::AppError> {
    use crate::caller::{Principal, Scope};
    use crate::services::{community, stats};
    use std::collections::BTreeSet;
    let db = &catalog.db;
    let as_user = |u: &crate::entities::user::Model, tenant: &str, role: Option<Role>| {
        Caller::User(Principal {
            user_id: u.id.clone(),
            username: u.username.clone(),
            tenant: tenant.to_owned(),
            role,
            is_admin: false,
            scopes: BTreeSet::from([Scope::Read, Scope::Write, Scope::Publish]),
        })
    };
    let mut reviewers = Vec::new();
    for name in ["demo-reviewer-1", "demo-reviewer-2", "demo-reviewer-3"] {
        let u = accounts::create_user(db, name, Some("Demo reviewer"), None, false).await?;
        reviewers.push(as_user(&u, "", None));
    }
    let publisher =
        accounts::create_user(db, "demo-publisher", Some("Demo publisher"), None, false).await?;
    accounts::set_membership(db, "demo-publisher", "openstack", Role::Admin).await?;
    let publisher = as_user(&publisher, "openstack", Some(Role::Admin));

    let mut picked = Vec::new();
    for ty in ["murano_packages", "heat_templates", "images"] {
        let page = crate::services::list::list(
            catalog,
            &Caller::Anonymous,
            &ListQuery::new(ty)
                .eq("status", "active")
                .filter(Filter::Latest)
                .sort("name", SortOrder::Asc)
                .limit(3),
        )
        .await?;
        for a in page.artifacts {
            picked.push((a.type_name, a.id, a.name));
        }
    }
    const LABEL: &str = "*(Demo review: sample data loaded by `appcat demo`.)*";
    let texts = [
        "Deployed it on a test cloud in minutes; the defaults are sensible.",
        "Works, but the **documentation** could say more about the required flavors.",
        "Solid. We use it in our CI environment.",
    ];
    let today = chrono::Utc::now().date_naive();
    for (i, (ty, id, name)) in picked.iter().enumerate() {
        for (j, r) in reviewers.iter().enumerate() {
            let stars = 3 + ((i + j) % 3) as i64;
            community::rate(catalog, r, ty, id, stars).await?;
        }
        if i % 2 == 0 {
            let review = community::create(
                catalog,
                &reviewers[i % reviewers.len()],
                ty,
                id,
                &format!("{LABEL}\n\n{}", texts[i % texts.len()]),
                None,
            )
            .await?;
            if i % 4 == 0 {
                community::create(
                    catalog,
                    &publisher,
                    ty,
                    id,
                    &format!(
                        "{LABEL}\n\nThanks! {name} gets more documentation in its next release."
                    ),
                    Some(&review.id),
                )
                .await?;
            }
        }
        // 90 days of history, varying by day and artifact.
        let days: Vec<(String, u64, u64)> = (0..90)
            .map(|d| {
                let day = today - chrono::Duration::days(89 - d);
                let wave = ((d as u64 * 7 + i as u64 * 13) % 11) + (d as u64 / 15);
                (day.format("%Y-%m-%d").to_string(), wave, wave * 3 + 2)
            })
            .collect();
        stats::add_history(catalog, id, &days).await?;
    }
    println!(
        "demo community data: {} apps with demo ratings, reviews (labelled as demo) and 90 days of download history",
        picked.len()
    );
    Ok(())
}
