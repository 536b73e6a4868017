/**
 * A throw-away certificate authority for TLS tests, made with Debian's `openssl`: a CA,
 * and certificates it signs for loopback servers (SAN 127.0.0.1, ::1, localhost) and
 * clients. Everything lives in one temporary folder, removed by `remove()`.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface CertificateFiles {
  certFile: string;
  keyFile: string;
}

export interface TestCa {
  dir: string;
  /** The CA certificate (PEM): what a client pins. */
  caFile: string;
  /** Issues a server certificate for loopback (and `names`), valid for `days`. */
  issueServer(name: string, options?: { names?: string[]; days?: number }): Promise<CertificateFiles>;
  /** Issues a client certificate with common name `name`. */
  issueClient(name: string): Promise<CertificateFiles>;
  remove(): Promise<void>;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  await run('openssl', args, { cwd, timeout: 30_000 });
}

/** Creates a CA (EC P-256, fast to make) named `commonName`. */
export async function createTestCa(commonName = 'tdm test CA'): Promise<TestCa> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tdm-ca-'));
  const caKey = path.join(dir, 'ca.key');
  const caFile = path.join(dir, 'ca.crt');
  await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', caKey], dir);
  await openssl(
    [
      'req',
      '-x509',
      '-new',
      '-key',
      caKey,
      '-sha256',
      '-days',
      '2',
      '-subj',
      `/CN=${commonName}`,
      '-out',
      caFile,
    ],
    dir,
  );
  let serial = 1;
  const issue = async (name: string, extensions: string, days: number): Promise<CertificateFiles> => {
    const keyFile = path.join(dir, `${name}.key`);
    const csr = path.join(dir, `${name}.csr`);
    const certFile = path.join(dir, `${name}.crt`);
    const ext = path.join(dir, `${name}.ext`);
    await writeFile(ext, extensions);
    await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', keyFile], dir);
    // PKCS#8, which every consumer here (Node, nats-server, PostgreSQL) reads.
    await openssl(['pkcs8', '-topk8', '-nocrypt', '-in', keyFile, '-out', `${keyFile}.p8`], dir);
    await run('mv', [`${keyFile}.p8`, keyFile]);
    await openssl(['req', '-new', '-key', keyFile, '-subj', `/CN=${name}`, '-out', csr], dir);
    await openssl(
      [
        'x509',
        '-req',
        '-in',
        csr,
        '-CA',
        caFile,
        '-CAkey',
        caKey,
        '-set_serial',
        String(serial++),
        '-days',
        String(days),
        '-sha256',
        '-extfile',
        ext,
        '-out',
        certFile,
      ],
      dir,
    );
    return { certFile, keyFile };
  };
  return {
    dir,
    caFile,
    async issueServer(name, options = {}) {
      const names = ['localhost', ...(options.names ?? [])].map((n) => `DNS:${n}`);
      return await issue(
        name,
        `basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,IP:::1,${names.join(',')}\n`,
        options.days ?? 2,
      );
    },
    async issueClient(name) {
      return await issue(
        name,
        'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n',
        2,
      );
    },
    async remove() {
      await rm(dir, { recursive: true, force: true });
    },
  };
}
