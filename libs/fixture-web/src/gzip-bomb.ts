import { constants, createBrotliCompress, createGzip } from 'node:zlib';
import type { Transform } from 'node:stream';

const ZERO_CHUNK = Buffer.alloc(1 << 20);

/** Streams `expandedBytes` zeros through a compressor; the expanded form never sits in memory. */
async function compressZeros(compressor: Transform, expandedBytes: number): Promise<Buffer> {
  return await new Promise<Buffer>((resolve, reject) => {
    const parts: Buffer[] = [];
    compressor.on('data', (c: Buffer) => parts.push(c));
    compressor.on('end', () => resolve(Buffer.concat(parts)));
    compressor.on('error', reject);
    let left = expandedBytes;
    const pump = (): void => {
      while (left > 0) {
        const n = Math.min(left, ZERO_CHUNK.length);
        left -= n;
        if (!compressor.write(ZERO_CHUNK.subarray(0, n))) {
          compressor.once('drain', pump);
          return;
        }
      }
      compressor.end();
    };
    pump();
  });
}

/** The gzip encoding of `expandedBytes` zero bytes (1 GiB of zeros compresses to about 1 MiB). */
export async function gzipOfZeros(expandedBytes: number): Promise<Buffer> {
  return await compressZeros(createGzip({ level: 9 }), expandedBytes);
}

/**
 * The brotli encoding of `expandedBytes` zero bytes. Brotli's ratio is far beyond gzip's
 * 1:1032 (64 MiB of zeros take about 100 bytes), so this is the harsher bomb. Quality 5:
 * quality 11 buys nothing on zeros and is much slower to build.
 */
export async function brotliOfZeros(expandedBytes: number): Promise<Buffer> {
  return await compressZeros(
    createBrotliCompress({
      params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_SIZE_HINT]: expandedBytes },
    }),
    expandedBytes,
  );
}
