/**
 * No Docker engine runs where the tests run, so docker-compose.yml is checked statically: it parses,
 * variables are substituted the way Compose does, every service's environment is one its config
 * schema in `shared` knows and accepts, images are pinned, the detector can be scaled, and every
 * dependency waits on a healthcheck or a finished one-shot. The same holds for it merged with the
 * 3-broker override, docker-compose.cluster.yml. The redis-cluster profile runs the detectors on a
 * six-node Redis Cluster.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import * as shared from '@fraudstream/shared';
import { loadConfig, topics } from '@fraudstream/shared';
import type { z } from 'zod';
import { composeDefaults, interpolate, mergeCompose, variablesIn } from './support/compose.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const composeText = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
const clusterText = readFileSync(join(root, 'docker-compose.cluster.yml'), 'utf8');

interface Healthcheck {
  test?: string[] | string;
}
interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  container_name?: string;
  ports?: string[];
  environment?: Record<string, string | number | boolean | null>;
  depends_on?: Record<string, { condition?: string }> | string[];
  healthcheck?: Healthcheck;
  deploy?: { replicas?: number | string };
  profiles?: string[];
  restart?: string;
  volumes?: string[];
  hostname?: string;
  stop_grace_period?: string;
  networks?: Record<string, { aliases?: string[] } | null>;
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/** A file as Compose sees it with no .env: every `${VAR:-default}` at its default. */
const parseCompose = (text: string): ComposeFile => parse(interpolate(text, {}), { merge: true }) as ComposeFile;
const compose = parseCompose(composeText);
const services = compose.services;
/** `docker compose -f docker-compose.yml -f docker-compose.cluster.yml`. */
const cluster = mergeCompose(compose, parseCompose(clusterText));
const setups = [
  { name: 'docker-compose.yml', file: compose, texts: [composeText] },
  { name: 'docker-compose.yml with docker-compose.cluster.yml', file: cluster, texts: [composeText, clusterText] },
];
const clusterBrokers = 'kafka:9092,kafka-2:9092,kafka-3:9092';

/** Our own services and the schema in `shared` that parses each one's environment. */
const configSchemas = {
  producer: 'ProducerEnv',
  detector: 'DetectorEnv',
  'detector-cluster': 'DetectorEnv',
  alerts: 'AlertsEnv',
} as const;
const redisClusterNodes = ['redis-node-1', 'redis-node-2', 'redis-node-3', 'redis-node-4', 'redis-node-5', 'redis-node-6'];

function schemaOf(exportName: string): z.ZodObject {
  const candidate = (shared as Record<string, unknown>)[exportName];
  if (candidate === undefined) throw new Error(`@fraudstream/shared exports no ${exportName}`);
  return candidate as z.ZodObject;
}

function environmentOf(service: ComposeService): Record<string, string> {
  return Object.fromEntries(Object.entries(service.environment ?? {}).map(([key, value]) => [key, String(value ?? '')]));
}

function dependencies(service: ComposeService): Record<string, { condition?: string }> {
  const dependsOn = service.depends_on ?? {};
  return Array.isArray(dependsOn) ? Object.fromEntries(dependsOn.map((name) => [name, {}])) : dependsOn;
}

