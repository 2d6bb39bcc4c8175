/**
 * npm run bench:search-fills — what a large row's search fill takes from the API process, at the
 * normal priority and at SEARCH_FILL_NICE (services/ingest/searchFillConnection.ts).
 *
 * Three busy threads stand in for the API process under a stream of large calls (its request
 * thread and two scoring threads): each counts how many fixed pieces of arithmetic it gets
 * through in BENCH_SECONDS. That count is taken with no fill running, then with fills running
 * back to back beside it (the fill's statement on rows of 2 x 200,000 characters, what a large
 * row's fill reads) on a plain connection, then on the low-priority one. Printed: each count
 * against the count without fills in the same round (a ratio: these machines are noisy), and the
 * fills done per second. On Linux with autogroup scheduling a busy backend is a group of its own,
 * as large a share of the CPU as the whole API process (db/backendPriority.ts).
 *
 * Self-contained: a throw-away embedded PostgreSQL (or a scratch database on BENCH_DATABASE_URL's
 * server: then the priority applies only if it runs on this machine).
 */
import { Worker } from 'node:worker_threads';
import pg from 'pg';
import { searchFillConnection } from '../src/services/ingest/searchFillConnection.js';
import { benchDatabase, printTable } from './lib.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const NICE = Number(process.env.SEARCH_FILL_NICE ?? 19);
const THREADS = 3;
const ROWS = 4;

const log = (m: string) => process.stderr.write(`${m}\n`);

const db = await benchDatabase('bench_search_fills');
const setup = new pg.Client({ connectionString: db.url });
await setup.connect();
// English prose with a growing vocabulary, 200,000 characters: what the fill reads of a prompt
const words = 'the quick brown fox jumps over lazy dogs while engineers review latency budgets and reports'.split(' ');
let text = '';
for (let i = 0; text.length < 200_000; i++) text += `${words[(i * 7919) % words.length]} term${i % 9_000} `;
await setup.query('CREATE TABLE fill_rows (id int PRIMARY KEY, prompt text, response text, search tsvector)');
for (let id = 0; id < ROWS; id++)
  await setup.query('INSERT INTO fill_rows VALUES ($1, $2, $2, NULL)', [id, `${text}${id}`]);
const FILL = 'UPDATE fill_rows SET search = llmguard_search_vector(prompt, response) WHERE id = $1';

const busyThread = `
  const { parentPort } = require('node:worker_threads');
  parentPort.once('message', (ms) => {
    const end = Date.now() + ms;
    let pieces = 0;
    while (Date.now() < end) {
      let x = 0;
      for (let i = 0; i < 1e5; i++) x += Math.sqrt(i);
      if (x > 0) pieces++;
    }
    parentPort.postMessage(pieces);
  });`;

/** Pieces of work the busy threads get through in SECONDS. */
async function busyWork(): Promise<number> {
  const threads = Array.from({ length: THREADS }, () => new Worker(busyThread, { eval: true }));
  const counts = await Promise.all(
    threads.map(
      (t) =>
        new Promise<number>((resolve) => {
          t.once('message', resolve);
          t.postMessage(SECONDS * 1000);
        }),
    ),
  );
  await Promise.all(threads.map((t) => t.terminate()));
  return counts.reduce((a, b) => a + b, 0);
}

interface Run {
  work: number;
  fillsPerSecond: number;
}

/** The busy threads' work with fills running back to back on `fill` (none when undefined). */
async function runWith(fill?: (id: number) => Promise<unknown>): Promise<Run> {
  let stop = false;
  let fills = 0;
  const started = performance.now();
  const loop = (async () => {
    while (fill && !stop) await fill(fills++ % ROWS);
  })();
  const work = await busyWork();
  stop = true;
  await loop;
  return { work, fillsPerSecond: fills / ((performance.now() - started) / 1000) };
}

const rows = [
  ['round', 'work, no fills', `fills at nice 0: work`, 'fills/s', `fills at nice ${NICE}: work`, 'fills/s'],
];
let priority = '';
for (let round = 1; round <= ROUNDS; round++) {
  log(`round ${round} of ${ROUNDS} (${SECONDS} s each: no fills, nice 0, nice ${NICE})`);
  const plain = new pg.Client({ connectionString: db.url });
  await plain.connect();
  const low = searchFillConnection({ connectionString: db.url, nice: NICE });
  await low.$queryRawUnsafe('SELECT 1'); // its connection, and its priority, before timing
  const outcome = await low.priority;
  priority = outcome?.lowered
    ? `lowered to nice ${NICE}${outcome.autogroup ? ', its autogroup too' : ' (no autogroup)'}`
    : `not lowered: ${outcome?.reason}`;
  const none = await runWith();
  const atZero = await runWith((id) => plain.query(FILL, [id]));
  const atNice = await runWith((id) => low.$executeRawUnsafe(FILL, id));
  rows.push([
    String(round),
    String(none.work),
    `${(atZero.work / none.work).toFixed(2)}x`,
    atZero.fillsPerSecond.toFixed(1),
    `${(atNice.work / none.work).toFixed(2)}x`,
    atNice.fillsPerSecond.toFixed(1),
  ]);
  await plain.end();
  await low.close();
}
console.log(`\nThe low-priority fill connection: ${priority}. ${THREADS} busy threads, ${SECONDS} s a run:`);
printTable(rows);
await setup.end();
await db.close();
