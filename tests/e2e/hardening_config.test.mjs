// A server started as production refuses what would make it unsafe, in one line: the mock payment
// provider, the log SMS sender, a missing key file. Keys are created only on request (`tucai keys
// init`) or in dev/demo. `tucai doctor` checks a configuration line by line and passes only a
// complete production setup.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import { generateRsaKeys, randomNonce } from '../support/fake_wechatpay.mjs';
import { cleanup, startServer, tempDir, tucai } from './support/server.mjs';

const PROD = { TUCAI_DEV: '0' };

function refused(r, pattern) {
  assert.notEqual(r.status, 0, r.stdout + r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /refusing to start/);
  assert.match(lines[0], pattern);
}

// A complete production configuration in `dir` (files mode 600; URLs https, never contacted).
function productionConfig(dir) {
  const m = generateRsaKeys(), platform = generateRsaKeys();
  const w = (name, text) => { const f = path.join(dir, name); fs.writeFileSync(f, text, { mode: 0o600 }); return f; };
  const conf = {
    data: path.join(dir, 'data'), secure_cookies: '1', master_key_file: path.join(dir, 'master.key'),
    pay_provider: 'wechatpay', pay_notify_url: 'https://photo.example.edu.cn/api/pay/wechatpay/notify',
    wechatpay_mchid: '1900000001', wechatpay_appid: 'wx0000000000000001', wechatpay_serial: 'ABC123',
    wechatpay_key_file: w('apiclient_key.pem', m.privateKeyPem), wechatpay_apiv3_key_file: w('apiv3.key', randomNonce(32)),
    wechatpay_platform_cert_file: w('platform.pem', platform.publicKeyPem),
    sms_sender: 'http', sms_http_url: 'https://sms.example.com/send', sms_http_token_file: w('sms.token', 'token\n'),
    code_pub_dir: path.join(dir, 'code-keys'),
  };
  fs.mkdirSync(conf.data, { mode: 0o700 });
  return { conf, file: w('tucai.conf', Object.entries(conf).map(([k, v]) => `${k} = ${v}`).join('\n') + '\n') };
}

test('serve and worker refuse a production start with mock pay, log SMS or a missing key', () => {
  const dir = tempDir('tucai-prod-');
  try {
    const data = ['--data', path.join(dir, 'data'), '--listen', '127.0.0.1:0'];
    refused(tucai(['serve', ...data], { env: PROD }), /pay_provider is 'mock'/);
    refused(tucai(['worker', '--data', path.join(dir, 'data')], { env: PROD }), /pay_provider is 'mock'/);
    refused(tucai(['serve', ...data, '--pay-provider', 'wechatpay'], { env: PROD }), /sms_sender is 'log'/);
    refused(tucai(['serve', ...data, '--pay-provider', 'wechatpay', '--sms-sender', 'http'], { env: PROD }),
      /master key file .*master\.key is missing.*tucai keys init/);
    assert.equal(fs.existsSync(path.join(dir, 'data', 'master.key')), false, 'no key was made');
    // Other subcommands do not make a key either.
    const r = tucai(['migrate', '--data', path.join(dir, 'data')], { env: PROD });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /master_key_missing/);
    assert.equal(fs.existsSync(path.join(dir, 'data', 'master.key')), false);
    // On request, once.
    let k = tucai(['keys', 'init', '--data', path.join(dir, 'data')], { env: PROD });
    assert.equal(k.status, 0, k.stderr);
    const key = fs.readFileSync(path.join(dir, 'data', 'master.key'));
    assert.equal(key.length, 32);
    assert.equal(fs.statSync(path.join(dir, 'data', 'master.key')).mode & 0o777, 0o600);
    k = tucai(['keys', 'init', '--data', path.join(dir, 'data')], { env: PROD });
    assert.equal(k.status, 0);
    assert.match(k.stdout, /left as it is/);
    assert.deepEqual(fs.readFileSync(path.join(dir, 'data', 'master.key')), key);
    // A named key file that is missing is refused too.
    refused(tucai(['serve', ...data, '--pay-provider', 'wechatpay', '--sms-sender', 'http', '--wechatpay-key-file',
      path.join(dir, 'nope.pem')], { env: PROD }), /wechatpay_key_file names .*nope\.pem, which is missing/);
    // WeChat sign-in needs the site's https address, and its AppSecret file.
    const wx = ['--pay-provider', 'wechatpay', '--sms-sender', 'http', '--wechat-mp-appid', 'wx0000000000000001'];
    refused(tucai(['serve', ...data, ...wx, '--wechat-public-url', 'http://photo.example.edu.cn'], { env: PROD }),
      /wechat_public_url is 'http:\/\/photo\.example\.edu\.cn'/);
    refused(tucai(['serve', ...data, ...wx, '--wechat-public-url', 'https://photo.example.edu.cn', '--wechat-mp-secret-file',
      path.join(dir, 'nope.secret')], { env: PROD }), /wechat_mp_secret_file names .*nope\.secret, which is missing/);
    assert.equal(tucai(['migrate', '--data', path.join(dir, 'data')], { env: PROD }).status, 0);
  } finally {
    cleanup(dir);
  }
});