describe('docker-compose.yml', () => {
  it('parses and has the whole system', () => {
    expect(Object.keys(services).sort()).toEqual(
      [
        'alerts', 'detector', 'grafana', 'kafdrop', 'kafka', 'kafka-init', 'postgres', 'producer', 'prometheus', 'redis',
        ...redisClusterNodes, 'redis-cluster-init', 'detector-cluster',
      ].sort(),
    );
  });

  it('runs Apache Kafka in KRaft mode from the official image, with a healthcheck from its own scripts', () => {
    const kafka = services['kafka'];
    expect(kafka?.image).toBe('apache/kafka:4.1.2');
    expect(kafka?.environment?.['KAFKA_PROCESS_ROLES']).toBe('broker,controller');
    expect(String(kafka?.healthcheck?.test)).toContain('/opt/kafka/bin/');
  });

  it('creates every topic the code uses, with 12 partitions by default', () => {
    const init = services['kafka-init'];
    const script = String(init?.command);
    for (const topic of Object.values(topics)) expect(script).toMatch(new RegExp(`topic ${topic.replace('.', '\\.')} `));
    expect(String(init?.environment?.['TRANSACTIONS_PARTITIONS'])).toBe('12');
    expect(init?.restart).toBe('no');
  });

  it('lets the detector scale: 2 replicas, no container name, no published port', () => {
    const detector = services['detector'];
    expect(Number(detector?.deploy?.replicas)).toBe(2);
    expect(detector?.container_name).toBeUndefined();
    expect(detector?.ports).toBeUndefined();
    for (const service of Object.values(services)) expect(service.container_name).toBeUndefined();
  });

  it('serves the detectors a model from a watched host folder, the shipped model by default, its registry beside it', () => {
    const detector = services['detector'];
    const modelDir = String(detector?.environment?.['MODEL_DIR']);
    // The folder is mounted, not the serving directory: promote swaps `default`, a link into registry/,
    // and a bind mount of the link itself would keep showing the container the old model.
    expect(modelDir).toBe('/app/model-store/default');
    expect(detector?.volumes).toContain('./model:/app/model-store:ro');
    expect(existsSync(join(root, 'model/default/metadata.json'))).toBe(true);
  });

  it('publishes the dashboard on 3000 and Kafdrop on 9000', () => {
    expect(services['alerts']?.ports).toContain('3000:3000');
    expect(services['kafdrop']?.ports).toContain('9000:9000');
  });

  it('keeps Prometheus and Grafana in the optional monitoring profile', () => {
    expect(services['prometheus']?.profiles).toEqual(['monitoring']);
    expect(services['grafana']?.profiles).toEqual(['monitoring']);
    for (const name of ['kafka', 'redis', 'postgres', 'producer', 'detector', 'alerts']) expect(services[name]?.profiles).toBeUndefined();
  });

  it('documents every variable of both files in .env.example, with the same default', () => {
    const example = Object.fromEntries(
      readFileSync(join(root, '.env.example'), 'utf8')
        .split('\n')
        .map((line) => /^#?\s*([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim()))
        .filter((match): match is RegExpExecArray => match !== null)
        .map((match) => [match[1], match[2]]),
    );
    const both = `${composeText}\n${clusterText}`;
    // One default per variable across both files (composeDefaults throws on two).
    const defaults = composeDefaults(both);
    expect(Object.keys(example).sort()).toEqual([...variablesIn(both)].sort());
    for (const [variable, value] of defaults) expect(example[variable], variable).toBe(value);
  });
});

describe.each(setups)('$name', ({ file, texts }) => {
  const all = file.services;

  it('pins every image (a version tag, never latest)', () => {
    for (const [name, service] of Object.entries(all)) {
      expect(service.image, `${name} has an image`).toBeDefined();
      const tag = /:([^/:]+)$/.exec(service.image ?? '')?.[1];
      expect(tag, `${name}: image ${service.image} has a tag`).toBeDefined();
      expect(tag, `${name}: image ${service.image}`).not.toBe('latest');
      expect(tag, `${name}: image ${service.image} names a version`).toMatch(/\d/);
    }
  });

  it('creates every topic the code uses, once', () => {
    const script = String(all['kafka-init']?.command);
    for (const topic of Object.values(topics)) expect(script.match(new RegExp(`^\\s*topic ${topic.replace('.', '\\.')} `, 'gm')), topic).toHaveLength(1);
  });

  it('makes every dependency wait for a healthcheck or a finished one-shot', () => {
    for (const [name, service] of Object.entries(all)) {
      for (const [target, { condition }] of Object.entries(dependencies(service))) {
        expect(all[target], `${name} depends on ${target}, which exists`).toBeDefined();
        expect(['service_healthy', 'service_completed_successfully', 'service_started'], `${name} → ${target}`).toContain(condition);
        if (condition === 'service_healthy') expect(all[target]?.healthcheck, `${target} has a healthcheck`).toBeDefined();
        if (condition === 'service_completed_successfully') expect(all[target]?.restart, `${target} is a one-shot`).toBe('no');
        // Only the optional monitoring stack may start on a dependency that is merely started.
        if (condition === 'service_started') expect(service.profiles).toContain('monitoring');
      }
    }
    for (const name of ['kafka', 'redis', 'postgres', 'detector', 'alerts']) {
      expect(all[name]?.healthcheck?.test, `${name} has a healthcheck`).toBeDefined();
    }
  });

  it('mounts only files that exist and declares every named volume', () => {
    for (const [name, service] of Object.entries(all)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0] ?? '';
        if (source.startsWith('./')) expect(existsSync(join(root, source)), `${name} mounts ${source}`).toBe(true);
        else expect(file.volumes ?? {}, `${name} uses volume ${source}`).toHaveProperty(source);
      }
    }
  });

  it('publishes each host port once', () => {
    const published = Object.values(all).flatMap((service) => (service.ports ?? []).map((port) => port.split(':')[0]));
    expect(published).toEqual([...new Set(published)]);
  });

  it('gives every variable a working default', () => {
    for (const text of texts) {
      const defaults = composeDefaults(text);
      for (const variable of variablesIn(text)) expect(defaults.has(variable), `${variable} has a default`).toBe(true);
    }
  });

  it('binds the HTTP servers of the alerts service and the detectors to every interface of their containers', () => {
    // The services default to 127.0.0.1, which a published port or Prometheus cannot reach.
    const env = (name: string) => loadConfig(schemaOf(configSchemas[name as keyof typeof configSchemas]), environmentOf(all[name] ?? {}));
    expect(env('alerts')).toMatchObject({ HOST: '0.0.0.0' });
    expect(env('detector')).toMatchObject({ DETECTOR_HOST: '0.0.0.0' });
  });

  describe.each(Object.entries(configSchemas))('%s environment', (service, exportName) => {
    const schema = schemaOf(exportName);

    it(`is known to ${exportName} and valid`, () => {
      const env = environmentOf(all[service] ?? {});
      const known = Object.keys(schema.shape);
      for (const key of Object.keys(env)) expect(known, `${service}: ${key} is read by ${exportName}`).toContain(key);
      expect(() => loadConfig(schema, env)).not.toThrow();
    });
  });
});

