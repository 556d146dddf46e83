// Browser tests of the signed-in website: registration and sign-in, the
// tenant space (drafts, uploads with and without JavaScript, lifecycle,
// public-listing requests), the admin queue, tenant isolation, API tokens,
// closed registration, browsing with a version requirement and sort, links to
// server endpoints after hydration, and the signed-in pages at 375 px.
// Debian's chromium, driven by playwright-core, against the real appcat
// binary (see server.js); helpers in browser.js.
//
//   cd end2end && npm ci && node --test tests/website.test.js
//
// Screenshots (space.png, manage.png, manage-mobile.png, admin.png,
// login.png) go to APPCAT_SCREENSHOT_DIR when it is set.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  DOCUMENT_STATUS,
  assertNoProblems,
  expectFlash,
  fillLogin,
  launchBrowser,
  openPage,
  screenshot,
  sideScroll,
  signOut,
  signedInAs,
  submit,
  visit,
  waitForHydration,
} from './browser.js';
import { startServer } from './server.js';

const TIMEOUT = 120_000;

let server;
let browser;
let filesDir;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  filesDir = await mkdtemp(path.join(tmpdir(), 'appcat-e2e-files-'));
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (filesDir) await rm(filesDir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------
// Helpers

/** Writes a Heat template of about `size` bytes; returns { path, name, bytes, sha256 }. */
async function templateFile(name, size, title = name) {
  const head = `heat_template_version: 2018-08-31\ndescription: ${title}\nresources: {}\n`;
  let body = head;
  for (let i = 0; body.length < size; i++) {
    body += `# filler line ${String(i).padStart(6, '0')}: ${'abcdefghijklmnopqrstuvwxyz'.repeat(2)}\n`;
  }
  const bytes = Buffer.from(body.slice(0, size - 1) + '\n');
  const file = path.join(filesDir, name);
  await writeFile(file, bytes);
  return { path: file, name, bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** The server's human_size(). */
function humanSize(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let size = n;
  let unit = 0;
  while (size >= 1024 && unit < units.length - 1) {
    size /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${n} B` : `${size.toFixed(1)} ${units[unit]}`;
}

/** Creates a user with a website password (and optionally a tenant) through the CLI. */
async function cliUser(username, password, { tenant, role = 'member', admin = false } = {}) {
  if (tenant) await server.cli('tenant', 'create', tenant);
  const args = ['user', 'create', username];
  if (admin) args.push('--admin');
  if (tenant) args.push('--tenant', tenant, '--role', role);
  args.push('--password-stdin');
  await server.cli(...args, { input: `${password}\n` });
}

/** The template file of apiArtifact(). */
const TEMPLATE = Buffer.from('heat_template_version: 2018-08-31\nresources: {}\n');

/** A CLI-made token of `user` in `tenant`. */
async function cliToken(user, tenant) {
  const token = (await server.cli('token', 'create', '--user', user, '--tenant', tenant)).trim().split('\n').pop().trim();
  assert.match(token, /^appcat_/);
  return token;
}

/** A heat template made through the API, with a template file; active if `activate`. */
async function apiArtifact(token, fields, { activate = false } = {}) {
  const a = await server.api('POST', '/api/v1/artifacts/heat_templates', { token, body: fields, expect: 201 });
  const p = `/api/v1/artifacts/heat_templates/${a.id}`;
  await server.api('PUT', `${p}/template`, {
    token,
    body: TEMPLATE,
    contentType: 'application/x-yaml',
  });
  if (!activate) return a;
  const active = await server.api('PATCH', p, {
    token,
    body: [{ op: 'replace', path: '/status', value: 'active' }],
    contentType: 'application/json-patch+json',
  });
  assert.equal(active.status, 'active');
  return active;
}

/** Registers through /register; ends on /space, signed in. */
async function register(h, { username, displayName, email, password }) {
  const { page } = h;
  await visit(h, '/register');
  assert.equal(await page.locator('header a[href="/register"]', { hasText: 'Register' }).count(), 1, 'header links to /register');
  await page.fill('#register-form #username', username);
  await page.fill('#register-form #display_name', displayName);
  await page.fill('#register-form #email', email);
  await page.fill('#register-form #password', password);
  await page.fill('#register-form #password2', password);
  await submit(h, () => page.locator('#register-form button[type=submit]', { hasText: 'Create account' }).click());
  assert.equal(new URL(page.url()).pathname, '/space', 'registration ends on /space');
  await expectFlash(page, 'ok', `Welcome, ${displayName}! Your tenant '${username}' is ready.`);
  assert.equal(await signedInAs(page), username);
  assert.equal((await page.locator('main h1').innerText()).trim(), 'Your space');
}

/** Signs in through /login; ends on `landing` (default /space). */
async function signIn(h, username, password, landing = '/space') {
  await visit(h, '/login');
  await fillLogin(h, username, password);
  assert.equal(new URL(h.page.url()).pathname, landing, `signed in, on ${landing}`);
  await expectFlash(h.page, 'ok', `Signed in as ${username}.`);
  assert.equal(await signedInAs(h.page), username);
}

/**
 * Creates a heat template draft through /space/new/heat_templates (opened
 * from the link in /space); returns { id, manageUrl }.
 */
async function createDraft(h, { name, version, description = '', tags = [], license = '' }) {
  const { page } = h;
  if (new URL(page.url()).pathname !== '/space') await visit(h, '/space');
  const link = page.locator('main a[href="/space/new/heat_templates"]');
  assert.equal((await link.innerText()).trim(), 'Heat template');
  await link.click();
  await page.waitForURL('**/space/new/heat_templates');
  await page.locator('#artifact-form').waitFor();
  assert.equal((await page.locator('main h1').innerText()).trim(), 'New Heat template');
  await page.fill('#f-name', name);
  await page.fill('#f-version', version);
  await page.fill('#f-description', description);
  await page.fill('#f-tags', tags.join('\n'));
  await page.fill('#f-license', license);
  await submit(h, () => page.locator('#artifact-form button[type=submit]', { hasText: 'Create draft' }).click());
  const m = new URL(page.url()).pathname.match(/^\/space\/a\/heat_templates\/([0-9a-f-]+)$/);
  assert.ok(m, `a draft's manage page: ${page.url()}`);
  await expectFlash(page, 'ok', /^Created as a draft\./);
  assert.equal((await page.locator('#artifact-status').innerText()).trim(), 'drafted');
  assert.equal((await page.locator('#artifact-visibility').innerText()).trim(), 'private');
  assert.equal((await page.locator('main h1').innerText()).replace(/\s+/g, ' ').trim(), `${name} ${version}`);
  return { id: m[1], manageUrl: page.url() };
}

/** The blob slot of the manage page for the blob field `blob`. */
const blobSlot = (page, blob) =>
  page.locator('div.blob-slot').filter({ has: page.locator('h3 code', { hasText: new RegExp(`^${blob}$`) }) });

/** The entries of a slot's ul.files: [{ label, href, size, sha256 }]. */
async function slotFiles(page, blob) {
  return blobSlot(page, blob)
    .locator('ul.files li')
    .evaluateAll((items) =>
      items.map((li) => ({
        label: li.querySelector('a')?.textContent.trim(),
        href: li.querySelector('a')?.getAttribute('href'),
        size: li.querySelector('.muted')?.textContent.trim(),
        sha256: li.querySelector('code.sum')?.textContent.trim(),
      })),
    );
}

/** Checks the slot lists exactly `file` (as uploaded) and that its link serves those bytes. */
async function checkStoredFile(h, blob, file, label) {
  const files = await slotFiles(h.page, blob);
  assert.equal(files.length, 1, `one file in the ${blob} slot: ${JSON.stringify(files)}`);
  const [f] = files;
  assert.equal(f.label, label);
  assert.equal(f.size, humanSize(file.bytes.length), 'listed size');
  assert.equal(f.sha256, file.sha256, 'listed SHA-256');
  const res = await h.page.request.get(f.href);
  assert.equal(res.status(), 200, `GET ${f.href}`);
  const body = await res.body();
  assert.equal(body.length, file.bytes.length, 'downloaded size');
  assert.ok(body.equals(file.bytes), 'downloaded bytes are the uploaded ones');
}

/** Clicks a lifecycle / action button of the manage page (a form posting back to it). */
async function manageAction(h, label, expectedFlash) {
  const button = h.page.locator('main form button[type=submit]', { hasText: new RegExp(`^${label}$`) });
  assert.equal(await button.count(), 1, `one "${label}" button`);
  await submit(h, () => button.click());
  await expectFlash(h.page, 'ok', expectedFlash);
}

/** Sends a listing request from the manage page; checks the pending badge. */
async function requestListing(h, message) {
  const { page } = h;
  assert.equal(await page.locator('#listing-form').count(), 1, 'the listing form is offered once active');
  await page.fill('#listing-message', message);
  await submit(h, () => page.locator('#listing-form button[type=submit]', { hasText: 'Request public listing' }).click());
  await expectFlash(page, 'ok', /^Public listing requested/);
  assert.equal((await page.locator('span.badge.listing-pending').innerText()).trim(), 'pending');
  assert.equal(await page.locator('#listing-form').count(), 0, 'no second request while one is pending');
}

/**
 * Intercepts the browser's upload (PUT) to `url` and holds it. Returns
 * { request: Promise<Route>, release(): Promise<Response> }: release() lets
 * the held request through and resolves with the server's response.
 */
async function holdUpload(page, url) {
  let routed;
  const route = new Promise((r) => {
    routed = r;
  });
  await page.route(url, (r) => {
    if (r.request().method() === 'PUT') routed(r);
    else r.continue();
  });
  return {
    route,
    async release() {
      const r = await route;
      const response = page.waitForResponse((res) => res.url() === url && res.request().method() === 'PUT');
      await r.continue();
      const res = await response;
      await page.unroute(url);
      return res;
    },
  };
}

/** The state of a slot's upload form: progress bar, status text, button. */
const uploadState = (form) =>
  form.evaluate((f) => {
    const p = f.querySelector('progress');
    return {
      progressHidden: p.hidden,
      progressVisible: !!(p.offsetWidth || p.offsetHeight) && getComputedStyle(p).visibility !== 'hidden',
      value: p.value,
      max: p.max,
      status: f.querySelector('span.upload-status').textContent.trim(),
      busy: f.querySelector('button[type=submit]').disabled,
    };
  });

/** A promise of the next document load of `url` (e.g. the reload after an upload). */
const nextDocument = (page, url) =>
  page.waitForResponse((r) => r.url() === url && r.request().resourceType() === 'document' && r.request().method() === 'GET');

// ---------------------------------------------------------------------------

describe('website', { timeout: TIMEOUT * 6 }, () => {
  test('publisher with JavaScript: register, draft, uploads with progress and drop, activate, listing; admin approves; public page', { timeout: TIMEOUT }, async () => {
    const big = await templateFile('stack.yaml', 400 * 1024, 'pia stack');
    const nestedContent = 'heat_template_version: 2018-08-31\ndescription: nested\nresources: {}\n';
    const nestedSha = createHash('sha256').update(nestedContent).digest('hex');
    const name = 'pia-stack';
    const version = '1.2.0';
    const description = 'Deploys a **bold** web stack.\n\n- first item\n- second item\n\nRun `openstack stack create`.';

    const pub = await openPage(browser, server);
    const { page } = pub;
    try {
      await register(pub, { username: 'pia', displayName: 'Pia Publisher', email: 'pia@example.test', password: 'pia-password-1' });
      assert.equal(await page.locator('header a[href="/admin"]').count(), 0, 'no Admin link for a publisher');
      const { id, manageUrl } = await createDraft(pub, { name, version, description, tags: ['web', 'e2e-demo'], license: 'Apache-2.0' });
      // The draft is already in the space, under Drafts.
      await visit(pub, '/space');
      const draftLink = page.locator(`main table a[href="/space/a/heat_templates/${id}"]`);
      assert.equal((await draftLink.innerText()).trim(), name);
      const draftsSection = page.locator('main section').filter({ has: page.locator(`table a[href="/space/a/heat_templates/${id}"]`) });
      assert.equal((await draftsSection.locator('h2').innerText()).trim(), 'Drafts (1)');
      await visit(pub, manageUrl);
      assert.deepEqual(await slotFiles(page, 'template'), [], 'no template yet');

      // The template: a submit of the form goes through XHR with a progress
      // bar. The request is held until the bar has been seen.
      const templateForm = blobSlot(page, 'template').locator('form.upload');
      assert.equal(await templateForm.count(), 1, 'an upload form for the template');
      const before = await uploadState(templateForm);
      assert.equal(before.progressHidden, true, 'no progress bar before an upload');
      assert.equal(before.progressVisible, false);
      const putTemplate = server.url(`/api/v1/artifacts/heat_templates/${id}/template`);
      const held = await holdUpload(page, putTemplate);
      await page.setInputFiles('#file-template', big.path);
      await templateForm.locator('button[type=submit]', { hasText: 'Upload' }).click();
      const route = await held.route;
      const req = route.request();
      assert.equal(req.method(), 'PUT');
      assert.ok((await req.headerValue('x-csrf-token'))?.length > 0, 'the upload carries the CSRF token');
      await page.waitForFunction(
        (f) => {
          const p = f.querySelector('progress');
          return !p.hidden && p.offsetHeight > 0;
        },
        await templateForm.elementHandle(),
      );
      const during = await uploadState(templateForm);
      assert.equal(during.progressHidden, false, 'the progress bar shows while uploading');
      assert.equal(during.progressVisible, true);
      assert.equal(during.max, 100);
      assert.ok(during.value >= 0 && during.value < 100, `progress value while held: ${during.value}`);
      assert.equal(during.status, 'Uploading stack.yaml…');
      assert.equal(during.busy, true, 'the Upload button is disabled while uploading');
      const reloaded = nextDocument(page, manageUrl);
      const putRes = await held.release();
      assert.equal(putRes.status(), 200, `PUT template: ${await putRes.text().catch(() => '')}`);
      assert.equal((await reloaded).status(), 200, 'the page reloads after the upload');
      await page.waitForLoadState('load');
      await waitForHydration(page);
      await checkStoredFile(pub, 'template', big, 'template');
      const afterUpload = await uploadState(blobSlot(page, 'template').locator('form.upload'));
      assert.equal(afterUpload.progressHidden, true, 'a fresh page shows no progress bar');

      // A nested template, dropped on its form (with its key filled in).
      const nestedForm = blobSlot(page, 'nested_templates').locator('form.upload');
      await nestedForm.locator('input[name=key]').fill('nested.yaml');
      const dataTransfer = await page.evaluateHandle((text) => {
        const dt = new DataTransfer();
        dt.items.add(new File([text], 'nested.yaml', { type: 'application/x-yaml' }));
        return dt;
      }, nestedContent);
      await nestedForm.dispatchEvent('dragover', { dataTransfer });
      await page.waitForFunction((f) => f.classList.contains('dragging'), await nestedForm.elementHandle());
      const putNested = server.url(`/api/v1/artifacts/heat_templates/${id}/nested_templates/nested.yaml`);
      const heldNested = await holdUpload(page, putNested);
      await nestedForm.dispatchEvent('drop', { dataTransfer });
      const nestedRoute = await heldNested.route;
      assert.equal(nestedRoute.request().headers()['content-type'], 'application/x-yaml');
      await page.waitForFunction((f) => !f.querySelector('progress').hidden, await nestedForm.elementHandle());
      const dropping = await uploadState(nestedForm);
      assert.equal(dropping.status, 'Uploading nested.yaml…');
      assert.equal(await nestedForm.evaluate((f) => f.classList.contains('dragging')), false, 'no drop highlight after the drop');
      assert.equal(await nestedForm.evaluate((f) => f.querySelector('input[type=file]').files[0]?.name), 'nested.yaml', 'the dropped file is in the input');
      const reloaded2 = nextDocument(page, manageUrl);
      const nestedRes = await heldNested.release();
      assert.equal(nestedRes.status(), 200, `PUT nested template: ${await nestedRes.text().catch(() => '')}`);
      assert.equal((await reloaded2).status(), 200);
      await page.waitForLoadState('load');
      await waitForHydration(page);
      const nested = await slotFiles(page, 'nested_templates');
      assert.equal(nested.length, 1, JSON.stringify(nested));
      assert.equal(nested[0].label, 'nested_templates/nested.yaml');
      assert.equal(nested[0].sha256, nestedSha);
      assert.equal(nested[0].size, humanSize(Buffer.byteLength(nestedContent)));
      // The template is still there.
      assert.equal((await slotFiles(page, 'template'))[0]?.sha256, big.sha256);

      await screenshot(page, 'manage.png');
      // (Its layout at 375 px is checked by the last test.)
      await page.setViewportSize({ width: 375, height: 800 });
      await screenshot(page, 'manage-mobile.png');
      await page.setViewportSize({ width: 1280, height: 800 });

      // Activate, then ask for a public listing.
      assert.equal(await page.locator('#listing-form').count(), 0, 'no listing request for a draft');
      await manageAction(pub, 'Activate', 'Active.');
      assert.equal((await page.locator('#artifact-status').innerText()).trim(), 'active');
      assert.equal(await page.locator('form.upload').count(), 0, 'no uploads once active');
      await requestListing(pub, 'Please list it, it is great.');
      assert.equal((await page.locator('#artifact-visibility').innerText()).trim(), 'private');
      await visit(pub, '/space');
      assert.match(await page.locator('main').innerText(), /Active and deactivated \(1\)/);
      assert.match(await page.locator('main tr', { hasText: name }).innerText(), /\(listing pending\)/);
      await screenshot(page, 'space.png');
      // A publisher is no catalog admin.
      await visit(pub, '/admin', 403);
      assert.equal((await page.locator('main h1').innerText()).trim(), 'Not allowed');

      // Not public yet: anonymous visitors get a 404.
      const anon = await openPage(browser, server);
      try {
        await visit(anon, `/apps/heat_templates/${name}`, 404);
        assert.equal((await anon.page.locator('main h1').innerText()).trim(), 'Not found');
        await visit(anon, '/admin', 401);
        assert.equal((await anon.page.locator('main h1').innerText()).trim(), 'Sign in to continue');
        assertNoProblems(anon.problems, { allowConsole: [DOCUMENT_STATUS] });
      } finally {
        await anon.context.close();
      }

      // The catalog admin approves.
      await cliUser('root', 'root-password-1', { admin: true });
      const adm = await openPage(browser, server);
      try {
        await visit(adm, '/login');
        assert.equal(await adm.page.locator('#oidc-login').count(), 0, 'no OIDC button without a provider');
        await screenshot(adm.page, 'login.png');
        await fillLogin(adm, 'root', 'root-password-1');
        assert.equal(await signedInAs(adm.page), 'root');
        const adminLink = adm.page.locator('header a[href="/admin"]');
        assert.equal((await adminLink.innerText()).trim(), 'Admin');
        await Promise.all([adm.page.waitForURL('**/admin'), adminLink.click()]);
        const item = adm.page.locator('section#queue li.request-item').filter({ hasText: `${name} ${version}` });
        await item.waitFor();
        assert.equal(await item.count(), 1);
        assert.equal(await item.locator('a').first().getAttribute('href'), `/apps/heat_templates/${name}?version=${version}`);
        assert.equal((await item.locator('blockquote').innerText()).trim(), 'Please list it, it is great.');
        assert.match(await item.innerText(), /tenant pia/);
        // A fresh load, for the status and the screenshot.
        await visit(adm, '/admin');
        await screenshot(adm.page, 'admin.png');
        await item.locator('input[name=note]').fill('Welcome aboard');
        await submit(adm, () => item.locator('button[name=action][value=approve]', { hasText: 'Approve' }).click());
        assert.equal(new URL(adm.page.url()).pathname, '/admin');
        await expectFlash(adm.page, 'ok', `heat_templates ${name} ${version}: approved.`);
        assert.equal(await adm.page.locator('section#queue li.request-item').count(), 0, 'the queue is empty');
        assertNoProblems(adm.problems);
      } finally {
        await adm.context.close();
      }

      // The publisher sees the decision.
      await visit(pub, manageUrl);
      assert.equal((await page.locator('#artifact-visibility').innerText()).trim(), 'public');
      assert.equal((await page.locator('span.badge.listing-approved').innerText()).trim(), 'approved');
      assert.match(await page.locator('p.request').innerText(), /Welcome aboard/);
      assertNoProblems(pub.problems, { allowConsole: [DOCUMENT_STATUS] });
    } finally {
      await pub.context.close();
    }

    // Anyone sees it now, with its Markdown rendered.
    const anon = await openPage(browser, server);
    try {
      await visit(anon, `/apps/heat_templates/${name}`);
      const detail = anon.page.locator('article.detail');
      assert.equal((await detail.locator('h1').innerText()).replace(/\s+/g, ' ').trim(), `${name} ${version}`);
      const desc = detail.locator('section.description');
      assert.equal((await desc.locator('strong').innerText()).trim(), 'bold');
      assert.deepEqual(await desc.locator('li').allInnerTexts(), ['first item', 'second item']);
      assert.equal((await desc.locator('code').innerText()).trim(), 'openstack stack create');
      assert.ok(!(await desc.innerHTML()).includes('**'), 'no raw Markdown left');
      assert.deepEqual((await detail.locator('header ul.tags li').allInnerTexts()).sort(), ['e2e-demo', 'web']);
      assert.match(await detail.locator('aside.facts').innerText(), /Apache-2\.0/);
      for (const listing of ['/apps/heat_templates?tag=e2e-demo', '/apps/all', `/apps/heat_templates?q=${name}`]) {
        await visit(anon, listing);
        const card = anon.page.locator('li.card').filter({ has: anon.page.locator('h2 a', { hasText: name }) });
        assert.equal(await card.count(), 1, `${listing} lists ${name}`);
      }
      assertNoProblems(anon.problems);
    } finally {
      await anon.context.close();
    }
  });

  test('tenant isolation: another tenant cannot see or open a private artifact', { timeout: TIMEOUT }, async () => {
    // The owner: a tenant with an active, private artifact, made through the API.
    await cliUser('quinn', 'quinn-password-1', { tenant: 'quartz', role: 'admin' });
    const token = await cliToken('quinn', 'quartz');
    const created = await apiArtifact(token, { name: 'quartz-internal', version: '3.1.4', description: 'Internal **only**.' }, { activate: true });
    assert.equal(created.visibility, 'private');
    const detail = '/apps/heat_templates/quartz-internal';
    const manage = `/space/a/heat_templates/${created.id}`;

    // The owner sees it everywhere (so the 404s below are about who asks).
    const owner = await openPage(browser, server);
    try {
      await signIn(owner, 'quinn', 'quinn-password-1');
      assert.equal(await owner.page.locator(`main a[href="${manage}"]`).count(), 1, 'in the owner\'s space');
      await visit(owner, manage);
      assert.equal((await owner.page.locator('#artifact-visibility').innerText()).trim(), 'private');
      await visit(owner, detail);
      assert.equal((await owner.page.locator('article.detail section.description strong').innerText()).trim(), 'only');
      assertNoProblems(owner.problems);
    } finally {
      await owner.context.close();
    }

    // Another publisher, registered through the form.
    const other = await openPage(browser, server);
    const { page } = other;
    try {
      await register(other, { username: 'rita', displayName: 'Rita Rival', email: 'rita@example.test', password: 'rita-password-1' });
      const space = await page.locator('main').innerText();
      assert.ok(!space.includes('quartz-internal'), 'not in the other tenant\'s space');
      assert.equal(await page.locator(`main a[href="${manage}"]`).count(), 0);
      await visit(other, detail, 404);
      assert.equal((await page.locator('main h1').innerText()).trim(), 'Not found');
      assert.ok(!(await page.locator('main').innerText()).includes('Internal'), 'nothing of it shows');
      await visit(other, `${detail}?version=3.1.4`, 404);
      await visit(other, manage, 404);
      assert.equal((await page.locator('main h1').innerText()).trim(), 'Not found');
      assert.equal(await page.locator('#artifact-status').count(), 0);
      await visit(other, '/apps/heat_templates?q=quartz-internal');
      assert.equal(await page.locator('li.card').count(), 0, 'not found by search');
      assert.match((await page.locator('.total').innerText()).trim(), /^0 matches/);
      // Still signed in as rita: the 404s are not a sign-out.
      assert.equal(await signedInAs(page), 'rita');
      assertNoProblems(other.problems, { allowConsole: [DOCUMENT_STATUS] });
    } finally {
      await other.context.close();
    }
  });

  test('without JavaScript: wrong password, sign in, draft, multipart uploads, activate, listing request, sign out', { timeout: TIMEOUT }, async () => {
    await cliUser('nora', 'nora-password-1', { tenant: 'nordic', role: 'member' });
    const tpl = await templateFile('plain.yaml', 3000, 'nora plain');
    const nested = await templateFile('net.yaml', 500, 'nora nested');
    const h = await openPage(browser, server, { javaScriptEnabled: false });
    const { page } = h;
    try {
      // Signed out, the space asks to sign in, with the way back.
      await visit(h, '/space/tokens', 401);
      assert.equal((await page.locator('main h1').innerText()).trim(), 'Sign in to continue');
      const signInLink = page.locator('main a', { hasText: 'Sign in' });
      assert.equal(await signInLink.getAttribute('href'), '/login?next=%2Fspace%2Ftokens');
      await submit(h, () => signInLink.click());
      assert.equal(await page.locator('#login-form input[name=next]').inputValue(), '/space/tokens');

      // A wrong password, and an unknown user: the same refusal.
      for (const [user, password] of [['nora', 'not-her-password'], ['nobody-here', 'nora-password-1']]) {
        await fillLogin(h, user, password);
        assert.equal(new URL(page.url()).pathname, '/login');
        await expectFlash(page, 'error', 'wrong username or password');
        assert.equal(await signedInAs(page), null, 'still signed out');
        assert.equal(await page.locator('#login-form input[name=next]').inputValue(), '/space/tokens', 'next survives the error');
      }
      await fillLogin(h, 'nora', 'nora-password-1');
      assert.equal(new URL(page.url()).pathname, '/space/tokens', 'back where sign-in was asked for');
      await expectFlash(page, 'ok', 'Signed in as nora.');
      assert.equal(await signedInAs(page), 'nora');

      const { manageUrl } = await createDraft(h, { name: 'nora-plain', version: '0.3.0', description: 'Plain *old* HTML.', tags: ['plain'] });
      // The upload form posts multipart; the server redirects back.
      const templateForm = blobSlot(page, 'template').locator('form.upload');
      assert.equal(await templateForm.getAttribute('enctype'), 'multipart/form-data');
      assert.equal(await templateForm.getAttribute('method'), 'post');
      await page.setInputFiles('#file-template', tpl.path);
      await submit(h, () => templateForm.locator('button[type=submit]', { hasText: 'Upload' }).click());
      assert.equal(page.url(), manageUrl);
      await expectFlash(page, 'ok', `Uploaded plain.yaml (${tpl.bytes.length} bytes).`);
      await checkStoredFile(h, 'template', tpl, 'template');
      assert.equal(await blobSlot(page, 'template').locator('progress').isVisible(), false, 'no progress bar without JavaScript');

      const nestedForm = blobSlot(page, 'nested_templates').locator('form.upload');
      await nestedForm.locator('input[name=key]').fill('net.yaml');
      await page.setInputFiles('#file-nested_templates', nested.path);
      await submit(h, () => nestedForm.locator('button[type=submit]', { hasText: 'Upload' }).click());
      await expectFlash(page, 'ok', `Uploaded net.yaml (${nested.bytes.length} bytes).`);
      const nestedFiles = await slotFiles(page, 'nested_templates');
      assert.deepEqual(nestedFiles.map((f) => [f.label, f.sha256]), [['nested_templates/net.yaml', nested.sha256]]);

      await manageAction(h, 'Activate', 'Active.');
      assert.equal((await page.locator('#artifact-status').innerText()).trim(), 'active');
      await requestListing(h, '');
      await visit(h, '/space');
      assert.match(await page.locator('main tr', { hasText: 'nora-plain' }).innerText(), /active/);

      await signOut(h);
      await visit(h, '/space', 401);
      assert.equal((await page.locator('main h1').innerText()).trim(), 'Sign in to continue');
      assert.equal(
        h.responses.filter((r) => r.request().resourceType() === 'script').length,
        0,
        'no script ran',
      );
      assertNoProblems(h.problems, { allowConsole: [DOCUMENT_STATUS] });
    } finally {
      await h.context.close();
    }
  });

  test('API tokens: create, use with X-Auth-Token, shown once, revoke → 401', { timeout: TIMEOUT }, async () => {
    await cliUser('toby', 'toby-password-1', { tenant: 'tooling', role: 'admin' });
    const h = await openPage(browser, server);
    const { page } = h;
    const list = (token) =>
      fetch(server.url('/api/v1/artifacts/heat_templates?limit=1000'), {
        headers: token ? { 'X-Auth-Token': token } : {},
      });
    try {
      await signIn(h, 'toby', 'toby-password-1');
      const { id } = await createDraft(h, { name: 'toby-draft', version: '0.0.1' });
      await visit(h, '/space');
      const tokensLink = page.locator('main a[href="/space/tokens"]', { hasText: 'API tokens' });
      await tokensLink.click();
      await page.waitForURL('**/space/tokens');
      await page.locator('#token-form').waitFor();
      assert.equal(await page.locator('#new-token').count(), 0, 'no secret before one is made');
      await page.fill('#token-name', 'ci');
      await page.selectOption('#token-tenant', 'tooling');
      await page.check('#token-form input[name=scope][value=publish]');
      await page.fill('#token-days', '30');
      await submit(h, () => page.locator('#token-form button[type=submit]', { hasText: 'Create token' }).click());
      assert.equal(new URL(page.url()).pathname, '/space/tokens');
      const secret = (await page.locator('#new-token').innerText()).trim();
      assert.match(secret, /^appcat_\S+$/);
      const row = page.locator('table#tokens tbody tr', { hasText: 'ci' });
      assert.equal(await row.count(), 1);
      assert.match(await row.innerText(), /tooling/);
      assert.match(await row.innerText(), /publish/);

      // Shown once only.
      await h.page.reload();
      await waitForHydration(page);
      assert.equal(await page.locator('#new-token').count(), 0, 'the secret is not shown again');
      assert.ok(!(await page.content()).includes(secret), 'nor anywhere in the page');
      assert.equal(await page.locator('table#tokens tbody tr', { hasText: 'ci' }).count(), 1);

      // The token works on the API, as toby in tenant tooling.
      const res = await list(secret);
      const text = await res.text();
      assert.equal(res.status, 200, text);
      const body = JSON.parse(text);
      const mine = body.artifacts.find((a) => a.id === id);
      assert.ok(mine, `the draft is listed with the token: ${text.slice(0, 500)}`);
      assert.equal(mine.name, 'toby-draft');
      assert.equal(mine.status, 'drafted');
      const anonymous = await (await list(null)).json();
      assert.ok(!anonymous.artifacts.some((a) => a.id === id), 'the draft is not listed without the token');

      // Revoked, it is refused.
      await submit(h, () => page.locator('table#tokens tbody tr', { hasText: 'ci' }).locator('button', { hasText: 'Revoke' }).click());
      await expectFlash(page, 'ok', "Token 'ci' revoked.");
      assert.equal(await page.locator('table#tokens tbody tr', { hasText: 'ci' }).count(), 0, 'no longer listed');
      const revoked = await list(secret);
      assert.equal(revoked.status, 401, await revoked.text());
      assertNoProblems(h.problems);
    } finally {
      await h.context.close();
    }
  });

  test('registration closed: /register is 403 and no Register link', { timeout: TIMEOUT }, async () => {
    const closed = await startServer({ env: { APPCAT_REGISTRATION: 'closed' } });
    try {
      for (const javaScriptEnabled of [true, false]) {
        const h = await openPage(browser, closed, { javaScriptEnabled });
        const { page } = h;
        try {
          await visit(h, '/');
          assert.equal(await signedInAs(page), null);
          assert.equal(await page.locator('a[href="/register"]').count(), 0, 'no Register link in the header');
          await visit(h, '/register', 403);
          assert.equal((await page.locator('main h1').innerText()).trim(), 'Registration is closed');
          assert.equal(await page.locator('#register-form').count(), 0, 'no registration form');
          assert.equal(await page.locator('a[href="/register"]').count(), 0);
          await visit(h, '/login');
          assert.equal(await page.locator('#login-form').count(), 1);
          assert.equal(await page.locator('a[href="/register"]').count(), 0, 'the login page offers no registration');
          assertNoProblems(h.problems, { allowConsole: [DOCUMENT_STATUS] });
        } finally {
          await h.context.close();
        }
      }
      // The default server of this file is open: the link is there.
      const open = await openPage(browser, server, { javaScriptEnabled: false });
      try {
        await visit(open, '/');
        assert.equal(await open.page.locator('header a[href="/register"]').count(), 1);
      } finally {
        await open.context.close();
      }
    } finally {
      await closed.stop();
    }
  });

  test('browse: tag, version requirement and sort through the search form; a bad requirement is a 400', { timeout: TIMEOUT }, async () => {
    // Three public artifacts with one tag, published by a catalog admin.
    await cliUser('bea', 'bea-password-1', { tenant: 'browsing', role: 'admin' });
    await server.cli('user', 'create', 'bea-admin', '--admin');
    await server.cli('user', 'add-to-tenant', 'bea-admin', 'browsing', '--role', 'admin');
    const token = await cliToken('bea', 'browsing');
    const adminToken = await cliToken('bea-admin', 'browsing');
    for (const [name, version] of [['zeta-app', '2.5.0'], ['alpha-app', '1.4.0'], ['mid-app', '0.9.0']]) {
      const a = await apiArtifact(token, { name, version, tags: ['browse-e2e'] }, { activate: true });
      const published = await server.api('PATCH', `/api/v1/artifacts/heat_templates/${a.id}`, {
        token: adminToken,
        body: [{ op: 'replace', path: '/visibility', value: 'public' }],
        contentType: 'application/json-patch+json',
      });
      assert.equal(published.visibility, 'public');
    }
    const h = await openPage(browser, server);
    const { page } = h;
    const names = () => page.locator('li.card h2 a').allInnerTexts();
    // After a search through the form (a new document, or the client-side
    // router's update): waits until the cards are `expected`.
    const cardsBecome = async (expected) => {
      try {
        await page.waitForFunction(
          (want) => [...document.querySelectorAll('li.card h2 a')].map((a) => a.textContent.trim()).join('\n') === want.join('\n'),
          expected,
          { timeout: 10_000 },
        );
      } catch {
        assert.deepEqual(await names(), expected, `cards at ${page.url()}`);
      }
    };
    try {
      await visit(h, '/apps/heat_templates?tag=browse-e2e&sort=name');
      assert.deepEqual(await names(), ['alpha-app', 'mid-app', 'zeta-app']);
      assert.equal(await page.locator('#sort').inputValue(), 'name');
      // The form keeps the tag and adds the requirement.
      await page.fill('#req', '>=1.0, <2');
      await Promise.all([page.waitForURL(/[?&]req=/), page.press('#req', 'Enter')]);
      const url = new URL(page.url());
      assert.equal(url.searchParams.get('tag'), 'browse-e2e');
      assert.equal(url.searchParams.get('req'), '>=1.0, <2');
      await cardsBecome(['alpha-app']);
      assert.match((await page.locator('.total').innerText()).trim(), /^1 match\b/);
      // A fresh load of that address gives the same.
      await visit(h, `${url.pathname}${url.search}`);
      assert.deepEqual(await names(), ['alpha-app']);
      assert.equal(await page.locator('#req').inputValue(), '>=1.0, <2');

      await visit(h, `/apps/heat_templates?tag=browse-e2e&req=${encodeURIComponent('>=2')}`);
      assert.deepEqual(await names(), ['zeta-app']);
      await visit(h, `/apps/heat_templates?tag=browse-e2e&req=${encodeURIComponent('>=3')}`);
      assert.deepEqual(await names(), []);
      assert.match((await page.locator('.total').innerText()).trim(), /^0 matches/);

      // Sorting by name through the form, newest as the default.
      await visit(h, '/apps/heat_templates?tag=browse-e2e');
      assert.equal(await page.locator('#sort').inputValue(), 'newest');
      await page.selectOption('#sort', 'name');
      await Promise.all([page.waitForURL(/[?&]sort=name/), page.press('#q', 'Enter')]);
      await cardsBecome(['alpha-app', 'mid-app', 'zeta-app']);
      assert.equal(new URL(page.url()).searchParams.get('tag'), 'browse-e2e');

      // A requirement that is none.
      await visit(h, `/apps/heat_templates?tag=browse-e2e&req=${encodeURIComponent('>=banana')}`, 400);
      const error = page.locator('main p.flash.error');
      assert.equal(await error.count(), 1, 'an error message');
      assert.equal(await error.getAttribute('role'), 'alert');
      assert.ok((await error.innerText()).trim().length > 0);
      assertNoProblems(h.problems, { allowConsole: [/status of 400/] });
    } finally {
      await h.context.close();
    }
  });

  for (const javaScriptEnabled of [true, false]) {
    test(`links to server endpoints (API, file downloads) are loaded from the server (${javaScriptEnabled ? 'with' : 'without'} JavaScript)`, { timeout: TIMEOUT }, async () => {
      const user = javaScriptEnabled ? 'lars' : 'lena';
      await cliUser(user, `${user}-password-1`, { tenant: `${user}-links`, role: 'admin' });
      const name = `${user}-stack`;
      const a = await apiArtifact(await cliToken(user, `${user}-links`), { name, version: '1.0.0' }, { activate: true });
      const blobUrl = server.url(`/api/v1/artifacts/heat_templates/${a.id}/template`);
      const h = await openPage(browser, server, { javaScriptEnabled });
      const { page } = h;
      // A click must make the browser load `url` itself (a document, or a
      // download for a file), not leave it to the client-side router.
      const wrong = [];
      const follow = async (where, link, url, download = null) => {
        assert.equal(await link.count(), 1, `one link to ${url} on ${where}`);
        try {
          if (download) {
            const [d] = await Promise.all([page.waitForEvent('download', { timeout: 10_000 }), link.click()]);
            assert.equal(d.url(), url);
            assert.equal(await d.failure(), null, 'download failure');
            const saved = await readFile(await d.path());
            assert.ok(saved.equals(download), `${where}: the downloaded file is the template`);
          } else {
            const [request] = await Promise.all([
              page.waitForRequest((r) => r.url() === url && r.isNavigationRequest(), { timeout: 10_000 }),
              link.click(),
            ]);
            const response = await request.response();
            if (response?.status() !== 200) wrong.push(`${where}: GET ${url} answered ${response?.status()}`);
          }
        } catch (e) {
          const h1 = await page.locator('main h1').first().innerText().catch(() => '?');
          wrong.push(`${where}: a click on ${url} did not load it (now at ${page.url()}, showing "${h1}"): ${e.message.split('\n')[0]}`);
        }
      };
      try {
        await signIn(h, user, `${user}-password-1`);
        await follow('header', page.locator('header a', { hasText: /^API$/ }), server.url('/api/openapi.json'));
        await visit(h, `/space/a/heat_templates/${a.id}`);
        await follow('manage page', blobSlot(page, 'template').locator('ul.files a'), blobUrl, TEMPLATE);
        await visit(h, `/apps/heat_templates/${name}`);
        await follow('detail page', page.locator('table.blobs a', { hasText: 'template' }), blobUrl, TEMPLATE);
        assert.deepEqual(wrong, [], 'links the browser did not follow');
        // A download ends the navigation that started it: chromium reports
        // that as an aborted document request.
        h.problems.failedRequests = h.problems.failedRequests.filter((f) => f !== `GET ${blobUrl}: net::ERR_ABORTED`);
        // Showing the JSON document, chromium asks for /favicon.ico, which
        // the site does not have (its pages declare their icon).
        assertNoProblems(h.problems, { allowConsole: [/status of 404 .*\/favicon\.ico$/] });
      } finally {
        await h.context.close();
      }
    });
  }

  test('signed-in pages at 375 px: no horizontal scrolling', { timeout: TIMEOUT }, async () => {
    // A member with a token, a draft with a file and an active artifact.
    await cliUser('mona', 'mona-password-1', { tenant: 'mobile', role: 'admin' });
    const token = await cliToken('mona', 'mobile');
    const ids = [];
    for (const [name, activate] of [['mona-draft', false], ['mona-active-stack-with-a-longer-name', true]]) {
      ids.push((await apiArtifact(token, { name, version: '1.0.0', tags: ['mobile'] }, { activate })).id);
    }
    const h = await openPage(browser, server, { width: 375, height: 800 });
    try {
      const found = [];
      const check = async (p) => {
        await visit(h, p);
        const s = await sideScroll(h.page);
        if (s.scrollWidth > s.innerWidth) found.push(`${p}: scrollWidth ${s.scrollWidth} > ${s.innerWidth}; ${s.offenders.join(', ')}`);
      };
      for (const p of ['/login', '/register']) await check(p);
      await signIn(h, 'mona', 'mona-password-1');
      for (const p of ['/space', `/space/a/heat_templates/${ids[0]}`, `/space/a/heat_templates/${ids[1]}`, '/space/new/heat_templates', '/space/tokens']) {
        await check(p);
      }
      assert.deepEqual(found, [], 'pages that scroll sideways at 375 px');
      assertNoProblems(h.problems);
    } finally {
      await h.context.close();
    }
  });
});
