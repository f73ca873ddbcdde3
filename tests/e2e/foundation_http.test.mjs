// The HTTP layer's promises: health and metrics, one JSON error shape for every bad request,
// CSRF, staff sign-in with safe cookies, static files with MIME types, caching and security
// headers, and a server that keeps serving after all of that.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startServer, tucai, tempDir, cleanup, Client } from './support/server.mjs';

let server, web;

before(async () => {
  web = tempDir('tucai-web-');
  mkdirSync(path.join(web, 'student'));
  mkdirSync(path.join(web, 'review'));
  mkdirSync(path.join(web, 'css'));
  writeFileSync(path.join(web, 'student/index.html'), '<!doctype html><title>学生</title>');
  writeFileSync(path.join(web, 'review/index.html'), '<!doctype html><title>审核</title>');
  writeFileSync(path.join(web, 'css/app.css'), 'body{margin:0}');
  writeFileSync(path.join(web, '.secret'), 'hidden');
  server = await startServer({ webDir: web, args: ['--max-body', '2048'] });
  const r = tucai(['user', 'add', '--data', server.data, '--username', 'rev1', '--role', 'reviewer', '--name', '审核员甲'],
    { env: { TUCAI_NEW_PASSWORD: 'correct horse battery' } });
  assert.equal(r.status, 0, r.stderr);
});

after(async () => {
  await server?.stop();
  cleanup(web);
  cleanup(server?.data);
});

function assertJsonError(res, status, code) {
  assert.equal(res.status, status, res.text);
  assert.match(res.headers.get('content-type'), /application\/json/);
  assert.equal(typeof res.body?.error?.message, 'string');
  assert.equal(res.body.error.code, code);
}

test('healthz answers ok from the store', async () => {
  const res = await server.client().get('/healthz');
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, { status: 'ok' });
  assert.match(res.headers.get('x-request-id'), /^[0-9a-f]{16}$/);
});

test('metrics are Prometheus text with per-route histograms and queue gauges', async () => {
  const c = server.client();
  await c.get('/healthz');
  await c.get('/no/such/thing');
  const res = await c.get('/metrics');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  assert.match(res.text, /tucai_http_requests_total\{route="\/healthz",method="GET",status="2xx"\} \d+/);
  assert.match(res.text, /tucai_http_request_duration_seconds_bucket\{route="\/healthz",method="GET",le="0\.005"\} \d+/);
  assert.match(res.text, /tucai_http_request_duration_seconds_count\{route="\/healthz",method="GET"\} \d+/);
  assert.match(res.text, /tucai_http_requests_total\{route="unknown",method="GET",status="4xx"\} \d+/);
  assert.match(res.text, /tucai_jobs\{state="queued"\} \d+/);
  assert.match(res.text, /tucai_workers_busy \d+/);
});