test('--demo and dev = 1 start with mock pay and log SMS and make the key', async () => {
  const dir = tempDir('tucai-dev-');
  let srv;
  try {
    srv = await startServer({ data: path.join(dir, 'a'), args: ['--workers', '0', '--demo'], env: PROD });
    assert.equal((await srv.client().get('/healthz')).status, 200);
    assert.ok(fs.existsSync(path.join(dir, 'a', 'master.key')));
    await srv.stop();
    srv = await startServer({ data: path.join(dir, 'b'), args: ['--workers', '0'], env: { TUCAI_DEV: '1' } });
    assert.ok(fs.existsSync(path.join(dir, 'b', 'master.key')));
  } finally {
    if (srv) await srv.stop();
    cleanup(dir);
  }
});

test('serve sweeps uploads a crash left in tmp', async () => {
  const dir = tempDir('tucai-sweep-');
  let srv;
  try {
    fs.mkdirSync(path.join(dir, 'tmp'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'tmp', 'upload-ABC123'), 'unencrypted photo');
    srv = await startServer({ data: dir, args: ['--workers', '0'] });
    assert.equal(fs.existsSync(path.join(dir, 'tmp', 'upload-ABC123')), false);
    assert.ok(srv.logs.some((l) => /swept leftover uploads/.test(l)));
  } finally {
    if (srv) await srv.stop();
    cleanup(dir);
  }
});

test('doctor: one line per check, FAIL with a reason, exit 0 only for a complete production setup', () => {
  const dir = tempDir('tucai-doctor-');
  try {
    // A dev setup: fails, and says why.
    let r = tucai(['doctor', '--data', path.join(dir, 'dev')]);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    const fails = r.stdout.split('\n').filter((l) => l.startsWith('FAIL'));
    for (const what of ['production mode', 'master key', 'pay provider', 'public URL', 'sms sender', 'secure cookies',
      'code issuer keys'])
      assert.ok(fails.some((l) => l.includes(what)), `${what} fails:\n${r.stdout}`);
    assert.match(r.stdout, /pay_provider is 'mock'/);

    const { conf, file } = productionConfig(dir);
    ok(tucai(['keys', 'init', '--config', file], { env: PROD }));
    ok(tucai(['code', 'keygen', '--out', conf.code_pub_dir]));
    r = tucai(['doctor', '--config', file], { env: PROD });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout, /FAIL/);
    assert.match(r.stdout, /^ok\s+database\s+sqlite answers, schema \d+ \(latest\)/m);
    assert.match(r.stdout, /^ok\s+photo models/m);
    assert.doesNotMatch(r.stdout, /token\n|BEGIN/, 'no secret printed');

    // Each file problem is found.
    fs.chmodSync(conf.master_key_file, 0o644);
    fs.writeFileSync(conf.wechatpay_key_file, 'not a key', { mode: 0o600 });
    r = tucai(['doctor', '--config', file], { env: PROD });
    assert.equal(r.status, 1);
    assert.match(r.stdout, /^FAIL\s+master key\s+.*mode 644/m);
    assert.match(r.stdout, /^FAIL\s+merchant private key\s+.*does not parse/m);
    r = tucai(['doctor', '--config', file, '--pay-notify-url', 'http://x/notify', '--secure-cookies', '0'], { env: PROD });
    assert.match(r.stdout, /^FAIL\s+public URL/m);
    assert.match(r.stdout, /^FAIL\s+secure cookies/m);
  } finally {
    cleanup(dir);
  }
});

function ok(r) { assert.equal(r.status, 0, r.stdout + r.stderr); return r; }
