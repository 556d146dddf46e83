// Browser tests of the catalog pages: Debian's chromium, driven by
// playwright-core, against the real appcat binary (see server.js).
//
//   cd end2end && npm ci && npm test
//
// CHROMIUM_PATH overrides /usr/bin/chromium; APPCAT_SCREENSHOT_DIR overrides
// ../docs/screenshots (where home.png and listing.png are written).

import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { launchBrowser } from './browser.js';
import { END2END_DIR, startServer } from './server.js';

const SCREENSHOT_DIR = process.env.APPCAT_SCREENSHOT_DIR
  ? path.resolve(process.env.APPCAT_SCREENSHOT_DIR)
  : path.resolve(END2END_DIR, '../docs/screenshots');
const TIMEOUT = 60_000;

let server;
let browser;
let seeded;

before(async () => {
  server = await startServer();
  seeded = await server.seed();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

// Marks, in the page, the moment the WASM module has been instantiated: the
// hydration script calls hydrate() as soon as that promise settles.
const INSTRUMENT_WASM = () => {
  window.__e2eWasmReady = false;
  const mark = (p) =>
    p.then((r) => {
      window.__e2eWasmReady = true;
      return r;
    });
  const streaming = WebAssembly.instantiateStreaming?.bind(WebAssembly);
  const plain = WebAssembly.instantiate.bind(WebAssembly);
  if (streaming) WebAssembly.instantiateStreaming = (...a) => mark(streaming(...a));
  WebAssembly.instantiate = (...a) => mark(plain(...a));
};

/**
 * A new page that records what went wrong in it: uncaught exceptions (a WASM
 * panic surfaces as one), console errors, failed requests and HTTP errors of
 * sub-resources; and every response, to check that the bundle loaded.
 */
async function openPage({ javaScriptEnabled = true, width = 1280, height = 800 } = {}) {
  const context = await browser.newContext({
    javaScriptEnabled,
    viewport: { width, height },
    baseURL: server.baseURL,
  });
  context.setDefaultTimeout(15_000);
  if (javaScriptEnabled) await context.addInitScript(INSTRUMENT_WASM);
  const page = await context.newPage();
  const problems = { pageErrors: [], consoleErrors: [], failedRequests: [], httpErrors: [] };
  const responses = [];
  page.on('pageerror', (e) => problems.pageErrors.push(String(e?.stack ?? e)));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.consoleErrors.push(`${m.text()} @ ${m.location()?.url ?? ''}`);
  });
  page.on('requestfailed', (r) => {
    const why = r.failure()?.errorText;
    // Without JavaScript chromium refuses the <link rel="modulepreload"> of
    // the bundle, reporting it as blocked by CSP: that is the point.
    if (!javaScriptEnabled && why === 'csp' && r.resourceType() === 'script') return;
    // A navigation cancels what the previous page was still fetching (its
    // favicon, the preloaded bundle): not a fault of the page. Errors from
    // the server show up as HTTP statuses below.
    if (why === 'net::ERR_ABORTED' && r.resourceType() !== 'document') return;
    problems.failedRequests.push(`${r.method()} ${r.url()}: ${why}`);
  });
  page.on('response', (r) => {
    responses.push(r);
    if (r.status() >= 400 && r.request().resourceType() !== 'document') {
      problems.httpErrors.push(`${r.status()} ${r.url()}`);
    }
  });
  return { context, page, problems, responses };
}

function assertNoProblems(problems, { allowConsole = [] } = {}) {
  const allowed = [...allowConsole];
  const consoleErrors = problems.consoleErrors.filter((t) => !allowed.some((re) => re.test(t)));
  assert.deepEqual(problems.pageErrors, [], 'uncaught exceptions in the page');
  assert.deepEqual(consoleErrors, [], 'console errors');
  assert.deepEqual(problems.failedRequests, [], 'failed requests');
  assert.deepEqual(problems.httpErrors, [], 'sub-resources with an HTTP error');
}

/** Waits until the WASM bundle was fetched with 200, instantiated and hydrate() has run. */
async function waitForHydration(page, responses) {
  await page.waitForFunction(() => window.__e2eWasmReady === true, null, { timeout: 30_000 });
  // hydrate() runs in the promise chain right after instantiation: one more
  // macrotask and two frames and it has finished.
  await page.evaluate(
    () =>
      new Promise((r) => setTimeout(() => requestAnimationFrame(() => requestAnimationFrame(r)), 0)),
  );
  // This document's own record of the bundle: finished loads, with status.
  const loaded = await page.evaluate(() =>
    performance
      .getEntriesByType('resource')
      .map((e) => ({ path: new URL(e.name).pathname, status: e.responseStatus, size: e.decodedBodySize }))
      .filter((e) => e.path.startsWith('/pkg/')),
  );
  for (const file of ['/pkg/appcat_bg.wasm', '/pkg/appcat.js']) {
    const entries = loaded.filter((e) => e.path === file);
    assert.ok(entries.length > 0, `${file} finished loading: ${JSON.stringify(loaded)}`);
    for (const e of entries) {
      assert.equal(e.status, 200, `${file} status`);
      assert.ok(e.size > 0, `${file} is not empty`);
    }
  }
  // Every response for the bundle so far, in this page's whole life.
  for (const r of responses.filter((r) => new URL(r.url()).pathname === '/pkg/appcat_bg.wasm')) {
    assert.equal(r.status(), 200, `${r.url()} status`);
    assert.match(r.headers()['content-type'] ?? '', /application\/wasm/, 'WASM content type');
  }
}

