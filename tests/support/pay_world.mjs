// pay_world: what the payment end-to-end tests stand on. A fake WeChat Pay server with its own
// keys, merchant key files as an operator would hold them, a `tucai serve` configured for
// wechatpay against the fake, an operator, a school with a batch (collection 30.00, printing,
// postage) and a roster, and students who sign in (SMS outbox) and link their record with a
// collection code issued for them — all through the public API and CLI. Beside it a fake WeChat
// (tests/support/fake_wechat.mjs) whose official account is the merchant's app: JSAPI payment
// needs a session that came through WeChat's authorisation (world.wechatSignIn).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { BIN, Client, DEV_ENV, startServer, tempDir, waitFor } from '../e2e/support/server.mjs';
import { startFakeWechatpay, writeMerchantFiles } from './fake_wechatpay.mjs';
import { startFakeWechat } from './fake_wechat.mjs';
import { idNumber } from '../e2e/support/idcard.mjs';
import { createBatch, linkByCode, signInByOtp, uploadRoster } from '../e2e/support/world.mjs';

export function rosterStudent(i) {
  return {
    student_no: `20231${String(i).padStart(5, '0')}`, name: `学生${i}`,
    id_number: idNumber(`21020319990101${String(1000 + i).slice(1)}`), college: '化工学院', major: '化学工程与技术',
    degree: '硕士', grad_year: 2025,
  };
}

const SCHOOL = { code: '10141', name: '图采测试大学' };

export async function startPayWorld({ students = 4, extraArgs = [], env = {}, db, wechatTemplates = [], wechatMini = null } = {}) {
  const dir = tempDir('tucai-pay-');
  const merchant = await writeMerchantFiles(dir);
  const fake = await startFakeWechatpay({
    mchid: merchant.mchid, appid: merchant.appid, merchantSerial: merchant.serial,
    merchantPublicKeyPem: merchant.publicKeyPem, apiv3Key: merchant.apiv3Key,
  });
  const platformFile = path.join(dir, 'wechatpay_platform.pem');
  fs.writeFileSync(platformFile, fake.platformPublicKeyPem);
  const world = { dir, db, fake, merchant, server: null, op: null, batchId: 0, schoolId: 0, outbox: path.join(dir, 'sms.jsonl') };
  // The notify URL names the server's port, so the port is chosen here, before the first start,
  // and kept across restarts.
  const net = await import('node:net');
  const port = await new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
  const mpSecret = crypto.randomBytes(16).toString('hex');
  const mpSecretFile = path.join(dir, 'wechat_mp_secret');
  fs.writeFileSync(mpSecretFile, mpSecret + '\n', { mode: 0o600 });
  const miniArgs = [];
  if (wechatMini) {
    const f = path.join(dir, 'wechat_mini_secret');
    fs.writeFileSync(f, wechatMini.secret + '\n', { mode: 0o600 });
    miniArgs.push('--wechat-mini-appid', wechatMini.appid, '--wechat-mini-secret-file', f);
  }
  world.wechat = await startFakeWechat({ mp: { appid: merchant.appid, secret: mpSecret }, mini: wechatMini,
    redirectDomain: `127.0.0.1:${port}`, templates: wechatTemplates });
  world.args = [
    '--listen', `127.0.0.1:${port}`,
    '--sms-sender', 'outbox', '--sms-outbox', world.outbox, '--otp-resend', '0', '--otp-phone-per-hour', '100',
    '--otp-ip-per-hour', '10000',
    '--pay-provider', 'wechatpay', '--pay-notify-url', `http://127.0.0.1:${port}/api/pay/wechatpay/notify`,
    '--wechatpay-base-url', fake.url, '--wechatpay-mchid', merchant.mchid, '--wechatpay-appid', merchant.appid,
    '--wechatpay-serial', merchant.serial, '--wechatpay-key-file', merchant.keyFile,
    '--wechatpay-apiv3-key-file', merchant.apiv3File, '--wechatpay-platform-cert-file', platformFile,
    '--wechatpay-platform-serial', fake.platformSerial,
    '--wechat-api-base-url', world.wechat.url, '--wechat-oauth-base-url', world.wechat.url,
    '--wechat-public-url', `http://127.0.0.1:${port}`, '--wechat-mp-appid', merchant.appid,
    '--wechat-mp-secret-file', mpSecretFile, ...miniArgs, ...extraArgs,
  ];
  world.env = env;

  world.start = async (moreEnv = {}) => {
    world.server = await startServer({ data: dir, db, args: world.args, env: { ...world.env, ...moreEnv } });
    world.url = world.server.url;
    world.op = new Client(world.server.url);
    const l = await world.op.post('/api/auth/login', { username: 'op', password: 'op-password-123' });
    assert.equal(l.status, 200, l.text);
    return world.server;
  };
  // The student of Client c opens the site in WeChat as `openid` and goes through the official
  // account's authorisation: start -> WeChat's authorize page -> our callback. Returns the callback's answer.
  world.wechatSignIn = async (c, openid) => {
    world.wechat.user = openid;
    const start = await c.get('/api/wechat/oauth/start');
    assert.equal(start.status, 302, start.text);
    const at = await fetch(start.headers.get('location'), { redirect: 'manual' });
    assert.equal(at.status, 302, await at.text());
    const back = new URL(at.headers.get('location'));
    return c.get(back.pathname + back.search);
  };
  world.stop = async () => { if (world.server) await world.server.stop(); };
  world.close = async () => {
    await world.stop();
    await fake.stop();
    await world.wechat.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  };

  try {
    await setUp(world, students);
  } catch (e) {
    await world.close().catch(() => {});
    throw e;
  }
  return world;
}

async function setUp(world, students) {
  const { dir } = world;
  const tucai = (args, e = {}) => execFileSync(BIN, args, { encoding: 'utf8', env: { ...process.env, ...DEV_ENV, ...e } });
  tucai(['code', 'keygen', '--out', path.join(dir, 'code-keys')]);
  tucai(['user', 'add', '--username', 'op', '--role', 'operator', '--name', '运营', '--data', dir,
    ...(world.db ? ['--db', world.db] : [])], { TUCAI_NEW_PASSWORD: 'op-password-123' });
  await world.start();
  let r = await world.op.post('/api/schools', SCHOOL);
  assert.equal(r.status, 201, r.text);
  world.schoolId = r.body.id;
  world.batchId = await createBatch(world.op, world.schoolId, {
    name: '2025 届研究生毕业生图像在线补采', profile: 'chsi-blue',
    fees: [{ code: 'collect', name: '采集服务费', amount_fen: 3000, required: true },
      { code: 'print', name: '冲印费', amount_fen: 1000 }, { code: 'post', name: '邮寄费', amount_fen: 1200 }],
  });
  await uploadRoster(world.op, world.batchId, students, rosterStudent);

  // Signs student i in and links the record; returns the student's Client.
  const signedIn = new Map();
  world.student = async (i) => {
    if (signedIn.has(i)) {
      const known = signedIn.get(i);
      known.base = world.server.url;
      return known;
    }
    const c = await signInByOtp(new Client(world.server.url), world.outbox, `139${String(10000000 + i).slice(-8)}`);
    await linkByCode(c, { dir, run: tucai, school: SCHOOL, schoolId: world.schoolId, student: rosterStudent(i), i });
    signedIn.set(i, c);
    return c;
  };
}

// Polls fn until it returns a truthy value (server.mjs's waitFor, under the name these tests use).
export { waitFor as waitUntil };
