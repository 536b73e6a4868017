/**
 * `tdm import` on a large file: progress measured in the file's own bytes (it used to
 * compare JSON lengths with CSV bytes and showed 100% at row 64,448 of 100,300), and a
 * summary that counts every rejected row per reason, with --rejects FILE listing them all.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, runTdm as tdm, type TestDatabase } from '@tdm/test-helpers';
import { readReports } from '../src/import/read-reports.js';

let dir: string;
let db: TestDatabase;
const ROWS = 6000;

/** Rows of very different lengths, so a wrong measure of progress shows. */
function csvFile(): string {
  const file = path.join(dir, 'big.csv');
  const lines = ['url,reportId,reportedAt,labels'];
  for (let i = 1; i <= ROWS; i++) {
    if (i % 20 === 0) lines.push(`not a url ${i},r${i},,`);
    else if (i % 30 === 1) lines.push(`http://img.example.com/${i}.jpg,r${i},someday,`);
    else if (i % 2 === 0) lines.push(`http://img.example.com/${i}.jpg,r${i},,`);
    else
      lines.push(
        `http://img.example.com/${'p'.repeat(200)}/${i}.jpg,r${i},2026-01-01T00:00:00Z,"{""k"":""${i}""}"`,
      );
  }
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'tdm-import-'));
  db = await createTestDatabase('import_summary');
});
afterAll(async () => {
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('import progress', () => {
  it("follows the rows through the file: each row's offset is within one read chunk of its place", async () => {
    const file = csvFile();
    const size = statSync(file).size;
    let previous = 0;
    let index = 0;
    for await (const row of readReports(file, 'csv')) {
      index++;
      expect(row.offset).toBeGreaterThanOrEqual(previous);
      const rowsShare = index / ROWS;
      // The offset runs ahead by at most one 64 KiB chunk; rows differ in length, so allow 10%.
      expect(row.offset / size).toBeGreaterThanOrEqual(rowsShare * 0.5 - 0.1);
      expect(row.offset).toBeLessThanOrEqual(size);
      previous = row.offset;
    }
    expect(index).toBe(ROWS);
    expect(previous).toBe(size);
  });
});

describe('import summary', () => {
  it('counts rejected rows per reason and writes every one of them with --rejects', async () => {
    const file = csvFile();
    const rejects = path.join(dir, 'rejects.ndjson');
    const out = await tdm(['import', file, '--rejects', rejects], { DATABASE_URL: db.url });
    expect(out.code, out.stderr).toBe(3);
    const invalid = ROWS / 20;
    const badTime = Array.from({ length: ROWS }, (_, k) => k + 1).filter(
      (i) => i % 30 === 1 && i % 20 !== 0,
    ).length;
    expect(out.stdout).toContain(`${invalid + badTime} rejected`);
    expect(out.stdout).toContain(
      `rejected by reason: TDM_ERR_URL_INVALID ${invalid}, TDM_ERR_TIMESTAMP ${badTime}`,
    );
    const lines = readFileSync(rejects, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(invalid + badTime);
    expect(lines[0]).toMatchObject({
      line: 2,
      code: 'TDM_ERR_TIMESTAMP',
      row: { reportId: 'r1', reportedAt: 'someday' },
    });
    expect(lines.filter((l) => l.code === 'TDM_ERR_URL_INVALID').map((l) => l.line)).toEqual(
      Array.from({ length: invalid }, (_, k) => (k + 1) * 20 + 1),
    );
    expect((statSync(rejects).mode & 0o777).toString(8)).toBe('600');
  });
});
