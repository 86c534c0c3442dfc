/**
 * What one payment costs the detector's path, measured on a throughput phase of the detector benchmark:
 * the replica's CPU, Redis' CPU, commands and bytes (INFO, before and after: nothing else uses that
 * Redis meanwhile), and the Kafka payload bytes in and out (the input's and the outputs' mean message
 * size, from a sample of each topic, times the messages per payment). The figures `docs/benchmarks.md`
 * sizes a deployment from.
 */
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import type { Kafka } from '@fraudstream/shared';

/** The process's CPU time so far, user + system, in ms (Linux /proc). */
export function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) in parentheses: utime is the 14th, stime the 15th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // USER_HZ is 100 on Linux
}

export interface RedisCounters {
  /** Every command run, those a script runs too (INFO commandstats). */
  calls: number;
  inBytes: number;
  outBytes: number;
  cpuMs: number;
  /** Calls by command name. */
  byCommand: Record<string, number>;
}

const infoField = (info: string, name: string): number => Number(new RegExp(`^${name}:(\\S+)`, 'm').exec(info)?.[1] ?? NaN);

export async function redisCounters(redis: Redis): Promise<RedisCounters> {
  const info = await redis.info('everything');
  const byCommand = Object.fromEntries([...info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)].map(([, name, value]) => [name!, Number(value)]));
  const calls = Object.values(byCommand).reduce((sum, value) => sum + value, 0);
  return {
    byCommand,
    calls,
    inBytes: infoField(info, 'total_net_input_bytes'),
    outBytes: infoField(info, 'total_net_output_bytes'),
    cpuMs: (infoField(info, 'used_cpu_user') + infoField(info, 'used_cpu_sys')) * 1000,
  };
}

/** The mean key + value bytes of up to `sample` committed messages of `topic` (read from the beginning). */
export async function meanMessageBytes(kafka: Kafka, topic: string, sample = 2_000): Promise<number> {
  const consumer = kafka.consumer({ groupId: `bench-footprint-${topic}-${Date.now()}`, readUncommitted: false, maxWaitTimeInMs: 50 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let bytes = 0;
  let messages = 0;
  const done = new Promise<void>((resolve) => {
    void consumer.run({
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          if (messages >= sample) break;
          bytes += (message.key?.length ?? 0) + (message.value?.length ?? 0);
          messages += 1;
        }
        if (messages >= sample) resolve();
      },
    });
  });
  const deadline = new Promise<void>((resolve) => setTimeout(resolve, 30_000));
  await Promise.race([done, deadline]);
  await consumer.disconnect();
  return messages === 0 ? NaN : bytes / messages;
}

export interface Footprint {
  payments: number;
  detectorCpuMs: number;
  redis: RedisCounters;
  kafkaInBytes: number;
  kafkaOutBytes: number;
}

/** The calls of Lua scripts, each one round trip that runs many commands. */
const scriptCalls = ({ byCommand }: RedisCounters): number => (byCommand['evalsha'] ?? 0) + (byCommand['eval'] ?? 0);

/** Per payment, one line each. */
export function footprintLines({ payments, detectorCpuMs, redis, kafkaInBytes, kafkaOutBytes }: Footprint): string[] {
  const per = (value: number, digits = 2) => (value / payments).toFixed(digits);
  return [
    `per payment: detector CPU ${per(detectorCpuMs, 3)} ms (${Math.round((payments * 1000) / detectorCpuMs).toLocaleString('en-US')} payments per CPU-second)`,
    `per payment: Redis CPU ${per(redis.cpuMs, 4)} ms, ${per(scriptCalls(redis), 4)} script calls, ${per(redis.calls, 2)} commands run (those in scripts included), ` +
      `${per(redis.inBytes, 0)} B in, ${per(redis.outBytes, 0)} B out; most run: ` +
      Object.entries(redis.byCommand)
        .sort(([, a], [, b]) => b - a)
        .slice(0, 4)
        .map(([name, calls]) => `${name} ${per(calls, 2)}`)
        .join(', '),
    `per payment: Kafka payload ${kafkaInBytes.toFixed(0)} B in (the transaction), ${kafkaOutBytes.toFixed(0)} B out (score event, alerts' share, offsets and markers not counted)`,
  ];
}

export const subtractCounters = (after: RedisCounters, before: RedisCounters): RedisCounters => ({
  calls: after.calls - before.calls,
  inBytes: after.inBytes - before.inBytes,
  outBytes: after.outBytes - before.outBytes,
  cpuMs: after.cpuMs - before.cpuMs,
  byCommand: Object.fromEntries(Object.entries(after.byCommand).map(([name, calls]) => [name, calls - (before.byCommand[name] ?? 0)]).filter(([, calls]) => (calls as number) > 0)),
});
