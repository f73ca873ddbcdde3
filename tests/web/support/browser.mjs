// Shared by the browser tests: Debian's chromium through playwright-core, a page that records
// console errors and failed requests, a check for horizontal scrolling, screenshots as artifacts,
// the fake camera fed with a real photo, and a world (school, batch, roster, codes) made through
// the real binary's CLI and API.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

import { SHARED, SOURCE, startServer, tempDir, tucai as run } from '../../e2e/support/server.mjs';
import { idNumber } from '../../e2e/support/idcard.mjs';

export const ARTIFACTS = path.join(SOURCE, 'tests', 'artifacts', 'web');

const BASE_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

// A fresh chromium with its own profile; fakeVideo: a .y4m file for the fake camera; viewport and
// userAgent for a particular phone or in-app browser (WeChat's says MicroMessenger).
export async function launch({ fakeVideo, viewport = { width: 360, height: 640 }, userAgent } = {}) {
  const profile = tempDir('tucai-chromium-');
  const args = [...BASE_ARGS];
  if (fakeVideo) args.push('--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${fakeVideo}`);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.TUCAI_CHROMIUM || '/usr/bin/chromium',
    headless: true, args, acceptDownloads: true,
    viewport, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', ...(userAgent ? { userAgent } : {}),
  });
  return { context, profile, close: async () => { await context.close(); fs.rmSync(profile, { recursive: true, force: true }); } };
}

// Every page of the context reports console errors, page errors, failed requests and 5xx.
// `allow(url, status)` may excuse an expected 4xx (e.g. a refusal the test provokes on purpose).
export function watch(context, { allow = () => false, allowFailed = () => false, allowConsole = () => false } = {}) {
  const problems = [];
  const hook = (page) => {
    page.on('console', (m) => {
      if (m.type() !== 'error') return;
      const text = m.text();
      // The 4xx a test provokes on purpose is logged by chromium as "Failed to load resource";
      // its response is judged below instead.
      if (/Failed to load resource: the server responded with a status of 4\d\d/.test(text)) return;
      if (allowConsole(text)) return;
      problems.push(`console error on ${page.url()}: ${text}`);
    });
    page.on('pageerror', (e) => problems.push(`page error on ${page.url()}: ${e.message}`));
    page.on('requestfailed', (r) => {
      const f = r.failure()?.errorText || '';
      // A download that becomes a file, a navigation cut short by the next one, or the event stream
      // closed when its page goes away, is not a failure.
      if (/ERR_ABORTED/.test(f) && (r.resourceType() === 'document' || r.resourceType() === 'eventsource' || r.isNavigationRequest())) return;
      if (allowFailed(r.url())) return;
      problems.push(`request failed: ${r.method()} ${r.url()} ${f}`);
    });
    page.on('response', (r) => {
      if (r.status() >= 500 || (r.status() >= 400 && !allow(r.url(), r.status()))) problems.push(`HTTP ${r.status()} ${r.request().method()} ${r.url()}`);
    });
  };
  context.pages().forEach(hook);
  context.on('page', hook);
  return { problems, assertClean: () => assert.deepEqual(problems, [], problems.join('\n')) };
}

export async function noHorizontalScroll(page, what) {
  const r = await page.evaluate(() => ({ sw: document.documentElement.scrollWidth, cw: document.documentElement.clientWidth,
    wide: [...document.querySelectorAll('body *')].filter((e) => { const b = e.getBoundingClientRect(); return b.width && b.right > document.documentElement.clientWidth + 1 && getComputedStyle(e).position !== 'absolute' && !e.closest('.table-scroll'); }).slice(0, 3).map((e) => e.tagName + '.' + e.className + '#' + e.id) }));
  assert.ok(r.sw <= r.cw, `${what}: horizontal scroll at ${r.cw}px (content ${r.sw}px): ${r.wide.join(', ')}`);
}

