//! Ratings, reviews and statistics on the detail page. The chart is an SVG
//! drawn on the server, readable without JavaScript; every action is a
//! plain form posting to `/community/...` with the session's CSRF token.

use leptos::prelude::*;

use crate::models::{Community, DayStat, ReviewInfo};
use crate::ui::Csrf;
use crate::urls::encode;

/// "4.3 ★ (12)" or "no ratings yet".
pub fn rating_text(rating: Option<f64>, count: u64) -> String {
    match rating {
        Some(r) if count > 0 => format!(
            "{r:.1} ★ ({count} rating{})",
            if count == 1 { "" } else { "s" }
        ),
        _ => "no ratings yet".to_owned(),
    }
}

/// Last 90 days of downloads (bars) and page views (line), as SVG.
#[component]
pub fn StatsChart(days: Vec<DayStat>) -> impl IntoView {
    const W: f64 = 720.0;
    const H: f64 = 160.0;
    const PAD: f64 = 24.0;
    let max = days
        .iter()
        .map(|d| d.downloads.max(d.views))
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let n = days.len().max(1) as f64;
    let step = (W - PAD) / n;
    let y = |v: u64| H - PAD - (v as f64 / max) * (H - 2.0 * PAD);
    let bars = days
        .iter()
        .enumerate()
        .filter(|(_, d)| d.downloads > 0)
        .map(|(i, d)| {
            let top = y(d.downloads);
            let title = format!("{}: {} downloads, {} views", d.day, d.downloads, d.views);
            view! {
                <rect x=format!("{:.1}", PAD + i as f64 * step) y=format!("{top:.1}")
                    width=format!("{:.1}", (step - 1.0).max(1.0)) height=format!("{:.1}", (H - PAD - top).max(0.0))
                    class="bar"><title>{title}</title></rect>
            }
        })
        .collect_view();
    let line: Vec<String> = days
        .iter()
        .enumerate()
        .map(|(i, d)| format!("{:.1},{:.1}", PAD + (i as f64 + 0.5) * step, y(d.views)))
        .collect();
    let first = days.first().map(|d| d.day.clone()).unwrap_or_default();
    let last = days.last().map(|d| d.day.clone()).unwrap_or_default();
    let total_downloads: u64 = days.iter().map(|d| d.downloads).sum();
    let total_views: u64 = days.iter().map(|d| d.views).sum();
    let label = format!(
        "Downloads and page views per day from {first} to {last}: {total_downloads} downloads, {total_views} page views, at most {} a day.",
        max as u64
    );
    view! {
        <figure class="chart">
            <svg viewBox=format!("0 0 {W} {H}") role="img" aria-label=label.clone() preserveAspectRatio="none">
                <line x1=PAD y1=H - PAD x2=W y2=H - PAD class="axis" />
                <text x="0" y=PAD class="tick">{(max as u64).to_string()}</text>
                <text x="0" y=H - PAD class="tick">"0"</text>
                {bars}
                <polyline points=line.join(" ") class="views" />
                <text x=PAD y=H - 4.0 class="tick">{first.clone()}</text>
                <text x=W y=H - 4.0 class="tick end">{last.clone()}</text>
            </svg>
            <figcaption>
                <span class="key downloads">"■ downloads"</span> " " <span class="key views">"— page views"</span>
                " · last 90 days"
            </figcaption>
        </figure>
    }
}

fn review_item(
    r: ReviewInfo,
    base: String,
    next: String,
    token: String,
    c: &Community,
    reply_allowed: bool,
) -> AnyView {
    let action = format!("{base}/review/{}", encode(&r.id));
    let can_moderate = c.can_moderate;
    let signed_in = c.signed_in;
    let reply_form = (reply_allowed && c.can_reply && !r.hidden).then(|| {
        let id = format!("reply-{}", r.id);
        view! {
            <details class="reply-form">
                <summary>"Reply as the publisher"</summary>
                <form method="post" action=format!("{base}/review") class="stack">
                    <Csrf token=token.clone() />
                    <input type="hidden" name="next" value=next.clone() />
                    <input type="hidden" name="parent_id" value=r.id.clone() />
                    <label for=id.clone()>"Your reply (Markdown)"</label>
                    <textarea id=id name="body" rows="3" required maxlength="5000"></textarea>
                    <button type="submit">"Reply"</button>
                </form>
            </details>
        }
    });
    let edit_id = format!("edit-{}", r.id);
    let report_id = format!("report-{}", r.id);
    let replies = r
        .replies
        .iter()
        .cloned()
        .map(|x| review_item(x, base.clone(), next.clone(), token.clone(), c, false))
        .collect_view();
    view! {
        <li class="review" class:hidden-review=r.hidden id=format!("review-{}", r.id)>
            <p class="review-meta">
                <strong>{r.author.clone()}</strong>
                {r.by_publisher.then(|| view! { " " <span class="badge">"publisher"</span> })}
                " · " {format!("version {}", r.version)} " · " {r.created_at.clone()}
                {r.edited.then_some(" · edited")}
                {r.hidden.then(|| view! { " " <span class="badge status-deactivated">"hidden"</span> })}
                {(can_moderate && r.reports > 0).then(|| view! { " " <span class="badge">{format!("{} report(s)", r.reports)}</span> })}
            </p>
            <div class="review-body" inner_html=r.body_html.clone()></div>
            <div class="actions">
                {r.can_edit.then(|| view! {
                    <details>
                        <summary>"Edit"</summary>
                        <form method="post" action=action.clone() class="stack">
                            <Csrf token=token.clone() />
                            <input type="hidden" name="next" value=next.clone() />
                            <input type="hidden" name="action" value="edit" />
                            <label for=edit_id.clone()>"Your review (Markdown)"</label>
                            <textarea id=edit_id.clone() name="body" rows="4" required maxlength="5000">{crate::ui::textarea_text(r.body.clone())}</textarea>
                            <button type="submit">"Save"</button>
                        </form>
                    </details>
                    <form method="post" action=action.clone() class="inline">
                        <Csrf token=token.clone() />
                        <input type="hidden" name="next" value=next.clone() />
                        <button type="submit" name="action" value="delete" class="link">"Delete"</button>
                    </form>
                })}
                {(signed_in && !r.can_edit).then(|| view! {
                    <details>
                        <summary>"Report"</summary>
                        <form method="post" action=action.clone() class="inline">
                            <Csrf token=token.clone() />
                            <input type="hidden" name="next" value=next.clone() />
                            <input type="hidden" name="action" value="report" />
                            <label for=report_id.clone()>"Why?"</label>
                            <input id=report_id.clone() name="reason" maxlength="2000" />
                            <button type="submit" class="secondary">"Report to moderators"</button>
                        </form>
                    </details>
                })}
                {can_moderate.then(|| view! {
                    <form method="post" action=action.clone() class="inline moderate">
                        <Csrf token=token.clone() />
                        <input type="hidden" name="next" value=next.clone() />
                        <input name="note" placeholder="Moderation note" aria-label="Moderation note" />
                        {if r.hidden {
                            view! { <button type="submit" name="action" value="unhide" class="secondary">"Show again"</button> }.into_any()
                        } else {
                            view! { <button type="submit" name="action" value="hide" class="secondary">"Hide"</button> }.into_any()
                        }}
                        <button type="submit" name="action" value="delete" class="danger">"Delete"</button>
                    </form>
                })}
            </div>
            {reply_form}
            {(!r.replies.is_empty()).then(|| view! { <ul class="replies">{replies}</ul> })}
        </li>
    }
    .into_any()
}

