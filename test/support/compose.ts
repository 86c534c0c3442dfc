/**
 * Compose's variable substitution, for checking docker-compose.yml without Docker:
 * `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`, `${VAR:+alt}`,
 * `${VAR+alt}`, `$VAR`, and `$$` for a literal dollar sign.
 */
const reference = /\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g;

export function interpolate(text: string, env: Record<string, string | undefined>): string {
  return text.replace(reference, (whole, dollar: string | undefined, braced: string | undefined, operator: string | undefined, argument: string | undefined, bare: string | undefined) => {
    if (dollar) return '$';
    const name = braced ?? bare ?? '';
    const value = env[name];
    const set = value !== undefined;
    const nonEmpty = set && value !== '';
    if (argument?.includes('${')) throw new Error(`nested substitution is not supported here: ${whole}`);
    switch (operator) {
      case ':-':
        return nonEmpty ? value : (argument ?? '');
      case '-':
        return set ? value : (argument ?? '');
      case ':?':
        if (!nonEmpty) throw new Error(`${name}: ${argument || 'required'}`);
        return value;
      case '?':
        if (!set) throw new Error(`${name}: ${argument || 'required'}`);
        return value;
      case ':+':
        return nonEmpty ? (argument ?? '') : '';
      case '+':
        return set ? (argument ?? '') : '';
      default:
        return value ?? '';
    }
  });
}

/** Every variable the text refers to (not counting `$$` escapes). */
export function variablesIn(text: string): Set<string> {
  const names = new Set<string>();
  for (const match of text.matchAll(reference)) {
    const name = match[2] ?? match[5];
    if (name) names.add(name);
  }
  return names;
}

/** Each variable's default as written with `:-` or `-`; one variable with two different defaults is an error. */
export function composeDefaults(text: string): Map<string, string> {
  const defaults = new Map<string, string>();
  for (const match of text.matchAll(reference)) {
    const [whole, , name, operator, argument] = match;
    if (!name || (operator !== ':-' && operator !== '-')) continue;
    const previous = defaults.get(name);
    if (previous !== undefined && previous !== argument) {
      throw new Error(`${name} has two defaults: ${JSON.stringify(previous)} and ${JSON.stringify(argument)} (${whole})`);
    }
    defaults.set(name, argument ?? '');
  }
  return defaults;
}

type Mapping = Record<string, unknown>;
const isMapping = (value: unknown): value is Mapping => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Mappings merged key by key; anything else (a command, a healthcheck's test) replaced by the override's. */
function mergeMappings(base: Mapping, override: Mapping): Mapping {
  const merged: Mapping = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const previous = merged[key];
    merged[key] = isMapping(previous) && isMapping(value) ? mergeMappings(previous, value) : value;
  }
  return merged;
}

/**
 * What `docker compose -f base -f override` makes of two parsed files, for the parts these files use:
 * services and top-level mappings merge key by key, a service's `volumes` by their target path and its
 * `ports` as a union (as Compose does), any other list or value is the override's.
 */
export function mergeCompose<T extends { services: Record<string, unknown> }>(base: T, override: Partial<T>): T {
  const merged = mergeMappings({ ...base, services: {} }, { ...override, services: {} }) as T;
  const services: Mapping = { ...base.services };
  for (const [name, service] of Object.entries(override.services ?? {})) {
    const previous = services[name];
    if (!isMapping(previous) || !isMapping(service)) {
      services[name] = service;
      continue;
    }
    const combined = mergeMappings(previous, service);
    const volumes = [...((previous['volumes'] as string[] | undefined) ?? []), ...((service['volumes'] as string[] | undefined) ?? [])];
    const byTarget = new Map(volumes.map((volume) => [volume.split(':')[1] ?? volume, volume]));
    if (volumes.length > 0) combined['volumes'] = [...byTarget.values()];
    const ports = [...((previous['ports'] as string[] | undefined) ?? []), ...((service['ports'] as string[] | undefined) ?? [])];
    if (ports.length > 0) combined['ports'] = [...new Set(ports)];
    services[name] = combined;
  }
  merged.services = services;
  return merged;
}