/** The tile of the home page for one artifact type. */
const tile = (page, displayName) =>
  page.locator('li.tile').filter({ has: page.locator('h2', { hasText: displayName }) });

async function checkHome(page) {
  const t = tile(page, 'Heat template');
  assert.equal(await t.count(), 1, 'one "Heat template" tile');
  assert.equal((await t.locator('.count').innerText()).trim(), '1 public');
  assert.equal(await t.locator('a').getAttribute('href'), '/apps/heat_templates');
  assert.equal(await page.title(), 'appcat');
}

async function checkListing(page) {
  const cards = page.locator('li.card');
  assert.equal(await cards.count(), 1, 'one public card');
  const card = cards.first();
  assert.equal((await card.locator('h2 a').innerText()).trim(), seeded.publicArtifact.name);
  assert.deepEqual(await card.locator('ul.tags li').allInnerTexts(), ['demo']);
  assert.equal((await page.locator('h1').innerText()).trim(), 'Heat template');
  const text = await page.locator('main').innerText();
  assert.ok(
    !text.includes(seeded.privateArtifact.name),
    `the private artifact "${seeded.privateArtifact.name}" must not be listed`,
  );
  assert.equal((await page.locator('.total').innerText()).trim(), '1 public artifact');
}

describe('catalog pages', { timeout: TIMEOUT * 6 }, () => {
  test('anonymous visitor with JavaScript: home → heat templates, hydrated', { timeout: TIMEOUT }, async () => {
    const { context, page, problems, responses } = await openPage();
    try {
      const res = await page.goto('/');
      assert.equal(res.status(), 200);
      await waitForHydration(page, responses);
      await checkHome(page);

      // After hydration the router handles the click in the page: the
      // document (and this marker in it) survives the navigation.
      await page.evaluate(() => {
        window.__e2eSameDocument = true;
      });
      await tile(page, 'Heat template').locator('a').click();
      await page.waitForURL('**/apps/heat_templates');
      await page.locator('li.card').first().waitFor();
      await checkListing(page);
      assert.equal(
        await page.evaluate(() => window.__e2eSameDocument === true),
        true,
        'the link was followed by the client-side router (page hydrated)',
      );
      await page.waitForFunction(() => document.title === 'Heat template · appcat');

      // A fresh load of the listing hydrates too.
      const res2 = await page.reload();
      assert.equal(res2.status(), 200);
      await waitForHydration(page, responses);
      await checkListing(page);
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  for (const javaScriptEnabled of [true, false]) {
    test(`visitor searches and opens an app (${javaScriptEnabled ? 'with' : 'without'} JavaScript)`, { timeout: TIMEOUT }, async () => {
      const { context, page, problems, responses } = await openPage({ javaScriptEnabled });
      try {
        const res = await page.goto('/apps/heat_templates');
        assert.equal(res.status(), 200);
        if (javaScriptEnabled) await waitForHydration(page, responses);
        // The search form works as a plain GET form, and the URL carries the query.
        await page.fill('#q', seeded.publicArtifact.name.toUpperCase());
        await Promise.all([page.waitForURL(/[?&]q=/), page.press('#q', 'Enter')]);
        assert.match(page.url(), new RegExp(`q=${seeded.publicArtifact.name.toUpperCase()}`));
        await page.locator('li.card').first().waitFor();
        assert.equal(await page.locator('li.card').count(), 1);
        assert.match((await page.locator('.total').innerText()).trim(), /^1 match for/);
        // No match for the private one.
        await page.goto(`/apps/heat_templates?q=${encodeURIComponent(seeded.privateArtifact.name)}`);
        if (javaScriptEnabled) await waitForHydration(page, responses);
        assert.match((await page.locator('.total').innerText()).trim(), /^0 matches/);

        await page.goto('/apps/heat_templates');
        if (javaScriptEnabled) await waitForHydration(page, responses);
        await Promise.all([
          page.waitForURL(`**/apps/heat_templates/${seeded.publicArtifact.name}?version=*`),
          page.locator('li.card h2 a').first().click(),
        ]);
        await page.locator('article.detail h1').waitFor();
        const h1 = (await page.locator('article.detail h1').innerText()).trim();
        assert.ok(h1.startsWith(seeded.publicArtifact.name), h1);
        const download = page.locator('table.blobs a').first();
        assert.equal((await download.innerText()).trim(), 'template');
        assert.match(await download.getAttribute('href'), /^\/api\/v1\/artifacts\/heat_templates\/[0-9a-f-]+\/template$/);
        assert.match(await page.locator('pre code').innerText(), /openstack stack create/);
        // The download link serves the uploaded file.
        const href = await download.getAttribute('href');
        const blob = await page.request.get(href);
        assert.equal(blob.status(), 200);
        assert.ok(blob.headers()['x-openstack-glare-content-sha256']);
        // An unknown app is a real 404 page.
        const missing = await page.goto('/apps/heat_templates/no-such-app');
        assert.equal(missing.status(), 404);
        if (javaScriptEnabled) await waitForHydration(page, responses);
        assertNoProblems(problems, { allowConsole: [/status of 404/] });
      } finally {
        await context.close();
      }
    });
  }

  test('anonymous visitor without JavaScript: server-rendered pages and links', { timeout: TIMEOUT }, async () => {
    const { context, page, problems, responses } = await openPage({ javaScriptEnabled: false });
    try {
      const res = await page.goto('/');
      assert.equal(res.status(), 200);
      await checkHome(page);
      // The raw HTML has it too, before any script could run.
      const html = await res.text();
      assert.match(html, /<li class="tile"><a href="\/apps\/heat_templates"><h2>Heat template<\/h2><p class="count">1 public<\/p>/);

      const [nav] = await Promise.all([
        page.waitForNavigation({ url: '**/apps/heat_templates' }),
        tile(page, 'Heat template').locator('a').click(),
      ]);
      assert.equal(nav.status(), 200);
      await checkListing(page);
      assert.equal(await page.title(), 'Heat template · appcat');
      assert.ok(!(await nav.text()).includes(seeded.privateArtifact.name), 'private artifact absent from the HTML');

      // The breadcrumb leads back home.
      await Promise.all([page.waitForURL(server.url('/')), page.locator('nav.crumbs a').click()]);
      await checkHome(page);
      assert.equal(
        responses.filter((r) => r.request().resourceType() === 'script').length,
        0,
        'no script ran',
      );
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('HTTP statuses: 200 for pages, 404 for unknown types and paths', { timeout: TIMEOUT }, async () => {
    const { context, page, problems, responses } = await openPage();
    try {
      for (const p of ['/', '/apps/heat_templates', '/apps/images']) {
        const res = await page.goto(p);
        assert.equal(res.status(), 200, `${p} status`);
        assert.match(res.headers()['content-type'] ?? '', /^text\/html/, `${p} content type`);
        await waitForHydration(page, responses);
      }
      for (const p of ['/apps/nope', '/no/such/page']) {
        const res = await page.goto(p);
        assert.equal(res.status(), 404, `${p} status`);
        await waitForHydration(page, responses);
        assert.equal((await page.locator('main h1').innerText()).trim(), 'Not found', `${p} heading`);
        assert.equal(await page.title(), 'Not found · appcat', `${p} title`);
        assert.equal(await page.locator('main a[href="/"]').count(), 1, `${p} links back home`);
      }
      // Chromium logs the 404 of the document itself as a console error.
      assertNoProblems(problems, { allowConsole: [/status of 404/] });
    } finally {
      await context.close();
    }
  });

  test('layout at 375 px and 1440 px: no horizontal scrolling; screenshots', { timeout: TIMEOUT }, async () => {
    await mkdir(SCREENSHOT_DIR, { recursive: true });
    for (const width of [375, 1440]) {
      const { context, page, problems, responses } = await openPage({ width, height: 900 });
      try {
        for (const [p, shot] of [['/', 'home.png'], ['/apps/heat_templates', 'listing.png']]) {
          const res = await page.goto(p);
          assert.equal(res.status(), 200);
          await waitForHydration(page, responses);
          await page.evaluate(() => document.fonts.ready);
          const { scrollWidth, innerWidth } = await page.evaluate(() => ({
            scrollWidth: document.documentElement.scrollWidth,
            innerWidth: window.innerWidth,
          }));
          assert.ok(
            scrollWidth <= innerWidth,
            `${p} at ${width}px scrolls sideways: scrollWidth ${scrollWidth} > innerWidth ${innerWidth}`,
          );
          if (width === 1440) {
            await page.screenshot({ path: path.join(SCREENSHOT_DIR, shot), fullPage: true });
          }
        }
        assertNoProblems(problems);
      } finally {
        await context.close();
      }
    }
  });
});
