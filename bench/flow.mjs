// bench/flow: the collection workflow under load, printed as numbers.
//   status reads/s   wrk against GET /api/status with a signed-in, paid student's cookie
//   uploads/s        students uploading at once, each upload counted when its preview is ready
// Usage: node bench/flow.mjs [--students 8] [--uploads 48] [--seconds 5]  (TUCAI_BIN=build/tucai)
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

import { photo, startFlowWorld } from '../tests/e2e/support/flow_world.mjs';

const arg = (name, dflt) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? Number(process.argv[i + 1]) : dflt; };
const nStudents = arg('students', 8), nUploads = arg('uploads', 48), seconds = arg('seconds', 5);

const w = await startFlowWorld({ students: nStudents, args: ['--workers', String(arg('workers', 2))] });
try {
  const students = [];
  for (let i = 1; i <= nStudents; i++) {
    const c = await w.signIn(i);
    await w.link(c, i);
    await w.pay(c);
    students.push(c);
  }
  const img = photo('dev/deepface_img11.jpg');
  // Warm the engine (models load on first use).
  const first = await w.upload(students[0], img);
  await w.preview(students[0], first.body.attempt.id);

  let next = 0;
  const lat = [];
  const t0 = Date.now();
  await Promise.all(students.map(async (c) => {
    while (next < nUploads) {
      next++;
      const t = Date.now();
      const r = await w.upload(c, img);
      if (r.status !== 202) throw new Error(r.text);
      await w.preview(c, r.body.attempt.id, 120000);
      lat.push(Date.now() - t);
    }
  }));
  const secs = (Date.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  console.log(`uploads to preview: ${lat.length} in ${secs.toFixed(1)} s = ${(lat.length / secs).toFixed(2)} /s ` +
    `(${nStudents} students at once, photo ${(img.length / 1e6).toFixed(1)} MB); latency p50 ${lat[lat.length >> 1]} ms, ` +
    `p95 ${lat[Math.floor(lat.length * 0.95)]} ms`);

  // Asynchronously: the server logs a line per request into a pipe this process reads; a blocking
  // spawn would stop reading, the pipe would fill, and the server would stall on its log writes.
  const { stdout: out } = await promisify(execFile)('wrk', ['-t2', '-c32', `-d${seconds}s`, '-H',
    `Cookie: ${students[0].cookieHeader()}`, `${w.server.url}/api/status`], { encoding: 'utf8' });
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out)?.[1];
  const latAvg = /Latency\s+(\S+)/.exec(out)?.[1];
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] || '0';
  console.log(`status reads: ${rps} /s (wrk 2 threads, 32 connections, ${seconds} s; mean latency ${latAvg}; non-2xx ${non2xx})`);
} finally {
  await w.close();
}
