// nginx: Debian's nginx in front of a test server, configured from the site we ship
// (deploy/nginx-tucai.conf) with only what loopback needs changed: the upstream's port, the
// listening address, a self-signed certificate made here with openssl. Everything else (upload
// limit, unbuffered uploads, SSE location, timeouts) is the shipped file's, so the test exercises
// what operators run.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

import { SOURCE, tempDir } from './server.mjs';

export const NGINX = process.env.TUCAI_NGINX || '/usr/sbin/nginx';

const freePort = () => new Promise((resolve) => {
  const s = net.createServer();
  s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
});

// Makes a certificate for 127.0.0.1 (and localhost); returns { cert, key }.
export function selfSignedCert(dir) {
  const cert = path.join(dir, 'cert.pem'), key = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', key, '-out', cert],
  { stdio: 'ignore' });
  return { cert, key };
}

// The shipped site with the loopback changes; throws when the file no longer has what is replaced.
export function siteConfig({ upstreamPort, httpsPort, httpPort, cert, key }) {
  let s = fs.readFileSync(path.join(SOURCE, 'deploy/nginx-tucai.conf'), 'utf8');
  const swap = (from, to) => {
    if (!from.test(s)) throw new Error(`deploy/nginx-tucai.conf: no "${from}"`);
    s = s.replace(from, to);
  };
  swap(/server 127\.0\.0\.1:8080/, `server 127.0.0.1:${upstreamPort}`);
  swap(/listen 80;/, `listen 127.0.0.1:${httpPort};`);
  swap(/listen 443 ssl http2;/, `listen 127.0.0.1:${httpsPort} ssl http2;`);
  s = s.replace(/^\s*listen \[::\].*$/gm, '');
  swap(/ssl_certificate\s+\S+;/, `ssl_certificate ${cert};`);
  swap(/ssl_certificate_key\s+\S+;/, `ssl_certificate_key ${key};`);
  return s;
}

// Starts nginx in the foreground (its own prefix, pid and temp dirs). Returns { url, proc, stop }.
export async function startNginx({ upstreamPort, workerConnections = 8192 }) {
  if (!fs.existsSync(NGINX)) throw new Error(`${NGINX} is missing: scripts/install.sh installs Debian's nginx`);
  const dir = tempDir('tucai-nginx-');
  const { cert, key } = selfSignedCert(dir);
  const httpsPort = await freePort(), httpPort = await freePort();
  const site = siteConfig({ upstreamPort, httpsPort, httpPort, cert, key });
  for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) fs.mkdirSync(path.join(dir, d));
  const conf = `${process.getuid?.() === 0 ? 'user root root;' : ''}
worker_processes 2;
worker_rlimit_nofile ${workerConnections * 2};
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections ${workerConnections}; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${site}
}
`;
  fs.writeFileSync(path.join(dir, 'nginx.conf'), conf);
  execFileSync(NGINX, ['-t', '-q', '-p', dir, '-c', path.join(dir, 'nginx.conf')], { stdio: 'pipe' });
  const proc = spawn(NGINX, ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise((r) => proc.on('close', r));
  // Ready when it accepts connections.
  const until = Date.now() + 10000;
  for (;;) {
    const up = await new Promise((r) => {
      const c = net.connect(httpsPort, '127.0.0.1', () => { c.destroy(); r(true); });
      c.on('error', () => r(false));
    });
    if (up) break;
    if (Date.now() > until) throw new Error('nginx did not start: ' + (fs.existsSync(path.join(dir, 'error.log')) ? fs.readFileSync(path.join(dir, 'error.log'), 'utf8') : ''));
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `https://127.0.0.1:${httpsPort}`, cert, dir, proc,
    errors: () => (fs.existsSync(path.join(dir, 'error.log')) ? fs.readFileSync(path.join(dir, 'error.log'), 'utf8') : ''),
    stop: async () => {
      proc.kill('SIGQUIT');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