test('every malformed request gets its 4xx and the JSON error; the server keeps serving', async () => {
  const c = server.client();
  assertJsonError(await c.get('/api/nope'), 404, 'not_found');
  assertJsonError(await c.request('DELETE', '/healthz'), 405, 'method_not_allowed');
  assertJsonError(await c.post('/api/auth/login', '{"username": "rev1", "password": '), 400, 'invalid_json');
  assertJsonError(await c.post('/api/auth/login', '"just a string"'), 400, 'invalid_json');
  assertJsonError(await c.post('/api/auth/login', '{"username":"a","username":"b","password":"x"}'), 400, 'invalid_json');
  assertJsonError(await c.post('/api/auth/login', { username: 'rev1' }), 400, 'missing_field');
  assertJsonError(await c.post('/api/auth/login', { username: 42, password: 'x' }), 400, 'invalid_field');
  assertJsonError(await c.request('POST', '/api/auth/login', { body: 'username=rev1', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
    415, 'unsupported_media_type');
  assertJsonError(await c.post('/api/auth/login', { username: 'rev1', password: 'x'.repeat(5000) }), 413, 'body_too_large');
  // Chunked body without a length, also over the limit.
  const big = new ReadableStream({ start(ctl) { ctl.enqueue(new TextEncoder().encode('{"a":"' + 'x'.repeat(9000) + '"}')); ctl.close(); } });
  const token = await c.csrf();
  const chunked = await fetch(server.url + '/api/auth/login', {
    method: 'POST', body: big, duplex: 'half',
    headers: { 'content-type': 'application/json', 'x-csrf-token': token, cookie: c.cookieHeader() },
  });
  assert.equal(chunked.status, 413);
  assert.equal((await chunked.json()).error.code, 'body_too_large');
  // Missing and wrong CSRF tokens.
  assertJsonError(await c.post('/api/auth/login', { username: 'rev1', password: 'x' }, { csrf: false }), 403, 'csrf_failed');
  const forged = new Client(server.url);
  await forged.csrf();
  assertJsonError(await forged.request('POST', '/api/auth/login', {
    json: { username: 'rev1', password: 'x' }, csrf: false, headers: { 'x-csrf-token': 'f'.repeat(32) },
  }), 403, 'csrf_failed');
  // A client with no cookie at all cannot post either.
  const res = await fetch(server.url + '/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.equal(res.status, 403);
  assert.equal((await c.get('/healthz')).status, 200);
});

test('staff sign in with an HttpOnly SameSite cookie, see who they are, and sign out', async () => {
  const c = server.client();
  assertJsonError(await c.get('/api/auth/me'), 401, 'unauthenticated');
  assertJsonError(await c.post('/api/auth/login', { username: 'rev1', password: 'wrong password' }), 401, 'bad_credentials');
  assertJsonError(await c.post('/api/auth/login', { username: 'nobody', password: 'wrong password' }), 401, 'bad_credentials');
  const res = await c.post('/api/auth/login', { username: 'rev1', password: 'correct horse battery' });
  assert.equal(res.status, 200);
  assert.equal(res.body.role, 'reviewer');
  assert.equal(res.body.display_name, '审核员甲');
  const cookie = res.headers.getSetCookie().find((s) => s.startsWith('tucai_sid='));
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Lax/);
  assert.doesNotMatch(cookie, /Secure/); // plain HTTP here; --secure-cookies behind TLS
  assert.match(cookie, /^tucai_sid=[0-9a-f]{64};/);
  const me = await c.get('/api/auth/me');
  assert.equal(me.status, 200);
  assert.equal(me.body.username, 'rev1');
  assert.equal((await c.post('/api/auth/logout')).status, 200);
  assertJsonError(await c.get('/api/auth/me'), 401, 'unauthenticated');
  // A made-up session token is nobody.
  const fake = new Client(server.url);
  fake.cookies.set('tucai_sid', 'a'.repeat(64));
  assertJsonError(await fake.get('/api/auth/me'), 401, 'unauthenticated');
});

test('CSRF: a short token is refused, and a signed-in client must echo its own session\'s token', async () => {
  const c = server.client();
  const anonymous = await c.csrf();
  // A header shorter than the cookie's token is refused (length checked before comparing).
  assertJsonError(await c.request('POST', '/api/auth/login', {
    json: { username: 'rev1', password: 'x' }, csrf: false, headers: { 'x-csrf-token': anonymous.slice(0, 4) },
  }), 403, 'csrf_failed');
  assert.equal((await c.post('/api/auth/login', { username: 'rev1', password: 'correct horse battery' })).status, 200);
  // Signing in binds the client's CSRF cookie to the new session's own token.
  const bound = c.cookies.get('tucai_csrf');
  assert.match(bound, /^[0-9a-f]{32}$/);
  assert.notEqual(bound, anonymous);
  // A cookie planted by a sibling subdomain, echoed in the header, is not the session's token.
  c.cookies.set('tucai_csrf', 'e'.repeat(32));
  assertJsonError(await c.request('POST', '/api/auth/logout', { csrf: false, headers: { 'x-csrf-token': 'e'.repeat(32) } }),
    403, 'csrf_failed');
  assert.equal((await c.get('/api/auth/me')).status, 200, 'still signed in');
  // The server puts the session's token back in the cookie; with it the same request passes.
  assert.equal(c.cookies.get('tucai_csrf'), bound);
  assert.equal((await c.post('/api/auth/logout')).status, 200);
  assertJsonError(await c.get('/api/auth/me'), 401, 'unauthenticated');
});

test('a disabled account is signed out and cannot sign in', async () => {
  const c = server.client();
  tucai(['user', 'add', '--data', server.data, '--username', 'temp', '--role', 'operator'], { env: { TUCAI_NEW_PASSWORD: 'temporary password' } });
  assert.equal((await c.post('/api/auth/login', { username: 'temp', password: 'temporary password' })).status, 200);
  assert.equal(tucai(['user', 'disable', '--data', server.data, '--username', 'temp']).status, 0);
  assert.equal((await c.get('/api/auth/me')).status, 401);
  assert.equal((await c.post('/api/auth/login', { username: 'temp', password: 'temporary password' })).status, 401);
});

test('static pages: the right MIME type, caching, security headers, nothing outside web/', async () => {
  const c = server.client();
  const home = await c.get('/');
  assert.equal(home.status, 200);
  assert.match(home.headers.get('content-type'), /^text\/html; charset=utf-8/);
  assert.match(home.text, /学生/);
  assert.equal(home.headers.get('cache-control'), 'no-cache');
  assert.match(home.headers.get('content-security-policy'), /frame-ancestors 'none'/);
  assert.match(home.headers.get('content-security-policy'), /default-src 'self'/);
  assert.equal(home.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(home.headers.get('referrer-policy'), 'same-origin');
  assert.match((await c.get('/review')).text, /审核/);
  const css = await c.get('/css/app.css');
  assert.match(css.headers.get('content-type'), /^text\/css/);
  assert.match(css.headers.get('cache-control'), /max-age=3600/);
  const etag = css.headers.get('etag');
  assert.ok(etag);
  assert.equal((await c.get('/css/app.css', { headers: { 'if-none-match': etag } })).status, 304);
  for (const p of ['/.secret', '/css/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/css//app.css']) {
    const res = await fetch(server.url + p);
    assert.equal(res.status, 404, p);
  }
  // API errors carry the same headers.
  const api = await c.get('/api/nope');
  assert.equal(api.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(api.headers.get('cache-control'), 'no-store');
});

test('logs are one JSON line per request with a request id and no personal data', async () => {
  const c = server.client();
  await c.post('/api/auth/login', { username: 'rev1', password: 'correct horse battery' });
  const lines = server.logs.map((l) => { try { return JSON.parse(l); } catch { return null; } }).filter(Boolean);
  const requests = lines.filter((l) => l.msg === 'request');
  assert.ok(requests.length > 5);
  for (const l of requests) {
    assert.match(l.rid, /^[0-9a-f]{16}$/);
    assert.ok(l.route && l.status && l.ms);
  }
  const all = server.logs.join('\n');
  assert.doesNotMatch(all, /correct horse battery/);
  assert.doesNotMatch(all, /rev1/);
});

test('serve --help documents every setting and its environment variable; secrets show no value', () => {
  const r = tucai(['serve', '--help']);
  assert.equal(r.status, 0);
  for (const s of ['--listen', '--data', '--db', '--config', '--workers', '--max-upload', 'TUCAI_LISTEN', 'TUCAI_DB', 'TUCAI_MASTER_KEY_FILE'])
    assert.ok(r.stdout.includes(s), s);
  assert.match(r.stdout, /secret: never printed/);
});

test('settings come from a config file, overridden by environment, overridden by flags', async () => {
  const dir = tempDir();
  const conf = path.join(dir, 'tucai.conf');
  writeFileSync(conf, `# test\nlisten = 127.0.0.1:1\nmax_body = 100\nworkers = 0\n`);
  // The flag (--listen 127.0.0.1:0 from startServer) wins over the file's unusable port 1.
  const s = await startServer({ data: dir, args: ['--config', conf], env: { TUCAI_MAX_BODY: '4096' } });
  const c = s.client();
  // max_body: file says 100, environment 4096: a 1 KB body passes the limit (and fails on credentials).
  const res = await c.post('/api/auth/login', { username: 'x', password: 'y'.repeat(100), pad: 'p'.repeat(900) });
  assert.equal(res.status, 401);
  await s.stop();
  const bad = tucai(['serve', '--data', dir, '--no-such-flag', '1']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown option/);
  cleanup(dir);
});
