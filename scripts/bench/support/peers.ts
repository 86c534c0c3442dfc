/**
 * The detector benchmark's outside peers, each timed over the same backlog as the detector: librdkafka's
 * kcat piping a consumer into a producer (the floor of one hop through Kafka), and a naive Python
 * detector with kafka-python, message by message (naive_detector.py). Each is skipped, with the reason,
 * when its tool is not installed (Debian: `apt-get install kcat python3-kafka`).
 */
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type PeerResult = { perSecond: number; seconds: number; count: number } | { skipped: string };

/** The Python that has kafka-python: Debian's python3-kafka goes with /usr/bin/python3, which a pyenv shim may hide. */
function pythonWithKafka(): string | undefined {
  return ['/usr/bin/python3', 'python3'].find((python) => spawnSync(python, ['-c', 'import kafka'], { stdio: 'ignore' }).status === 0);
}

const hasKcat = (): boolean => spawnSync('kcat', ['-V'], { stdio: 'ignore' }).status === 0;

/**
 * `kcat -C … -e | kcat -P …`: reads `input` from the beginning to its end, keys and values, and produces
 * each to `output` (acks all); timed from the start of both processes until the producer has flushed
 * and exited (start-up included: librdkafka's is a few ms).
 */
export async function kcatPassthrough(brokers: string, input: string, output: string, count: number): Promise<PeerResult> {
  if (!hasKcat()) return { skipped: 'kcat is not installed (apt-get install kcat)' };
  const started = performance.now();
  const consume = spawn('kcat', ['-C', '-b', brokers, '-t', input, '-o', 'beginning', '-e', '-q', '-f', '%k\t%s\n'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const produce = spawn('kcat', ['-P', '-b', brokers, '-t', output, '-K', '\t', '-X', 'acks=all', '-X', 'linger.ms=5'], { stdio: ['pipe', 'ignore', 'inherit'] });
  consume.stdout.pipe(produce.stdin);
  const exited = (child: ReturnType<typeof spawn>) => new Promise<number | null>((resolve) => child.once('exit', resolve));
  const [consumed, produced] = await Promise.all([exited(consume), exited(produce)]);
  if (consumed !== 0 || produced !== 0) throw new Error(`kcat exited with ${consumed} (consumer) and ${produced} (producer)`);
  const seconds = (performance.now() - started) / 1000;
  return { perSecond: count / seconds, seconds, count };
}

/** naive_detector.py over the first `count` transactions of `input`, timed from its first message to its last. */
export async function pythonNaiveDetector(brokers: string, input: string, output: string, groupId: string, count: number): Promise<PeerResult> {
  const python = pythonWithKafka();
  if (!python) return { skipped: 'no python3 with kafka-python (apt-get install python3-kafka)' };
  const script = join(dirname(fileURLToPath(import.meta.url)), 'naive_detector.py');
  const child = spawn(python, [script, '--brokers', brokers, '--input', input, '--output', output, '--group', groupId, '--count', String(count)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const line = /^naive-detector (\d+) (\S+) (\d+)$/m.exec(stdout);
  if (code !== 0 || !line) throw new Error(`naive_detector.py exited with ${code}: ${stdout}`);
  const seconds = Number(line[2]);
  return { perSecond: Number(line[1]) / seconds, seconds, count: Number(line[1]) };
}

/** One line for a peer's result. */
export const peerLine = (label: string, result: PeerResult): string =>
  'skipped' in result ? `${label}: skipped, ${result.skipped}` : `${label}: ${Math.round(result.perSecond).toLocaleString('en-US')} tx/s (${result.count.toLocaleString('en-US')} in ${result.seconds.toFixed(1)} s)`;
