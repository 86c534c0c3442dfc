/** A one-line progress bar on stderr, drawn only when stderr is a terminal. */
export function createProgressBar(total: number, label: string, stream: NodeJS.WriteStream = process.stderr) {
  const enabled = stream.isTTY === true;
  const startedAt = performance.now();
  let lastDrawn = 0;
  return {
    update(done: number, detail = ''): void {
      const now = performance.now();
      if (!enabled || (now - lastDrawn < 100 && done < total)) return;
      lastDrawn = now;
      const share = total === 0 ? 1 : Math.min(1, done / total);
      const width = 30;
      const filled = Math.round(share * width);
      const seconds = ((now - startedAt) / 1000).toFixed(1);
      stream.write(`\r\x1b[2K${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(share * 100).toFixed(0)}% ${detail} ${seconds}s`);
    },
    done(): void {
      if (enabled) stream.write('\n');
    },
  };
}