/// The detail page's community section.
#[component]
pub fn CommunitySection(
    c: Community,
    type_name: String,
    id: String,
    /// The detail page's own address, to come back to after a form.
    here: String,
    token: String,
) -> impl IntoView {
    let base = format!("/community/{}/{}", encode(&type_name), encode(&id));
    let stars_form = c.signed_in.then(|| {
        let mine = c.my_rating;
        view! {
            <form method="post" action=format!("{base}/rate") class="inline rate" id="rate-form">
                <Csrf token=token.clone() />
                <input type="hidden" name="next" value=here.clone() />
                <fieldset class="stars">
                    <legend>{if mine.is_some() { "Your rating" } else { "Rate it" }}</legend>
                    {(1u8..=5).map(|s| {
                        let id = format!("star-{s}");
                        view! {
                            <input type="radio" name="stars" id=id.clone() value=s.to_string() checked=mine == Some(s) required />
                            <label for=id>{format!("{s} ★")}</label>
                        }
                    }).collect_view()}
                </fieldset>
                <button type="submit">"Rate"</button>
                {mine.is_some().then(|| view! {
                    <button type="submit" name="action" value="remove" class="link">"Remove my rating"</button>
                })}
            </form>
        }
    });
    let pager = (c.pages > 1).then(|| {
        let sep = if here.contains('?') { '&' } else { '?' };
        let prev = (c.page > 1).then(|| format!("{here}{sep}reviews={}#reviews", c.page - 1));
        let next = (c.page < c.pages).then(|| format!("{here}{sep}reviews={}#reviews", c.page + 1));
        view! {
            <nav class="pager" aria-label="Review pages">
                {prev.map(|h| view! { <a href=h rel="prev">"Newer reviews"</a> })}
                <span>{format!("page {} of {}", c.page, c.pages)}</span>
                {next.map(|h| view! { <a href=h rel="next">"Older reviews"</a> })}
            </nav>
        }
    });
    let items = c
        .reviews
        .iter()
        .cloned()
        .map(|r| review_item(r, base.clone(), here.clone(), token.clone(), &c, true))
        .collect_view();
    let sign_in = format!("/login?next={}", encode(&here));
    view! {
        <section class="community" id="community">
            <h2>"Ratings"</h2>
            <p class="rating" id="rating-summary">{rating_text(c.rating, c.rating_count)}</p>
            {stars_form}
            <h2>"Usage"</h2>
            <p class="usage" id="usage">
                {format!("{} downloads · {} page views (this version)", c.downloads_total, c.views_total)}
            </p>
            <StatsChart days=c.days.clone() />
            <h2 id="reviews">{format!("Reviews ({})", c.reviews_total)}</h2>
            {if c.reviews.is_empty() {
                view! { <p class="hint">"No reviews yet."</p> }.into_any()
            } else {
                view! { <ul class="reviews">{items}</ul> }.into_any()
            }}
            {pager}
            {if c.can_review {
                view! {
                    <form method="post" action=format!("{base}/review") class="stack wide" id="review-form">
                        <Csrf token=token.clone() />
                        <input type="hidden" name="next" value=here.clone() />
                        <label for="review-body">"Write a review of this version (Markdown)"</label>
                        <textarea id="review-body" name="body" rows="4" required maxlength="5000"></textarea>
                        <button type="submit">"Post review"</button>
                    </form>
                }.into_any()
            } else if !c.signed_in {
                view! { <p class="hint"><a href=sign_in>"Sign in"</a> " to rate and review."</p> }.into_any()
            } else {
                view! { <p class="hint">"Only active artifacts are reviewed."</p> }.into_any()
            }}
        </section>
    }
}
