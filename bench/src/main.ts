/**
 * `npm run bench`: our pipeline against the bare undici ceiling and Crawlee's
 * HttpCrawler on a loopback web of 1,200 virtual hosts, interleaved, in both connection
 * modes; then lateness at 50% and 90% load, storage per check, crawler scaling, a CPU
 * profile, and the scheduler's cost curve. Prints tables, writes bench-results/*.json and
 * (full runs) docs/performance.md. Every child process is killed when it ends, whatever
 * the way; every phase is bounded in time.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SETTINGS } from '@tdm/core';
import { abortAndExit, forkModule, onInterrupt, stopAll } from './children.js';
import { firstMessage, startContender } from './contenders.js';
import type { BenchContext } from './context.js';
import { pipelineSettings } from './context.js';
import { runCostStep, type CostStep } from './cost-curve.js';
import { createBenchDatabase } from './database.js';
import { writeDocsPage } from './docs-page.js';
import { latenessRun, type LatenessRun } from './lateness.js';
import { startNats } from './nats.js';
import { USAGE, parseOptions, type BenchOptions } from './options.js';
import { runStatsBench } from './stats-bench.js';
import { startPipeline } from './pipeline.js';
import { runProfile, type ProfileReport } from './profile-run.js';
import { machineLine, tables, type BenchReport, type Machine } from './report.js';
import { loadOverloadItems, runRounds } from './rounds.js';
import { runScaling, type ScalingStep } from './scaling.js';
import { goals, project, summarizeRounds } from './summary.js';
import { textTable } from './table.js';
import { DEFAULT_PLAN, buildPlan } from './web-plan.js';

const parsed = parseOptions(process.argv.slice(2));
if (parsed === null) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const options: BenchOptions = parsed;

const startedAt = Date.now();
const log = (message: string): void => {
  process.stderr.write(`[bench ${((Date.now() - startedAt) / 1000).toFixed(0).padStart(3)}s] ${message}\n`);
};
// The whole run is bounded: past this, everything is killed and the bench fails.
const LIMIT_MS = options.quick ? 4 * 60_000 : 12 * 60_000;
const watchdog = setTimeout(() => {
  log(`time limit of ${LIMIT_MS / 60_000} minutes reached; killing everything`);
  void abortAndExit(2);
}, LIMIT_MS);
watchdog.unref();

const distDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(distDir, '../..');
const adminUrl = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function version(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', timeout: 5000 }).trim().split('\n')[0] ?? command;
  } catch {
    return `${command} (version unknown)`;
  }
}

async function run(): Promise<void> {
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'tdm-bench-'));
  onInterrupt(async () => rmSync(workDir, { recursive: true, force: true }));
  const plan = buildPlan(DEFAULT_PLAN);
  log(`fixture web: ${plan.hosts.length} hosts, ${plan.urls.length} URLs`);
  const fixture = forkModule('fixture', path.join(distDir, 'fixture-child.js'), [
    JSON.stringify(plan.params),
  ]);
  const { port } = await firstMessage<{ port: number }>(fixture, 30_000);
  const db = await createBenchDatabase(adminUrl);
  log(`database ${db.name}`);
  const forgetDrop = onInterrupt(() => db.drop());
  const ctx: BenchContext = {
    repoRoot,
    distDir,
    workDir,
    plan,
    port,
    fixture,
    db,
    nats: await startNats(),
    options,
    log,
  };
  const machine: Machine = {
    cpu: os.cpus()[0]?.model ?? 'unknown CPU',
    cores: os.cpus().length,
    memoryGiB: os.totalmem() / 1024 ** 3,
    node: process.version,
    natsServer: version('nats-server', ['--version']),
    postgres: `PostgreSQL ${(await db.client.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version ?? '?'}`,
    loadBefore: os.loadavg()[0] ?? 0,
    loadAfter: 0,
  };
  try {
    const bare = await startContender('bare', distDir, plan.params, port, fixture.pid);
    const crawlee = await startContender('crawlee', distDir, plan.params, port, fixture.pid);
    log('warm-up (not measured)');
    await bare.run({ mode: 'keepalive', concurrency: options.concurrency, warmupMs: 0, windowMs: 1000 });
    await crawlee.run({
      mode: 'keepalive',
      concurrency: options.concurrency,
      warmupMs: 0,
      windowMs: 2000,
      requests: 2000,
    });
    await loadOverloadItems(ctx);
    await (await startPipeline(pipelineSettings(ctx, { mode: 'keepalive' }))).stop();

    log(`head to head: ${options.rounds} rounds × ${options.modes.length} mode(s) × 3 contenders`);
    const rounds = await runRounds(ctx, bare, crawlee);
    const summary = summarizeRounds(rounds);
    // Keep-alive is always measured (it is the mode a deployment runs in).
    const keepalive = summary.keepalive;
    if (!keepalive) throw new Error('no keep-alive figures');
    await Promise.all([bare.process.stop(), crawlee.process.stop()]);

    const max = keepalive.contenders.pipeline.checksPerSecond;
    const lateness: LatenessRun[] = [];
    const loads: Array<[number, boolean]> = options.quick
      ? [[0.5, true]]
      : [
          [0.5, true],
          [0.9, true],
          [0.5, false],
        ];
    for (const [share, checkLog] of loads) {
      const runResult = await latenessRun(ctx, max, share, checkLog);
      lateness.push(runResult);
      log(
        `lateness at ${share * 100}% (${runResult.offeredPerSecond.toFixed(0)}/s, check log ${checkLog ? 'on' : 'off'}): ` +
          (runResult.lateness
            ? `p50 ${runResult.lateness.p50Ms.toFixed(0)} ms, p99 ${runResult.lateness.p99Ms.toFixed(0)} ms`
            : 'no lateness (no log)'),
      );
    }

    let scaling: ScalingStep[] = [];
    let profile: ProfileReport | null = null;
    if (!options.quick) {
      scaling = await runScaling(ctx, [1, 2, 4]);
      log('profile run (--cpu-prof on crawler and results)');
      profile = await runProfile(ctx);
    }

    const cost: CostStep[] = [];
    for (const items of options.million ? [10_000, 100_000, 1_000_000] : [10_000, 100_000]) {
      const step = await runCostStep(ctx, items);
      cost.push(step);
      log(
        `cost curve: ${items} items: claim+publish ${step.claimRoundMs.toFixed(1)} ms/500, scheduler peak RSS ${(step.schedulerPeakRssBytes / 1048576).toFixed(0)} MB`,
      );
    }

    machine.loadAfter = os.loadavg()[0] ?? 0;
    const report: BenchReport = {
      startedAt: new Date(startedAt).toISOString(),
      durationSeconds: (Date.now() - startedAt) / 1000,
      options,
      machine,
      web: {
        hosts: plan.hosts.length,
        urls: plan.urls.length,
        addressesPerMode: plan.params.addressesPerMode,
        notFoundShare: 1 / plan.params.notFoundEvery,
        bodyBytes: `${Math.min(...plan.bodies.map((b) => b.size))}–${Math.max(...plan.bodies.map((b) => b.size))} B`,
      },
      keepAliveSetting: SETTINGS.keepAlive.env,
      rounds,
      summary,
      lateness,
      scaling,
      cost,
      profile,
      goals: goals(summary, lateness, cost),
      projection: (['fresh', 'keepalive'] as const).flatMap((mode) => {
        const measured = summary[mode];
        return measured
          ? [1_000_000, 10_000_000].map((items) => project(mode, items, 900_000, measured.pipelineParts))
          : [];
      }),
    };
    process.stdout.write(`\nMachine: ${machineLine(machine)}\n\n`);
    for (const table of tables(report)) process.stdout.write(`${textTable(table)}\n\n`);
    const outDir = path.join(repoRoot, 'bench-results');
    mkdirSync(outDir, { recursive: true });
    const json = JSON.stringify(report, null, 2);
    const stamp = report.startedAt.replace(/[:.]/g, '-');
    writeFileSync(path.join(outDir, `bench-${stamp}.json`), json);
    // A --quick run does not replace the figures docs/performance.md points to.
    writeFileSync(path.join(outDir, options.quick ? 'latest-quick.json' : 'latest.json'), json);
    log(`wrote bench-results/bench-${stamp}.json`);
    if (options.docs) {
      writeDocsPage(path.join(repoRoot, 'docs/performance.md'), report);
      log('wrote docs/performance.md');
    }
  } finally {
    await stopAll(5000);
    await ctx.nats.stop().catch(() => undefined);
    forgetDrop();
    await db.drop().catch((error: unknown) => log(`could not drop ${db.name}: ${String(error)}`));
    rmSync(workDir, { recursive: true, force: true });
  }
}

try {
  await run();
  // Statistics by hoster over 1,000,000 items (`npm run bench:stats` runs only this part).
  if (options.million) await runStatsBench(adminUrl, 1_000_000, log);
  log('done');
  process.exit(0);
} catch (error) {
  log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  await abortAndExit(1);
}
