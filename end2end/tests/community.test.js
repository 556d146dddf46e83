// Browser tests of the community features of the detail page: ratings,
// reviews with Markdown, the publisher's replies, reports, moderation (hide,
// show again, delete) and its log on /admin, with and without JavaScript;
// what anonymous visitors see (and do not see of a private artifact); and
// the download and page-view counts with their chart, checked against the
// stats API. Debian's chromium, driven by playwright-core, against the real
// appcat binary (see server.js); helpers in browser.js.
//
//   cd end2end && npm ci && node --test tests/community.test.js
//
// Screenshots (detail-community.png, admin-moderation.png) go to
// APPCAT_SCREENSHOT_DIR when it is set.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  DOCUMENT_STATUS,
  assertNoProblems,
  expectFlash,
  fillLogin,
  launchBrowser,
  openPage,
  screenshot,
  screenshotOf,
  signedInAs,
  submit,
  visit,
} from './browser.js';
import { startServer } from './server.js';

const TIMEOUT = 180_000;
const TYPE = 'heat_templates';
const TEMPLATE = 'heat_template_version: 2018-08-31\ndescription: e2e\nresources: {}\n';

let server;
let browser;
let seeded;

const PASSWORDS = { alice: 'alice-password-1', root: 'root-password-1' };

before(async () => {
  // The test runner plays a reverse proxy at 127.0.0.1: its X-Forwarded-For
  // names the client when downloads are counted.
  server = await startServer({ env: { APPCAT_TRUSTED_PROXIES: '127.0.0.1,::1' } });
  seeded = await server.seed();
  for (const [user, password] of Object.entries(PASSWORDS)) {
    const out = await server.cli('user', 'set-password', user, { input: `${password}\n` });
    assert.match(out, new RegExp(`password set for ${user}`));
  }
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

// ---------------------------------------------------------------------------
// Helpers

/** The detail page of `name`'s version `version`: where the forms come back to. */
const detailOf = (name, version) => `/apps/${TYPE}/${name}?version=${version}`;

/** An active heat template of acme (made with alice's token), made public by root. */
async function publicArtifact(name, version, description = '') {
  const { alice, root } = seeded.tokens;
  const a = await server.api('POST', `/api/v1/artifacts/${TYPE}`, {
    token: alice,
    body: { name, version, description, tags: ['community-e2e'] },
    expect: 201,
  });
  const p = `/api/v1/artifacts/${TYPE}/${a.id}`;
  await server.api('PUT', `${p}/template`, { token: alice, body: TEMPLATE, contentType: 'application/x-yaml' });
  const patch = (token, path, value) =>
    server.api('PATCH', p, {
      token,
      body: [{ op: 'replace', path, value }],
      contentType: 'application/json-patch+json',
    });
  assert.equal((await patch(alice, '/status', 'active')).status, 'active');
  const published = await patch(root, '/visibility', 'public');
  assert.equal(published.visibility, 'public');
  return published;
}

/** GETs an API path as `token` (or anonymously); returns { status, body }. */
async function apiGet(p, { token, userAgent } = {}) {
  const headers = {};
  if (token) headers['X-Auth-Token'] = token;
  if (userAgent) headers['User-Agent'] = userAgent;
  const res = await fetch(server.url(p), { headers });
  const text = await res.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  return { status: res.status, body, text };
}

/** Registers through /register; ends on /space, signed in. */
async function register(h, username, password) {
  const { page } = h;
  await visit(h, '/register');
  await page.fill('#register-form #username', username);
  await page.fill('#register-form #display_name', `${username} (e2e)`);
  await page.fill('#register-form #email', `${username}@example.test`);
  await page.fill('#register-form #password', password);
  await page.fill('#register-form #password2', password);
  await submit(h, () => page.locator('#register-form button[type=submit]', { hasText: 'Create account' }).click());
  assert.equal(new URL(page.url()).pathname, '/space', 'registration ends on /space');
  await expectFlash(page, 'ok', `Welcome, ${username} (e2e)! Your tenant '${username}' is ready.`);
  assert.equal(await signedInAs(page), username);
}

/** Signs in through /login?next=`next`; ends on `next`. */
async function signIn(h, username, password, next) {
  await visit(h, `/login?next=${encodeURIComponent(next)}`);
  assert.equal(await h.page.locator('#login-form input[name=next]').inputValue(), next);
  await fillLogin(h, username, password);
  const url = new URL(h.page.url());
  assert.equal(`${url.pathname}${url.search}`, next, 'back on the page sign-in was asked for');
  await expectFlash(h.page, 'ok', `Signed in as ${username}.`);
  assert.equal(await signedInAs(h.page), username);
}

/** The text of a locator, whitespace collapsed. */
const text = async (loc) => (await loc.innerText()).replace(/\s+/g, ' ').trim();

const summary = (page) => text(page.locator('section#community p#rating-summary'));
const reviewsHeading = (page) => text(page.locator('section#community h2#reviews'));
const topReviews = (page) => page.locator('section#community ul.reviews > li.review');
const review = (page, id) => page.locator(`li.review#review-${id}`);
/** The badges of a review's own meta line (not of its replies). */
const badges = (page, id) => page.locator(`li#review-${id} > p.review-meta span.badge`).allInnerTexts();

/** Checks the page is `path` (with its query) and, after a form, the #reviews fragment. */
function assertAt(page, path, hash = '') {
  const url = new URL(page.url());
  assert.equal(`${url.pathname}${url.search}`, path, `at ${page.url()}`);
  assert.equal(url.hash, hash, `fragment of ${page.url()}`);
}

/** Rates with the star form: a click on the label of `stars`, then "Rate". */
async function rate(h, stars) {
  const { page } = h;
  const form = page.locator('section#community form#rate-form');
  assert.equal(await form.count(), 1, 'the rating form is offered');
  assert.equal(await form.getAttribute('method'), 'post');
  assert.match(await form.getAttribute('action'), new RegExp(`^/community/${TYPE}/[0-9a-f-]{36}/rate$`));
  const labels = await form.locator('fieldset.stars label').allInnerTexts();
  assert.deepEqual(labels.map((l) => l.trim()), ['1 ★', '2 ★', '3 ★', '4 ★', '5 ★']);
  await form.locator(`label[for=star-${stars}]`).click();
  assert.equal(await page.locator(`#star-${stars}`).isChecked(), true, `${stars} stars chosen`);
  await submit(h, () => form.locator('button[type=submit]:not([name=action])', { hasText: /^Rate$/ }).click());
  await expectFlash(page, 'ok', `Rated ${stars} ★.`);
  // The form shows the caller's rating.
  for (let s = 1; s <= 5; s++) {
    assert.equal(await page.locator(`#rate-form #star-${s}`).isChecked(), s === stars, `star-${s} checked after rating ${stars}`);
  }
  assert.equal(await text(page.locator('#rate-form legend')), 'Your rating');
  assert.equal(await page.locator('#rate-form button[name=action][value=remove]', { hasText: 'Remove my rating' }).count(), 1);
}

/** Posts a review through #review-form; returns the new review's id. */
async function postReview(h, body, marker) {
  const { page } = h;
  const before = await topReviews(page).evaluateAll((lis) => lis.map((li) => li.id));
  const form = page.locator('section#community form#review-form');
  assert.equal(await form.count(), 1, 'the review form is offered');
  assert.equal(await text(form.locator('label[for=review-body]')), 'Write a review of this version (Markdown)');
  await page.fill('#review-body', body);
  await submit(h, () => form.locator('button[type=submit]', { hasText: 'Post review' }).click());
  await expectFlash(page, 'ok', 'Review posted.');
  const li = topReviews(page).filter({ hasText: marker });
  assert.equal(await li.count(), 1, `one review saying "${marker}"`);
  const domId = await li.getAttribute('id');
  const m = domId.match(/^review-([0-9a-f-]{36})$/);
  assert.ok(m, `review element id: ${domId}`);
  assert.ok(!before.includes(domId), 'a new review');
  return m[1];
}

/** Opens the <details> whose summary is `label` inside `scope`; waits until its `content` shows. */
async function openDetails(scope, label, content = 'form') {
  const details = scope.locator('details').filter({ has: scope.page().locator('summary', { hasText: new RegExp(`^${label}$`) }) });
  assert.equal(await details.count(), 1, `one "${label}" disclosure`);
  await details.locator('summary').click();
  await details.locator(content).waitFor({ state: 'visible' });
  assert.equal(await details.evaluate((d) => d.open), true, `"${label}" is open`);
  return details;
}

/** Hides or shows again a review with the moderators' form. */
async function moderate(h, id, action, note, expected) {
  const form = h.page.locator(`li#review-${id} > div.actions form.moderate`);
  assert.equal(await form.count(), 1, 'the moderation form');
  await form.locator('input[name=note]').fill(note);
  const label = action === 'hide' ? 'Hide' : 'Show again';
  const button = form.locator(`button[name=action][value=${action}]`);
  assert.equal(await text(button), label);
  await submit(h, () => button.click());
  await expectFlash(h.page, 'ok', expected);
}

/** Reports a review with a reason through its "Report" disclosure. */
async function report(h, id, reason) {
  const details = await openDetails(h.page.locator(`li#review-${id} > div.actions`), 'Report');
  await details.locator(`#report-${id}`).fill(reason);
  await submit(h, () => details.locator('button[type=submit]', { hasText: 'Report to moderators' }).click());
}

/** Replies as the publisher under review `id`; returns the reply's id. */
async function reply(h, id, body, marker) {
  const { page } = h;
  const details = page.locator(`li#review-${id} > details.reply-form`);
  assert.equal(await details.count(), 1, 'the publisher is offered a reply form');
  assert.equal(await text(details.locator('summary')), 'Reply as the publisher');
  await details.locator('summary').click();
  await details.locator('form').waitFor({ state: 'visible' });
  await details.locator(`#reply-${id}`).fill(body);
  await submit(h, () => details.locator('button[type=submit]', { hasText: /^Reply$/ }).click());
  await expectFlash(page, 'ok', 'Reply posted.');
  const li = page.locator(`li#review-${id} > ul.replies > li.review`).filter({ hasText: marker });
  assert.equal(await li.count(), 1, 'the reply is under the review');
  const replyId = (await li.getAttribute('id')).replace(/^review-/, '');
  assert.match(replyId, /^[0-9a-f-]{36}$/);
  return replyId;
}

/** The moderation log's rows on /admin: [{ when, who, action, artifact, note }], newest first. */
async function moderationLog(page) {
  const details = page.locator('section#moderation details').filter({ has: page.locator('summary', { hasText: 'Moderation log' }) });
  assert.equal(await details.count(), 1, 'a "Moderation log" disclosure');
  const headers = await details.locator('table#moderation-log thead th').allTextContents();
  assert.deepEqual(headers.map((t) => t.trim()), ['When', 'Who', 'Action', 'Artifact', 'Note']);
  return details.locator('table#moderation-log tbody tr').evaluateAll((rows) =>
    rows.map((tr) => {
      const [when, who, action, artifact, note] = [...tr.querySelectorAll('td')].map((td) => td.textContent.trim());
      return { when, who, action, artifact, note };
    }),
  );
}

/** The reported reviews on /admin: { heading, items: [{ href, text, quote }] }. */
async function reportedReviews(page) {
  const section = page.locator('main section#moderation');
  assert.equal(await section.count(), 1, 'a moderation section on /admin');
  const heading = await text(section.locator('h2').first());
  const items = await section.locator('li.reported-item').evaluateAll((lis) =>
    lis.map((li) => ({
      href: li.querySelector('a')?.getAttribute('href'),
      text: li.textContent.replace(/\s+/g, ' ').trim(),
      quote: li.querySelector('blockquote')?.textContent.trim(),
    })),
  );
  return { heading, items };
}

/** Downloads the template blob of `id` from node with `userAgent` (and a token); checks the bytes. */
async function download(id, userAgent, token, address = '198.51.100.1') {
  const headers = { 'User-Agent': userAgent, 'X-Forwarded-For': address };
  if (token) headers['X-Auth-Token'] = token;
  const res = await fetch(server.url(`/api/v1/artifacts/${TYPE}/${id}/template`), { headers });
  const body = await res.text();
  assert.equal(res.status, 200, `GET template as ${userAgent}: ${body.slice(0, 200)}`);
  assert.equal(body, TEMPLATE, 'the downloaded template');
}

/** The usage line the detail page shows. */
const usageText = (downloads, views) => `${downloads} downloads · ${views} page views (this version)`;

/** Checks that no <script> of the page ran (JavaScript disabled). */
function assertNoScripts(h) {
  assert.equal(h.responses.filter((r) => r.request().resourceType() === 'script').length, 0, 'no script was loaded');
}

// ---------------------------------------------------------------------------

describe('community', { timeout: TIMEOUT * 5 }, () => {
  test('with JavaScript: rate, review with Markdown, edit, publisher reply, report, hide, log, show again, delete', { timeout: TIMEOUT }, async () => {
    const hello = seeded.publicArtifact;
    const here = detailOf('hello', '1.0.0');
    const contexts = [];
    const open = async (opts) => {
      const h = await openPage(browser, server, opts);
      contexts.push(h);
      return h;
    };
    try {
      // --- The author: registers, rates, reviews, edits.
      const author = await open();
      const ap = author.page;
      await register(author, 'rhea', 'rhea-password-1');
      await visit(author, `/apps/${TYPE}/hello`);
      assert.equal(await summary(ap), 'no ratings yet');
      assert.equal(await text(ap.locator('#rate-form legend')), 'Rate it');
      assert.equal(await ap.locator('#rate-form button[name=action][value=remove]').count(), 0, 'nothing to remove before rating');
      assert.equal(await ap.locator('section#community').getByText('Sign in to rate and review.').count(), 0);
      assert.equal(await reviewsHeading(ap), 'Reviews (0)');

      await rate(author, 4);
      assertAt(ap, here);
      assert.equal(await summary(ap), '4.0 ★ (1 rating)');
      assert.deepEqual((await apiGet(`/api/v1/artifacts/${TYPE}/${hello.id}/rating`)).body, { average: 4, count: 1, mine: null });

      await rate(author, 2);
      assert.equal(await summary(ap), '2.0 ★ (1 rating)');
      // Removed and rated again.
      await submit(author, () => ap.locator('#rate-form button[name=action][value=remove]', { hasText: 'Remove my rating' }).click());
      await expectFlash(ap, 'ok', 'Your rating is removed.');
      assert.equal(await summary(ap), 'no ratings yet');
      assert.equal(await ap.locator('#rate-form input[name=stars]:checked').count(), 0, 'no star chosen after removal');
      await rate(author, 2);
      assert.equal(await summary(ap), '2.0 ★ (1 rating)');
      assert.deepEqual((await apiGet(`/api/v1/artifacts/${TYPE}/${hello.id}/rating`)).body, { average: 2, count: 1, mine: null });

      assert.equal(await ap.locator('section#community p.hint', { hasText: 'No reviews yet.' }).count(), 1);
      const id = await postReview(author, 'A **solid** template.\n\nWorks on `train`.', 'solid template');
      assertAt(ap, here, '#reviews');
      assert.equal(await reviewsHeading(ap), 'Reviews (1)');
      const body = review(ap, id).locator(':scope > div.review-body');
      assert.equal(await text(body.locator('strong')), 'solid');
      assert.equal(await text(body.locator('code')), 'train');
      assert.ok(!(await body.innerHTML()).includes('**'), 'no raw Markdown left');
      const meta = review(ap, id).locator(':scope > p.review-meta');
      assert.equal(await text(meta.locator('strong')), 'rhea');
      assert.match(await text(meta), /· version 1\.0\.0 ·/);
      assert.doesNotMatch(await text(meta), /edited/);
      assert.deepEqual(await badges(ap, id), [], 'no badge on a visitor\'s review');
      // The author edits and deletes; does not report, reply or moderate.
      const actions = review(ap, id).locator(':scope > div.actions');
      assert.equal(await actions.locator('summary', { hasText: /^Edit$/ }).count(), 1);
      assert.equal(await actions.locator('button[name=action][value=delete]', { hasText: /^Delete$/ }).count(), 1);
      assert.equal(await actions.locator('summary', { hasText: 'Report' }).count(), 0, 'no report of one\'s own review');
      assert.equal(await actions.locator('form.moderate').count(), 0, 'a visitor does not moderate');
      assert.equal(await review(ap, id).locator('details.reply-form').count(), 0, 'a visitor does not reply as the publisher');

      const edit = await openDetails(actions, 'Edit');
      const textarea = edit.locator(`textarea#edit-${id}`);
      assert.equal(await textarea.inputValue(), 'A **solid** template.\n\nWorks on `train`.', 'the Markdown as written');
      await textarea.fill('A **solid** template, *really*.\n\n<script>window.__e2ePwned = 1</script>\n\nWorks on `train`.');
      await submit(author, () => edit.locator('button[type=submit]', { hasText: /^Save$/ }).click());
      await expectFlash(ap, 'ok', 'Review updated.');
      assertAt(ap, here, '#reviews');
      const edited = review(ap, id).locator(':scope > div.review-body');
      assert.equal(await text(edited.locator('strong')), 'solid');
      assert.equal(await text(edited.locator('em')), 'really');
      assert.equal(await edited.locator('script').count(), 0, 'no script in the rendered review');
      assert.equal(await ap.evaluate(() => window.__e2ePwned), undefined, 'the review\'s script did not run');
      assert.match(await text(review(ap, id).locator(':scope > p.review-meta')), /· edited/);
      assert.equal(await topReviews(ap).count(), 1, 'still one review');

      // --- The publisher (alice, acme's admin) replies.
      const publisher = await open();
      const pp = publisher.page;
      await signIn(publisher, 'alice', PASSWORDS.alice, here);
      assert.equal(await summary(pp), '2.0 ★ (1 rating)');
      const replyId = await reply(publisher, id, 'Thanks, glad it **works**!', 'glad it');
      const replyLi = review(pp, replyId);
      assert.equal(await text(replyLi.locator(':scope > p.review-meta strong')), 'alice');
      assert.deepEqual(await badges(pp, replyId), ['publisher']);
      assert.equal(await text(replyLi.locator(':scope > div.review-body strong')), 'works');
      assert.equal(await replyLi.locator('details.reply-form').count(), 0, 'replies are one level deep');
      // The review itself got no badge, and the count is of reviews.
      assert.deepEqual(await badges(pp, id), []);
      assert.equal(await reviewsHeading(pp), 'Reviews (1)');

      // The author sees the reply (with the badge), and is not offered a reply form.
      await visit(author, here);
      assert.equal(await text(review(ap, replyId).locator(':scope > div.review-body')), 'Thanks, glad it works!');
      assert.deepEqual(await badges(ap, replyId), ['publisher']);
      assert.equal(await ap.locator('details.reply-form').count(), 0);

      // --- A second visitor rates and reports the review.
      const reporter = await open();
      const rp = reporter.page;
      await register(reporter, 'sven', 'sven-password-1');
      await visit(reporter, here);
      await rate(reporter, 5);
      assert.equal(await summary(rp), '3.5 ★ (2 ratings)');
      assert.equal(await review(rp, id).locator(':scope > div.actions summary', { hasText: /^Edit$/ }).count(), 0, 'no editing of another\'s review');
      assert.equal(await review(rp, id).locator(':scope > div.actions form.moderate').count(), 0);
      assert.equal(await rp.locator('details.reply-form').count(), 0);
      await report(reporter, id, 'spam link');
      await expectFlash(rp, 'ok', 'Reported: the moderators will have a look.');
      assertAt(rp, here, '#reviews');
      assert.deepEqual(await badges(rp, id), [], 'reports are shown to moderators only');
      await report(reporter, id, 'again');
      await expectFlash(rp, 'error', 'you already reported this review');
      // A reply by someone not of the publisher's tenant, posted as the
      // form would: refused.
      const csrf = await rp.locator('#review-form input[name=csrf]').inputValue();
      const forged = await rp.request.post(`/community/${TYPE}/${hello.id}/review`, {
        form: { csrf, next: here, parent_id: id, body: 'I am the publisher, honest.' },
        maxRedirects: 0,
      });
      assert.equal(forged.status(), 303, 'the form answers with a redirect');
      assert.equal(forged.headers().location, here, 'back to the page, with the error');
      await visit(reporter, forged.headers().location);
      await expectFlash(rp, 'error', 'only the publisher replies to reviews');
      assert.ok(!(await rp.locator('main').innerText()).includes('honest'), 'the forged reply is not shown');

      // --- The catalog admin sees the report, on the page and on /admin.
      const admin = await open();
      const mp = admin.page;
      await signIn(admin, 'root', PASSWORDS.root, here);
      assert.deepEqual(await badges(mp, id), ['1 report(s)']);
      await visit(admin, '/admin');
      const reported = await reportedReviews(mp);
      assert.equal(reported.heading, `Reported reviews (${reported.items.length})`);
      const mine = reported.items.filter((i) => i.href === `/apps/${TYPE}/hello#review-${id}`);
      assert.equal(mine.length, 1, `the review is listed: ${JSON.stringify(reported.items)}`);
      assert.equal(reported.items.length, 1, 'only this review is reported');
      assert.match(mine[0].text, /hello \(heat_templates 1\.0\.0\) by rhea · 1 report\(s\)/);
      assert.match(mine[0].text, /Reasons: spam link/);
      assert.match(mine[0].quote, /^A \*\*solid\*\* template, \*really\*\./);
      // Its link leads to the review.
      const link = mp.locator('section#moderation li.reported-item a', { hasText: 'hello (heat_templates 1.0.0)' });
      await Promise.all([mp.waitForURL((u) => u.pathname === `/apps/${TYPE}/hello` && u.hash === `#review-${id}`), link.click()]);
      await review(mp, id).waitFor();
      assert.deepEqual(await badges(mp, id), ['1 report(s)']);
      // Loaded afresh: the forms of the moderator.
      await visit(admin, here);
      await moderate(admin, id, 'hide', 'off-topic advertising', 'Review hidden.');
      assertAt(mp, here, '#reviews');
      assert.equal(await review(mp, id).evaluate((li) => li.classList.contains('hidden-review')), true, 'marked as hidden');
      assert.deepEqual(await badges(mp, id), ['hidden', '1 report(s)']);
      assert.equal(await review(mp, id).locator(':scope > div.actions form.moderate button[value=unhide]', { hasText: 'Show again' }).count(), 1);
      assert.equal(await review(mp, id).locator(':scope > div.actions form.moderate button[value=hide]').count(), 0);
      assert.equal(await reviewsHeading(mp), 'Reviews (1)', 'moderators count the hidden review');

      // --- Anonymous visitors (and the author) no longer see it.
      const anon = await open();
      await visit(anon, `/apps/${TYPE}/hello`);
      assert.equal(await review(anon.page, id).count(), 0, 'the hidden review is not in the page');
      assert.equal(await review(anon.page, replyId).count(), 0, 'nor its reply');
      const anonMain = await anon.page.locator('main').innerText();
      assert.ok(!anonMain.includes('solid template'), 'its text is not shown');
      assert.ok(!anonMain.includes('glad it'), 'nor the reply\'s');
      assert.equal(await reviewsHeading(anon.page), 'Reviews (0)');
      assert.equal(await summary(anon.page), '3.5 ★ (2 ratings)', 'the ratings stay');
      const anonReviews = await apiGet(`/api/v1/artifacts/${TYPE}/${hello.id}/reviews`);
      assert.equal(anonReviews.status, 200);
      assert.equal(anonReviews.body.total, 0);
      assert.deepEqual(anonReviews.body.reviews, []);
      const rootReviews = await apiGet(`/api/v1/artifacts/${TYPE}/${hello.id}/reviews`, { token: seeded.tokens.root });
      assert.equal(rootReviews.body.reviews.find((r) => r.id === id)?.hidden, true, 'the API shows it hidden to the admin');
      await visit(author, here);
      assert.equal(await review(ap, id).count(), 0, 'the author does not see the hidden review either');

      // --- /admin: no longer in the queue; the log lists the report and the hide.
      await visit(admin, '/admin');
      const afterHide = await reportedReviews(mp);
      assert.equal(afterHide.heading, 'Reported reviews (0)');
      assert.deepEqual(afterHide.items, []);
      assert.equal(await mp.locator('section#moderation p.hint', { hasText: 'No reported reviews.' }).count(), 1);
      const log = await moderationLog(mp);
      const ours = log.filter((r) => r.artifact === 'hello (heat_templates)');
      assert.deepEqual(
        ours.map(({ who, action, note }) => ({ who, action, note })),
        [
          { who: 'root', action: 'hide', note: 'off-topic advertising' },
          { who: 'sven', action: 'report', note: 'spam link' },
        ],
        'the log, newest first',
      );
      for (const r of ours) assert.match(r.when, /^\d{4}-\d{2}-\d{2}/, `a time: ${r.when}`);

      // --- Shown again.
      await visit(admin, here);
      await moderate(admin, id, 'unhide', 'cleared', 'Review shown again.');
      assert.equal(await review(mp, id).evaluate((li) => li.classList.contains('hidden-review')), false);
      assert.deepEqual(await badges(mp, id), ['1 report(s)']);
      await visit(anon, `/apps/${TYPE}/hello`);
      assert.equal(await text(review(anon.page, id).locator(':scope > div.review-body strong')), 'solid', 'visible again');
      assert.deepEqual(await badges(anon.page, replyId), ['publisher'], 'with its reply');
      assert.equal(await reviewsHeading(anon.page), 'Reviews (1)');
      assert.equal(await anon.page.locator('section#community form#review-form').count(), 0, 'no review form for visitors');
      await visit(admin, '/admin');
      assert.deepEqual((await moderationLog(mp)).filter((r) => r.artifact === 'hello (heat_templates)').map((r) => r.action), ['unhide', 'hide', 'report']);
      const shownAgain = await reportedReviews(mp);
      assert.deepEqual(shownAgain.items.map((i) => i.href), [`/apps/${TYPE}/hello#review-${id}`], 'shown again, its report is pending again');
      assert.equal(shownAgain.heading, 'Reported reviews (1)');
      assert.equal(await mp.locator('section#moderation blockquote script').count(), 0, 'the quoted Markdown is text');
      assert.match(await text(mp.locator('section#moderation blockquote')), /<script>window\.__e2ePwned = 1<\/script>/);
      await openDetails(mp.locator('section#moderation'), 'Moderation log', 'table#moderation-log');
      assert.equal(await mp.locator('table#moderation-log').isVisible(), true, 'the log opens');
      await screenshotOf(mp.locator('section#moderation'), 'admin-moderation.png');

      // Screenshot: ratings, the review with its reply, the chart (two downloads for its bars).
      await download(hello.id, 'e2e-screenshot-a', undefined, '198.51.100.10');
      await download(hello.id, 'e2e-screenshot-b', undefined, '198.51.100.11');
      await visit(author, here);
      assert.match(await text(ap.locator('p#usage')), /^2 downloads · \d+ page views \(this version\)$/);
      await screenshot(ap, 'detail-community.png');

      // --- The author deletes the review (and so its reply).
      await submit(author, () => review(ap, id).locator(':scope > div.actions form button[name=action][value=delete]', { hasText: /^Delete$/ }).click());
      await expectFlash(ap, 'ok', 'Review deleted.');
      assert.equal(await review(ap, id).count(), 0);
      assert.equal(await review(ap, replyId).count(), 0);
      assert.equal(await reviewsHeading(ap), 'Reviews (0)');
      const gone = await apiGet(`/api/v1/artifacts/${TYPE}/${hello.id}/reviews`, { token: seeded.tokens.root });
      assert.equal(gone.body.total, 0, 'gone for moderators too');
      assert.equal(await summary(ap), '3.5 ★ (2 ratings)', 'ratings are not reviews');

      for (const h of contexts) assertNoProblems(h.problems);
    } finally {
      for (const h of contexts) await h.context.close();
    }
  });

  test('without JavaScript: rate, review, publisher reply, report, hide, a tenant admin deletes', { timeout: TIMEOUT }, async () => {
    await publicArtifact('plain-community', '0.4.0', 'Reviewed by plain posts.');
    const here = detailOf('plain-community', '0.4.0');
    const contexts = [];
    const open = async () => {
      const h = await openPage(browser, server, { javaScriptEnabled: false });
      contexts.push(h);
      return h;
    };
    try {
      const author = await open();
      const ap = author.page;
      await register(author, 'nils', 'nils-password-1');
      await visit(author, here);
      assert.equal(await summary(ap), 'no ratings yet');
      await rate(author, 5);
      assertAt(ap, here);
      assert.equal(await summary(ap), '5.0 ★ (1 rating)');
      await rate(author, 3);
      assert.equal(await summary(ap), '3.0 ★ (1 rating)');
      const id = await postReview(author, 'Plain and **sturdy**.', 'Plain and sturdy');
      assertAt(ap, here, '#reviews');
      assert.equal(await text(review(ap, id).locator(':scope > div.review-body strong')), 'sturdy');
      assert.equal(await reviewsHeading(ap), 'Reviews (1)');
      const edit = await openDetails(review(ap, id).locator(':scope > div.actions'), 'Edit');
      await edit.locator(`#edit-${id}`).fill('Plain and **sturdy**, even without scripts.');
      await submit(author, () => edit.locator('button[type=submit]', { hasText: /^Save$/ }).click());
      await expectFlash(ap, 'ok', 'Review updated.');
      assert.match(await text(review(ap, id).locator(':scope > div.review-body')), /even without scripts/);

      const publisher = await open();
      await signIn(publisher, 'alice', PASSWORDS.alice, here);
      const replyId = await reply(publisher, id, 'Thank you, *nils*.', 'Thank you');
      assert.deepEqual(await badges(publisher.page, replyId), ['publisher']);
      assert.equal(await text(review(publisher.page, replyId).locator(':scope > div.review-body em')), 'nils');

      const reporter = await open();
      await register(reporter, 'nina', 'nina-password-1');
      await visit(reporter, here);
      await report(reporter, id, 'rude');
      await expectFlash(reporter.page, 'ok', 'Reported: the moderators will have a look.');
      assertAt(reporter.page, here, '#reviews');

      const admin = await open();
      const mp = admin.page;
      await signIn(admin, 'root', PASSWORDS.root, here);
      assert.deepEqual(await badges(mp, id), ['1 report(s)']);
      await visit(admin, '/admin');
      const reported = await reportedReviews(mp);
      const item = reported.items.filter((i) => i.href === `/apps/${TYPE}/plain-community#review-${id}`);
      assert.equal(item.length, 1, `the review is listed: ${JSON.stringify(reported.items)}`);
      assert.match(item[0].text, /by nils · 1 report\(s\)/);
      assert.equal(reported.heading, `Reported reviews (${reported.items.length})`);
      // The link is a plain link to the page.
      await submit(admin, () => mp.locator('section#moderation li.reported-item a', { hasText: 'plain-community' }).click());
      assert.equal(new URL(mp.url()).hash, `#review-${id}`);
      await moderate(admin, id, 'hide', 'rude reply bait', 'Review hidden.');
      assert.deepEqual(await badges(mp, id), ['hidden', '1 report(s)']);

      const anon = await open();
      await visit(anon, here);
      assert.equal(await review(anon.page, id).count(), 0, 'hidden from visitors');
      assert.ok(!(await anon.page.locator('main').innerText()).includes('sturdy'), 'its text is not shown');
      assert.equal(await reviewsHeading(anon.page), 'Reviews (0)');
      assert.equal(await summary(anon.page), '3.0 ★ (1 rating)');

      // acme's admin (alice) moderates too: she deletes the hidden review.
      await visit(publisher, here);
      assert.deepEqual(await badges(publisher.page, id), ['hidden', '1 report(s)'], 'the tenant admin sees it as a moderator');
      assert.equal(await review(publisher.page, id).locator('details.reply-form').count(), 0, 'no reply to a hidden review');
      await submit(publisher, () => review(publisher.page, id).locator(':scope > div.actions form.moderate button[name=action][value=delete]', { hasText: 'Delete' }).click());
      await expectFlash(publisher.page, 'ok', 'Review deleted.');
      assert.equal(await review(publisher.page, id).count(), 0);
      assert.equal(await reviewsHeading(publisher.page), 'Reviews (0)');

      await visit(admin, '/admin');
      const log = (await moderationLog(mp)).filter((r) => r.artifact === 'plain-community (heat_templates)');
      assert.deepEqual(
        log.map(({ who, action, note }) => ({ who, action, note })),
        [
          { who: 'alice', action: 'delete', note: '' },
          { who: 'root', action: 'hide', note: 'rude reply bait' },
          { who: 'nina', action: 'report', note: 'rude' },
        ],
      );
      assert.equal((await reportedReviews(mp)).items.filter((i) => i.href.endsWith(`#review-${id}`)).length, 0);

      for (const h of contexts) {
        assertNoScripts(h);
        assertNoProblems(h.problems);
      }
    } finally {
      for (const h of contexts) await h.context.close();
    }
  });

  test('anonymous visitors: no ratings yet, no forms, a sign-in link; a private artifact is a 404 on the page and the API', { timeout: TIMEOUT }, async () => {
    const art = await publicArtifact('fresh-community', '1.1.0');
    const here = detailOf('fresh-community', '1.1.0');
    const priv = seeded.privateArtifact;
    for (const javaScriptEnabled of [true, false]) {
      const h = await openPage(browser, server, { javaScriptEnabled });
      const { page } = h;
      try {
        await visit(h, `/apps/${TYPE}/fresh-community`);
        assert.equal(await signedInAs(page), null);
        assert.equal(await summary(page), 'no ratings yet');
        assert.equal(await page.locator('#rate-form').count(), 0, 'no rating form');
        assert.equal(await page.locator('#review-form').count(), 0, 'no review form');
        assert.equal(await page.locator('section#community textarea, section#community input[name=stars]').count(), 0);
        const hint = page.locator('section#community p.hint', { hasText: 'to rate and review.' });
        assert.equal(await text(hint), 'Sign in to rate and review.');
        assert.equal(await hint.locator('a').getAttribute('href'), `/login?next=${encodeURIComponent(here)}`);
        assert.equal(await reviewsHeading(page), 'Reviews (0)');
        assert.equal(await page.locator('section#community p.hint', { hasText: 'No reviews yet.' }).count(), 1);
        assert.equal(await page.locator('section#community figure.chart svg[role=img]').count(), 1, 'the chart is drawn');

        // The sign-in link comes back here (a new document without
        // JavaScript, the client-side router's page with it).
        if (javaScriptEnabled) {
          await Promise.all([page.waitForURL((u) => u.pathname === '/login'), hint.locator('a').click()]);
          await page.locator('#login-form').waitFor();
        } else {
          await submit(h, () => hint.locator('a').click());
        }
        assert.equal(new URL(page.url()).pathname, '/login');
        assert.equal(await page.locator('#login-form input[name=next]').inputValue(), here);

        await visit(h, `/apps/${TYPE}/secret-stack`, 404);
        assert.equal(await text(page.locator('main h1')), 'Not found');
        assert.equal(await page.locator('section#community').count(), 0);
        assert.ok(!(await page.locator('main').innerText()).includes('Internal only'));
        await visit(h, `/apps/${TYPE}/secret-stack?version=2.0.0`, 404);
        if (!javaScriptEnabled) assertNoScripts(h);
        assertNoProblems(h.problems, { allowConsole: [DOCUMENT_STATUS] });
      } finally {
        await h.context.close();
      }
    }

    // Once rated (through the API), visitors see it.
    const { alice } = seeded.tokens;
    const rated = await server.api('PUT', `/api/v1/artifacts/${TYPE}/${art.id}/rating`, { token: alice, body: { stars: 3 } });
    assert.deepEqual(rated, { average: 3, count: 1, mine: 3 });
    const h = await openPage(browser, server, { javaScriptEnabled: false });
    try {
      await visit(h, here);
      assert.equal(await summary(h.page), '3.0 ★ (1 rating)');
    } finally {
      await h.context.close();
    }
    const refused = await fetch(server.url(`/api/v1/artifacts/${TYPE}/${art.id}/rating`), {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ stars: 1 }),
    });
    assert.equal(refused.status, 401, `anonymous PUT rating: ${await refused.text()}`);

    // The private artifact's community data: 404 anonymously, there for its tenant.
    for (const part of ['reviews', 'rating', 'stats']) {
      const p = `/api/v1/artifacts/${TYPE}/${priv.id}/${part}`;
      const anonymous = await apiGet(p);
      assert.equal(anonymous.status, 404, `anonymous GET ${p}: ${anonymous.text}`);
      assert.ok(!anonymous.text.includes('secret-stack'), 'the 404 does not name it');
      const own = await apiGet(p, { token: alice });
      assert.equal(own.status, 200, `alice GET ${p}: ${own.text}`);
    }
    const publicReviews = await apiGet(`/api/v1/artifacts/${TYPE}/${art.id}/reviews`);
    assert.equal(publicReviews.status, 200);
    assert.equal(publicReviews.body.total, 0);
  });

  test('statistics: downloads counted once per client per window, page views, the chart and the stats API agree', { timeout: TIMEOUT }, async () => {
    const art = await publicArtifact('counted-stack', '2.0.0', 'Counted.');
    const statsPath = `/api/v1/artifacts/${TYPE}/${art.id}/stats`;
    const stats = async () => {
      const r = await apiGet(statsPath);
      assert.equal(r.status, 200, r.text);
      return r.body;
    };
    const today = new Date().toISOString().slice(0, 10);

    const fresh = await stats();
    assert.equal(fresh.artifact_id, art.id);
    assert.equal(fresh.downloads_total, 0);
    assert.equal(fresh.views_total, 0);
    assert.equal(fresh.days.length, 90, '90 days');
    assert.equal(fresh.days.at(-1).day, today, 'ending today (UTC)');
    for (let i = 1; i < fresh.days.length; i++) {
      const step = Date.parse(fresh.days[i].day) - Date.parse(fresh.days[i - 1].day);
      assert.equal(step, 86_400_000, `consecutive days at ${fresh.days[i].day}`);
    }
    assert.ok(fresh.days.every((d) => d.downloads === 0 && d.views === 0), 'all zero');

    // One anonymous client twice: once.
    await download(art.id, 'e2e-client-a');
    await download(art.id, 'e2e-client-a');
    assert.equal((await stats()).downloads_total, 1, 'the same client within the window counts once');
    // Another user agent from the same address is the same client: a
    // client cannot count again by rotating what it sends.
    await download(art.id, 'e2e-client-b');
    assert.equal((await stats()).downloads_total, 1, 'a rotated user agent counts nothing');
    // Two more clients (addresses, as the trusted proxy names them).
    await download(art.id, 'e2e-client-b', undefined, '198.51.100.2');
    await download(art.id, 'e2e-client-c', undefined, '198.51.100.3');
    await download(art.id, 'e2e-client-b', undefined, '198.51.100.2');
    assert.equal((await stats()).downloads_total, 3, 'distinct addresses are distinct clients');
    // A user is one client whatever the user agent.
    await download(art.id, 'e2e-user-agent-1', seeded.tokens.alice);
    await download(art.id, 'e2e-user-agent-2', seeded.tokens.alice);
    const counted = await stats();
    assert.equal(counted.downloads_total, 4, 'a signed-in user counts once');
    assert.equal(counted.views_total, 0, 'downloads are no page views');
    assert.deepEqual(counted.days.at(-1), { day: today, downloads: 4, views: 0 });
    assert.equal(counted.days.reduce((n, d) => n + d.downloads, 0), 4);

    const h = await openPage(browser, server);
    const { page } = h;
    try {
      await visit(h, `/apps/${TYPE}/counted-stack`);
      assert.equal(await text(page.locator('section#community p#usage')), usageText(4, 1), 'this visit is counted');
      const svg = page.locator('section#community figure.chart svg');
      assert.equal(await svg.count(), 1);
      assert.equal(await svg.getAttribute('role'), 'img');
      const label = await svg.getAttribute('aria-label');
      assert.match(label, new RegExp(`from ${fresh.days[0].day} to ${today}: 4 downloads, 1 page views`), label);
      const bars = svg.locator('rect.bar');
      assert.equal(await bars.count(), 1, 'one day with downloads');
      assert.equal(await bars.locator('title').textContent(), `${today}: 4 downloads, 1 views`);
      assert.equal(await svg.locator('polyline.views').count(), 1, 'the page-view line');
      assert.match(await text(page.locator('section#community figure.chart figcaption')), /last 90 days/);
      const api = await stats();
      assert.equal(api.downloads_total, 4, 'the API agrees on downloads');
      assert.equal(api.views_total, 1, 'the API agrees on views');

      // The same browser again within the window: not counted again.
      await visit(h, `/apps/${TYPE}/counted-stack`);
      assert.equal(await text(page.locator('p#usage')), usageText(4, 1), 'a reload is the same view');
      // Another client viewing the page (from node, another address as the
      // trusted proxy names it; a new user agent alone would not do).
      const other = await fetch(server.url(`/apps/${TYPE}/counted-stack`), {
        headers: { 'User-Agent': 'e2e-viewer', 'X-Forwarded-For': '198.51.100.20' },
      });
      assert.equal(other.status, 200);
      assert.match(await other.text(), /4 downloads · 2 page views \(this version\)/);
      await visit(h, `/apps/${TYPE}/counted-stack`);
      assert.equal(await text(page.locator('p#usage')), usageText(4, 2));
      assert.match(await svg.getAttribute('aria-label'), /: 4 downloads, 2 page views, at most 4 a day\.$/);
      const last = await stats();
      assert.equal(last.views_total, 2);
      assert.deepEqual(last.days.at(-1), { day: today, downloads: 4, views: 2 });
      assertNoProblems(h.problems);
    } finally {
      await h.context.close();
    }
  });
});
