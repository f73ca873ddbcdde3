// The Debian package (scripts/package-deb.sh) is complete: extracted into a throwaway root, with
// the source tree out of sight (a private mount namespace puts an empty tmpfs over it and over
// ../shared) and no TUCAI_* variable set, the installed binary finds its web pages, calendar,
// profiles and models under <root>/usr/share/tucai, serves /healthz and the student page, and
// standardizes a real photo with the installed models. The package carries the unit, the
// conffile and the maintainer scripts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { BIN, SOURCE, SHARED, tempDir } from './support/server.mjs';

const tmp = tempDir('tucai-pkg-');
const root = path.join(tmp, 'root');
const installed = path.join(root, 'usr/bin/tucai');

// The environment of an operator's shell: no TUCAI_* settings. The sanitizer options of the test
// build point at suppression files in the source tree, which is hidden: they are copied out.
function cleanEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('TUCAI_')) env[k] = v;
  for (const [name, opt] of [['asan.supp', 'ASAN_OPTIONS'], ['lsan.supp', 'LSAN_OPTIONS']]) {
    const from = path.join(SOURCE, 'tests', name);
    if (!existsSync(from) || !env[opt]) continue;
    copyFileSync(from, path.join(tmp, name));
    env[opt] = env[opt].replace(/suppressions=[^:]*/, `suppressions=${path.join(tmp, name)}`);
  }
  return env;
}

// Runs argv with the source tree and ../shared hidden when the machine allows a private mount
// namespace (root on Linux); otherwise as it is (the defaults check below still holds).
let hidden = false;
function hiddenArgv(argv) {
  if (!hidden) return argv;
  const hide = [SOURCE, SHARED].filter(existsSync).map((d) => `mount -t tmpfs tmpfs '${d}'`).join(' && ');
  return ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', `${hide} && exec "$@"`, 'sh', ...argv];
}

test('the package installs a self-contained tucai that serves and standardizes', { timeout: 180000 }, async (t) => {
  t.after(() => rmSync(tmp, { recursive: true, force: true }));
  const made = spawnSync(path.join(SOURCE, 'scripts/package-deb.sh'),
    ['--build', path.dirname(BIN), '--out', tmp, '--fast'],
    { encoding: 'utf8', env: { ...process.env, DEBFULLNAME: 'Tucai test', DEBEMAIL: 'test@tucai.example.org' } });
  assert.equal(made.status, 0, made.stderr);
  const deb = made.stdout.trim().split('\n').pop();
  assert.match(path.basename(deb), /^tucai_0\.1\.0\+git\d+\.[0-9a-f]+_[a-z0-9]+\.deb$/);

  // Debian's package checker, where it is installed (not a dependency of the suite): no error or
  // warning left.
  const lint = spawnSync('lintian', ['--tag-display-limit', '0', deb], { encoding: 'utf8' });
  if (lint.error) t.diagnostic('lintian is not installed: the package is not linted');
  else assert.doesNotMatch(lint.stdout, /^[EW]: /m, lint.stdout);

  const info = execFileSync('dpkg-deb', ['--info', deb]).toString();
  assert.match(info, /Depends: adduser, .*libvips42/);
  assert.equal(execFileSync('dpkg-deb', ['--ctrl-tarfile', deb]).length > 0, true);
  const conffiles = execFileSync('sh', ['-c', `dpkg-deb --ctrl-tarfile '${deb}' | tar -xO ./conffiles`]).toString();
  assert.equal(conffiles.trim(), '/etc/tucai/tucai.conf');
  execFileSync('dpkg-deb', ['-x', deb, root]);
  for (const f of ['etc/tucai/tucai.conf', 'lib/systemd/system/tucai.service', 'usr/share/doc/tucai/copyright',
    'usr/share/tucai/web/student/index.html', 'usr/share/tucai/profiles/chsi-white.json',
    'usr/share/tucai/data/calendar/cn.txt', 'usr/share/tucai/models/landmarks68.bin'])
    assert.ok(existsSync(path.join(root, f)), `${f} is in the package`);
  assert.match(readFileSync(path.join(root, 'lib/systemd/system/tucai.service'), 'utf8'), /ExecStart=\/usr\/bin\/tucai serve/);
  assert.ok(statSync(installed).mode & 0o111, 'the binary is executable');

  const env = cleanEnv();
  // Defaults follow the binary: every data path is under the extracted root.
  const help = spawnSync(installed, ['serve', '--help'], { env, encoding: 'utf8' });
  const share = path.join(root, 'usr/share/tucai');
  for (const rel of ['web', 'models', 'profiles', 'data/calendar/cn.txt'])
    assert.ok(help.stdout.includes(`default: ${share}/${rel}`), `default ${rel} under ${share}:\n${help.stdout}`);

  hidden = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c',
    `mount -t tmpfs tmpfs '${SOURCE}' && test ! -e '${path.join(SOURCE, 'CMakeLists.txt')}'`]).status === 0;
  if (!hidden) t.diagnostic('no private mount namespace here: the source tree stays visible');

  // A real photo standardized with the installed models and profiles.
  const photo = path.join(tmp, 'in.jpg');
  copyFileSync(path.join(SHARED, 'photos/dev/hivision_test0.jpg'), photo);
  const out = path.join(tmp, 'out.jpg');
  const [cmd, ...args] = hiddenArgv([installed, 'photo', 'standardize', photo, '-o', out, '--report', path.join(tmp, 'r.json')]);
  const std = spawnSync(cmd, args, { env, encoding: 'utf8', timeout: 120000 });
  assert.equal(std.status, 0, std.stderr);
  const report = JSON.parse(readFileSync(path.join(tmp, 'r.json'), 'utf8'));
  assert.ok(readFileSync(out).subarray(0, 2).equals(Buffer.from([0xff, 0xd8])), 'a JPEG');
  assert.ok(JSON.stringify(report).length > 2);

  // The server from the installed layout: demo data (calendar, profiles), web pages, /healthz.
  const data = path.join(tmp, 'data');
  const [scmd, ...sargs] = hiddenArgv([installed, 'serve', '--demo', '--listen', '127.0.0.1:0', '--data', data]);
  const proc = spawn(scmd, sargs, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs = [];
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no listening line:\n' + logs.join(''))), 60000);
    proc.stderr.on('data', (c) => {
      logs.push(c.toString());
      const m = logs.join('').match(/"msg":"listening"[^\n]*"port":"?(\d+)/);
      if (m) { clearTimeout(timer); resolve(`http://127.0.0.1:${m[1]}`); }
    });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited ${code}:\n${logs.join('')}`)); });
  });
  try {
    const health = await fetch(url + '/healthz');
    assert.equal(health.status, 200);
    const page = await fetch(url + '/');
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<html/i);
  } finally {
    proc.kill('SIGTERM');
    await new Promise((r) => proc.on('close', r));
  }
  assert.doesNotMatch(logs.join(''), /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:/);
});
