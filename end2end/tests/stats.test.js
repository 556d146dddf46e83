// Download counts survive a clean shutdown: the server writes counts in
// batches, here never during the test (a flush interval of an hour), so
// only the write on SIGTERM can carry them to the restarted server.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { startServer } from './server.js';

let server;
let seeded;

before(async () => {
  server = await startServer({
    env: { APPCAT_STATS_FLUSH_SECS: '3600', APPCAT_LOG: 'info,sqlx=warn', APPCAT_TRUSTED_PROXIES: '127.0.0.1,::1' },
  });
  seeded = await server.seed();
});

after(async () => {
  await server?.stop();
});

test('counts pending at a clean shutdown are written, none lost', { timeout: 60_000 }, async () => {
  const { publicArtifact } = seeded;
  const base = `/api/v1/artifacts/heat_templates/${publicArtifact.id}`;
  const clients = 25;
  // Distinct anonymous clients (addresses named by the trusted proxy), all
  // at once; each downloads twice within the window, so each counts once.
  await Promise.all(
    Array.from({ length: clients }, async (_, i) => {
      for (let n = 0; n < 2; n++) {
        const res = await fetch(server.url(`${base}/template`), {
          headers: { 'User-Agent': `stats-e2e-${i}`, 'X-Forwarded-For': `198.51.100.${i + 1}` },
        });
        assert.equal(res.status, 200);
        await res.arrayBuffer();
      }
    }),
  );
  const before = await server.api('GET', `${base}/stats`);
  assert.equal(before.downloads_total, clients, 'pending counts are reported');
  const listed = await server.api('GET', base);
  assert.equal(listed.downloads, 0, 'not written yet: the flush interval is an hour');

  const exit = await server.shutdown();
  assert.equal(exit.code, 0, `a clean exit, got ${JSON.stringify(exit)}:\n${server.log}`);
  assert.match(server.log, /download and view counts written/);

  await server.start();
  const afterRestart = await server.api('GET', `${base}/stats`);
  assert.equal(afterRestart.downloads_total, clients, 'every count survived the restart');
  const today = afterRestart.days.at(-1);
  assert.equal(today.downloads, clients);
  const artifact = await server.api('GET', base);
  assert.equal(artifact.downloads, clients, 'the sort column was written too');
});
