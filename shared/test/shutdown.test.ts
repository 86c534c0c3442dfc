import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createLogger, createShutdown } from '@fraudstream/shared';

const log = createLogger({ name: 'test', level: 'silent', pretty: false });

function fakeProcess() {
  const emitter = new EventEmitter();
  return {
    processLike: { on: emitter.on.bind(emitter), off: emitter.off.bind(emitter) } as unknown as Pick<NodeJS.Process, 'on' | 'off'>,
    emit: (signal: NodeJS.Signals) => emitter.emit(signal, signal),
  };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 10));

describe('createShutdown', () => {
  it('runs closers in order, once, then exits 0', async () => {
    const { processLike, emit } = fakeProcess();
    const calls: string[] = [];
    const exits: number[] = [];
    const shutdown = createShutdown({ log, processLike, exit: (code) => exits.push(code) });
    shutdown.register('consumer', async () => {
      await tick();
      calls.push('consumer');
    });
    shutdown.register('producer', () => {
      calls.push('producer');
    });
    emit('SIGTERM');
    await shutdown.run('again');
    await tick();
    expect(calls).toEqual(['consumer', 'producer']);
    expect(exits).toEqual([0]);
  });

  it('keeps closing after a failing closer and exits 1', async () => {
    const { processLike, emit } = fakeProcess();
    const calls: string[] = [];
    const exits: number[] = [];
    const shutdown = createShutdown({ log, processLike, exit: (code) => exits.push(code) });
    shutdown.register('broken', () => {
      throw new Error('boom');
    });
    shutdown.register('store', () => {
      calls.push('store');
    });
    emit('SIGINT');
    await tick();
    expect(calls).toEqual(['store']);
    expect(exits).toEqual([1]);
  });

  it('exits anyway when the deadline passes', async () => {
    const { processLike, emit } = fakeProcess();
    const exits: number[] = [];
    const shutdown = createShutdown({ log, processLike, deadlineMs: 20, exit: (code) => exits.push(code) });
    shutdown.register('stuck', () => new Promise(() => {}));
    emit('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(exits).toEqual([1]);
  });

  it('forces exit on a second signal', async () => {
    const { processLike, emit } = fakeProcess();
    const exits: number[] = [];
    let nowMs = 0;
    const shutdown = createShutdown({ log, processLike, exit: (code) => exits.push(code), now: () => nowMs });
    shutdown.register('slow', () => new Promise((resolve) => setTimeout(resolve, 50)));
    emit('SIGTERM');
    nowMs = 2_500;
    emit('SIGTERM');
    expect(exits).toEqual([130]);
    shutdown.dispose();
  });

  it('drains once when the same signal arrives twice at once (sent to the process group, passed on by tsx)', async () => {
    const { processLike, emit } = fakeProcess();
    const calls: string[] = [];
    const exits: number[] = [];
    let nowMs = 0;
    const shutdown = createShutdown({ log, processLike, exit: (code) => exits.push(code), now: () => nowMs });
    shutdown.register('slow', async () => {
      await new Promise((resolve) => setTimeout(resolve, 30));
      calls.push('slow');
    });
    emit('SIGTERM');
    nowMs = 5;
    emit('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(calls).toEqual(['slow']);
    expect(exits).toEqual([0]);
  });
});
