// fake_wechatpay: a local WeChat Pay API v3 server for tests, on loopback, written independently of
// the C client (node:crypto only) so that the two cross-check each other.
//
// What it does like the real one:
//  - checks every request's Authorization header (WECHATPAY2-SHA256-RSA2048, merchant id, serial,
//    timestamp window, RSA-SHA256 over "METHOD\nURL\nTIMESTAMP\nNONCE\nBODY\n" with the merchant's
//    public key) and answers 401 SIGN_ERROR otherwise;
//  - signs every answer with its own platform key (Wechatpay-Timestamp/-Nonce/-Signature/-Serial);
//  - JSAPI and H5 orders, query by out_trade_no, close, domestic refunds, trade bill + download;
//  - when an order is paid (fake.pay) or refunded it POSTs a notification to notify_url, signed and
//    with the resource encrypted (AEAD_AES_256_GCM, APIv3 key), and retries until it gets 200/204.
// Its keys are generated when it starts. Tests reach into `fake.orders` and use the exported
// builders to forge, replay and tamper.
import crypto from 'node:crypto';
import http from 'node:http';

export function requestMessage(method, url, timestamp, nonce, body) {
  return `${method}\n${url}\n${timestamp}\n${nonce}\n${body ?? ''}\n`;
}

export function responseMessage(timestamp, nonce, body) {
  return `${timestamp}\n${nonce}\n${body}\n`;
}

export function rsaSign(privateKeyPem, message) {
  return crypto.sign('RSA-SHA256', Buffer.from(message), privateKeyPem).toString('base64');
}

export function rsaVerify(publicKeyPem, message, signatureB64) {
  try {
    return crypto.verify('RSA-SHA256', Buffer.from(message), publicKeyPem, Buffer.from(signatureB64, 'base64'));
  } catch {
    return false;
  }
}

export function authorizationHeader({ mchid, serial, privateKeyPem, method, url, timestamp, nonce, body }) {
  const signature = rsaSign(privateKeyPem, requestMessage(method, url, timestamp, nonce, body));
  return `WECHATPAY2-SHA256-RSA2048 mchid="${mchid}",nonce_str="${nonce}",signature="${signature}",` +
    `timestamp="${timestamp}",serial_no="${serial}"`;
}

export function parseAuthorization(value) {
  const m = /^WECHATPAY2-SHA256-RSA2048 (.*)$/.exec(value || '');
  if (!m) return null;
  const out = {};
  for (const part of m[1].split(',')) {
    const kv = /^(\w+)="([^"]*)"$/.exec(part.trim());
    if (!kv) return null;
    out[kv[1]] = kv[2];
  }
  return out;
}

export function aesGcmEncrypt(apiv3Key, nonce, aad, plaintext) {
  const c = crypto.createCipheriv('aes-256-gcm', Buffer.from(apiv3Key), Buffer.from(nonce));
  c.setAAD(Buffer.from(aad));
  const ct = Buffer.concat([c.update(Buffer.from(plaintext)), c.final(), c.getAuthTag()]);
  return ct.toString('base64');
}

export function randomNonce(n = 32) {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  return Array.from(crypto.randomBytes(n), (b) => alphabet[b % 62]).join('');
}