describe('redis-cluster profile (the feature store on a Redis Cluster)', () => {
  const inProfile = ['redis-cluster'];

  it('runs six cluster nodes from the Redis image, each persisted in a volume of its own and announcing its name', () => {
    const volumes = new Set<string>();
    for (const name of redisClusterNodes) {
      const node = services[name];
      const command = String(node?.command);
      expect(node?.image, name).toBe(services['redis']?.image);
      expect(node?.profiles, name).toEqual(inProfile);
      expect(command, name).toContain('--cluster-enabled yes');
      expect(command, name).toContain('--appendonly yes');
      expect(command, name).toContain('--cluster-announce-hostname "$(hostname)" --cluster-preferred-endpoint-type hostname');
      expect(node?.hostname, name).toBe(name);
      expect(String(node?.healthcheck?.test), name).toContain('redis-cli,ping');
      for (const volume of node?.volumes ?? []) volumes.add(volume);
    }
    expect(volumes.size).toBe(redisClusterNodes.length);
    expect([...volumes]).not.toContain('redis-data:/data');
  });

  it('joins them once all are healthy, three masters with a replica each, and waits until the cluster serves', () => {
    const init = services['redis-cluster-init'];
    const script = String(init?.command);
    expect(init?.profiles).toEqual(inProfile);
    expect(init?.restart).toBe('no');
    for (const name of redisClusterNodes) {
      expect(dependencies(init ?? {})[name]?.condition, name).toBe('service_healthy');
      expect(script, name).toContain(name);
    }
    expect(script).toContain('redis-cli --cluster create');
    expect(script).toContain('--cluster-replicas 1 --cluster-yes');
    expect(script).toContain("grep -q '^cluster_state:ok'");
  });

  it('runs detector-cluster replicas like the detectors, on the cluster instead of the single Redis', () => {
    const detector = services['detector'] ?? {};
    const clustered = services['detector-cluster'] ?? {};
    expect(clustered.profiles).toEqual(inProfile);
    for (const key of ['image', 'command', 'deploy', 'healthcheck', 'volumes', 'stop_grace_period'] as const) expect(clustered[key], key).toEqual(detector[key]);
    expect(dependencies(clustered)).toEqual({
      'kafka-init': { condition: 'service_completed_successfully' },
      'redis-cluster-init': { condition: 'service_completed_successfully' },
    });
    const env = loadConfig(schemaOf('DetectorEnv'), environmentOf(clustered)) as { REDIS_URL?: string; REDIS_CLUSTER_NODES?: Array<{ host: string; port: number }> };
    expect(env.REDIS_URL).toBeUndefined();
    expect(env.REDIS_CLUSTER_NODES?.length).toBeGreaterThan(0);
    for (const node of env.REDIS_CLUSTER_NODES ?? []) {
      expect(redisClusterNodes).toContain(node.host);
      expect(node.port).toBe(6379);
    }
    const { REDIS_URL: _single, REDIS_CLUSTER_NODES: _cluster, ...others } = environmentOf(clustered);
    const { REDIS_URL: _url, ...detectorOthers } = environmentOf(detector);
    expect(others).toEqual(detectorOthers);
    // Prometheus finds the detectors by that name (monitoring profile).
    expect(clustered.networks?.['default']?.aliases).toEqual(['detector']);
  });

  it('leaves the default setup alone: nothing outside the profile depends on it', () => {
    for (const [name, service] of Object.entries(services)) {
      if (service.profiles?.includes('redis-cluster')) continue;
      for (const target of Object.keys(dependencies(service))) expect(services[target]?.profiles ?? [], `${name} → ${target}`).not.toContain('redis-cluster');
    }
    expect(environmentOf(services['detector'] ?? {})['REDIS_URL']).toBe('redis://redis:6379');
  });
});

