// zip: a ZIP archive for the tests from [{name, data}], made by Debian's python3 (zipfile only),
// entries deflated; `bomb` names one more entry of 100 MB of zeros (a few hundred KB compressed).
import { execFileSync } from 'node:child_process';

const SCRIPT = `
import io, json, sys, zipfile, base64
spec = json.loads(sys.stdin.read())
out = io.BytesIO()
with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as z:
    for e in spec['entries']:
        z.writestr(e['name'], base64.b64decode(e['data']))
    if spec['bomb']:
        z.writestr(spec['bomb'], b'\\0' * (100 * 1024 * 1024))
sys.stdout.buffer.write(out.getvalue())`;

export function zip(entries, { bomb } = {}) {
  const spec = { entries: entries.map((e) => ({ name: e.name, data: Buffer.from(e.data).toString('base64') })), bomb: bomb || null };
  return execFileSync('python3', ['-c', SCRIPT], { input: JSON.stringify(spec), maxBuffer: 64 << 20 });
}
