// The C client and the node fake agree on WeChat Pay v3 request signatures byte for byte: with a
// fixed merchant key (generated for this run), timestamp, nonce and body, `tucai pay sign-request`
// prints exactly the message and Authorization header that the fake builds on its own, and the
// fake's verifier accepts it. RSA PKCS#1 v1.5 is deterministic, so the signatures must be equal.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

import { authorizationHeader, generateRsaKeys, parseAuthorization, requestMessage, rsaVerify }
  from '../support/fake_wechatpay.mjs';

const BIN = process.env.TUCAI_BIN;

test('C signer and node fake produce the same signed string and Authorization header', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tucai-pay-sig-'));
  try {
    const keys = generateRsaKeys();
    const keyFile = path.join(dir, 'key.pem');
    fs.writeFileSync(keyFile, keys.privateKeyPem, { mode: 0o600 });
    const cases = [
      { method: 'POST', url: '/v3/pay/transactions/jsapi', body: JSON.stringify({ appid: 'wxd678efh567hg6787', description: '毕业照采集', amount: { total: 3000, currency: 'CNY' } }) },
      { method: 'GET', url: '/v3/pay/transactions/out-trade-no/TC20241106abcdefghijkl?mchid=1900009191', body: '' },
    ];
    for (const c of cases) {
      const bodyFile = path.join(dir, 'body.json');
      fs.writeFileSync(bodyFile, c.body);
      const fixed = { timestamp: '1554208460', nonce: '593BEC0C930BF1AFEB40B4A08C8FB242' };
      const out = JSON.parse(execFileSync(BIN, ['pay', 'sign-request', '--key-file', keyFile, '--mchid', '1900009191',
        '--serial', '408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB', '--method', c.method, '--url', c.url,
        '--timestamp', fixed.timestamp, '--nonce', fixed.nonce, '--body-file', bodyFile], { encoding: 'utf8' }));
      const expectedMessage = `${c.method}\n${c.url}\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n${c.body}\n`;
      assert.equal(out.message, expectedMessage);
      assert.equal(Buffer.compare(Buffer.from(out.message), Buffer.from(requestMessage(c.method, c.url, fixed.timestamp, fixed.nonce, c.body))), 0);
      const mine = authorizationHeader({ mchid: '1900009191', serial: '408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB',
        privateKeyPem: keys.privateKeyPem, method: c.method, url: c.url, ...fixed, body: c.body });
      assert.equal(out.authorization, mine);
      const a = parseAuthorization(out.authorization);
      assert.ok(rsaVerify(keys.publicKeyPem, expectedMessage, a.signature));
      assert.ok(!rsaVerify(keys.publicKeyPem, expectedMessage.replace('1554208460', '1554208461'), a.signature));
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