// Text that does not fit, measured in the page: text off the screen, outside its own box or cut
// off by it (overflow hidden, ellipsis). `vertical`: also text cut off or spilling in height (the
// student pages, whose boxes are sized for their words); `scrollers`: also a box inside the page
// that scrolls sideways (a staff table in an overflow-x wrapper is still a table to scroll on a
// phone: staff tables become cards there). Boxes hidden for screen readers only are skipped.
function misfits({ vertical, scrollers }) {
  const se = document.scrollingElement || document.documentElement;
  const vw = se.clientWidth;
  const out = [];
  const desc = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().replace(/\s+/g, '.') : '');
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('.visually-hidden, .skip, [hidden], script, style, noscript')) continue;
    const s = getComputedStyle(el);
    const b = el.getBoundingClientRect();
    if (s.display === 'none' || s.visibility === 'hidden' || !b.width || !b.height) continue;
    if (scrollers && /auto|scroll/.test(s.overflowX) && el.scrollWidth > el.clientWidth + 1) out.push(`${desc(el)} scrolls sideways (${el.scrollWidth}px in ${el.clientWidth}px)`);
    // Visually hidden for screen readers (a 1px clipped box, such as the cards' table header).
    let sr = false;
    for (let a = el; a && a !== document.body && !sr; a = a.parentElement) {
      const ab = a.getBoundingClientRect();
      sr = ab.width <= 1 && ab.height <= 1 && /hidden|clip/.test(getComputedStyle(a).overflow);
    }
    if (sr) continue;
    const hasText = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (hasText && /hidden|clip/.test(s.overflowX) && el.scrollWidth > el.clientWidth + 1) out.push(`text cut off (width) in ${desc(el)}`);
    if (vertical && hasText && /hidden|clip/.test(s.overflowY) && el.scrollHeight > el.clientHeight + 1) out.push(`text cut off (height) in ${desc(el)}`);
    if (hasText && s.textOverflow === 'ellipsis' && el.scrollWidth > el.clientWidth + 1) out.push(`text ends in an ellipsis in ${desc(el)}`);
    for (const n of el.childNodes) {
      if (n.nodeType !== 3 || !n.textContent.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(n);
      for (const t of range.getClientRects()) {
        if (!t.width) continue;
        if (t.right > vw + 1 || t.left < -1) out.push(`text off the screen in ${desc(el)}: "${n.textContent.trim().slice(0, 20)}"`);
        else if (t.right > b.right + 1 || t.left < b.left - 1 || (vertical && (t.bottom > b.bottom + 2 || t.top < b.top - 2)))
          out.push(`text outside its box in ${desc(el)}: "${n.textContent.trim().slice(0, 20)}"`);
      }
    }
  }
  return [...new Set(out)];
}

// What a student page must look like on a phone, measured on the page as it is: no horizontal
// scroll, no text that does not fit (misfits, in height too), no Latin words (student pages speak
// Chinese) and none of the raw ids given (order numbers, openids...).
// `shownOnPurpose`: strings a page shows by design (the order number on a receipt), left out of the
// Latin-word and raw-id checks.
export async function layoutChecks(page, what, { rawIds = [], shownOnPurpose = [] } = {}) {
  await noHorizontalScroll(page, what);
  assert.deepEqual(await page.evaluate(misfits, { vertical: true, scrollers: false }), [], `${what}: layout`);
  let text = await page.evaluate(() => document.body.innerText);
  for (const x of shownOnPurpose.filter(Boolean)) text = text.split(x).join(' ');
  const latin = text.match(/[A-Za-z]{2,}[A-Za-z0-9_-]*/g) || [];
  assert.deepEqual(latin, [], `${what}: English or codes on a student page`);
  for (const id of rawIds.filter(Boolean)) assert.ok(!text.includes(id), `${what}: raw id ${id} shown`);
}

