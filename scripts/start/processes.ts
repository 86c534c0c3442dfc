import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../..');

export interface ServiceProcess {
  name: string;
  pid: number;
  logFile: string;
  /** Resolves when the process has exited, however it ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  running(): boolean;
  /** Called with every line the process prints (stdout and stderr), as it prints it. */
  onLine(listener: (line: string) => void): void;
  /** SIGTERM, then SIGKILL to its whole process group after `graceMs`. Harmless when already gone. */
  stop(graceMs?: number): Promise<void>;
  /** The last lines of its log, to show why it failed. */
  tail(lines?: number): string;
}

export interface SpawnServiceOptions {
  name: string;
  /** A TypeScript entry point relative to the repository root, run with tsx as `npm run <service>` does. */
  script: string;
  args?: string[];
  env: NodeJS.ProcessEnv;
  logFile: string;
}

const everyChild = new Set<ServiceProcess>();
let exitHookInstalled = false;

/** Whatever happens to this process, its children do not outlive it. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of everyChild) {
      if (child.running()) killGroup(child.pid, 'SIGKILL');
    }
  });
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits until no process of the group is left (killed members may take a moment to be reaped). */
async function groupGone(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (groupAlive(pid) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    killGroup(pid, 'SIGKILL');
  }
}

/**
 * Starts one service as a child process in a process group of its own, so Ctrl-C in the terminal
 * reaches only the launcher, which then stops the services in order. Output goes to `logFile`.
 */
export function spawnService({ name, script, args = [], env, logFile }: SpawnServiceOptions): ServiceProcess {
  installExitHook();
  mkdirSync(dirname(logFile), { recursive: true });
  const out = createWriteStream(logFile, { flags: 'a' });
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, script), ...args], {
    cwd: repoRoot,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`could not start ${name}`);
  const pid = child.pid;
  let alive = true;
  const listeners: Array<(line: string) => void> = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      alive = false;
      resolve({ code, signal });
    });
  });

  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream?.on('data', (chunk: Buffer) => {
      out.write(chunk);
      const text = partial + chunk.toString('utf8');
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) for (const listener of listeners) listener(line);
    });
  }
  void exited.then(() => out.end());

  const service: ServiceProcess = {
    name,
    pid,
    logFile,
    exited,
    running: () => alive,
    onLine: (listener) => {
      listeners.push(listener);
    },
    async stop(graceMs = 20_000) {
      if (alive) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          // Exited meanwhile.
        }
      }
      const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      // Anything it started and left behind goes with it (tsx's esbuild helper, say), and stop()
      // resolves only once the kernel has reaped the whole group.
      killGroup(pid, 'SIGKILL');
      await groupGone(pid, 5_000);
      everyChild.delete(service);
    },
    tail(lines = 20) {
      if (!existsSync(logFile)) return '';
      return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    },
  };
  everyChild.add(service);
  return service;
}

/** Polls `url` until it answers 2xx; fails early if `service` exits, or after `timeoutMs`. */
export async function waitUntilReady(url: string, service: ServiceProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (!service.running()) {
      throw new Error(`${service.name} exited during start-up. Last lines of ${service.logFile}:\n${service.tail()}`);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return;
      last = `${response.status} ${await response.text()}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${service.name} was not ready within ${timeoutMs / 1000} s (${url}: ${last}). Log: ${service.logFile}`);
}
