import type { Logger } from './logger.js';

export type Closer = () => Promise<void> | void;

export interface ShutdownOptions {
  log: Logger;
  /** How long the closers may take in all before the process exits anyway. */
  deadlineMs?: number;
  signals?: NodeJS.Signals[];
  /**
   * A signal this soon after the first is the same one arriving again, not an operator's second
   * request: tsx passes the signals it gets on to the service, so a signal sent to the process group
   * (systemd, `kill -- -PGID`, Ctrl-C in a terminal) reaches the service twice.
   */
  repeatWindowMs?: number;
  now?: () => number;
  /** Injected in tests; the real process exits. */
  exit?: (code: number) => void;
  processLike?: Pick<NodeJS.Process, 'on' | 'off'>;
}

export interface Shutdown {
  /** Adds a closer; closers run in the order they were registered. */
  register(name: string, close: Closer): void;
  /** Runs every closer once, in order; later calls return the same promise. */
  run(reason: string): Promise<void>;
  /** Stops listening for signals (for tests and embedded use). */
  dispose(): void;
}

/**
 * One ordered shutdown path. The first SIGINT/SIGTERM runs the registered closers in order, once,
 * within a deadline, then exits 0 (1 if a closer failed or the deadline passed); a second signal,
 * later than `repeatWindowMs` after the first, exits at once with 130.
 */
export function createShutdown({
  log,
  deadlineMs = 15_000,
  signals = ['SIGINT', 'SIGTERM'],
  exit = (code) => process.exit(code),
  processLike = process,
  repeatWindowMs = 2_000,
  now = Date.now,
}: ShutdownOptions): Shutdown {
  const closers: Array<{ name: string; close: Closer }> = [];
  let running: Promise<void> | undefined;
  let firstSignalAtMs: number | undefined;
  let failed = false;

  const runClosers = async (): Promise<void> => {
    for (const { name, close } of closers) {
      try {
        await close();
        log.debug({ closer: name }, 'closed');
      } catch (err) {
        failed = true;
        log.error({ err, closer: name }, 'closer failed; continuing shutdown');
      }
    }
  };

  const run = (reason: string): Promise<void> => {
    if (running) return running;
    log.info({ reason }, 'shutting down');
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), deadlineMs);
      timer.unref();
    });
    running = Promise.race([runClosers().then(() => 'done' as const), deadline]).then((outcome) => {
      clearTimeout(timer);
      if (outcome === 'timeout') {
        failed = true;
        log.error({ deadlineMs }, 'shutdown deadline passed; exiting anyway');
      }
    });
    return running;
  };

  const onSignal = (signal: NodeJS.Signals): void => {
    if (firstSignalAtMs !== undefined && now() - firstSignalAtMs < repeatWindowMs) {
      log.debug({ signal }, 'the same signal again (through the process group): already shutting down');
      return;
    }
    if (running) {
      log.warn({ signal }, 'second signal: exiting now');
      exit(130);
      return;
    }
    firstSignalAtMs = now();
    void run(signal).then(() => exit(failed ? 1 : 0));
  };

  for (const signal of signals) processLike.on(signal, onSignal);

  return {
    register(name, close) {
      closers.push({ name, close });
    },
    run,
    dispose() {
      for (const signal of signals) processLike.off(signal, onSignal);
    },
  };
}