export async function shot(page, name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

// On a phone nothing scrolls sideways: not the page (document.scrollingElement's scrollWidth
// against its clientWidth), not a box inside it, and no text lies outside the screen, outside its
// own box, or cut off by its box (misfits).
export async function phoneFit(page, what) {
  const r = await page.evaluate(() => {
    const se = document.scrollingElement || document.documentElement;
    return se.scrollWidth > se.clientWidth ? [`the page scrolls sideways (content ${se.scrollWidth}px in ${se.clientWidth}px)`] : [];
  });
  r.push(...await page.evaluate(misfits, { vertical: false, scrollers: true }));
  assert.deepEqual(r, [], `${what}: on a phone`);
}

// The phones a console page must fit (the small Android and the common iPhone width) and a desktop.
export const PHONES = [[360, 740], [390, 844]];

// Checks a page at both phone sizes (phoneFit: nothing sideways, no clipped label) and at desktop
// size (no horizontal scroll of the page); `fn(width)` runs first at each size. The phone views are
// kept in tests/artifacts/web/phone-<width>-<what>.png.
export async function bothSizes(page, what, fn) {
  const was = page.viewportSize();
  for (const [w, hgt] of [...PHONES, [1280, 800]]) {
    await page.setViewportSize({ width: w, height: hgt });
    if (fn) await fn(w);
    if (w < 640) {
      await phoneFit(page, `${what} at ${w}x${hgt}`);
      await shot(page, `phone-${w}-${what.replace(/[^\w\u4e00-\u9fff-]+/g, '-')}`); // to be looked at
    }
    else await noHorizontalScroll(page, `${what} at ${w}x${hgt}`);
  }
  await page.setViewportSize(was); // the page's own size again, for the screenshots that follow
}

// Turns a dev photo into a .y4m clip for chromium's fake camera: chromium itself decodes the JPEG
// (canvas), node writes 4:2:0 YUV frames. Portrait 720x960, like a phone held upright.
export async function photoToY4m(jpeg, out, { width = 720, height = 960, frames = 2 } = {}) {
  const { context, close } = await launch();
  try {
    const page = await context.newPage();
    const b64 = fs.readFileSync(jpeg).toString('base64');
    const rgba = await page.evaluate(async ({ b64, width, height }) => {
      const img = new Image();
      img.src = 'data:image/jpeg;base64,' + b64;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = width; c.height = height;
      const ctx = c.getContext('2d');
      // Cover: fill the frame, crop the excess, keep the centre.
      const s = Math.max(width / img.naturalWidth, height / img.naturalHeight);
      const w = img.naturalWidth * s, h = img.naturalHeight * s;
      ctx.fillStyle = '#fff';
      ctx.fillRect(0, 0, width, height);
      ctx.drawImage(img, (width - w) / 2, (height - h) / 2, w, h);
      return Array.from(ctx.getImageData(0, 0, width, height).data);
    }, { b64, width, height });
    const Y = Buffer.alloc(width * height), U = Buffer.alloc(width * height / 4), V = Buffer.alloc(width * height / 4);
    const clamp = (v) => Math.max(0, Math.min(255, Math.round(v)));
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4, r = rgba[i], g = rgba[i + 1], b = rgba[i + 2];
      Y[y * width + x] = clamp(0.257 * r + 0.504 * g + 0.098 * b + 16);
      if (y % 2 === 0 && x % 2 === 0) {
        const j = (y / 2) * (width / 2) + x / 2;
        U[j] = clamp(-0.148 * r - 0.291 * g + 0.439 * b + 128);
        V[j] = clamp(0.439 * r - 0.368 * g - 0.071 * b + 128);
      }
    }
    const parts = [Buffer.from(`YUV4MPEG2 W${width} H${height} F15:1 Ip A1:1 C420jpeg\n`)];
    for (let f = 0; f < frames; f++) parts.push(Buffer.from('FRAME\n'), Y, U, V);
    fs.writeFileSync(out, Buffer.concat(parts));
    return out;
  } finally {
    await close();
  }
}

export function devPhoto(name) { return path.join(SHARED, 'photos', 'dev', name); }

