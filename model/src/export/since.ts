const units: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/**
 * `--since` as a point in time: a duration back from `now` (`30d`, `12h`, `90m`, `2w`), a UTC date
 * (`2026-01-31`) or an ISO 8601 timestamp with its zone (`2026-01-31T12:00:00Z`). Undefined when it is none of them.
 */
export function parseSince(text: string, now: number = Date.now()): number | undefined {
  const duration = /^(\d+)([mhdw])$/.exec(text);
  if (duration) return now - Number(duration[1]) * (units[duration[2] ?? ''] ?? Number.NaN);
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return finite(Date.parse(`${text}T00:00:00Z`));
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text)) return finite(Date.parse(text));
  return undefined;
}

const finite = (value: number): number | undefined => (Number.isFinite(value) ? value : undefined);
