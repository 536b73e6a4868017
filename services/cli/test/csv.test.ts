import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseCsv } from '../src/import/csv.js';

async function parse(text: string, chunkSize = 7): Promise<Array<{ line: number; fields: string[] }>> {
  async function* chunks(): AsyncGenerator<string> {
    for (let i = 0; i < text.length; i += chunkSize) yield text.slice(i, i + chunkSize);
  }
  const out = [];
  for await (const record of parseCsv(chunks())) out.push(record);
  return out;
}

function quote(field: string): string {
  return /[",\r\n]/.test(field) || field === '' ? `"${field.replace(/"/g, '""')}"` : field;
}

describe('parseCsv', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks, keeping start lines', async () => {
    const records = await parse(
      'url,labels\r\n"http://a/x,y","{""k"":""v""}"\n\nhttp://b,"two\nlines"\nlast,',
    );
    expect(records).toEqual([
      { line: 1, fields: ['url', 'labels'] },
      { line: 2, fields: ['http://a/x,y', '{"k":"v"}'] },
      { line: 4, fields: ['http://b', 'two\nlines'] },
      { line: 6, fields: ['last', ''] },
    ]);
  });

  it('rejects an unterminated quote', async () => {
    await expect(parse('a,"b\n')).rejects.toMatchObject({
      code: 'TDM_ERR_IMPORT',
      message: 'line 1: unterminated quoted field',
    });
  });

  it('round-trips any table, whatever the chunking', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.string({ maxLength: 8 }), { minLength: 2, maxLength: 2 }), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.integer({ min: 1, max: 9 }),
        async (rows, chunkSize) => {
          const text = rows.map((row) => row.map(quote).join(',')).join('\n');
          const parsed = await parse(text, chunkSize);
          expect(parsed.map((record) => record.fields)).toEqual(rows);
        },
      ),
    );
  });
});
