// Trust and safety in a real browser: hostile names run no script on any
// page (with the Content-Security-Policy in force, hydration still works),
// a share offered by another tenant is accepted or declined from the space
// page (with and without JavaScript), and sign-in never leaves the site.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { assertNoProblems, expectFlash, fillLogin, launchBrowser, openPage, submit, visit } from './browser.js';
import { startServer } from './server.js';

const TIMEOUT = 120_000;
const HOSTILE = '</title><script>window.__e2ePwned = 1</script><img src=x onerror="window.__e2ePwned = 2">';
const TEMPLATE = 'heat_template_version: 2018-08-31\nresources: {}\n';
const PASSWORDS = { alice: 'alice-password-1', root: 'root-password-1' };

let server;
let browser;
let seeded;
let hostile;
let offered;

const patch = (ops) => ({ body: ops, contentType: 'application/json-patch+json' });

before(async () => {
  server = await startServer();
  seeded = await server.seed();
  for (const [user, password] of Object.entries(PASSWORDS)) {
    await server.cli('user', 'set-password', user, { input: `${password}\n` });
  }
  const { alice, root } = seeded.tokens;
  // A public artifact with a hostile name, description and tag, waiting
  // in nobody's queue; and one in the admin's listing queue.
  const make = async (name) => {
    const a = await server.api('POST', '/api/v1/artifacts/heat_templates', {
      token: alice,
      body: { name, version: '1.0.0', description: `# x\n\n${HOSTILE}`, tags: [`t${HOSTILE}`.replaceAll('/', '')] },
      expect: 201,
    });
    const p = `/api/v1/artifacts/heat_templates/${a.id}`;
    await server.api('PUT', `${p}/template`, { token: alice, body: TEMPLATE, contentType: 'application/x-yaml' });
    await server.api('PATCH', p, { token: alice, ...patch([{ op: 'replace', path: '/status', value: 'active' }]) });
    return a;
  };
  hostile = await make(`x${HOSTILE}`);
  await server.api('PATCH', `/api/v1/artifacts/heat_templates/${hostile.id}`, {
    token: root,
    ...patch([{ op: 'replace', path: '/visibility', value: 'public' }]),
  });
  const queued = await make(`q${HOSTILE}`);
  await server.api('POST', `/api/v1/artifacts/heat_templates/${queued.id}/listing-requests`, {
    token: alice,
    body: { message: HOSTILE },
    expect: 201,
  });
  // Another tenant offers alice's tenant an artifact, unasked.
  await server.cli('tenant', 'create', 'rival');
  await server.cli('user', 'create', 'rita', '--tenant', 'rival', '--role', 'admin');
  const rita = (await server.cli('token', 'create', '--user', 'rita', '--tenant', 'rival')).trim().split('\n').pop().trim();
  const env = await server.api('POST', '/api/v1/artifacts/heat_environments', {
    token: rita,
    body: { name: 'rival-env', version: '1.0.0' },
    expect: 201,
  });
  const p = `/api/v1/artifacts/heat_environments/${env.id}`;
  await server.api('PUT', `${p}/environment`, { token: rita, body: 'parameters: {}\n', contentType: 'application/x-yaml' });
  await server.api('PATCH', p, { token: rita, ...patch([{ op: 'replace', path: '/status', value: 'active' }]) });
  await server.api('POST', `${p}/members`, { token: rita, body: { tenant: 'acme' }, expect: 201 });
  offered = env;
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function signIn(h, user) {
  await visit(h, '/login');
  await fillLogin(h, user, PASSWORDS[user]);
}

describe('security', () => {
  test('hostile names run no script on any page; the page still hydrates under its CSP', { timeout: TIMEOUT }, async () => {
    const h = await openPage(browser, server);
    try {
      const detail = `/apps/heat_templates/${encodeURIComponent(hostile.name)}`;
      for (const p of ['/', '/apps', '/apps/heat_templates', `/apps?q=${encodeURIComponent(HOSTILE)}`, detail]) {
        await visit(h, p);
        assert.equal(await h.page.evaluate(() => window.__e2ePwned), undefined, `script ran on ${p}`);
      }
      assert.ok((await h.page.title()).startsWith(`x</title><script>`), 'the title shows the name as text');
      const res = await visit(h, detail);
      const csp = res.headers()['content-security-policy'];
      assert.match(csp, /script-src 'self' 'nonce-[^']+' 'wasm-unsafe-eval'/);
      await signIn(h, 'root');
      for (const p of ['/space', `/space/a/heat_templates/${hostile.id}`, '/admin', detail]) {
        await visit(h, p);
        assert.equal(await h.page.evaluate(() => window.__e2ePwned), undefined, `script ran on ${p}`);
      }
      await visit(h, `/space/a/heat_templates/${hostile.id}`);
      const description = await h.page.locator('textarea#f-description').inputValue();
      assert.ok(description.includes(HOSTILE), 'the textarea holds the text as written');
      assert.equal(await h.page.evaluate(() => window.__e2ePwned), undefined);
      // The description's `<img src=x …>` keeps its (relative, harmless)
      // image once sanitised, minus the handler: the browser asks for it.
      const image = /\/apps\/heat_templates\/x$/;
      h.problems.httpErrors = h.problems.httpErrors.filter((e) => !image.test(e));
      assertNoProblems(h.problems, { allowConsole: [image] });
    } finally {
      await h.context.close();
    }
  });

  for (const js of [true, false]) {
    test(`a share offered by another tenant is accepted and declined from the space page (${js ? 'with' : 'without'} JavaScript)`, { timeout: TIMEOUT }, async () => {
      const h = await openPage(browser, server, { javaScriptEnabled: js });
      try {
        await signIn(h, 'alice');
        await visit(h, '/space');
        const item = h.page.locator('ul.offers li', { hasText: 'rival-env' });
        assert.equal(await item.count(), 1, 'the offer is listed');
        const answer = async (label, flash) => {
          await submit(h, () => item.locator('button', { hasText: label }).click());
          await expectFlash(h.page, 'ok', flash);
        };
        await answer('Accept', /Share accepted/);
        assert.match(await item.innerText(), /accepted/);
        const members = await server.api('GET', `/api/v1/artifacts/heat_environments/${offered.id}/members`, {
          token: seeded.tokens.root,
        });
        assert.equal(members.status.acme, 'accepted');
        await answer('Decline', /Share declined/);
        assert.match(await item.innerText(), /declined/);
        assert.equal(await item.locator('a').count(), 0, 'a declined offer links nowhere');
        // The API agrees: acme no longer reads it.
        await server.api('GET', `/api/v1/artifacts/heat_environments/${offered.id}`, {
          token: seeded.tokens.alice,
          expect: 404,
        });
        if (js) assertNoProblems(h.problems);
      } finally {
        await h.context.close();
      }
    });
  }

  test('sign-in never redirects off the site, whatever `next` holds', { timeout: TIMEOUT }, async () => {
    for (const next of ['/\t/evil.example', '/\\evil.example', '//evil.example', 'https://evil.example/']) {
      const h = await openPage(browser, server, { javaScriptEnabled: false });
      try {
        await h.page.goto(`/login?next=${encodeURIComponent(next)}`);
        await fillLogin(h, 'alice', PASSWORDS.alice);
        const url = new URL(h.page.url());
        assert.equal(url.origin, server.baseURL.replace(/\/$/, ''), `${JSON.stringify(next)} left the site: ${url}`);
      } finally {
        await h.context.close();
      }
    }
  });
});