export function generateRsaKeys() {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

function shanghaiIso(ms) {
  const d = new Date(ms + 8 * 3600e3);
  return d.toISOString().replace(/\.\d{3}Z$/, '+08:00');
}

function shanghaiDate(ms) {
  return new Date(ms + 8 * 3600e3).toISOString().slice(0, 10);
}

function yuan(fen) {
  return (fen / 100).toFixed(2);
}

export async function startFakeWechatpay({ mchid, appid, merchantSerial, merchantPublicKeyPem, apiv3Key,
  retryDelaysMs = [200, 400, 800, 1600, 3200, 5000, 5000] }) {
  const platform = generateRsaKeys();
  const platformSerial = 'PUB_KEY_ID_' + crypto.randomBytes(12).toString('hex').toUpperCase();
  const orders = new Map(); // out_trade_no -> order
  const refunds = new Map();
  const bills = new Map(); // token -> csv
  const requests = []; // {method, url, ok, reason}
  const deliveries = []; // {kind, out_trade_no, status, attempt}
  let txnSeq = 4200000000 + Math.floor(Math.random() * 1e6);

  const fake = {
    mchid, appid, platformSerial, orders, refunds, requests, deliveries,
    platformPublicKeyPem: platform.publicKeyPem,
    billExtraRows: [], // tests add lines the bill should carry beyond the real ones
    url: '',
    signNotification,
    signBody: (timestamp, nonce, body) => rsaSign(platform.privateKeyPem, responseMessage(timestamp, nonce, body)),
    deliver,
    pay,
  };

  function signedHeaders(body, { timestamp, nonce } = {}) {
    const ts = String(timestamp ?? Math.floor(Date.now() / 1000));
    const n = nonce ?? randomNonce();
    return {
      'Wechatpay-Timestamp': ts,
      'Wechatpay-Nonce': n,
      'Wechatpay-Signature': rsaSign(platform.privateKeyPem, responseMessage(ts, n, body)),
      'Wechatpay-Serial': platformSerial,
    };
  }

  // A notification exactly as the real service sends it. `resource` is the plaintext object.
  function signNotification(eventType, resource, opts = {}) {
    const nonce = opts.resourceNonce ?? randomNonce(12);
    const aad = eventType.startsWith('REFUND.') ? 'refund' : 'transaction';
    const body = JSON.stringify({
      id: opts.id ?? crypto.randomUUID(),
      create_time: shanghaiIso(Date.now()),
      resource_type: 'encrypt-resource',
      event_type: eventType,
      summary: eventType === 'TRANSACTION.SUCCESS' ? '支付成功' : '退款成功',
      resource: {
        original_type: aad,
        algorithm: 'AEAD_AES_256_GCM',
        ciphertext: aesGcmEncrypt(opts.apiv3Key ?? apiv3Key, nonce, aad, JSON.stringify(resource)),
        associated_data: aad,
        nonce,
      },
    });
    const headers = { 'Content-Type': 'application/json', ...signedHeaders(body, opts) };
    return { headers, body };
  }

  async function post(url, { headers, body }) {
    try {
      const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(5000) });
      await res.arrayBuffer();
      return res.status;
    } catch {
      return 0;
    }
  }

  // Delivers one notification with the provider's retry habit (until 200/204 or out of tries).
  async function deliver(kind, key, url, message) {
    for (let attempt = 0; ; attempt++) {
      const status = await post(url, message);
      deliveries.push({ kind, key, status, attempt });
      if (status === 200 || status === 204) return status;
      if (attempt >= retryDelaysMs.length) return status;
      await new Promise((r) => setTimeout(r, retryDelaysMs[attempt]));
    }
  }

  function txnResource(o) {
    const r = {
      mchid, appid: o.appid, out_trade_no: o.out_trade_no, trade_state: o.trade_state,
      trade_state_desc: o.trade_state, trade_type: o.trade_type, attach: '',
    };
    if (o.transaction_id) {
      Object.assign(r, {
        transaction_id: o.transaction_id, bank_type: 'OTHERS', success_time: shanghaiIso(o.paid_at),
        payer: { openid: o.openid || 'oFAKEh5payer' },
        amount: { total: o.total, payer_total: o.total, currency: 'CNY', payer_currency: 'CNY' },
      });
    } else {
      r.amount = { total: o.total, currency: 'CNY' };
    }
    return r;
  }

  // The payer pays. Returns the delivery promise (resolves with the last HTTP status).
  // opts.amount overrides what the notification claims (a forged / inconsistent amount).
  function pay(outTradeNo, opts = {}) {
    const o = orders.get(outTradeNo);
    if (!o) throw new Error('fake: no such order ' + outTradeNo);
    if (o.trade_state === 'NOTPAY' || opts.force) {
      o.trade_state = 'SUCCESS';
      o.transaction_id = o.transaction_id || String(txnSeq++) + String(Date.now()).slice(-8);
      o.paid_at = Date.now();
    }
    const resource = txnResource(o);
    if (opts.amount !== undefined) resource.amount.total = opts.amount;
    const msg = signNotification('TRANSACTION.SUCCESS', resource, opts);
    fake.lastNotification = { url: o.notify_url, ...msg };
    if (opts.send === false) return Promise.resolve(msg);
    return deliver('payment', outTradeNo, o.notify_url, msg);
  }

  function verifyRequest(req, url, body) {
    const a = parseAuthorization(req.headers.authorization);
    if (!a) return 'no authorization';
    if (a.mchid !== mchid) return 'wrong mchid';
    if (a.serial_no !== merchantSerial) return 'wrong serial';
    const ts = Number(a.timestamp);
    if (!Number.isInteger(ts) || Math.abs(Date.now() / 1000 - ts) > 300) return 'stale timestamp';
    if (!rsaVerify(merchantPublicKeyPem, requestMessage(req.method, url, a.timestamp, a.nonce_str, body), a.signature))
      return 'bad signature';
    return null;
  }

  function send(res, status, obj, { signed = true } = {}) {
    const body = obj === undefined ? '' : (typeof obj === 'string' ? obj : JSON.stringify(obj));
    const headers = { 'Request-ID': crypto.randomUUID() };
    if (body) headers['Content-Type'] = typeof obj === 'string' ? 'text/plain; charset=utf-8' : 'application/json';
    if (signed) Object.assign(headers, signedHeaders(body));
    res.writeHead(status, headers);
    res.end(body);
  }

  function fail(res, status, code, message) {
    send(res, status, { code, message });
  }

  function placeOrder(tradeType, b, res) {
    const need = ['appid', 'mchid', 'description', 'out_trade_no', 'notify_url'];
    for (const k of need) if (typeof b[k] !== 'string' || !b[k]) return fail(res, 400, 'PARAM_ERROR', `缺少 ${k}`);
    if (b.mchid !== mchid) return fail(res, 400, 'MCH_NOT_EXISTS', '商户号不存在');
    if (b.appid !== appid) return fail(res, 400, 'APPID_MCHID_NOT_MATCH', 'appid和mch_id不匹配');
    if (!b.amount || !Number.isInteger(b.amount.total) || b.amount.total <= 0) return fail(res, 400, 'PARAM_ERROR', '金额错误');
    if (tradeType === 'JSAPI' && !b.payer?.openid) return fail(res, 400, 'PARAM_ERROR', '缺少 payer.openid');
    if (tradeType === 'MWEB' && !b.scene_info?.payer_client_ip) return fail(res, 400, 'PARAM_ERROR', '缺少 scene_info');
    let o = orders.get(b.out_trade_no);
    if (o) {
      if (o.total !== b.amount.total || o.trade_type !== tradeType) return fail(res, 400, 'INVALID_REQUEST', '订单号重复');
      if (o.trade_state !== 'NOTPAY') return fail(res, 400, 'ORDERPAID', '该订单已支付');
    } else {
      o = {
        out_trade_no: b.out_trade_no, appid: b.appid, total: b.amount.total, trade_type: tradeType,
        trade_state: 'NOTPAY', notify_url: b.notify_url, openid: b.payer?.openid, created_at: Date.now(),
        time_expire: b.time_expire, prepay_id: 'wx' + crypto.randomBytes(14).toString('hex'), description: b.description,
      };
      orders.set(o.out_trade_no, o);
    }
    if (tradeType === 'JSAPI') return send(res, 200, { prepay_id: o.prepay_id });
    return send(res, 200, { h5_url: `https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=${o.prepay_id}&package=1` });
  }

  function refund(b, res) {
    const o = orders.get(b.out_trade_no);
    if (!o) return fail(res, 404, 'RESOURCE_NOT_EXISTS', '订单不存在');
    if (!b.out_refund_no || !b.amount || !Number.isInteger(b.amount.refund)) return fail(res, 400, 'PARAM_ERROR', '参数错误');
    if (o.trade_state !== 'SUCCESS' && o.trade_state !== 'REFUND') return fail(res, 400, 'INVALID_REQUEST', '订单未支付');
    if (b.amount.total !== o.total || b.amount.refund > o.total || b.amount.refund <= 0) return fail(res, 400, 'PARAM_ERROR', '退款金额错误');
    let r = refunds.get(b.out_refund_no);
    if (!r) {
      r = {
        refund_id: '50' + String(txnSeq++) + String(Date.now()).slice(-8), out_refund_no: b.out_refund_no,
        transaction_id: o.transaction_id, out_trade_no: o.out_trade_no, channel: 'ORIGINAL',
        user_received_account: '支付用户零钱', status: 'PROCESSING', create_time: shanghaiIso(Date.now()),
        amount: { total: o.total, refund: b.amount.refund, payer_total: o.total, payer_refund: b.amount.refund, currency: 'CNY' },
        notify_url: b.notify_url || o.notify_url, reason: b.reason,
      };
      refunds.set(r.out_refund_no, r);
      setTimeout(() => {
        r.status = 'SUCCESS';
        r.success_time = shanghaiIso(Date.now());
        o.trade_state = 'REFUND';
        o.refunded = (o.refunded || 0) + r.amount.refund;
        o.refunded_at = Date.now();
        const resource = {
          mchid, out_trade_no: r.out_trade_no, transaction_id: r.transaction_id, out_refund_no: r.out_refund_no,
          refund_id: r.refund_id, refund_status: 'SUCCESS', success_time: r.success_time,
          user_received_account: r.user_received_account,
          amount: { total: r.amount.total, refund: r.amount.refund, payer_total: r.amount.payer_total, payer_refund: r.amount.payer_refund },
        };
        if (r.notify_url) deliver('refund', r.out_refund_no, r.notify_url, signNotification('REFUND.SUCCESS', resource));
      }, 100);
    }
    const { notify_url: _n, reason: _r, ...pub } = r;
    return send(res, 200, pub);
  }

  function billCsv(date) {
    const header = '交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注';
    const lines = [header];
    let count = 0; let total = 0;
    const row = (o, state, refundFen) => {
      const f = [shanghaiIso(o.paid_at).replace('T', ' ').slice(0, 19), o.appid, mchid, '0', '', o.transaction_id,
        o.out_trade_no, o.openid || 'oFAKEh5payer', o.trade_type, state, 'OTHERS', 'CNY', yuan(o.total), '0.00',
        '', '', yuan(refundFen), '0.00', '', '', o.description || '', '', '0.00', '0.60%', yuan(o.total),
        yuan(refundFen), ''];
      lines.push(f.map((x) => '`' + x).join(','));
      count++; total += o.total;
    };
    for (const o of orders.values()) {
      if (!o.paid_at || shanghaiDate(o.paid_at) !== date) continue;
      row(o, o.trade_state === 'REFUND' ? 'REFUND' : 'SUCCESS', o.refunded || 0);
    }
    for (const extra of fake.billExtraRows) if (extra.date === date) row(extra, extra.state || 'SUCCESS', extra.refunded || 0);
    lines.push('总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额');
    lines.push([count, yuan(total), '0.00', '0.00', '0.00', yuan(total), '0.00'].map((x) => '`' + x).join(','));
    return lines.join('\r\n') + '\r\n';
  }

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = req.url;
      const why = verifyRequest(req, url, req.method === 'GET' ? '' : body);
      requests.push({ method: req.method, url, ok: !why, reason: why });
      if (why) return fail(res, 401, 'SIGN_ERROR', '签名错误: ' + why);
      const u = new URL(url, 'http://x');
      let b = {};
      if (req.method === 'POST' && body) {
        try { b = JSON.parse(body); } catch { return fail(res, 400, 'PARAM_ERROR', 'body is not JSON'); }
      }
      let m;
      if (req.method === 'POST' && u.pathname === '/v3/pay/transactions/jsapi') return placeOrder('JSAPI', b, res);
      if (req.method === 'POST' && u.pathname === '/v3/pay/transactions/h5') return placeOrder('MWEB', b, res);
      if (req.method === 'GET' && (m = /^\/v3\/pay\/transactions\/out-trade-no\/([\w-]+)$/.exec(u.pathname))) {
        if (u.searchParams.get('mchid') !== mchid) return fail(res, 400, 'PARAM_ERROR', 'mchid');
        const o = orders.get(m[1]);
        if (!o) return fail(res, 404, 'ORDER_NOT_EXIST', '订单不存在');
        return send(res, 200, txnResource(o));
      }
      if (req.method === 'POST' && (m = /^\/v3\/pay\/transactions\/out-trade-no\/([\w-]+)\/close$/.exec(u.pathname))) {
        if (b.mchid !== mchid) return fail(res, 400, 'PARAM_ERROR', 'mchid');
        const o = orders.get(m[1]);
        if (!o) return fail(res, 404, 'ORDER_NOT_EXIST', '订单不存在');
        if (o.trade_state === 'SUCCESS' || o.trade_state === 'REFUND') return fail(res, 400, 'ORDERPAID', '订单已支付');
        o.trade_state = 'CLOSED';
        return send(res, 204);
      }
      if (req.method === 'POST' && u.pathname === '/v3/refund/domestic/refunds') return refund(b, res);
      if (req.method === 'GET' && u.pathname === '/v3/bill/tradebill') {
        const date = u.searchParams.get('bill_date') || '';
        if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return fail(res, 400, 'PARAM_ERROR', 'bill_date');
        const csv = billCsv(date);
        const token = crypto.randomBytes(16).toString('hex');
        bills.set(token, csv);
        return send(res, 200, {
          hash_type: 'SHA1', hash_value: crypto.createHash('sha1').update(csv).digest('hex'),
          download_url: `${fake.url}/v3/billdownload/file?token=${token}`,
        });
      }
      if (req.method === 'GET' && u.pathname === '/v3/billdownload/file') {
        const csv = bills.get(u.searchParams.get('token'));
        if (!csv) return fail(res, 404, 'RESOURCE_NOT_EXISTS', '账单不存在');
        return send(res, 200, csv, { signed: false });
      }
      return fail(res, 404, 'NOT_FOUND', 'no such endpoint');
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  fake.url = `http://127.0.0.1:${server.address().port}`;
  fake.stop = () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); });
  return fake;
}

// Writes the merchant's files as an operator would have them and returns their paths and config.
export async function writeMerchantFiles(dir) {
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  const merchant = generateRsaKeys();
  const apiv3Key = randomNonce(32);
  const serial = crypto.randomBytes(20).toString('hex').toUpperCase();
  const keyFile = path.join(dir, 'apiclient_key.pem');
  const apiv3File = path.join(dir, 'apiv3.key');
  await fs.writeFile(keyFile, merchant.privateKeyPem, { mode: 0o600 });
  await fs.writeFile(apiv3File, apiv3Key + '\n', { mode: 0o600 });
  return { ...merchant, apiv3Key, serial, keyFile, apiv3File, mchid: '1900' + String(Date.now()).slice(-6), appid: 'wxd678efh567hg6787' };
}
