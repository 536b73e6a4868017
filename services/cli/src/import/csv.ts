/**
 * A streaming RFC 4180 CSV parser: quoted fields may hold commas, doubled quotes and
 * line breaks. It yields one array of fields per record with the line number the record
 * started on, so a rejected row can be named in the import summary.
 */
import { ImportError } from './import-error.js';

export interface CsvRecord {
  line: number;
  fields: string[];
}

export async function* parseCsv(chunks: AsyncIterable<string | Buffer>): AsyncGenerator<CsvRecord> {
  let field = '';
  let fields: string[] = [];
  let inQuotes = false;
  let quotePending = false; // saw a quote inside a quoted field: either "" or the closing quote
  let line = 1;
  let recordLine = 1;
  let recordHasContent = false;

  const endRecord = (): CsvRecord | null => {
    fields.push(field);
    const record = { line: recordLine, fields };
    const empty = !recordHasContent && fields.length === 1 && fields[0] === '';
    field = '';
    fields = [];
    recordHasContent = false;
    return empty ? null : record;
  };

  for await (const chunk of chunks) {
    const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    for (let i = 0; i < text.length; i++) {
      const ch = text[i] as string;
      if (inQuotes) {
        if (quotePending) {
          quotePending = false;
          if (ch === '"') {
            field += '"';
            continue;
          }
          inQuotes = false; // the quote closed the field; fall through to handle ch
        } else if (ch === '"') {
          quotePending = true;
          continue;
        } else {
          if (ch === '\n') line++;
          field += ch;
          continue;
        }
      }
      if (ch === '"' && field === '') {
        inQuotes = true;
        recordHasContent = true;
      } else if (ch === ',') {
        fields.push(field);
        field = '';
        recordHasContent = true;
      } else if (ch === '\n') {
        const record = endRecord();
        if (record) yield record;
        line++;
        recordLine = line;
      } else if (ch === '\r') {
        // CRLF: the \n ends the record.
      } else {
        field += ch;
        recordHasContent = true;
      }
    }
  }
  if (inQuotes && !quotePending) throw new ImportError(`line ${recordLine}: unterminated quoted field`);
  const record = endRecord();
  if (record) yield record;
}
