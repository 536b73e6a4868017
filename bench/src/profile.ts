/**
 * Where the CPU seconds go: reads V8 .cpuprofile files (node --cpu-prof) and sums the
 * self time of the samples taken inside a time span, per function and per package.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  name: string;
  /** Share of the sampled time in the span, 0..1. */
  share: number;
  ms: number;
}

export interface ProfileSummary {
  file: string;
  /** Sampled time inside the span, ms (idle excluded). */
  busyMs: number;
  idleShare: number;
  byFunction: ProfileEntry[];
  byPackage: ProfileEntry[];
  /** Like byPackage, but native frames and Node's own modules (socket writes, hashing, streams) are charged to the package that called them. */
  byCallerPackage: ProfileEntry[];
}

/** The package a script belongs to: an npm package, a workspace library, or Node's internals. */
export function packageOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = url.slice(nm + 14).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  const ws = /\/(libs|services)\/([^/]+)\//.exec(url);
  if (ws) return `@tdm/${ws[2]}`;
  return path.basename(url);
}

function top(map: Map<string, number>, total: number, count: number): ProfileEntry[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, us]) => ({ name, ms: us / 1000, share: total > 0 ? us / total : 0 }));
}

/**
 * Summarises one profile, counting only samples between `skipMs` and `skipMs + spanMs`
 * after the profile started (so start-up and shutdown do not dilute the steady state).
 */
export function summarizeProfile(file: string, skipMs: number, spanMs: number, count = 12): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  /** The nearest frame (the node itself or an ancestor) of a package: not native, not Node's own. */
  const scripted = (id: number): ProfileNode | undefined => {
    let current = byId.get(id);
    const own = (frame: ProfileNode['callFrame']): boolean =>
      frame.url === '' || frame.url.startsWith('node:');
    for (let depth = 0; current && own(current.callFrame) && depth < 200; depth++) {
      const up = parent.get(current.id);
      current = up === undefined ? undefined : byId.get(up);
    }
    return current;
  };
  const fn = new Map<string, number>();
  const pkg = new Map<string, number>();
  const caller = new Map<string, number>();
  let t = profile.startTime;
  let busy = 0;
  let idle = 0;
  const from = profile.startTime + skipMs * 1000;
  const to = from + spanMs * 1000;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    t += delta;
    if (t < from || t > to) continue;
    const node = byId.get(profile.samples[i]!);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idle += delta;
      continue;
    }
    busy += delta;
    const where = url === '' ? '' : ` ${packageOf(url, functionName)}:${lineNumber + 1}`;
    const name = `${functionName || '(anonymous)'}${where}`;
    fn.set(name, (fn.get(name) ?? 0) + delta);
    const p = packageOf(url, functionName);
    pkg.set(p, (pkg.get(p) ?? 0) + delta);
    const owner = functionName.startsWith('(') ? undefined : scripted(node.id);
    const c = owner ? packageOf(owner.callFrame.url, owner.callFrame.functionName) : p;
    caller.set(c, (caller.get(c) ?? 0) + delta);
  }
  return {
    file,
    busyMs: busy / 1000,
    idleShare: busy + idle > 0 ? idle / (busy + idle) : 0,
    byFunction: top(fn, busy, count),
    byPackage: top(pkg, busy, count),
    byCallerPackage: top(caller, busy, count),
  };
}

/** Every .cpuprofile under `dir` (one level of sub-folders, one per process). */
export function profileFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      for (const inner of readdirSync(full))
        if (inner.endsWith('.cpuprofile')) out.push(path.join(full, inner));
    } else if (entry.name.endsWith('.cpuprofile')) out.push(full);
  }
  return out.sort();
}
