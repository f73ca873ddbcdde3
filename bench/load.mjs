// bench/load: the full load of bench/load.sh (see tests/e2e/support/load.mjs), printed as numbers.
// Usage: node bench/load.mjs [--students 200] [--streams 1000] [--staff 50] [--hold 10]
import { printFigures, runLoad } from '../tests/e2e/support/load.mjs';

const arg = (name, dflt) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? Number(process.argv[i + 1]) : dflt; };
const students = arg('students', 200), streams = arg('streams', 1000), staff = arg('staff', 50), hold = arg('hold', 10);
console.log(`tucai load bench through nginx: ${students} students uploading, ${streams} event streams, ${staff} wrong-password ` +
  `staff logins, at once; ${process.env.TUCAI_BIN}, ${(await import('node:os')).cpus().length} cores`);
const fig = await runLoad({ students, streams, staff, holdMs: hold * 1000, log: (m) => console.log(m) });
printFigures(fig);
if (!fig.alive) { console.log('THE SERVER DIED'); process.exitCode = 1; }
for (const [what, bad] of [['uploads', fig.uploads.bad], ['streams', fig.streams.bad], ['logins', fig.loginBad]])
  if (bad.length) { console.log(`${what} without a clear answer: ${bad.length}: ${bad.slice(0, 5).join(' | ')}`); process.exitCode = 1; }