describe('docker-compose.cluster.yml (3 brokers)', () => {
  const nodes = ['kafka', 'kafka-2', 'kafka-3'] as const;
  const all = cluster.services;

  it('runs three KRaft nodes of one cluster from the official image, each a broker and a voting controller', () => {
    const voters = '1@kafka:9093,2@kafka-2:9093,3@kafka-3:9093';
    for (const [index, name] of nodes.entries()) {
      const env = environmentOf(all[name] ?? {});
      expect(all[name]?.image, name).toBe('apache/kafka:4.1.2');
      expect(env, name).toMatchObject({
        KAFKA_NODE_ID: String(index + 1),
        KAFKA_PROCESS_ROLES: 'broker,controller',
        KAFKA_CONTROLLER_QUORUM_VOTERS: voters,
        CLUSTER_ID: environmentOf(all['kafka'] ?? {})['CLUSTER_ID'],
      });
      expect(env['KAFKA_ADVERTISED_LISTENERS'], name).toContain(`PLAINTEXT://${name}:9092`);
      expect(String(all[name]?.healthcheck?.test), name).toContain('/opt/kafka/bin/kafka-broker-api-versions.sh');
    }
  });

  it('keeps each node in a volume of its own, none of them the single broker’s', () => {
    const volumes = nodes.map((name) => all[name]?.volumes?.find((volume) => volume.endsWith(':/var/lib/kafka/data')));
    expect(new Set(volumes).size).toBe(3);
    expect(volumes).not.toContain('kafka-data:/var/lib/kafka/data');
  });

  it('replicates the internal topics 3 times, with 2 in sync for a write', () => {
    for (const name of nodes) {
      expect(environmentOf(all[name] ?? {}), name).toMatchObject({
        KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '3',
        KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '3',
        KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '2',
        KAFKA_DEFAULT_REPLICATION_FACTOR: '3',
        KAFKA_MIN_INSYNC_REPLICAS: '2',
      });
    }
  });

  it('creates every topic with 3 replicas and min.insync.replicas=2, once all three brokers are healthy', () => {
    const init = all['kafka-init'];
    for (const name of nodes) expect(dependencies(init ?? {})[name]?.condition, name).toBe('service_healthy');
    const script = String(init?.command);
    expect(script).toContain(`--bootstrap-server ${clusterBrokers}`);
    expect(script).toContain('--replication-factor 3');
    expect(script).toContain('--config min.insync.replicas=2');
    expect(script).not.toMatch(/--replication-factor [^3]/);
  });

  it('gives the services and Kafdrop all three brokers', () => {
    for (const name of ['producer', 'detector', 'alerts']) expect(all[name]?.environment?.['KAFKA_BROKERS'], name).toBe(clusterBrokers);
    expect(all['kafdrop']?.environment?.['KAFKA_BROKERCONNECT']).toBe(clusterBrokers);
  });
});

