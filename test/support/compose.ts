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