export function tucai(args, env = {}) {
  const r = run(args, { env });
  if (r.status !== 0) throw new Error(`tucai ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  return r.stdout;
}

// The last one-time code the outbox sender wrote for this phone.
export function lastOtp(dataDir, phone) {
  const f = path.join(dataDir, 'sms-outbox.jsonl');
  if (!fs.existsSync(f)) return null;
  const lines = fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((m) => m.to === phone);
  return lines.length ? lines[lines.length - 1].code : null;
}

// Staff account through the CLI (before the server starts or beside it).
export function addUser(data, username, role, password, extra = []) {
  tucai(['user', 'add', '--username', username, '--role', role, '--name', username, '--data', data, ...extra], { TUCAI_NEW_PASSWORD: password });
}

// The server of a browser test, in a fresh data directory (tempDir(prefix)): an operator `op` and a
// reviewer `rev` whose passwords are `<name>-password-123`, two workers, SMS codes in the outbox.
export async function startTestServer(prefix) {
  const dir = tempDir(prefix);
  addUser(dir, 'op', 'operator', 'op-password-123');
  addUser(dir, 'rev', 'reviewer', 'rev-password-123');
  const srv = await startServer({ data: dir, args: ['--workers', '2', '--sms-sender', 'outbox', '--otp-resend', '0'] });
  return { dir, srv };
}

// A staff Client signed in through the API (password `<username>-password-123`).
export async function staffClient(srv, username) {
  const c = srv.client();
  const r = await c.post('/api/auth/login', { username, password: `${username}-password-123` });
  assert.equal(r.status, 200, r.text);
  return c;
}

// Signs a console page in through its form at `where` and waits for the signed-in console.
export async function signInPage(page, url, username, password) {
  await page.goto(url);
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.click('#signin');
  await page.locator('#signout').waitFor();
}

// The world a school needs: trusted code keys in <data>/code-keys, a school, an open batch with
// fees, a roster. `op` is a signed-in operator Client. Returns ids and a function that issues a
// collection code PNG for a student.
export async function makeWorld(op, data, students, { school = { code: '10141', name: '图采测试大学' } } = {}) {
  tucai(['code', 'keygen', '--out', path.join(data, 'code-keys')]);
  let r = await op.post('/api/schools', school);
  assert.equal(r.status, 201, r.text);
  const schoolId = r.body.id;
  const day = 24 * 3600 * 1000, now = Date.now();
  r = await op.post('/api/batches', { school_id: schoolId, name: '2025 届研究生毕业生图像在线补采', window_start: now - day, window_end: now + 20 * day,
    profile: 'chsi-blue', eligibility: { grad_year: 2025, degrees: ['硕士', '博士'] },
    fees: [{ code: 'collect', name: '采集服务费', amount_fen: 3000, required: true }, { code: 'print', name: '纸质照片冲印', amount_fen: 1000 }, { code: 'post', name: '邮寄费', amount_fen: 1200 }] });
  assert.equal(r.status, 201, r.text);
  const batchId = r.body.id;
  const rows = ['学号,姓名,身份证号,学院,专业,学历层次,毕业年份', ...students.map((s) => [s.student_no, s.name, s.id_number, s.college, s.major, s.degree, s.grad_year].join(','))];
  const fd = new FormData();
  fd.append('file', new Blob([rows.join('\n') + '\n']), 'roster.csv');
  r = await op.upload(`/api/batches/${batchId}/roster`, fd);
  assert.equal(r.status, 200, r.text);
  const issue = (student) => {
    const f = path.join(data, `student-${student.student_no}.json`);
    fs.writeFileSync(f, JSON.stringify({ ...student, school_code: school.code, school_name: school.name }));
    const png = f.replace(/\.json$/, '.png');
    tucai(['code', 'issue', '--key', path.join(data, 'code-keys'), '--student', f, '-o', png]);
    return png;
  };
  return { schoolId, batchId, issue };
}

// page.waitForFunction evaluates strings, which the pages' CSP (rightly) forbids: poll instead.
export async function until(page, fn, arg, { timeout = 20000 } = {}) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await page.evaluate(fn, arg);
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting for ' + fn.toString().slice(0, 120));
    await new Promise((r) => setTimeout(r, 100));
  }
}

// A student signed in, linked and paid through the API alone. Returns the signed-in Client.
export async function paidStudent(srv, data, world, student, phone) {
  const c = srv.client();
  assert.equal((await c.post('/api/student/otp', { phone })).status, 200);
  assert.equal((await c.post('/api/student/login', { phone, code: lastOtp(data, phone) })).status, 200);
  const fd = new FormData();
  fd.append('school_id', String(world.schoolId));
  fd.append('id_last4', student.id_number.slice(-4));
  const p = await c.get('/api/student/privacy');
  assert.equal((await c.post('/api/student/privacy', { version: p.body.version })).status, 200, 'privacy notice accepted');
  fd.append('code', new Blob([fs.readFileSync(world.issue(student))], { type: 'image/png' }), 'code.png');
  const claim = await c.upload('/api/identity/code', fd);
  assert.equal(claim.status, 200, claim.text);
  assert.equal((await c.post('/api/identity/confirm', { claim_id: claim.body.claim_id })).status, 200);
  const order = await c.post('/api/orders', { items: ['collect'] });
  assert.equal(order.status, 201, order.text);
  const pay = await c.post(`/api/orders/${order.body.order.id}/pay`, { channel: 'mock' });
  assert.equal((await c.post(`/api/pay/mock/${pay.body.out_trade_no}/approve`)).status, 200);
  return c;
}

// A student who has gone the whole way to a submitted photo through the API alone (for the staff
// consoles' tests). Returns the signed-in Client.
export async function submittedStudent(srv, data, world, student, phone, photo) {
  const c = await paidStudent(srv, data, world, student, phone);
  await submitPhoto(c, photo);
  return c;
}

export async function submitPhoto(c, photo) {
  const fd = new FormData();
  fd.append('photo', new Blob([fs.readFileSync(photo)], { type: 'image/jpeg' }), path.basename(photo));
  const up = await c.upload('/api/photos', fd);
  assert.equal(up.status, 202, up.text);
  let a;
  for (let i = 0; i < 200; i++) {
    a = (await c.get(`/api/photos/attempts/${up.body.attempt.id}`)).body.attempt;
    if (a.state !== 'processing') break;
    await new Promise((r) => setTimeout(r, 150));
  }
  assert.equal(a.state, 'ready', JSON.stringify(a.refusal));
  const s = await c.post('/api/photos/submit', { attempt_id: a.id, confirm_warnings: true });
  assert.equal(s.status, 201, s.text);
  return a;
}

// Every visible form control has an accessible name (a label, aria-label or aria-labelledby).
export async function everyControlLabelled(page, what) {
  const bare = await page.evaluate(() => [...document.querySelectorAll('input, select, textarea, button')]
    .filter((el) => el.offsetParent !== null || el.classList.contains('visually-hidden'))
    .filter((el) => el.type !== 'hidden')
    .filter((el) => {
      if (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')) return false;
      if (el.tagName === 'BUTTON') return !el.textContent.trim();
      return !(el.id && document.querySelector(`label[for="${el.id}"]`)) && !el.closest('label');
    }).map((el) => el.outerHTML.slice(0, 80)));
  assert.deepEqual(bare, [], `${what}: controls without a label`);
}

// Stops the server and checks that it went down cleanly, without sanitizer reports.
export async function stopClean(srv) {
  const { code } = await srv.stop();
  const log = srv.logs.join('\n');
  assert.doesNotMatch(log, /Sanitizer|runtime error/, 'the server ran clean under the sanitizers');
  assert.equal(code, 0, 'graceful exit');
}

export { idNumber };