describe('monitoring profile', () => {
  const prometheus = parse(readFileSync(join(root, 'monitoring/prometheus/prometheus.yml'), 'utf8')) as {
    scrape_configs: Array<{ job_name: string; dns_sd_configs?: Array<{ names: string[]; port: number }>; static_configs?: Array<{ targets: string[] }> }>;
  };
  const job = (name: string) => prometheus.scrape_configs.find((config) => config.job_name === name);

  it('finds every detector replica through Docker DNS, on the port the detector listens on', () => {
    const config = loadConfig(schemaOf('DetectorEnv'), environmentOf(services['detector'] ?? {})) as { DETECTOR_PORT: number };
    expect(job('detector')?.dns_sd_configs).toEqual([expect.objectContaining({ names: ['detector'], port: config.DETECTOR_PORT })]);
    expect(String(services['detector']?.healthcheck?.test)).toContain(`127.0.0.1:${config.DETECTOR_PORT}/readyz`);
  });

  it('scrapes the alerts service on the port it listens on', () => {
    const config = loadConfig(schemaOf('AlertsEnv'), environmentOf(services['alerts'] ?? {})) as { PORT: number };
    expect(job('alerts')?.static_configs?.[0]?.targets).toEqual([`alerts:${config.PORT}`]);
    expect(String(services['alerts']?.healthcheck?.test)).toContain(`127.0.0.1:${config.PORT}/readyz`);
  });

  it('charts only metrics the services define', () => {
    const dashboard = JSON.parse(readFileSync(join(root, 'monitoring/grafana/dashboards/fraudstream.json'), 'utf8')) as {
      panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
    };
    const sources = ['services/detector/src/metrics.ts', 'services/alerts/src/metrics.ts']
      .filter((file) => existsSync(join(root, file)))
      .map((file) => readFileSync(join(root, file), 'utf8'))
      .join('\n');
    const titles = dashboard.panels.map((panel) => panel.title).join(' | ');
    for (const topic of ['Throughput', 'lag', 'Alert rate', 'Batch latency']) expect(titles).toContain(topic);
    for (const panel of dashboard.panels) {
      for (const { expr } of panel.targets) {
        for (const [metric] of expr.matchAll(/fraudstream_\w+/g)) {
          const defined = metric.replace(/_(bucket|sum|count)$/, '');
          expect(sources, `${panel.title}: ${metric}`).toContain(`'${defined}'`);
        }
      }
    }
  });
});

describe('interpolate (Compose variable substitution)', () => {
  it('substitutes like Compose', () => {
    expect(interpolate('${A:-x} ${B-y} ${C:-z} $$D ${A}', { A: 'a', C: '' })).toBe('a y z $D a');
    expect(() => interpolate('${A:?needs A}', {})).toThrow('A: needs A');
  });
});
