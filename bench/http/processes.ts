import { spawn, fork, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Job } from './loadgen.js';

/** Child processes the HTTP rows start; every one is stopped at the end, even on failure. */
const children = new Set<ChildProcess>();

/** Stops every child still running (SIGTERM, then SIGKILL after a grace period). */
export async function stopAll(): Promise<void> {
  await Promise.all([...children].map((child) => stop(child)));
}

/** Stops one child: SIGTERM, then SIGKILL when it has not exited after `graceMs`. */
export function stop(child: ChildProcess, graceMs = 5000): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      children.delete(child);
      return resolve();
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      children.delete(child);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** A free loopback port (there is a small window before the server takes it; fine on a bench box). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface Started {
  child: ChildProcess;
  /** The last lines the child wrote to stderr, for error messages. */
  log: string[];
}

/**
 * Spawns `node <args>` and resolves when a line of its output matches `ready` (stdout or
 * stderr, as `which` says), with the match. Output is always drained so the child never blocks
 * on a full pipe. Rejects when the child exits first or after `timeoutMs`.
 */
export function spawnNode(
  args: string[],
  options: {
    env?: NodeJS.ProcessEnv;
    ready: RegExp;
    which: 'stdout' | 'stderr';
    timeoutMs?: number;
    cwd?: string;
    /** Send stdout to /dev/null (a server's request log, as production would send it to a file). */
    discardStdout?: boolean;
  },
): Promise<Started & { match: RegExpMatchArray }> {
  const child = spawn(process.execPath, args, {
    cwd: options.cwd ?? process.cwd(),
    env: { ...process.env, ...options.env },
    stdio: ['ignore', options.discardStdout ? 'ignore' : 'pipe', 'pipe'],
  });
  children.add(child);
  const log: string[] = [];
  return new Promise((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      void stop(child);
      reject(new Error(`bench: ${args.join(' ')} did not start in time:\n${log.join('\n')}`));
    }, options.timeoutMs ?? 60_000);
    const onData = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line === '') continue;
        log.push(line);
        if (log.length > 40) log.shift();
        const match = stream === options.which ? line.match(options.ready) : null;
        if (match && !done) {
          done = true;
          clearTimeout(timer);
          resolve({ child, log, match });
        }
      }
    };
    child.stdout?.on('data', onData('stdout'));
    child.stderr?.on('data', onData('stderr'));
    child.once('exit', (code, signal) => {
      children.delete(child);
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(
        new Error(
          `bench: ${args.join(' ')} exited (${signal ?? code}) before it was ready:\n${log.join('\n')}`,
        ),
      );
    });
  });
}

/** Runs `node <args>` to completion and returns its stdout; rejects on a non-zero exit. */
export function runNode(args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.once('exit', (code) => {
      children.delete(child);
      if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
      else
        reject(
          new Error(
            `bench: node ${args.join(' ')} failed (${code}):\n${Buffer.concat(err).toString('utf8')}`,
          ),
        );
    });
  });
}

/** The load generator process and a way to hand it jobs. */
export interface LoadGenerator {
  run<T>(job: Job, timeoutMs: number): Promise<T>;
  close(): Promise<void>;
}

/** Forks bench/http/loadgen.ts (with tsx) and waits until it is ready. */
export function startLoadGenerator(script: string): Promise<LoadGenerator> {
  const child = fork(script, [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let pending: { resolve: (v: unknown) => void; reject: (e: Error) => void } | null = null;
  child.on('message', (message: { ready?: boolean; ok?: boolean; result?: unknown; error?: string }) => {
    if (message.ready || pending === null) return;
    const p = pending;
    pending = null;
    if (message.ok) p.resolve(message.result);
    else p.reject(new Error(`loadgen: ${message.error}`));
  });
  const generator: LoadGenerator = {
    run<T>(job: Job, timeoutMs: number): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending = null;
          reject(new Error(`loadgen: job ${job.kind} did not finish in ${timeoutMs} ms`));
        }, timeoutMs);
        pending = {
          resolve: (v) => {
            clearTimeout(timer);
            resolve(v as T);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        };
        child.send(job);
      });
    },
    async close() {
      if (child.connected) {
        await generator.run({ kind: 'exit' }, 5000).catch(() => undefined);
      }
      await stop(child);
    },
  };
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(generator));
    child.once('exit', (code) => reject(new Error(`loadgen exited (${code}) before it was ready`)));
  });
}

/**
 * CPU time (user + system, milliseconds) used so far by a process and all its descendants, read
 * from /proc (Linux); `null` elsewhere. Used to tell how much CPU each login costs the server.
 */
export function treeCpuMs(rootPid: number): number | null {
  try {
    const ticks = 100; // USER_HZ on Linux
    const stats = new Map<number, { ppid: number; cpu: number }>();
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      let text: string;
      try {
        text = readFileSync(`/proc/${name}/stat`, 'utf8');
      } catch {
        continue;
      }
      // Fields after the command name (which may hold spaces) start after the last ')'.
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(fields[1]);
      const cpu = Number(fields[11]) + Number(fields[12]);
      stats.set(Number(name), { ppid, cpu });
    }
    let total = 0;
    const stack = [rootPid];
    while (stack.length > 0) {
      const pid = stack.pop() as number;
      const s = stats.get(pid);
      if (!s) continue;
      total += s.cpu;
      for (const [child, c] of stats) if (c.ppid === pid) stack.push(child);
    }
    return (total * 1000) / ticks;
  } catch {
    return null;
  }
}
